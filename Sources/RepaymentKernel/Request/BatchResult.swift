/// The computed answer to one batch row: a schedule and its summary figures.
public struct BatchResult: Sendable, Hashable {
    /// The payments.
    public var schedule: Schedule
    /// Sum of all payments.
    public var totalPayable: Money
    /// `total_payable - amount_financed`.
    public var totalInterest: Money
    /// Waived penalty, interest, fees (zero for a loan).
    public var waivedPenalty: Money, waivedInterest: Money, waivedFees: Money
    /// The APR.
    public var apr: AnnualPercentageRate
    /// A plan's debt by component before its waivers (`NegotiatedPlan.debtBeforeWaivers`); nil for a loan.
    public var debtBeforeWaivers: ArrearsSnapshot?
    /// A plan's debt by component after its waivers (`NegotiatedPlan.debtAfterWaivers`); nil for a loan.
    public var debtAfterWaivers: ArrearsSnapshot?
    /// The replay that gave a plan row's arrears from its `payments`, when computed with
    /// `ledger: true` (its `events` are the ledger); nil otherwise.
    public var replay: PaymentReplay?

    /// The APR of a loan's schedule: amount financed `P`, times from `start`.
    public static func apr(of schedule: Schedule, terms: LoanTerms) -> AnnualPercentageRate {
        AnnualPercentageRate.of(schedule, financed: terms.principal.units, from: terms.start, accrual: terms.accrual,
                                rateHint: terms.rate)
    }

    /// Computes a request: derives a plan's arrears (replaying its payments, with the
    /// ledger recorded when `ledger` is set), then the schedule and the summary figures.
    /// Returns the result, or the error that stopped it (the error names the column at fault).
    public static func compute(_ request: BatchRequest, ledger: Bool = false) -> Result<BatchResult, KernelError> {
        do {
            return .success(try BatchResult(computing: request, ledger: ledger))
        } catch {
            return .failure(error)
        }
    }

    /// Computes a request (``compute(_:ledger:)``, throwing its error).
    public init(_ request: BatchRequest) throws(KernelError) {
        try self.init(computing: request, ledger: false)
    }

    private init(computing request: BatchRequest, ledger: Bool) throws(KernelError) {
        if let plan = request.plan {
            guard let (arrears, replay) = try request.arrears(ledger: ledger) else {
                throw KernelError.internalFailure("a plan request without arrears")
            }
            var terms = plan.terms
            terms.arrears = arrears
            let p = try NegotiatedPlan(terms)
            self.schedule = p.schedule
            self.totalPayable = p.totalPayable
            self.totalInterest = p.totalNewInterest
            self.waivedPenalty = p.waivedPenalty; self.waivedInterest = p.waivedInterest; self.waivedFees = p.waivedFees
            self.apr = p.apr
            self.debtBeforeWaivers = p.debtBeforeWaivers
            self.debtAfterWaivers = p.debtAfterWaivers
            self.replay = replay
            return
        }
        guard let terms = request.loan else { throw KernelError.internalFailure("a loan request without its loan") }
        let zero = Money.zero(scale: terms.scale)
        self.waivedPenalty = zero; self.waivedInterest = zero; self.waivedFees = zero
        if let history = request.payments {
            let prepaid = try PrepaidSchedule(loan: terms, prepayments: history, mode: request.paymentSettings.prepayment)
            self.schedule = prepaid.schedule
            self.totalPayable = prepaid.schedule.totalPayable
            self.totalInterest = prepaid.schedule.totalPayable - terms.principal
            self.apr = prepaid.apr
        } else {
            let s = try terms.schedule()
            self.schedule = s
            self.totalPayable = s.totalPayable
            self.totalInterest = s.totalPayable - terms.principal
            self.apr = BatchResult.apr(of: s, terms: terms)
        }
    }
}
