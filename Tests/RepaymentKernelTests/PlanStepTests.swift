import Testing
@testable import RepaymentKernel

/// Each plan step of SPEC §4-5 on one small loan whose numbers are worked by hand:
/// 1200.00 at 12%, 12 months equal-principal from 2024-01-15 (100.00 principal a month),
/// as of 2024-04-20 with installment 1 paid.
@Suite("Plan steps, worked by hand")
struct PlanStepTests {
    func d(_ s: String) -> CivilDate { try! CivilDate(parsing: s) }
    func m(_ s: String) -> Money { try! Money(parsing: s) }

    var loan: LoanTerms {
        try! LoanTerms(principal: m("1200"), rate: Rate(parsing: "12%"), term: 12, method: .equalPrincipal, start: d("2024-01-15"))
    }

    func rows(_ p: NegotiatedPlan) -> [String] {
        p.schedule.rows.map { "\($0.period) \($0.dueDate) \($0.kind.rawValue) \($0.payment) \($0.principal) \($0.interest) \($0.carried) \($0.balance)" }
    }

    @Test("Arrears from paid_through: overdue 2 and 3, accrued 5 days, penalty per day at 1.5x")
    func arrears() throws {
        // dues 02-15 (100 + 12.00), 03-15 (100 + 11.00), 04-15 (100 + 10.00); j = 3, overdue rows 2 and 3
        let a = try ArrearsSnapshot(loan: loan, paidThrough: 1, asOf: d("2024-04-20"))
        #expect(a.principal == m("900") && a.overduePrincipal == m("200") && a.overdueInterest == m("21.00"))
        #expect(a.accruedInterest == m("1.50"))     // 900 x 12% x 5/360
        // 0.12 x 1.5 / 360 = 0.0005 a day: 100 x 36 days = 1.80, 100 x 5 days = 0.25
        #expect(a.penalty == m("2.05") && a.fees == m("0"))
        // compound: + round(11.00 x 0.0005 x 36) = 0.20 and round(10.00 x 0.0005 x 5) = round(0.025) = 0.03
        let c = try ArrearsSnapshot(loan: loan, paidThrough: 1, asOf: d("2024-04-20"), compound: true)
        #expect(c.penalty == m("2.28"))
        // markup 100%: 0.12 x 2 / 360 per day: 100 x 36 x 0.12 x 2/360 = 2.40, 100 x 5 -> 0.333.. = 0.33
        let k = try ArrearsSnapshot(loan: loan, paidThrough: 1, asOf: d("2024-04-20"), markup: Rate(parsing: "100%"))
        #expect(k.penalty == m("2.73"))
        // an installment due on as_of is not overdue yet: as of 04-15, j = 2
        let onDue = try ArrearsSnapshot(loan: loan, paidThrough: 1, asOf: d("2024-04-15"))
        #expect(onDue.overduePrincipal == m("100") && onDue.principal == m("1000"))
        #expect(onDue.accruedInterest == m("10.00"))  // 1000 x 1% for the month 03-15 .. 04-15
        // paid ahead: nothing overdue, no accrual, principal after installment 5
        let ahead = try ArrearsSnapshot(loan: loan, paidThrough: 5, asOf: d("2024-04-20"))
        #expect(ahead.principal == m("700") && ahead.overduePrincipal.isZero && ahead.accruedInterest.isZero && ahead.penalty.isZero)
        // before the first due date: accrual from start
        let early = try ArrearsSnapshot(loan: loan, paidThrough: 0, asOf: d("2024-02-05"))
        #expect(early.principal == m("1200") && early.accruedInterest == m("8.40"))   // 1200 x 12% x 21/360
        expectError(field: "as_of", ["2024-01-14 is before the loan's start 2024-01-15"]) {
            _ = try ArrearsSnapshot(loan: self.loan, paidThrough: 0, asOf: self.d("2024-01-14"))
        }
        expectError(field: "paid_through", ["13 is more than the 12 rows"]) {
            _ = try ArrearsSnapshot(loan: self.loan, paidThrough: 13, asOf: self.d("2024-04-20"))
        }
    }

    var base: PlanTerms {
        PlanTerms(asOf: d("2024-04-20"), arrears: try! ArrearsSnapshot(loan: loan, paidThrough: 1, asOf: d("2024-04-20")))
    }

