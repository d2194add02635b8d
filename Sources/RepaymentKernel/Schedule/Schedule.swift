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
    /// A prepayment (提前还款) of a loan: the interest accrued to its date, then principal (SPEC §9.1).
    case prepay
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

/// A row of the machine-integer fast path: plain old data, no reference
/// counting, copied and formatted without allocation.
struct CompactRow: Sendable, Hashable {
    var period: Int
    var kind: RowKind
    var dueDate: CivilDate
    var principal: Int128
    var interest: Int128
    var carried: Int128
    var balance: Int128
}

extension ScheduleRow {
    init(_ r: CompactRow, scale: Int) {
        self.init(period: r.period, dueDate: r.dueDate, kind: r.kind, principal: .small(r.principal),
                  interest: .small(r.interest), carried: .small(r.carried), balance: .small(r.balance), scale: scale)
    }
}

/// A computed repayment schedule: its rows, totals and, when the kernel
/// computed it, its APR.
///
/// ```swift
/// let terms = try LoanTerms(principal: Money(parsing: "10000"), rate: Rate(parsing: "12%"),
///                           term: 12, start: CivilDate(parsing: "2024-01-15"))
/// let schedule = try terms.schedule()
/// schedule.totalPayable        // 10661.86
/// schedule.amountFinanced      // 10000.00
/// schedule.apr?.nominal        // "0.120001": the cent rounding of the installment adds a hair to 12%
/// schedule.apr?.effective      // "0.126826"
/// ```
public struct Schedule: Sendable, Hashable {
    enum Storage: Sendable, Hashable {
        /// Every amount fits `Int128` (the fast path).
        case compact([CompactRow])
        /// Any magnitude.
        case wide([ScheduleRow])
    }
    /// What a computed schedule repays, for its APR.
    enum Origin: Sendable {
        /// `LoanTerms.schedule()`: the loan's principal, financed at its start; its
        /// accrual measures the APR's times. (Only what the APR needs: a schedule
        /// stays small to copy.)
        case loan(principal: Money, start: CivilDate, accrual: Accrual)
        /// A negotiated plan's schedule: its amount financed and its APR (computed with the plan).
        case plan(amountFinanced: Money, apr: AnnualPercentageRate)
    }
    var storage: Storage
    /// Digits after the decimal point of every amount.
    public var scale: Int
    /// nil for a schedule assembled from rows.
    var origin: Origin? = nil

    init(storage: Storage, scale: Int) {
        self.storage = storage
        self.scale = scale
    }

    /// A schedule of the given rows. It has no amount financed, so no APR
    /// (`apr` and `amountFinanced` are nil).
    public init(rows: [ScheduleRow], scale: Int) {
        self.init(storage: .wide(rows), scale: scale)
    }

    /// The payments in date order.
    public var rows: [ScheduleRow] {
        switch storage {
        case .compact(let r): return r.map { ScheduleRow($0, scale: scale) }
        case .wide(let r): return r
        }
    }

    /// The number of payments.
    public var count: Int {
        switch storage {
        case .compact(let r): return r.count
        case .wide(let r): return r.count
        }
    }

    /// Sums of the principal, interest and carried columns.
    var columnSums: (principal: WideInteger, interest: WideInteger, carried: WideInteger) {
        switch storage {
        case .compact(let rows):
            var p: Int128 = 0, i: Int128 = 0, c: Int128 = 0
            var overflow = false
            for r in rows {
                var o1 = false, o2 = false, o3 = false
                (p, o1) = p.addingReportingOverflow(r.principal)
                (i, o2) = i.addingReportingOverflow(r.interest)
                (c, o3) = c.addingReportingOverflow(r.carried)
                if o1 || o2 || o3 { overflow = true; break }
            }
            if !overflow { return (.small(p), .small(i), .small(c)) }
            return Schedule(rows: self.rows, scale: scale).columnSums
        case .wide(let rows):
            var p = WideInteger.small(0), i = WideInteger.small(0), c = WideInteger.small(0)
            for r in rows { p = p + r.principal.units; i = i + r.interest.units; c = c + r.carried.units }
            return (p, i, c)
        }
    }

    /// Sum of all payments.
    public var totalPayable: Money { let s = columnSums; return Money(units: s.principal + s.interest + s.carried, scale: scale) }
    /// Sum of the interest column.
    public var totalInterest: Money { Money(units: columnSums.interest, scale: scale) }
    /// Sum of the principal column.
    public var totalPrincipal: Money { Money(units: columnSums.principal, scale: scale) }
    /// Sum of the carried column.
    public var totalCarried: Money { Money(units: columnSums.carried, scale: scale) }
    /// The last due date, nil for an empty schedule.
    public var lastDue: CivilDate? {
        switch storage {
        case .compact(let r): return r.last?.dueDate
        case .wide(let r): return r.last?.dueDate
        }
    }

    /// The amount the APR is measured against: the principal of a loan's
    /// schedule (`LoanTerms.schedule()`), the debt left after the waivers for
    /// a plan's (`NegotiatedPlan.schedule`, the same as `NegotiatedPlan.amountFinanced`);
    /// nil for a schedule assembled with `init(rows:scale:)`.
    public var amountFinanced: Money? {
        switch origin {
        case .loan(let principal, _, _): return principal
        case .plan(let financed, _): return financed
        case nil: return nil
        }
    }

    /// The annual percentage rate (SPEC §6) of a schedule the kernel computed:
    /// for a loan's schedule the monthly IRR of its payments against the
    /// principal, times from the loan's start; for a plan's schedule the
    /// plan's APR (`NegotiatedPlan.apr`). nil for a schedule assembled with
    /// `init(rows:scale:)`, which has no amount financed.
    ///
    /// A loan's APR is computed on each read (it certifies 6 correctly rounded
    /// decimals, sometimes with exact arithmetic): keep the value when you need it often.
    ///
    /// ```swift
    /// let schedule = try terms.schedule()       // 10000.00 at 12%, 12 months from 2024-01-15
    /// if let apr = schedule.apr {
    ///     print(apr.nominal, apr.effective)    // 0.120001 0.126826
    /// }
    /// ```
    public var apr: AnnualPercentageRate? {
        switch origin {
        case .loan(let principal, let start, let accrual):
            return AnnualPercentageRate.of(self, financed: principal.units, from: start, accrual: accrual)
        case .plan(_, let apr): return apr
        case nil: return nil
        }
    }

    /// Schedules are equal when their scales and rows are; where they came from
    /// (`amountFinanced`, `apr`) is not compared.
    public static func == (a: Schedule, b: Schedule) -> Bool { a.scale == b.scale && a.rows == b.rows }
    public func hash(into h: inout Hasher) { h.combine(scale); h.combine(rows) }
}
