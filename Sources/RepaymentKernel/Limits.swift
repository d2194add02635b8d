/// The sizes the kernel accepts: every input that could make one row take
/// unbounded time or memory is bounded here, and a value beyond a limit is a
/// `KernelError` with code `.outOfRange` naming the field, never a crash.
///
/// The limits are generous for any real loan (SPEC §1's principal of 10^40
/// has 41 digits) and small enough that the worst row stays within a few
/// seconds and a few hundred megabytes: the arbitrary-precision path (GMP)
/// only ever sees numbers whose size follows from these limits, so GMP never
/// runs out of memory (it would abort the process: GMP cannot report an
/// allocation failure).
///
/// | input | limit |
/// |---|---|
/// | an amount (principal, arrears, waivers, down payment, a payment) | at most ``amountDigits`` digits before the decimal point (leading zeros not counted); decimals up to `scale` (0...6) |
/// | a rate (rate, daily_rate, fee_rate, plan_rate, markup, a waiver %) | at most ``rateDecimals`` digits after the point and ``rateIntegerDigits`` before it (leading zeros not counted) |
/// | a whole number (term, scale, paid_through, installments, ...) | below 10^15 (leading zeros not counted); term, deferral and installments at most 1200 |
/// | a payment history | at most ``PaymentHistory/maximumItems`` (10,000) items |
public enum InputLimits {
    /// Digits before the decimal point of an amount, leading zeros not counted.
    public static let amountDigits = 1000
    /// Digits after the decimal point of a rate (as written, before a `%`).
    public static let rateDecimals = 100
    /// Digits before the decimal point of a rate, leading zeros not counted.
    public static let rateIntegerDigits = 100
    /// The longest term, deferral or installment count, in months.
    public static var maximumTerm: Int { LoanTerms.maximumTerm }
    /// The most items a payment history holds.
    public static var maximumPayments: Int { PaymentHistory.maximumItems }

    /// The number of digits of `digits` without its leading zeros.
    static func significantCount(_ digits: Substring.UTF8View.SubSequence) -> Int {
        var i = digits.startIndex
        while i != digits.endIndex && digits[i] == 48 { digits.formIndex(after: &i) }
        return digits.distance(from: i, to: digits.endIndex)
    }
}
