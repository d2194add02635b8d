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

@Suite("Base schedules: hand-checked known answers")
struct ScheduleKnownAnswerTests {
    func d(_ s: String) -> CivilDate { try! CivilDate(parsing: s) }

    @Test("The published Excel amortization table of PMT(8%/12, 10, 10000)")
    func excelTable() throws {
        let t = try LoanTerms(principal: Money(parsing: "10000"), rate: Rate(parsing: "8%"), term: 10, start: d("2024-03-15"))
        let rows = try t.schedule().rows
        #expect(rows.map(\.interest.description) == ["66.67", "60.20", "53.69", "47.13", "40.53", "33.89", "27.20", "20.47", "13.69", "6.87"])
        #expect(rows.dropLast().allSatisfy { $0.payment.description == "1037.03" })
        #expect(rows.last!.payment.description == "1037.07")   // the last row absorbs the rounding residue
        #expect(rows.map(\.balance.description).prefix(3) == ["9029.64", "8052.81", "7069.47"])
        #expect(rows.map(\.dueDate.description).first == "2024-04-15" && rows.last!.dueDate.description == "2025-01-15")
    }

    @Test("End-of-month anchor across a leap February: 02-29, 03-31, 04-30; leftover days in the monthly basis")
    func endOfMonthLeap() throws {
        let t = try LoanTerms(principal: Money(parsing: "12000"), rate: Rate(parsing: "0.12"), term: 12, start: d("2024-01-31"))
        let rows = try t.schedule().rows
        #expect(rows.prefix(4).map(\.dueDate.description) == ["2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31"])
        #expect(rows[0].interest.description == "120.00")          // one whole month: 12000 x 1%
        // SPEC §2 month-end rule: 02-29 -> 03-31 is one whole month on a 31st schedule: 11053.81 x 1% = 110.5381
        #expect(rows[0].balance.description == "11053.81" && rows[1].interest.description == "110.54")
        // 03-31 -> 04-30 and 04-30 -> 05-31 are one month each too
        #expect(rows[2].interest.units == (rows[1].balance.units * .small(1)).divided(by: .small(100), rounding: .halfUp)!)
        #expect(rows[3].interest.units == (rows[2].balance.units * .small(1)).divided(by: .small(100), rounding: .halfUp)!)
        let nonLeap = try LoanTerms(principal: Money(parsing: "12000"), rate: Rate(parsing: "0.12"), term: 3, start: d("2023-01-31"))
        let r2 = try nonLeap.schedule().rows
        #expect(r2.map(\.dueDate.description) == ["2023-02-28", "2023-03-31", "2023-04-30"])
        // 02-28 -> 03-31: one month as well (not one month to 03-28 plus 3 days)
        let want = (r2[0].balance.units * .small(12)).divided(by: .small(100 * 12), rounding: .halfUp)!
        #expect(r2[1].interest.units == want)
    }

    @Test("A 10^30 principal: exact interest, exact sums")
    func hugePrincipal() throws {
        let p = "1" + String(repeating: "0", count: 30)
        let t = try LoanTerms(principal: Money(parsing: p), rate: Rate(parsing: "0.05"), term: 12, start: d("2024-01-15"))
        let s = try t.schedule()
        // 10^30 x 0.05 / 12 = 5 x 10^28 / 12 = 4.1666... x 10^27
        #expect(s.rows[0].interest.description == "41" + String(repeating: "6", count: 26) + ".67")
        #expect(s.totalPrincipal.description == p + ".00")
        #expect(s.rows.last!.balance.isZero)
    }
}