    @Test("Waivers in percent, consolidation none, three zero-rate installments with carried spread")
    func waiversAndInstallments() throws {
        var t = base
        t.waivePenalty = .percent(try Rate(parsing: "100%"))   // 2.05
        t.waiveInterest = .percent(try Rate(parsing: "50%"))   // 50% of 21.00 + 1.50 = 11.25
        t.installments = 3
        let p = try NegotiatedPlan(t)
        #expect(p.debtBefore == m("1124.55") && p.waivedPenalty == m("2.05") && p.waivedInterest == m("11.25"))
        #expect(rows(p) == [
            "1 2024-05-20 installment 370.42 366.67 0.00 3.75 740.83",
            "2 2024-06-20 installment 370.42 366.67 0.00 3.75 370.41",
            "3 2024-07-20 installment 370.41 366.66 0.00 3.75 0.00",
        ])
        #expect(p.totalPayable == m("1111.25") && p.totalNewInterest.isZero && p.apr.nominal == "0.000000")
    }

    @Test("Waiver amounts; interest taken from overdue first; a waiver above its component is an error")
    func waiverAmounts() throws {
        var t = base
        t.waiveInterest = .amount(m("22.50"))
        t.waivePenalty = .amount(m("0.05"))
        let p = try NegotiatedPlan(t)
        #expect(p.waivedInterest == m("22.50") && p.waivedPenalty == m("0.05"))
        // payoff quote: one lump at as_of: 1100 principal + 2.00 penalty carried
        #expect(rows(p) == ["1 2024-04-20 lump 1102.00 1100.00 0.00 2.00 0.00"])
        t.waiveInterest = .amount(m("22.51"))
        expectError(field: "waive_interest", ["waives 22.51 but the component is only 22.50"]) { _ = try NegotiatedPlan(t) }
        t.waiveInterest = .percent(try Rate(parsing: "100.01%"))
        expectError(field: "waive_interest", ["more than 100%", "100.01%"]) { _ = try NegotiatedPlan(t) }
        var f = base
        f.waiveFees = .amount(m("0.01"))   // no fees at all
        expectError(field: "waive_fees", ["waives 0.01 but the component is only 0.00"]) { _ = try NegotiatedPlan(f) }
    }

    func components(_ d: ArrearsSnapshot) -> [String] {
        [d.principal, d.overduePrincipal, d.overdueInterest, d.accruedInterest, d.penalty, d.fees, d.total].map(\.description)
    }

    @Test("Debt by component before and after the waivers; interest waived from overdue first")
    func debtBreakdown() throws {
        var t = base
        t.waivePenalty = .percent(try Rate(parsing: "100%"))   // 2.05
        t.waiveInterest = .percent(try Rate(parsing: "50%"))   // 11.25 of 21.00 overdue + 1.50 accrued
        t.installments = 3
        let p = try NegotiatedPlan(t)
        #expect(components(p.debtBeforeWaivers) == ["900.00", "200.00", "21.00", "1.50", "2.05", "0.00", "1124.55"])
        // 11.25 fits in the overdue interest: accrued untouched
        #expect(components(p.debtAfterWaivers) == ["900.00", "200.00", "9.75", "1.50", "0.00", "0.00", "1111.25"])
        #expect(p.debtAfterWaivers.total == p.amountFinanced && p.debtBeforeWaivers.total == p.debtBefore)
        // a waiver above the overdue interest takes the rest from accrued interest
        t.waiveInterest = .amount(m("22.00"))
        t.waivePenalty = .amount(m("0.05"))
        t.waiveFees = .none
        let q = try NegotiatedPlan(t)
        #expect(components(q.debtAfterWaivers) == ["900.00", "200.00", "0.00", "0.50", "2.00", "0.00", "1102.50"])
        // fees: direct arrears with fees, 40% waived
        var f = PlanTerms(asOf: d("2024-04-20"), arrears: try ArrearsSnapshot(
            principal: m("500"), overduePrincipal: m("0"), overdueInterest: m("0"), accruedInterest: m("3.00"),
            penalty: m("0"), fees: m("25.00")))
        f.waiveFees = .percent(try Rate(parsing: "40%"))
        f.waiveInterest = .amount(m("1.00"))
        let r = try NegotiatedPlan(f)
        #expect(components(r.debtAfterWaivers) == ["500.00", "0.00", "0.00", "2.00", "0.00", "15.00", "517.00"])
        // nothing waived: after == before
        let none = try NegotiatedPlan(base)
        #expect(none.debtAfterWaivers == none.debtBeforeWaivers)
    }

    @Test("Capitalize all: everything left bears interest")
    func capitalizeAll() throws {
        var t = base
        t.capitalize = .all
        t.installments = 2
        t.planRate = try Rate(parsing: "6%")
        let p = try NegotiatedPlan(t)
        // principal 1100 + 22.50 + 2.05 = 1124.55; A = round(1124.55 x 0.005 / (1 - 1.005^-2)) = round(566.4956) = 566.50;
        // interest 5.62 (5.62275), principal 560.88, balance 563.67; then 2.82 (2.81835) + 563.67 = 566.49
        #expect(rows(p) == [
            "1 2024-05-20 installment 566.50 560.88 5.62 0.00 563.67",
            "2 2024-06-20 installment 566.49 563.67 2.82 0.00 0.00",
        ])
    }

    @Test("Down payment: carried first, then principal; above the debt is an error")
    func downPayment() throws {
        var t = base
        t.waivePenalty = .percent(try Rate(parsing: "100%"))
        t.waiveInterest = .percent(try Rate(parsing: "50%"))   // carried 11.25
        t.downPayment = m("20.00")
        t.installments = 1
        let p = try NegotiatedPlan(t)
        #expect(rows(p) == [
            "0 2024-04-20 down 20.00 8.75 0.00 11.25 1091.25",
            "1 2024-05-20 installment 1091.25 1091.25 0.00 0.00 0.00",
        ])
        t.downPayment = m("1111.25")   // everything: only the down row
        #expect(rows(try NegotiatedPlan(t)) == ["0 2024-04-20 down 1111.25 1100.00 0.00 11.25 0.00"])
        t.downPayment = m("1111.26")
        expectError(field: "down_payment", ["1111.26 exceeds the debt 1111.25"]) { _ = try NegotiatedPlan(t) }
    }

    @Test("Deferral accrued: simple interest capitalized at E, then a lump sum")
    func deferralAccrued() throws {
        var t = base
        t.deferMonths = 2
        t.deferralInterest = .accrued
        t.planRate = try Rate(parsing: "6%")
        let p = try NegotiatedPlan(t)
        // 1100 x 6% x 2/12 = 11.00; lump at 06-20: 1111.00 principal + 24.55 carried
        #expect(p.capitalizedDeferralInterest == m("11.00"))
        #expect(rows(p) == ["1 2024-06-20 lump 1135.55 1111.00 0.00 24.55 0.00"])
        #expect(p.totalNewInterest == m("11.00"))
    }

    @Test("Deferral interest-only rows, then annuity installments from E")
    func deferralInterestOnly() throws {
        var t = base
        t.waivePenalty = .percent(try Rate(parsing: "100%"))
        t.waiveInterest = .percent(try Rate(parsing: "100%"))
        t.deferMonths = 2
        t.deferralInterest = .interestOnly
        t.installments = 2
        t.planRate = try Rate(parsing: "6%")
        let p = try NegotiatedPlan(t)
        // 1100 x 0.5% = 5.50 a month; A = round(1100 x 0.5037531..) = 554.13
        #expect(rows(p) == [
            "1 2024-05-20 deferral 5.50 0.00 5.50 0.00 1100.00",
            "2 2024-06-20 deferral 5.50 0.00 5.50 0.00 1100.00",
            "3 2024-07-20 installment 554.13 548.63 5.50 0.00 551.37",
            "4 2024-08-20 installment 554.13 551.37 2.76 0.00 0.00",
        ])
        // waived deferral: installments start after E at the plan rate, nothing accrues before
        t.deferralInterest = .waived
        #expect(rows(try NegotiatedPlan(t)).first == "1 2024-07-20 installment 554.13 548.63 5.50 0.00 551.37")
        // zero rate: deferral rows are printed even when 0.00
        t.deferralInterest = .interestOnly
        t.planRate = .zero
        #expect(rows(try NegotiatedPlan(t)).prefix(2) == ["1 2024-05-20 deferral 0.00 0.00 0.00 0.00 1100.00",
                                                         "2 2024-06-20 deferral 0.00 0.00 0.00 0.00 1100.00"])
    }

    @Test("Installment count limits and the then/installments combinations")
    func limits() throws {
        var t = base
        t.installments = 61
        expectError(field: "installments", ["61 exceeds max_term 60"]) { _ = try NegotiatedPlan(t) }
        t.maxTerm = 61
        #expect(try NegotiatedPlan(t).schedule.count == 61)
        t.installments = 3
        t.ending = .lumpSum
        expectError(field: "installments", ["3 installments but then is lump-sum"]) { _ = try NegotiatedPlan(t) }
        t.installments = nil
        t.ending = .installments
        expectError(field: "installments", ["required when then is installments"]) { _ = try NegotiatedPlan(t) }
        t.installments = 0
        expectError(field: "installments", ["must be at least 1: '0'"]) { _ = try NegotiatedPlan(t) }
        t.installments = 2
        t.deferMonths = -1
        expectError(field: "defer_months", ["must not be negative: '-1'"]) { _ = try NegotiatedPlan(t) }
    }

    @Test("Nothing left to pay: no rows")
    func nothingOwed() throws {
        let z = Money.zero()
        var t = PlanTerms(asOf: d("2024-04-20"), arrears: try ArrearsSnapshot(principal: z, overduePrincipal: z, overdueInterest: m("5"),
                                                                             accruedInterest: z, penalty: z, fees: z))
        t.waiveInterest = .percent(try Rate(parsing: "100%"))
        t.installments = 6
        t.deferMonths = 3
        t.deferralInterest = .interestOnly
        let p = try NegotiatedPlan(t)
        #expect(p.schedule.count == 0 && p.totalPayable.isZero && p.apr.nominal == "0.000000")
    }
}
