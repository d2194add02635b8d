/// An integer of any magnitude that stays a machine `Int128` while it fits
/// and moves to GMP only when it does not (the fast path never allocates).
internal enum WideInteger: Sendable {
    case small(Int128)
    case big(BigInt)

    init(_ value: Int128) { self = .small(value) }

    /// Normalizes: a GMP value that fits becomes `.small`.
    init(_ big: BigInt) {
        if let v = big.int128 { self = .small(v) } else { self = .big(big) }
    }

    init<N: ExactInteger>(generic value: N) {
        if let v = value as? Int128 { self = .small(v) } else { self.init(value.big) }
    }

    var bigValue: BigInt {
        switch self {
        case .small(let v): return BigInt(v)
        case .big(let b): return b
        }
    }

    /// The value in the engine's integer type, or `ArithmeticOverflow` when
    /// it does not fit there.
    func exact<N: ExactInteger>(_: N.Type) throws(ArithmeticOverflow) -> N {
        switch self {
        case .small(let v):
            if N.self == Int128.self { return v as! N }
            return try N(exactly: BigInt(v))
        case .big(let b): return try N(exactly: b)
        }
    }

    var signum: Int {
        switch self {
        case .small(let v): return v.signum
        case .big(let b): return b.signum
        }
    }

    var isZero: Bool { signum == 0 }

    static func compare(_ a: WideInteger, _ b: WideInteger) -> Int {
        if case .small(let x) = a, case .small(let y) = b { return x < y ? -1 : (x == y ? 0 : 1) }
        return BigInt.compare(a.bigValue, b.bigValue)
    }

    static func + (a: WideInteger, b: WideInteger) -> WideInteger {
        if case .small(let x) = a, case .small(let y) = b {
            let (r, o) = x.addingReportingOverflow(y)
            if !o { return .small(r) }
        }
        return WideInteger(a.bigValue + b.bigValue)
    }

    static func - (a: WideInteger, b: WideInteger) -> WideInteger {
        if case .small(let x) = a, case .small(let y) = b {
            let (r, o) = x.subtractingReportingOverflow(y)
            if !o { return .small(r) }
        }
        return WideInteger(a.bigValue - b.bigValue)
    }

    static func * (a: WideInteger, b: WideInteger) -> WideInteger {
        if case .small(let x) = a, case .small(let y) = b {
            let (r, o) = x.multipliedReportingOverflow(by: y)
            if !o { return .small(r) }
        }
        return WideInteger(a.bigValue * b.bigValue)
    }

    /// `round(self / divisor)`; nil when `divisor` is not positive.
    func divided(by divisor: WideInteger, rounding: RoundingMode) -> WideInteger? {
        guard divisor.signum > 0 else { return nil }
        if case .small(let x) = self, case .small(let d) = divisor,
           let q = try? x.divided(by: d, rounding: rounding) {
            return .small(q)
        }
        guard let q = try? bigValue.divided(by: divisor.bigValue, rounding: rounding) else { return nil }
        return WideInteger(q)
    }

    /// `self / d` when `d` (> 0) divides `self` exactly, else nil.
    func quotientIfDivisible(by d: Int128) -> WideInteger? {
        guard d > 0 else { return nil }
        if case .small(let x) = self { return x % d == 0 ? .small(x / d) : nil }
        let divisor = WideInteger.small(d)
        guard let q = divided(by: divisor, rounding: .down), q * divisor == self else { return nil }
        return q
    }

    /// Decimal digits, `-` first when negative.
    var decimalString: String {
        switch self {
        case .small(let v): return String(v)
        case .big(let b): return b.decimalString
        }
    }

    /// `10^k`.
    static func powerOfTen(_ k: Int) -> WideInteger {
        if k < smallPowersOfTen.count { return .small(smallPowersOfTen[k]) }
        if k <= 38 {
            var v: Int128 = 1
            for _ in 0..<k { v *= 10 }
            return .small(v)
        }
        return WideInteger(BigInt(10).power(k))
    }

    static let smallPowersOfTen: [Int128] = (0...20).map { k in
        var v: Int128 = 1
        for _ in 0..<k { v *= 10 }
        return v
    }

    /// Parses ASCII digits (non-empty, digits only).
    init?(digits: Substring.UTF8View) {
        if digits.isEmpty { return nil }
        if digits.count <= 37 {
            var v: Int128 = 0
            for c in digits {
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int128(c - 48)
            }
            self = .small(v)
            return
        }
        guard let b = BigInt(digits: Substring(digits)) else { return nil }
        self.init(b)
    }
}

extension WideInteger: Equatable, Hashable {
    static func == (a: WideInteger, b: WideInteger) -> Bool { compare(a, b) == 0 }
    func hash(into h: inout Hasher) { h.combine(decimalString) }
}
