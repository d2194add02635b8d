/// An exact amount of money: an integer count of the currency's minor unit
/// at a given `scale` (digits after the decimal point, 0...6; 2 for cents).
///
/// There is no magnitude limit (a principal of 10^40 works) and no binary
/// floating point anywhere: amounts are parsed from and printed to decimal
/// text exactly.
///
/// ```swift
/// let p = try Money(parsing: "10000.5", scale: 2)  // 1000050 minor units
/// p.description                                     // "10000.50"
/// try Money(parsing: "100.005", scale: 2)           // throws: more than 2 decimals
/// ```
public struct Money: Sendable, Hashable, Comparable, CustomStringConvertible {
    var units: WideInteger
    /// Digits after the decimal point (0...6).
    public let scale: Int

    init(units: WideInteger, scale: Int) {
        self.units = units
        self.scale = scale
    }

    /// An amount of `minorUnits` (for example cents) at `scale`.
    public init(minorUnits: Int64, scale: Int = 2) {
        self.init(units: .small(Int128(minorUnits)), scale: scale)
    }

    /// Zero at `scale`.
    public static func zero(scale: Int = 2) -> Money { Money(units: .small(0), scale: scale) }

    /// Parses a plain decimal amount `digits[.digits]` (no sign, exponent,
    /// or grouping) with at most `scale` decimals (SPEC §7). More decimals
    /// than `scale` is an error even when they are zeros: `100.500` at scale 2
    /// is rejected, never silently rounded. At most
    /// `InputLimits.amountDigits` (1000) digits before the point, leading
    /// zeros not counted (an error with code `.outOfRange` beyond).
    ///
    /// - Parameters:
    ///   - text: the amount, such as `10000` or `10000.5`.
    ///   - scale: digits after the decimal point of the minor unit, 0...6 (2: cents).
    ///   - field: the input's name, used in error messages.
    public init(parsing text: some StringProtocol, scale: Int = 2, field: String = "amount") throws(KernelError) {
        if (0...6).contains(scale), let (v, frac) = DecimalText.fast(text), frac <= scale {
            self.init(units: .small(Int128(_low: v, _high: 0) * Int128(_low: ByteWriter.powersOfTen[scale - frac], _high: 0)), scale: scale)
            return
        }
        let s = Substring(text)
        guard (0...6).contains(scale) else { throw KernelError(.outOfRange, field: "scale", "must be 0 to 6: '\(scale)'") }
        let (intPart, fracPart) = try DecimalText.split(s, field: field, what: "not a decimal amount")
        let intDigits = InputLimits.significantCount(intPart)
        guard intDigits <= InputLimits.amountDigits else {
            throw KernelError(.outOfRange, field: field,
                              "too large: \(intDigits) digits before the decimal point (at most \(InputLimits.amountDigits))")
        }
        guard fracPart.count <= scale else {
            throw KernelError(field: field, "more than \(scale) decimals: \(KernelError.quoted(s))")
        }
        let digits = Substring(intPart) + Substring(fracPart) + String(repeating: "0", count: scale - fracPart.count)
        guard let v = WideInteger(digits: Substring(digits).utf8) else {
            throw KernelError(field: field, "not a decimal amount: \(KernelError.quoted(s))")
        }
        self.init(units: v, scale: scale)
    }

    /// Parses an amount from its UTF-8 bytes, as `init(parsing:scale:field:)` does (the same
    /// errors); the common case makes no `String`.
    public init(bytes: UnsafeBufferPointer<UInt8>, scale: Int = 2, field: String = "amount") throws(KernelError) {
        if (0...6).contains(scale), let (v, frac) = DecimalText.fast(bytes: bytes), frac <= scale {
            self.init(units: .small(Int128(_low: v, _high: 0) * Int128(_low: ByteWriter.powersOfTen[scale - frac], _high: 0)), scale: scale)
            return
        }
        try self.init(parsing: String(decoding: bytes, as: UTF8.self), scale: scale, field: field)
    }

    /// The count of minor units as decimal digits (a leading `-` when negative).
    public var minorUnitsString: String { units.decimalString }

    /// The count of minor units if it fits in `Int64`, else nil.
    public var minorUnitsInt64: Int64? {
        if case .small(let v) = units, let x = Int64(exactly: v) { return x }
        return nil
    }

    /// Whether the amount is zero.
    public var isZero: Bool { units.isZero }

