/// An exact non-negative rate: a rational number parsed from a plain decimal,
/// `0.144` or `14.4%` (the same value). Never a binary float.
///
/// ```swift
/// try Rate(parsing: "14.4%") == Rate(parsing: "0.144")   // true
/// ```
public struct Rate: Sendable, Hashable, CustomStringConvertible {
    var numerator: WideInteger
    var denominator: WideInteger

    init(numerator: WideInteger, denominator: WideInteger) {
        self.numerator = numerator
        self.denominator = denominator
    }

    /// Zero.
    public static let zero = Rate(numerator: .small(0), denominator: .small(1))

    /// Parses `digits[.digits]` with an optional trailing `%` (SPEC §7): at
    /// most `InputLimits.rateDecimals` (100) decimals and
    /// `InputLimits.rateIntegerDigits` (100) digits before the point, leading
    /// zeros not counted (an error with code `.outOfRange` beyond).
    public init(parsing text: some StringProtocol, field: String = "rate") throws(KernelError) {
        let whole = Substring(text)
        let percentFast = whole.utf8.last == 37
        // Bytes, not Characters: a '%' after a prepended mark (U+0601 '؁%') is one Character,
        // and dropping it would drop the mark with it (found by FuzzParsers).
        if let (v, frac) = DecimalText.fast(bytes: percentFast ? whole.utf8.dropLast() : whole.utf8[...]), frac <= 16 {
            self.init(numerator: .small(Int128(_low: v, _high: 0)),
                      denominator: .powerOfTen(frac + (percentFast ? 2 : 0)))
            return
        }
        var s = Substring(text)
        var percent = false
        if s.utf8.last == 37 { percent = true; s = Substring(s.utf8.dropLast()) }
        if s.utf8.first == 45 { throw KernelError(field: field, "must not be negative: \(KernelError.quoted(text))") }
        let intPart: Substring.UTF8View.SubSequence, fracPart: Substring.UTF8View.SubSequence
        do {
            (intPart, fracPart) = try DecimalText.split(s, field: field, what: "not a rate")
        } catch {
            throw KernelError(field: field, "not a rate: \(KernelError.quoted(text)) (expected a plain decimal such as 0.144 or 14.4%)")
        }
        guard fracPart.count <= InputLimits.rateDecimals else {
            throw KernelError(.outOfRange, field: field,
                              "too precise: \(fracPart.count) decimals (at most \(InputLimits.rateDecimals))")
        }
        let intDigits = InputLimits.significantCount(intPart)
        guard intDigits <= InputLimits.rateIntegerDigits else {
            throw KernelError(.outOfRange, field: field,
                              "too large: \(intDigits) digits before the decimal point (at most \(InputLimits.rateIntegerDigits))")
        }
        guard let num = WideInteger(digits: (Substring(intPart) + Substring(fracPart)).utf8) else {
            throw KernelError(field: field, "not a rate: \(KernelError.quoted(text))")
        }
        self.init(numerator: num, denominator: .powerOfTen(fracPart.count + (percent ? 2 : 0)))
    }

    /// Parses a rate from its UTF-8 bytes, as `init(parsing:field:)` does (the same errors);
    /// the common case makes no `String`.
    public init(bytes: UnsafeBufferPointer<UInt8>, field: String = "rate") throws(KernelError) {
        let percent = bytes.last == 37
        if let (v, frac) = DecimalText.fast(bytes: percent ? UnsafeBufferPointer(rebasing: bytes.dropLast()) : bytes), frac <= 16 {
            self.init(numerator: .small(Int128(_low: v, _high: 0)), denominator: .powerOfTen(frac + (percent ? 2 : 0)))
            return
        }
        try self.init(parsing: String(decoding: bytes, as: UTF8.self), field: field)
    }

    /// Whether the rate is exactly zero.
    public var isZero: Bool { numerator.isZero }

    /// `self * k / d` exactly (for example a daily rate times 360 days).
    func scaled(by k: Int, over d: Int = 1) -> Rate {
        Rate(numerator: numerator * .small(Int128(k)), denominator: denominator * .small(Int128(d)))
    }

    /// Exact product of two rates.
    func times(_ other: Rate) -> Rate {
        Rate(numerator: numerator * other.numerator, denominator: denominator * other.denominator)
    }

    /// `1 + self`.
    var onePlus: Rate { Rate(numerator: numerator + denominator, denominator: denominator) }

    /// Compares with 1 (for "more than 100%").
    var exceedsOne: Bool { WideInteger.compare(numerator, denominator) > 0 }

    /// The rate as a fraction with 6 decimals, correctly rounded half-even (`0.144000`).
    public var description: String {
        let scaled = (numerator * .small(1_000_000)).divided(by: denominator, rounding: .halfEven) ?? .small(0)
        var out: [UInt8] = []
        MoneyFormat.append(scaled, scale: 6, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The exact value as a decimal when it terminates (every parsed rate
    /// does), else rounded half-even to 18 decimals: `0.0123456`, `0.144`.
    public var exactDecimal: String {
        for digits in 0...18 {
            let scaled = numerator * .powerOfTen(digits)
            if let q = scaled.divided(by: denominator, rounding: .down), q * denominator == scaled {
                var out: [UInt8] = []
                MoneyFormat.append(q, scale: digits, to: &out)
                return String(decoding: out, as: UTF8.self)
            }
        }
        let q = (numerator * .powerOfTen(18)).divided(by: denominator, rounding: .halfEven) ?? .small(0)
        var out: [UInt8] = []
        MoneyFormat.append(q, scale: 18, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func == (a: Rate, b: Rate) -> Bool { a.numerator * b.denominator == b.numerator * a.denominator }
    public func hash(into h: inout Hasher) {
        // Equal values hash alike: hash the 12-decimal rounding.
        h.combine((numerator * WideInteger.powerOfTen(12)).divided(by: denominator, rounding: .down))
    }
}
