/// A loan as contracted (SPEC §3): what `Schedule` is computed from.
///
/// ```swift
/// let terms = try LoanTerms(principal: Money(parsing: "10000"), rate: Rate(parsing: "8%"),
///                           term: 10, start: CivilDate(parsing: "2024-01-01"))
/// let schedule = try terms.schedule()
/// schedule.rows[0].payment   // 1037.03, the Excel PMT(8%/12, 10, 10000)
/// ```
public struct LoanTerms: Sendable, Hashable {
    /// The amount lent (> 0); its scale is the scale of every amount of the schedule.
    public let principal: Money
    /// The annual nominal rate. For a `flat` loan, `12 * feeRate` (used for accrual and penalty).
    public let rate: Rate
    /// For a `flat` loan, the fee per period as a fraction of the principal; nil otherwise.
    public let feeRate: Rate?
    /// Number of monthly periods (>= 1).
    public let term: Int
    /// How principal is repaid.
    public let method: RepaymentMethod
    /// The disbursement date.
    public let start: CivilDate
    /// An optional first due date after `start`; later due dates are anchored on it.
    public let firstDue: CivilDate?
    /// How interest accrues over a period.
    public let basis: DayCountBasis
    /// How every `round(...)` rounds.
    public let rounding: RoundingMode

    /// The largest term accepted: 1200 months (100 years). A longer one is an error rather than a huge schedule.
    public static let maximumTerm = 1200

    /// Validates and creates loan terms.
    ///
    /// - Parameters:
    ///   - principal: the amount lent, more than 0; its scale is every amount's scale.
    ///   - rate: the annual nominal rate, or for `method: .flat` the fee per period.
    ///   - term: the number of monthly periods, 1...`maximumTerm`.
    ///   - method: how principal is repaid (annuity by default).
    ///   - start: the disbursement date.
    ///   - firstDue: the first due date, after `start`; nil for one month after `start`.
    ///   - basis: how interest accrues over a span (SPEC §2).
    ///   - rounding: how every `round(...)` rounds (half-up by default).
    /// - Throws: `KernelError` naming the field: a principal that is not
    ///   positive, a term below 1 or above `maximumTerm`, a `firstDue` not
    ///   after `start`, `firstDue` with `bullet`, due dates past 9999.
    public init(principal: Money, rate: Rate, term: Int, method: RepaymentMethod = .annuity,
                start: CivilDate, firstDue: CivilDate? = nil, basis: DayCountBasis = .monthly,
                rounding: RoundingMode = .halfUp) throws(KernelError) {
        guard principal.units.signum > 0 else {
            throw KernelError(field: "principal", principal.units.signum < 0 ? "must not be negative: '\(principal)'" : "must be more than 0: '\(principal)'")
        }
        guard term >= 1 else { throw KernelError(field: "term", "must be at least 1: '\(term)'") }
        guard term <= LoanTerms.maximumTerm else {
            throw KernelError(.outOfRange, field: "term", "must be at most \(LoanTerms.maximumTerm) months: '\(term)'")
        }
        if let f = firstDue {
            guard method != .bullet else { throw KernelError(field: "first_due", "not allowed with method bullet") }
            guard f > start else { throw KernelError(field: "first_due", "must be after start") }
            guard f.adding(months: term - 1) != nil else { throw KernelError(.outOfRange, field: "term", "the last due date would be after 9999-12-31") }
        } else {
            guard start.adding(months: term) != nil else { throw KernelError(.outOfRange, field: "term", "the last due date would be after 9999-12-31") }
        }
        self.principal = principal
        if method == .flat {
            self.feeRate = rate
            self.rate = rate.scaled(by: 12)
        } else {
            self.feeRate = nil
            self.rate = rate
        }
        self.term = term
        self.method = method
        self.start = start
        self.firstDue = firstDue
        self.basis = basis
        self.rounding = rounding
    }

    /// The scale of every amount (the principal's).
    public var scale: Int { principal.scale }

    /// Due date `k` (1...term): `addMonths(start, k)`, or `addMonths(firstDue, k-1)`.
    public func dueDate(_ k: Int) -> CivilDate {
        if method == .bullet { return start.adding(months: term)! }
        if let f = firstDue { return f.adding(months: k - 1)! }
        return start.adding(months: k)!
    }

    /// How the loan's spans accrue (SPEC §2): its basis, anchored on the day
    /// of `firstDue` when given, else of `start`. A loan from 2024-01-31
    /// charges exactly `rate/12` for 02-29 → 03-31 (the month-end rule).
    public var accrual: Accrual { Accrual(basis: basis, anchor: firstDue ?? start) }

    /// Computes the contractual schedule (SPEC §3). The schedule knows these
    /// terms: its `amountFinanced` is `principal` and its `apr` the loan's APR
    /// (SPEC §6, times from `start`).
    ///
    /// ```swift
    /// let schedule = try terms.schedule()
    /// schedule.apr?.nominal     // "0.120001" for 10000.00 at 12% over 12 months
    /// ```
    public func schedule() throws(KernelError) -> Schedule {
        var s = try LoanEngine.schedule(for: self)
        s.origin = .loan(principal: principal, start: start, accrual: accrual)
        return s
    }
}