    /// The amount with exactly `scale` decimals and no grouping: `1234.50`,
    /// `-0.07`, and at scale 0 no decimal point (`1234`).
    public var description: String {
        var out: [UInt8] = []
        MoneyFormat.append(units, scale: scale, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The minor units of `self` at `scale` (at least `self.scale`): exact, no rounding.
    func units(atScale target: Int) -> WideInteger {
        target == scale ? units : units * .powerOfTen(target - scale)
    }

    /// The exact sum, at the larger of the two scales: `1.5` (scale 1) plus
    /// `0.25` (scale 2) is `1.75` at scale 2. Nothing is ever rounded.
    ///
    /// ```swift
    /// try Money(parsing: "1.5", scale: 1) + Money(parsing: "0.25", scale: 2)   // 1.75
    /// ```
    public static func + (a: Money, b: Money) -> Money {
        if a.scale == b.scale { return Money(units: a.units + b.units, scale: a.scale) }
        let s = max(a.scale, b.scale)
        return Money(units: a.units(atScale: s) + b.units(atScale: s), scale: s)
    }

    /// The exact difference, at the larger of the two scales (see `+`).
    public static func - (a: Money, b: Money) -> Money {
        if a.scale == b.scale { return Money(units: a.units - b.units, scale: a.scale) }
        let s = max(a.scale, b.scale)
        return Money(units: a.units(atScale: s) - b.units(atScale: s), scale: s)
    }

    /// Orders amounts by value, whatever their scales (`0.99` at scale 2 is below `1` at scale 0).
    public static func < (a: Money, b: Money) -> Bool { compare(a, b) < 0 }

    /// Equal values are equal whatever their scales: `1.00` (scale 2) `==` `1` (scale 0),
    /// and `1.00` (scale 2) `!=` `100` (scale 0). The scale only decides how an amount prints.
    public static func == (a: Money, b: Money) -> Bool { compare(a, b) == 0 }

    /// Consistent with `==`: equal values at different scales hash alike (the
    /// value is hashed without trailing decimal zeros).
    public func hash(into h: inout Hasher) {
        var u = units, s = scale
        while s > 0, let q = u.quotientIfDivisible(by: 10) { u = q; s -= 1 }
        h.combine(u)
        h.combine(s)
    }

    /// -1, 0 or 1 as `a` is below, equal to or above `b`, compared at the larger scale.
    static func compare(_ a: Money, _ b: Money) -> Int {
        if a.scale == b.scale { return WideInteger.compare(a.units, b.units) }
        let s = max(a.scale, b.scale)
        return WideInteger.compare(a.units(atScale: s), b.units(atScale: s))
    }
}

/// Byte-level amount formatting shared by the CSV writers and `Money`.
enum MoneyFormat {
    /// Appends `units` minor units at `scale` as `[-]int[.frac]`.
    static func append(_ units: WideInteger, scale: Int, to out: inout [UInt8]) {
        switch units {
        case .small(let v): append(v, scale: scale, to: &out)
        case .big(let b): appendDigits(Array(b.decimalString.utf8), scale: scale, to: &out)
        }
    }

    /// Appends an `Int128` count of minor units at `scale`.
    static func append(_ v: Int128, scale: Int, to out: inout [UInt8]) {
        if v < 0 { out.append(45) }
        var m = v.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 48) { buf in
            var i = 48, n = 0
            while m._high != 0 {
                let (q, r) = m.quotientAndRemainder(dividingBy: 10)
                i -= 1; buf[i] = 48 &+ UInt8(truncatingIfNeeded: r._low); m = q; n += 1
            }
            var s = m._low
            while s != 0 || n <= scale {
                let (q, r) = s.quotientAndRemainder(dividingBy: 10)
                i -= 1; buf[i] = 48 &+ UInt8(truncatingIfNeeded: r); s = q; n += 1
            }
            let intEnd = 48 - scale
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[i..<intEnd]))
            if scale > 0 {
                out.append(46)
                out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[intEnd..<48]))
            }
        }
    }

    static func appendDigits(_ s: [UInt8], scale: Int, to out: inout [UInt8]) {
        var digits = s[...]
        if digits.first == 45 { out.append(45); digits = digits.dropFirst() }
        var padded = Array(digits)
        if padded.count <= scale { padded = Array(repeating: 48, count: scale + 1 - padded.count) + padded }
        let intCount = padded.count - scale
        out.append(contentsOf: padded[0..<intCount])
        if scale > 0 { out.append(46); out.append(contentsOf: padded[intCount...]) }
    }
}

/// Strict parsing of the plain decimal syntax of SPEC §7.
enum DecimalText {
    /// The fast path: `digits[.digits]` with at most 18 digits in all, as an
    /// integer of all digits and the count of fraction digits; nil for
    /// anything else (the slow path then parses or explains the error).
    @inline(__always)
    static func fast(_ text: some StringProtocol) -> (UInt64, Int)? { fast(bytes: text.utf8) }

    /// `fast(_:)` on UTF-8 bytes.
    @inline(__always)
    static func fast<Bytes: Sequence<UInt8>>(bytes: Bytes) -> (UInt64, Int)? {
        var v: UInt64 = 0, n = 0, frac = -1, intDigits = 0
        for c in bytes {
            if c == 46 {
                if frac >= 0 { return nil }
                frac = 0
                continue
            }
            let d = c &- 48
            if d > 9 { return nil }
            n += 1
            if n > 18 { return nil }
            v = v &* 10 &+ UInt64(d)
            if frac >= 0 { frac += 1 } else { intDigits += 1 }
        }
        if intDigits == 0 || frac == 0 { return nil }
        return (v, max(frac, 0))
    }

    /// Splits `digits[.digits]` into integer and fraction digits. A leading
    /// `-` is reported as `must not be negative`; any other deviation as `what`.
    static func split(_ s: Substring, field: String, what: String) throws(KernelError) -> (Substring.UTF8View.SubSequence, Substring.UTF8View.SubSequence) {
        let u = s.utf8
        if u.first == 45, u.count > 1, u.dropFirst().allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 37 }) {
            throw KernelError(field: field, "must not be negative: \(KernelError.quoted(s))")
        }
        var dot: Substring.UTF8View.Index? = nil
        for i in u.indices {
            let c = u[i]
            if c == 46 {
                if dot != nil { throw KernelError(field: field, "\(what): \(KernelError.quoted(s))") }
                dot = i
            } else if c < 48 || c > 57 {
                throw KernelError(field: field, "\(what): \(KernelError.quoted(s))")
            }
        }
        let intPart = u[u.startIndex..<(dot ?? u.endIndex)]
        let fracPart = dot.map { u[u.index(after: $0)...] } ?? u[u.endIndex...]
        guard !intPart.isEmpty, dot == nil || !fracPart.isEmpty else {
            throw KernelError(field: field, "\(what): \(KernelError.quoted(s))")
        }
        return (intPart, fracPart)
    }
}
