/// How a loan's principal is repaid (SPEC §3).
public enum RepaymentMethod: String, Sendable, CaseIterable, Hashable {
    /// Equal installments, 等额本息: `A = round(P*i / (1-(1+i)^-n))`, `i = rate/12`.
    case annuity
    /// Equal principal parts, 等额本金: `round(P/n)` each period, interest on the balance.
    case equalPrincipal = "equal-principal"
    /// Interest only, principal at the end (先息后本).
    case interestOnly = "interest-only"
    /// One payment of principal and interest at the end (到期一次还本付息).
    case bullet
    /// Card-style fixed fee per period (分期手续费): `round(P*fee_rate)` each period, `round(P/n)` principal.
    case flat

    /// Parses the CSV / command-line names.
    public init(parsing text: String, field: String = "method") throws(KernelError) {
        guard let m = RepaymentMethod(rawValue: text) else {
            throw KernelError.unknownValue(field: field, value: text, expected: RepaymentMethod.allCases.map(\.rawValue))
        }
        self = m
    }
}

/// What a row of a schedule or plan is.
public enum RowKind: String, Sendable, Hashable {
    /// A down payment at the plan's `as_of` (period 0).
    case down
    /// An interest-only payment during a deferral.
    case deferral
    /// A regular installment.
    case installment
    /// The single payment of everything owed at the end of a deferral (or a payoff quote).
    case lump
}

/// One payment: `payment = principal + interest + carried`.
public struct ScheduleRow: Sendable, Hashable {
    /// 0 for a down payment, then 1, 2, ... in date order.
    public var period: Int
    /// The date the payment is due.
    public var dueDate: CivilDate
    /// What the row is.
    public var kind: RowKind
    /// Interest-bearing principal repaid.
    public var principal: Money
    /// Interest (or a flat fee) charged for the period.
    public var interest: Money
    /// Carried, non-interest-bearing debt (interest, penalty, fees of a plan) repaid.
    public var carried: Money
    /// Principal plus carried still owed after this row.
    public var balance: Money
    /// The amount due: principal + interest + carried.
    public var payment: Money { principal + interest + carried }

    init(period: Int, dueDate: CivilDate, kind: RowKind, principal: WideInteger, interest: WideInteger,
         carried: WideInteger, balance: WideInteger, scale: Int) {
        self.period = period
        self.dueDate = dueDate
        self.kind = kind
        self.principal = Money(units: principal, scale: scale)
        self.interest = Money(units: interest, scale: scale)
        self.carried = Money(units: carried, scale: scale)
        self.balance = Money(units: balance, scale: scale)
    }
}

/// A computed repayment schedule: its rows and totals.
public struct Schedule: Sendable, Hashable {
    /// The payments in date order.
    public var rows: [ScheduleRow]
    /// Digits after the decimal point of every amount.
    public var scale: Int

    /// Sum of all payments.
    public var totalPayable: Money { rows.reduce(Money.zero(scale: scale)) { $0 + $1.payment } }
    /// Sum of the interest column.
    public var totalInterest: Money { rows.reduce(Money.zero(scale: scale)) { $0 + $1.interest } }
    /// Sum of the principal column.
    public var totalPrincipal: Money { rows.reduce(Money.zero(scale: scale)) { $0 + $1.principal } }
    /// Sum of the carried column.
    public var totalCarried: Money { rows.reduce(Money.zero(scale: scale)) { $0 + $1.carried } }
    /// The last due date, nil for an empty schedule.
    public var lastDue: CivilDate? { rows.last?.dueDate }
}
