import Testing
import RepaymentKernel

/// The Swift examples of README.md, verbatim (Tests/readme.sh checks that
/// each README snippet appears here, so the README cannot drift).
@Suite("README snippets")
struct ReadmeSnippetTests {
    @Test("snippet: schedule")
    func schedule() throws {
        let terms = try LoanTerms(
            principal: Money(parsing: "10000"), rate: Rate(parsing: "8%"), term: 10,
            start: CivilDate(parsing: "2024-01-01"))
        let schedule = try terms.schedule()
        #expect(schedule.rows[0].payment.description == "1037.03")
        #expect(schedule.totalInterest.description == "370.34")
    }

    @Test("snippet: plan")
    func plan() throws {
        let loan = try LoanTerms(
            principal: Money(parsing: "50000"), rate: Rate(parsing: "12%"), term: 24,
            start: CivilDate(parsing: "2024-01-10"))
        let asOf = try CivilDate(parsing: "2024-05-25")
        var terms = PlanTerms(asOf: asOf, arrears: try ArrearsSnapshot(loan: loan, paidThrough: 3, asOf: asOf))
        terms.waivePenalty = .percent(try Rate(parsing: "100%"))
        terms.deferMonths = 3
        terms.installments = 24
        let plan = try NegotiatedPlan(terms)
        #expect(plan.waivedPenalty.description == "14.32")
        #expect(plan.totalPayable.description == "45039.39")
        #expect(plan.schedule.rows.first!.dueDate.description == "2024-09-25")
    }

    @Test("snippet: apr_and_debt")
    func aprAndDebt() throws {
        let loan = try LoanTerms(
            principal: Money(parsing: "10000"), rate: Rate(parsing: "12%"), term: 12,
            start: CivilDate(parsing: "2024-01-15"))
        let schedule = try loan.schedule()
        #expect(schedule.apr?.nominal == "0.120001" && schedule.apr?.effective == "0.126826")
        let asOf = try CivilDate(parsing: "2024-06-20")
        var terms = PlanTerms(asOf: asOf, arrears: try ArrearsSnapshot(loan: loan, paidThrough: 3, asOf: asOf))
        terms.waivePenalty = .percent(try Rate(parsing: "100%"))
        terms.waiveInterest = .percent(try Rate(parsing: "50%"))
        terms.installments = 6
        let plan = try NegotiatedPlan(terms)
        let before = plan.debtBeforeWaivers, after = plan.debtAfterWaivers
        #expect(before.overdueInterest.description == "144.09" && after.overdueInterest.description == "67.06")
        #expect(before.penalty.description == "16.67" && after.penalty.description == "0.00")
        #expect(after.total == plan.amountFinanced && plan.amountFinanced.description == "7687.82")
        #expect(plan.apr.nominal == "0.000000")   // 0% plan rate, nothing new to pay
    }

    @Test("snippet: payments")
    func payments() throws {
        let mortgage = try LoanTerms(
            principal: Money(parsing: "1000000"), rate: Rate(parsing: "4.9%"), term: 360,
            start: CivilDate(parsing: "2024-01-20"))
        let prepaid = try PrepaidSchedule(
            loan: mortgage, prepayments: PaymentHistory(parsing: "2025-01-20 200000 prepay"),
            mode: .reduceTerm)
        #expect(prepaid.interestSaved.description == "440629.64" && prepaid.monthsSaved == 120)

        let shop = try LoanTerms(
            principal: Money(parsing: "200000"), rate: Rate(parsing: "8%"), term: 36,
            start: CivilDate(parsing: "2024-03-01"))
        let paid = try PaymentHistory(parsing: "2024-04-01 6267.27; 2024-05-01 6267.27; "
            + "2024-06-01 6267.27; 2024-07-01 3100; 2024-07-06 3167.27")
        let asOf = try CivilDate(parsing: "2024-08-06")
        let replay = try PaymentReplay(loan: shop, history: paid, asOf: asOf)
        #expect(replay.daysPastDue == 36 && replay.arrears.penalty.description == "8.49")
        #expect(replay.events.filter { $0.kind == .penalty }.map(\.amount.description) == ["5.28"])
        var terms = PlanTerms(asOf: asOf, arrears: replay.arrears)
        terms.deferMonths = 12
        terms.installments = 12
        terms.planRate = try Rate(parsing: "8%")
        #expect(try NegotiatedPlan(terms).schedule.rows.first!.dueDate.description == "2025-09-06")
    }
}
