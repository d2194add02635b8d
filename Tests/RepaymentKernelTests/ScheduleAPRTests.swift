import Testing
@testable import RepaymentKernel

/// The APR on the public values: `Schedule.apr` for a loan's schedule (and a
/// plan's), `NegotiatedPlan.apr` (SPEC §6).
@Suite("APR of schedules and plans")
struct ScheduleAPRTests {
    func d(_ s: String) -> CivilDate { try! CivilDate(parsing: s) }
    func m(_ s: String) -> Money { try! Money(parsing: s) }

    @Test("A loan's schedule knows its amount financed and its APR")
    func loanAPR() throws {
        let terms = try LoanTerms(principal: m("10000"), rate: Rate(parsing: "12%"), term: 12, start: d("2024-01-15"))
        let s = try terms.schedule()
        #expect(s.amountFinanced == m("10000"))
        #expect(s.apr?.nominal == "0.120001" && s.apr?.effective == "0.126826")
        #expect(s.apr == BatchResult.apr(of: s, terms: terms))
        // the batch summary prints the same APR
        let batch = try BatchResult(BatchRequest(loan: terms))
        #expect(batch.apr == s.apr)
    }

    @Test("Interest-only loans whose interest is exact have APR = the rate, whatever the principal")
    func exactAPR() throws {
        // 240000.00 x 12% / 12 = 2400.00 a month exactly; the IRR is exactly 1% a month
        for (p, term) in [("240000", 12), ("1200", 1), ("36000", 60)] {
            let t = try LoanTerms(principal: m(p), rate: Rate(parsing: "12%"), term: term, method: .interestOnly, start: d("2024-01-15"))
            let s = try t.schedule()
            #expect(s.apr?.nominal == "0.120000", "\(p) over \(term)")
            #expect(s.apr?.effective == "0.126825", "\(p) over \(term)")   // 1.01^12 - 1 = 0.12682503...
        }
        // no interest at all: APR 0
        let free = try LoanTerms(principal: m("1200"), rate: .zero, term: 12, start: d("2024-01-15"))
        #expect(try free.schedule().apr == .zero)
    }

    @Test("A plan's schedule carries the plan's APR and amount financed")
    func planAPR() throws {
        let loan = try LoanTerms(principal: m("10000"), rate: Rate(parsing: "12%"), term: 12, start: d("2024-01-15"))
        var t = PlanTerms(asOf: d("2024-06-20"), arrears: try ArrearsSnapshot(loan: loan, paidThrough: 3, asOf: d("2024-06-20")))
        t.waivePenalty = .percent(try Rate(parsing: "100%"))
        t.downPayment = m("500")
        t.deferMonths = 2
        t.installments = 6
        t.planRate = try Rate(parsing: "6%")
        let p = try NegotiatedPlan(t)
        #expect(p.apr.nominal == "0.038102" && p.apr.effective == "0.038774")   // as the C example prints
        #expect(p.schedule.apr == p.apr)
        #expect(p.schedule.amountFinanced == p.amountFinanced && p.amountFinanced == m("7764.85"))
    }

    @Test("A schedule assembled from rows has no amount financed, so no APR")
    func assembled() throws {
        let terms = try LoanTerms(principal: m("1000"), rate: Rate(parsing: "6%"), term: 3, start: d("2024-01-15"))
        let computed = try terms.schedule()
        let assembled = Schedule(rows: computed.rows, scale: computed.scale)
        #expect(assembled.apr == nil && assembled.amountFinanced == nil)
        #expect(assembled == computed)   // equality compares rows and scale only
    }
}
