// The properties every computed schedule must have (SPEC §3, §5, §9), checked
// on the kernel's public types.

import RepaymentKernel

public enum Invariants {
    /// Rows in date order, each amount non-negative, balances non-negative and
    /// falling exactly by the principal (plus carried) of each row; `capitalized`
    /// (a plan's accrued deferral interest) joins the balance at the first
    /// installment or lump sum.
    public static func rows(_ s: Schedule, start: Money, capitalized: Money? = nil, _ context: String) {
        var balance = start
        var pending = capitalized
        var previous: CivilDate? = nil
        for (k, r) in s.rows.enumerated() {
            require(!(r.principal < .zero(scale: s.scale)) && !(r.interest < .zero(scale: s.scale)) &&
                    !(r.carried < .zero(scale: s.scale)), "\(context): row \(k) has a negative amount")
            require(!(r.balance < .zero(scale: s.scale)), "\(context): row \(k) balance \(r.balance) is negative")
            if let previous { require(!(r.dueDate < previous), "\(context): row \(k) dated before the previous row") }
            previous = r.dueDate
            if let c = pending, r.kind == .installment || r.kind == .lump { balance = balance + c; pending = nil }
            balance = balance - r.principal - r.carried
            require(r.balance == balance, "\(context): row \(k) (\(r.kind)) balance \(r.balance), expected \(balance)")
        }
        if let last = s.rows.last {
            require(last.balance.isZero, "\(context): the last balance is \(last.balance), not 0")
        }
        var total = Money.zero(scale: s.scale)
        for r in s.rows { total = total + r.principal + r.interest + r.carried }
        require(total == s.totalPayable, "\(context): the rows add up to \(total), total payable \(s.totalPayable)")
    }

    /// SPEC §3, §9.1: the rows repay exactly the principal.
    public static func loan(_ s: Schedule, principal: Money, _ context: String) {
        var sum = Money.zero(scale: s.scale)
        for r in s.rows { sum = sum + r.principal }
        require(sum == principal, "\(context): principal repaid \(sum) != \(principal)")
        require(!s.rows.isEmpty, "\(context): a loan without rows")
        rows(s, start: principal, context)
    }

    /// SPEC §5 conservation: debt_before + capitalized == waived + down + sum(principal + carried).
    public static func plan(_ p: NegotiatedPlan, _ context: String) {
        let s = p.schedule
        var repaid = Money.zero(scale: s.scale)
        for r in s.rows { repaid = repaid + r.principal + r.carried }
        let lhs = p.debtBefore + p.capitalizedDeferralInterest
        let rhs = p.waived + repaid
        require(lhs == rhs, "\(context): conservation \(lhs) != \(rhs)")
        require(p.amountFinanced == p.debtAfterWaivers.total, "\(context): amount financed \(p.amountFinanced) != debt after waivers")
        require(p.totalNewInterest == p.totalPayable - p.amountFinanced, "\(context): total new interest")
        rows(s, start: p.amountFinanced, capitalized: p.capitalizedDeferralInterest, context)
    }
}
