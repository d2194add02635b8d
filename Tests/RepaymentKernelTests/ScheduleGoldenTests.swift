import Testing
@testable import RepaymentKernel

@Suite("Base schedules: known answers")
struct ScheduleGoldenTests {
    @Test("Excel PMT(8%/12, 10, 10000) = 1037.03")
    func excelPMT() throws {
        let terms = try LoanTerms(principal: Money(parsing: "10000"), rate: Rate(parsing: "8%"), term: 10,
                                  start: CivilDate(parsing: "2024-01-01"))
        let s = try terms.schedule()
        #expect(s.rows.count == 10)
        #expect(s.rows[0].payment.description == "1037.03")
        #expect(s.rows[0].interest.description == "66.67")
        #expect(s.totalPrincipal.description == "10000.00")
        #expect(s.rows.last!.balance.isZero)
    }
}
