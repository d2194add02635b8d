/// A loan's schedule with prepayments (提前还款, SPEC §9.1), and what they save
/// against the contract.
///
/// ```swift
/// let loan = try LoanTerms(principal: Money(parsing: "1000000"), rate: Rate(parsing: "4.9%"),
///                          term: 360, start: CivilDate(parsing: "2024-01-15"))
/// let prepaid = try PrepaidSchedule(loan: loan, prepayments: PaymentHistory(parsing: "2025-01-15 200000 prepay"),
///                                   mode: .reduceTerm)
/// prepaid.interestSaved   // the contract's interest minus the new schedule's
/// prepaid.monthsSaved     // months between the contract's last due date and the new one
/// ```
///
/// Regular installments are taken as paid on their due dates; on a date the
/// installment due that day comes first. A prepayment at `t` pays the
/// interest accrued since the last due date, `start` or previous prepayment,
/// then principal; the remaining due dates stay and are re-amortized per
/// ``PrepaymentMode``.
public struct PrepaidSchedule: Sendable, Hashable {
    /// The loan as contracted.
    public let loan: LoanTerms
    /// How the rest is re-amortized.
    public let mode: PrepaymentMode
    /// Installment and `prepay` rows, numbered 1, 2, ... in date order.
    public let schedule: Schedule
    /// The contract without prepayments, for comparison.
    public let contract: Schedule

    /// Computes the schedule; every item must be a `prepay` item dated after
    /// `start` and on or before the last due date, paying more than the
    /// interest accrued to its date and no more than that plus the balance.
    public init(loan: LoanTerms, prepayments: PaymentHistory, mode: PrepaymentMode = .reducePayment,
                field: String = "payments") throws(KernelError) {
        let scale = loan.scale
        let lastDue = try ContractCursor<Int128>(loan: loan, mode: mode, field: field).lastDueDate
        for (n, item) in prepayments.items.enumerated() {
            func bad(_ problem: String) -> KernelError { KernelError(field: field, "item \(n + 1): \"\(item)\": \(problem)") }
            guard item.isPrepayment else { throw bad("a loan without as_of takes only prepay items (DATE AMOUNT prepay)") }
            guard item.date > loan.start else { throw bad("not after the loan's start \(loan.start)") }
            guard item.date <= lastDue else { throw bad("after the last due date \(lastDue)") }
            guard item.amount.scale == scale else { throw bad("amount at scale \(item.amount.scale), the loan's is \(scale)") }
        }
        var rows = try PrepaidSchedule.rows(Int128.self, loan, prepayments, mode, field)
        if rows == nil { rows = try PrepaidSchedule.rows(BigInt.self, loan, prepayments, mode, field) }
        guard let rows else { throw KernelError.internalFailure("the prepaid schedule did not fit even on GMP") }
        self.loan = loan
        self.mode = mode
        self.schedule = Schedule(rows: rows, scale: scale)
        self.contract = try loan.schedule()
    }

    /// The rows computed in `N`; nil when a value did not fit.
    private static func rows<N: ExactInteger>(_: N.Type, _ loan: LoanTerms, _ prepayments: PaymentHistory,
                                              _ mode: PrepaymentMode, _ field: String) throws(KernelError) -> [ScheduleRow]? {
        var cursor = try ContractCursor<N>(loan: loan, mode: mode, field: field)
        let scale = loan.scale
        var rows: [ScheduleRow] = []
        rows.reserveCapacity(cursor.dueCount + prepayments.items.count)
        func emitInstallment() {
            let (due, principal, interest) = cursor.fallDue()
            rows.append(ScheduleRow(period: rows.count + 1, dueDate: due, kind: .installment, principal: principal.wide,
                                    interest: interest.wide, carried: .small(0), balance: cursor.balance.wide, scale: scale))
        }
        for (n, item) in prepayments.items.enumerated() {
            // Installments due before the item, or on its date, come first.
            while let due = cursor.nextDue, due <= item.date { emitInstallment() }
            let interest = cursor.accruedInterest(to: item.date)
            let amount: N
            do { amount = try item.amount.units.exact(N.self) } catch { return nil }
            let owed = interest.adding(cursor.balance, &cursor.overflow)
            if cursor.overflow { return nil }
            guard amount <= owed else {
                throw KernelError(field: field, "item \(n + 1): \"\(item)\": pays more than the \(Money(units: owed.wide, scale: scale)) owed on \(item.date) (balance plus accrued interest)")
            }
            guard amount > interest else {
                throw KernelError(field: field, "item \(n + 1): \"\(item)\": does not exceed the \(Money(units: interest.wide, scale: scale)) interest accrued since \(cursor.accruingFrom)")
            }
            let principal = amount.subtracting(interest, &cursor.overflow)
            cursor.prepay(principal: principal, at: item.date)
            rows.append(ScheduleRow(period: rows.count + 1, dueDate: item.date, kind: .prepay, principal: principal.wide,
                                    interest: interest.wide, carried: .small(0), balance: cursor.balance.wide, scale: scale))
        }
        while cursor.nextDue != nil { emitInstallment() }
        return cursor.overflow ? nil : rows
    }

    /// The contract's interest minus the new schedule's (what the prepayments save).
    public var interestSaved: Money { contract.totalInterest - schedule.totalInterest }

    /// Whole months from the new last due date to the contract's (0 with `reduce-payment`).
    public var monthsSaved: Int {
        guard let new = schedule.lastDue, let old = contract.lastDue else { return 0 }
        return loan.accrual.monthsAndDays(from: new, to: old).months
    }

    /// The regular installment after the last prepayment (the first installment
    /// row after it), nil when none follows.
    public var installmentAfterPrepayments: Money? {
        let rows = schedule.rows
        guard let last = rows.lastIndex(where: { $0.kind == .prepay }) else { return rows.first?.payment }
        return rows[(last + 1)...].first(where: { $0.kind == .installment })?.payment
    }

    /// The APR (SPEC §6): prepayments are payments at their dates; amount financed `P`, times from `start`.
    public var apr: AnnualPercentageRate {
        AnnualPercentageRate.of(schedule, financed: loan.principal.units, from: loan.start, accrual: loan.accrual,
                                rateHint: loan.rate)
    }
}
