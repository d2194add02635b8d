/// Raised by the machine-integer fast path when a value would not fit; the
/// caller then redoes the whole computation on GMP integers.
internal struct ArithmeticOverflow: Error {
    init() {}
}

/// The integer arithmetic the schedule engines are written against.
///
/// Two implementations: `Int128` with every operation overflow-checked (the
/// fast path: no allocation, a handful of instructions), and `BigInt` on GMP
/// (any magnitude). An engine runs on `Int128` first and, on
/// `ArithmeticOverflow`, reruns on `BigInt`, so results never depend on which
/// path computed them.
internal protocol ExactInteger: Comparable, Sendable {
    static var zero: Self { get }
    init(_ value: Int)
    init(exactly big: BigInt) throws(ArithmeticOverflow)
    var big: BigInt { get }
    /// The value as a storage integer (no allocation for `Int128`).
    var wide: WideInteger { get }
    var signum: Int { get }
    func plus(_ other: Self) throws(ArithmeticOverflow) -> Self
    func minus(_ other: Self) throws(ArithmeticOverflow) -> Self
    func times(_ other: Self) throws(ArithmeticOverflow) -> Self
    /// `round(self / divisor)` with `mode`; `divisor` must be positive
    /// (callers check; a zero divisor never reaches this).
    func divided(by divisor: Self, rounding mode: RoundingMode) throws(ArithmeticOverflow) -> Self
    /// Non-throwing forms for hot loops: on overflow they set `overflow` and
    /// return garbage, and the caller throws once per row. (Typed-throws
    /// witnesses are not inlined into specialized generic code; these are.)
    func adding(_ other: Self, _ overflow: inout Bool) -> Self
    func subtracting(_ other: Self, _ overflow: inout Bool) -> Self
    func multiplying(_ other: Self, _ overflow: inout Bool) -> Self
    func dividing(by divisor: Self, _ mode: RoundingMode, _ overflow: inout Bool) -> Self
}

extension ExactInteger {
    func times(_ small: Int) throws(ArithmeticOverflow) -> Self { try times(Self(small)) }
    static func minimum(_ a: Self, _ b: Self) -> Self { a < b ? a : b }
    static func maximum(_ a: Self, _ b: Self) -> Self { a < b ? b : a }
}

