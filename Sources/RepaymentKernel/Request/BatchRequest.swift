/// One row of the batch CSV contract (SPEC §7), parsed and validated but not
/// yet computed: a loan (with prepayments when it has `payments`), or a
/// negotiated plan (a row with `as_of`) together with where its debt comes from.
///
/// A plain struct that the batch path fills in place, one per worker thread
/// (``BatchColumns/read(_:into:)``), and computes without copying
/// (``BatchResult/compute(_:ledger:)``).
///
/// ```swift
/// let columns = try BatchColumns(header: ["id", "principal", "rate", "term", "start"])
/// let request = try columns.request(from: ["L1", "10000", "12%", "12", "2024-01-15"])
/// request.isPlan                                        // false
/// try BatchResult.compute(request).get().totalPayable  // 10661.86
/// ```
public struct BatchRequest: Sendable, Hashable {
    /// The loan: a loan row's, or the loan a plan row's arrears derive from
    /// (`paid_through` or `payments`); nil for a plan with direct arrears.
    public var loan: LoanTerms?
    /// The `payments` cell: a loan row's prepayments (SPEC §9.1) or a plan row's
    /// payment history (§9.2); nil when the cell is empty.
    public var payments: PaymentHistory?
    /// `prepayment`, `allocation`, `grace_days`, defaults when empty.
    public var paymentSettings = PaymentSettings()
    /// A plan row's terms; nil for a loan row.
    public var plan: PlanRequest? {
        get { planBox?.value }
        set { planBox = newValue.map(PlanBox.init) }
    }
    /// The plan out of line: a loan row's request stays small to fill and to clear.
    private var planBox: PlanBox?

    /// An empty request (a loan row with no loan yet), to be filled by ``BatchColumns/read(_:into:)``.
    public init() {}

    /// A loan row: `loan`, with prepayments when `payments` is given.
    public init(loan: LoanTerms, payments: PaymentHistory? = nil, settings: PaymentSettings = PaymentSettings()) {
        self.loan = loan
        self.payments = payments
        self.paymentSettings = settings
    }

    /// A plan row.
    public init(plan: PlanRequest, loan: LoanTerms? = nil, payments: PaymentHistory? = nil,
                settings: PaymentSettings = PaymentSettings()) {
        self.plan = plan
        self.loan = loan
        self.payments = payments
        self.paymentSettings = settings
    }

    /// Whether the row is a negotiated plan (it has `as_of`).
    public var isPlan: Bool { planBox != nil }
}

/// An immutable box for a plan's terms (a new box for every new value: value semantics).
final class PlanBox: Sendable, Hashable {
    let value: PlanRequest
    init(_ value: PlanRequest) { self.value = value }
    static func == (a: PlanBox, b: PlanBox) -> Bool { a.value == b.value }
    func hash(into h: inout Hasher) { h.combine(value) }
}

/// The payment columns of SPEC §9 other than `payments`: how a history is applied.
public struct PaymentSettings: Sendable, Hashable {
    /// What a prepayment does to the rest of the loan (`prepayment`).
    public var prepayment: PrepaymentMode = .reducePayment
    /// How a payment is split (`allocation`).
    public var allocation: AllocationOrder = .installment
    /// Days after a due date within which full payment owes no penalty (`grace_days`).
    public var graceDays = 0

    /// The defaults: reduce the payment, installment order, no grace days.
    public init() {}

    /// Given settings.
    public init(prepayment: PrepaymentMode, allocation: AllocationOrder, graceDays: Int) {
        self.prepayment = prepayment
        self.allocation = allocation
        self.graceDays = graceDays
    }
}

/// A plan row (SPEC §4-5): the plan's terms and where its debt on `as_of` comes from.
public struct PlanRequest: Sendable, Hashable {
    /// Where the arrears come from.
    public var source: ArrearsSource
    /// The plan's terms. With `.direct` arrears, `terms.arrears` are the arrears; otherwise
    /// they are zero until computing derives them from the request's loan.
    public var terms: PlanTerms

    /// A plan from `source` with `terms`.
    public init(source: ArrearsSource, terms: PlanTerms) {
        self.source = source
        self.terms = terms
    }
}

/// Where a plan row's debt on `as_of` comes from.
public enum ArrearsSource: Sendable, Hashable {
    /// Given in the row (`principal`, `overdue_*`, `accrued_interest`, `penalty`, `fees`).
    case direct
    /// Derived from the loan with installments 1...`paidThrough` paid on their due dates.
    case paidThrough(Int, markup: Rate, compound: Bool, fees: Money?)
    /// Replayed from the loan and the row's `payments` (SPEC §9.2).
    case payments(markup: Rate, compound: Bool, fees: Money?)
}

extension BatchRequest {
    /// A plan row's arrears on `as_of`, and the replay that gave them for a plan with
    /// `payments` when `ledger` is set (its events recorded). nil for a loan row.
    public func arrears(ledger: Bool = false) throws(KernelError) -> (arrears: ArrearsSnapshot, replay: PaymentReplay?)? {
        guard let plan else { return nil }
        switch plan.source {
        case .direct:
            return (plan.terms.arrears, nil)
        case .paidThrough(let paid, let markup, let compound, let fees):
            guard let loan else { throw KernelError.internalFailure("a paid_through plan without its loan") }
            return (try ArrearsSnapshot(loan: loan, paidThrough: paid, asOf: plan.terms.asOf, markup: markup,
                                        compound: compound, fees: fees), nil)
        case .payments(let markup, let compound, let fees):
            guard let loan, let payments else { throw KernelError.internalFailure("a payments plan without its loan or history") }
            let s = paymentSettings
            // The same arrears as ArrearsSnapshot(loan:payments:...), which is this replay without a ledger.
            let replay = try PaymentReplay(loan: loan, history: payments, asOf: plan.terms.asOf, allocation: s.allocation,
                                           prepayment: s.prepayment, graceDays: s.graceDays, markup: markup,
                                           compound: compound, fees: fees, recordLedger: ledger)
            return (replay.arrears, ledger ? replay : nil)
        }
    }

    /// A plan row's terms with their arrears derived (nil for a loan row).
    public func planTerms() throws(KernelError) -> PlanTerms? {
        guard var terms = plan?.terms, let (arrears, _) = try arrears() else { return nil }
        terms.arrears = arrears
        return terms
    }

    /// The replay of a plan row with `payments`, its ledger recorded; nil for every other row.
    public func replay() throws(KernelError) -> PaymentReplay? {
        guard let plan, case .payments = plan.source else { return nil }
        return try arrears(ledger: true)?.replay
    }
}