extension Int128: ExactInteger {
    static var zero: Int128 { 0 }
    init(exactly big: BigInt) throws(ArithmeticOverflow) {
        guard let v = big.int128 else { throw ArithmeticOverflow() }
        self = v
    }
    var big: BigInt { BigInt(self) }
    var wide: WideInteger { .small(self) }
    var signum: Int { self < 0 ? -1 : (self == 0 ? 0 : 1) }
    @inline(__always) func adding(_ o: Int128, _ overflow: inout Bool) -> Int128 {
        let (r, o) = addingReportingOverflow(o); overflow = overflow || o; return r
    }
    @inline(__always) func subtracting(_ o: Int128, _ overflow: inout Bool) -> Int128 {
        let (r, o) = subtractingReportingOverflow(o); overflow = overflow || o; return r
    }
    @inline(__always) func multiplying(_ o: Int128, _ overflow: inout Bool) -> Int128 {
        if _high == Int64(bitPattern: _low) >> 63, o._high == Int64(bitPattern: o._low) >> 63 {
            let (h, l) = Int64(bitPattern: _low).multipliedFullWidth(by: Int64(bitPattern: o._low))
            return Int128(_low: l, _high: h)
        }
        let (r, o) = multipliedReportingOverflow(by: o); overflow = overflow || o; return r
    }
    @inline(__always) func dividing(by d: Int128, _ mode: RoundingMode, _ overflow: inout Bool) -> Int128 {
        if let q = dividing64(by: d, mode) { return q }
        do { return try divided(by: d, rounding: mode) } catch { overflow = true; return 0 }
    }
    /// The common case, a non-negative dividend and a positive divisor below
    /// 2^64: one 64-bit division instead of a 128-bit one. Nil otherwise.
    @inline(__always) func dividing64(by d: Int128, _ mode: RoundingMode) -> Int128? {
        guard d > 0, _high == 0, d._high == 0 else { return nil }
        let (q, r) = _low.quotientAndRemainder(dividingBy: d._low)
        let q128 = Int128(_low: q, _high: 0)
        if r == 0 { return q128 }
        let rest = d._low - r
        let half = r < rest ? -1 : (r == rest ? 0 : 1)
        return mode.bumpsAwayFromZero(negative: false, half: half, qIsOdd: q & 1 != 0) ? q128 + 1 : q128
    }
    @inline(__always) func plus(_ o: Int128) throws(ArithmeticOverflow) -> Int128 {
        let (r, o) = addingReportingOverflow(o); if o { throw ArithmeticOverflow() }; return r
    }
    @inline(__always) func minus(_ o: Int128) throws(ArithmeticOverflow) -> Int128 {
        let (r, o) = subtractingReportingOverflow(o); if o { throw ArithmeticOverflow() }; return r
    }
    @inline(__always) func times(_ o: Int128) throws(ArithmeticOverflow) -> Int128 {
        // Both factors in Int64 range (the usual case): one 64x64->128 multiply,
        // which cannot overflow, instead of the __muloti4 library call.
        if _high == Int64(bitPattern: _low) >> 63, o._high == Int64(bitPattern: o._low) >> 63 {
            let (h, l) = Int64(bitPattern: _low).multipliedFullWidth(by: Int64(bitPattern: o._low))
            return Int128(_low: l, _high: h)
        }
        let (r, overflow) = multipliedReportingOverflow(by: o); if overflow { throw ArithmeticOverflow() }; return r
    }
    func divided(by d: Int128, rounding mode: RoundingMode) throws(ArithmeticOverflow) -> Int128 {
        guard d > 0 else { throw ArithmeticOverflow() }
        if let q = dividing64(by: d, mode) { return q }
        let (q, r) = quotientAndRemainder(dividingBy: d)
        if r == 0 { return q }
        let m = r.magnitude, rest = d.magnitude - m
        let half = m < rest ? -1 : (m == rest ? 0 : 1)
        let negative = self < 0
        if mode.bumpsAwayFromZero(negative: negative, half: half, qIsOdd: q & 1 != 0) {
            return negative ? q - 1 : q + 1
        }
        return q
    }
}

extension BigInt: Comparable, Equatable {
    static func == (a: BigInt, b: BigInt) -> Bool { compare(a, b) == 0 }
    static func < (a: BigInt, b: BigInt) -> Bool { compare(a, b) < 0 }
}

extension BigInt: ExactInteger {
    static var zero: BigInt { BigInt(0) }
    convenience init(exactly big: BigInt) throws(ArithmeticOverflow) {
        self.init(copying: big)
    }
    var big: BigInt { self }
    var wide: WideInteger { WideInteger(self) }
    func adding(_ o: BigInt, _ overflow: inout Bool) -> BigInt { self + o }
    func subtracting(_ o: BigInt, _ overflow: inout Bool) -> BigInt { self - o }
    func multiplying(_ o: BigInt, _ overflow: inout Bool) -> BigInt { self * o }
    func dividing(by d: BigInt, _ mode: RoundingMode, _ overflow: inout Bool) -> BigInt {
        do { return try divided(by: d, rounding: mode) } catch { overflow = true; return d }
    }
    func plus(_ o: BigInt) throws(ArithmeticOverflow) -> BigInt { self + o }
    func minus(_ o: BigInt) throws(ArithmeticOverflow) -> BigInt { self - o }
    func times(_ o: BigInt) throws(ArithmeticOverflow) -> BigInt { self * o }
    func divided(by d: BigInt, rounding mode: RoundingMode) throws(ArithmeticOverflow) -> BigInt {
        guard d.signum > 0, let (q, r) = quotientAndRemainder(dividingBy: d) else { throw ArithmeticOverflow() }
        if r.signum == 0 { return q }
        let twice = BigInt.compare(r.multiplied(by: r.signum * 2), d)
        let negative = signum < 0
        if mode.bumpsAwayFromZero(negative: negative, half: twice, qIsOdd: q.isOdd) {
            return q + BigInt(negative ? -1 : 1)
        }
        return q
    }
}
