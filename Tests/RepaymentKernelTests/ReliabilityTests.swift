import Foundation
import Testing
@testable import RepaymentKernel

/// Issue 12 (reliability): bounded input sizes (no row takes unbounded time or
/// memory, GMP never aborts), exact APRs at the extremes, whole numbers with
/// leading zeros.
@Suite("Reliability: input limits, extreme APRs, leading zeros")
struct ReliabilityTests {
    static let header = ["id", "principal", "rate", "daily_rate", "term", "method", "start", "scale", "as_of",
                         "overdue_interest", "installments", "plan_rate", "payments", "grace_days"]

    func request(_ values: [String: String]) throws(KernelError) -> BatchRequest {
        let columns = try BatchColumns(header: Self.header)
        var v = ["id": "x", "principal": "10000", "rate": "12%", "term": "12", "start": "2024-01-15"]
        for (k, x) in values { v[k] = x }
        return try columns.request(from: Self.header.map { v[$0] ?? "" })
    }

    func result(_ values: [String: String]) throws(KernelError) -> BatchResult {
        try BatchResult(request(values))
    }

    // MARK: amounts

    @Test("An amount has at most 1000 digits before the point; leading zeros do not count")
    func amountDigits() throws {
        let limit = InputLimits.amountDigits
        #expect(limit == 1000)
        let largest = String(repeating: "9", count: limit)
        #expect(try Money(parsing: largest, scale: 2).description == largest + ".00")
        #expect(try Money(parsing: String(repeating: "0", count: 5000) + "12.5", scale: 2).description == "12.50")
        expectError(field: "principal", ["too large", "1001 digits", "at most 1000"], code: .outOfRange) {
            _ = try Money(parsing: "1" + String(repeating: "0", count: limit), scale: 2, field: "principal")
        }
        // The issue's 1 MB principal: refused before any arithmetic, with a short message.
        let megabyte = String(repeating: "7", count: 1 << 20)
        expectError(field: "principal", ["too large", "1048576 digits"], code: .outOfRange) {
            _ = try Money(parsing: megabyte, scale: 2, field: "principal")
        }
        expectError(field: "down_payment", ["too large"], code: .outOfRange) {
            _ = try Money(parsing: megabyte + ".5", scale: 2, field: "down_payment")
        }
        do {
            _ = try result(["principal": megabyte])
            Issue.record("a 1 MB principal was accepted")
        } catch {
            #expect(error.code == .outOfRange && error.field == "principal")
            #expect(error.description.utf8.count < 200)
        }
    }

    @Test("SPEC §1: a principal of 10^40 still works, and 10^999")
    func bigPrincipalsWork() throws {
        for digits in [40, 999] {
            let p = "1" + String(repeating: "0", count: digits)
            let r = try result(["principal": p, "term": "24", "method": "equal-principal"])
            var sum = WideInteger.small(0)
            for row in r.schedule.rows { sum = sum + row.principal.units }
            #expect(sum == (try Money(parsing: p, scale: 2)).units)
            #expect(r.apr.nominal == "0.120000")
        }
    }

    // MARK: rates

    @Test("A rate has at most 100 decimals and 100 digits before the point")
    func rateDigits() throws {
        #expect(InputLimits.rateDecimals == 100 && InputLimits.rateIntegerDigits == 100)
        let fine = "0." + String(repeating: "3", count: 100)
        #expect(try Rate(parsing: fine).description == "0.333333")
        #expect(try Rate(parsing: String(repeating: "0", count: 300) + "5%").description == "0.050000")
        expectError(field: "rate", ["too precise", "101 decimals", "at most 100"], code: .outOfRange) {
            _ = try Rate(parsing: fine + "3", field: "rate")
        }
        expectError(field: "daily_rate", ["too large", "101 digits"], code: .outOfRange) {
            _ = try Rate(parsing: "1" + String(repeating: "0", count: 100) + "%", field: "daily_rate")
        }
        // The issue's rate with a million decimals (75 s and 3.5 GB at term 1200): refused at once.
        let million = "0." + String(repeating: "1", count: 1_000_000)
        let start = Date()
        do {
            _ = try result(["rate": million, "term": "1200"])
            Issue.record("a rate with a million decimals was accepted")
        } catch {
            #expect(error.code == .outOfRange && error.field == "rate")
            #expect(error.description.contains("1000000 decimals"))
        }
        #expect(Date().timeIntervalSince(start) < 5)
        // Within the limits, the largest rate over the longest term is computed.
        let r = try result(["rate": String(repeating: "9", count: 100) + "." + String(repeating: "9", count: 100),
                            "principal": String(repeating: "9", count: 1000), "term": "1200"])
        #expect(r.schedule.count == 1200)
    }

    @Test("Waiver percentages and plan rates go through the same limits")
    func otherRates() {
        expectError(field: "plan_rate", ["too precise"], code: .outOfRange) {
            _ = try request(["as_of": "2024-06-01", "principal": "100", "rate": "", "term": "", "start": "",
                             "installments": "3", "plan_rate": "0." + String(repeating: "1", count: 101)])
        }
    }

    @Test("repaykernel.h's limits are the kernel's")
    func headerLimits() throws {
        let header = String(decoding: BatchTestSupport.read(BatchTestSupport.repoRoot
            .appendingPathComponent("Sources/CRepayKernel/include/repaykernel.h").path), as: UTF8.self)
        func value(_ name: String) -> Int? {
            for line in header.split(separator: "\n") {
                let words = line.split(separator: " ", omittingEmptySubsequences: true)
                if words.count >= 3, words[0] == "#define", words[1] == name { return Int(words[2]) }
            }
            return nil
        }
        #expect(value("RK_MAX_AMOUNT_DIGITS") == InputLimits.amountDigits)
        #expect(value("RK_MAX_RATE_DECIMALS") == InputLimits.rateDecimals)
        #expect(value("RK_MAX_RATE_DIGITS") == InputLimits.rateIntegerDigits)
        #expect(value("RK_MAX_TERM") == LoanTerms.maximumTerm)
        #expect(value("RK_MAX_PAYMENTS") == PaymentHistory.maximumItems)
        #expect(value("RK_MAX_JSON_ITEMS") == PaymentHistory.maximumItems)   // a JSON payments array holds a whole history
        // A payments cell of the most items of ordinary size fits one value.
        #expect(try #require(value("RK_MAX_VALUE_BYTES")) >= PaymentHistory.maximumItems * "2024-01-15 1000000.00 prepay; ".utf8.count)
    }

    @Test("A payment history holds 10,000 items, a trailing ';' included; one more is out of range")
    func paymentItems() throws {
        let items = Array(repeating: "2024-02-15 1", count: PaymentHistory.maximumItems)
        #expect(try PaymentHistory(parsing: items.joined(separator: "; ")).items.count == 10_000)
        #expect(try PaymentHistory(parsing: items.joined(separator: "; ") + ";").items.count == 10_000)
        #expect(try PaymentHistory(parsing: items.joined(separator: "; ") + "; ").items.count == 10_000)
        expectError(field: "payments", ["more than 10000 items"], code: .outOfRange) {
            _ = try PaymentHistory(parsing: (items + ["2024-02-15 1"]).joined(separator: ";"))
        }
    }

    /// Penalty events: one per overdue installment per payment date. 600 installments
    /// overdue and 300 payment dates make about 180,000 (at 10,000 dates and 1,200
    /// installments, 12 million: 3.5 GB and, with the overdue total summed per event,
    /// hours; the total is now kept up to date and the ledger is bounded).
    @Test("A replay's ledger is bounded; the replay without it is not affected")
    func ledgerLimit() throws {
        let loan = try LoanTerms(principal: Money(parsing: "1000000"), rate: Rate(parsing: "12%"), term: 1200,
                                 start: CivilDate(parsing: "2024-01-15"))
        var items: [String] = []
        var day = try CivilDate(parsing: "2074-02-01")
        for _ in 0..<300 {
            items.append("\(day) 0.01")
            day = try CivilDate(year: day.year + (day.month == 12 && day.day == 28 ? 1 : 0),
                                month: day.day == 28 ? day.month % 12 + 1 : day.month, day: day.day == 28 ? 1 : day.day + 1)
        }
        let history = try PaymentHistory(parsing: items.joined(separator: "; "))
        let asOf = try CivilDate(parsing: "2075-01-01")
        let start = Date()
        let full = try PaymentReplay(loan: loan, history: history, asOf: asOf, compound: true)
        #expect(full.events.count > 150_000 && full.events.count < PaymentReplay.maximumLedgerEvents, "\(full.events.count) events")
        #expect(Date().timeIntervalSince(start) < 20)
        // The running overdue total of every event is the sum over the open installments.
        let last = try #require(full.events.last)
        #expect(last.kind == .asOf && last.overdue == full.arrears.overduePrincipal + full.arrears.overdueInterest + full.arrears.penalty)
        expectError(field: "payments", ["ledger", "more than 1000 events"], code: .outOfRange) {
            _ = try PaymentReplay(loan: loan, history: history, asOf: asOf, allocation: .installment, prepayment: .reducePayment,
                                  graceDays: 0, markup: .defaultPenaltyMarkup, compound: true, fees: nil,
                                  recordLedger: true, ledgerLimit: 1000)
        }
        let quiet = try PaymentReplay(loan: loan, history: history, asOf: asOf, allocation: .installment, prepayment: .reducePayment,
                                      graceDays: 0, markup: .defaultPenaltyMarkup, compound: true, fees: nil,
                                      recordLedger: false, ledgerLimit: 1000)
        #expect(quiet.arrears == full.arrears && quiet.events.isEmpty)
    }

    // MARK: whole numbers

    @Test("Whole numbers: leading zeros are stripped before the length check")
    func wholeNumbersWithLeadingZeros() throws {
        #expect(CellParser.wholeNumber("0000000000000000000012") == 12)
        #expect(CellParser.wholeNumber("012") == 12)
        #expect(CellParser.wholeNumber(String(repeating: "0", count: 100_000)) == 0)
        #expect(CellParser.wholeNumber("999999999999999") == 999_999_999_999_999)
        #expect(CellParser.wholeNumber("0001000000000000000") == nil)   // 10^15: 16 significant digits
        let r = try result(["term": "0000000000000000000012", "scale": "00000000000000000002"])
        #expect(r.schedule.count == 12)
        #expect(r.totalPayable.description == "10661.86")
        expectError(field: "term", ["too large", "at most 15 digits"], code: .outOfRange) {
            _ = try request(["term": "1234567890123456"])
        }
        expectError(field: "term", ["not a whole number"]) { _ = try request(["term": "12.0"]) }
    }

    // MARK: APR at the extremes

    /// Tests/Reliability/apr-extremes.csv against apr-extremes.expected, which
    /// Tests/Reliability/apr_high_precision.py derives independently (Python
    /// decimal at 1200 digits): a principal of 10^307 and of 10^400 (beyond a
    /// double), an effective rate of 10^35, a nominal APR of 10^24, the
    /// issue's rate of 10^20 % (it printed 999999999999997164.650500).
    @Test("APRs far outside a double's range are exact (SPEC §6)")
    func extremeAPRs() throws {
        let dir = BatchTestSupport.repoRoot.appendingPathComponent("Tests/Reliability")
        let input = BatchTestSupport.read(dir.appendingPathComponent("apr-extremes.csv").path)
        let expected = String(decoding: BatchTestSupport.read(dir.appendingPathComponent("apr-extremes.expected").path),
                              as: UTF8.self).split(separator: "\n").map(String.init)
        let reader = CSVReader(bytes: input)
        let columns = try BatchColumns(header: try #require(try reader.next()).fields)
        var got: [String] = []
        while let r = try reader.next() {
            let result = try BatchResult(columns.request(from: r.fields))
            got.append("\(r.fields[0]) \(result.apr.nominal) \(result.apr.effective)")
        }
        #expect(got.count == 6)
        #expect(got == expected)
        #expect(got.contains("rate1e20pct 999999999999999999.999960 " + (expected.first { $0.hasPrefix("rate1e20pct") }?
            .split(separator: " ")[2]).map(String.init)!))
    }

    @Test("An APR of 10^24 and more is not 0; large values are never rounded through a double")
    func largeAPRNotZero() throws {
        let r = try result(["rate": "100000000000000000000000000%", "term": "6"])
        #expect(r.apr.nominal == "999999999999999999999999.999996")
        #expect(r.apr.effective.count > 200)
        // One payment of 2x after one month: x = 1, 12x = 12, (1+x)^12 - 1 = 4095 exactly.
        let s = Schedule(rows: [ScheduleRow(period: 1, dueDate: try CivilDate(parsing: "2024-02-15"), kind: .installment,
                                            principal: .small(200), interest: .small(0), carried: .small(0),
                                            balance: .small(0), scale: 2)], scale: 2)
        let apr = AnnualPercentageRate.of(s, financed: .small(100), from: try CivilDate(parsing: "2024-01-15"),
                                          accrual: Accrual(basis: .monthly, anchorDay: 15))
        #expect(apr.nominal == "12.000000" && apr.effective == "4095.000000")
        // x = 10^30 - 1 exactly: 12x and (1+x)^12 - 1 are integers far beyond 2^53.
        let huge = WideInteger(BigInt(10).power(30))
        let t = Schedule(rows: [ScheduleRow(period: 1, dueDate: try CivilDate(parsing: "2024-02-15"), kind: .installment,
                                            principal: huge, interest: .small(0), carried: .small(0),
                                            balance: .small(0), scale: 2)], scale: 2)
        let big = AnnualPercentageRate.of(t, financed: .small(1), from: try CivilDate(parsing: "2024-01-15"),
                                          accrual: Accrual(basis: .monthly, anchorDay: 15))
        #expect(big.nominal == "11999999999999999999999999999988.000000")
        let effective = WideInteger(BigInt(10).power(360)) - .small(1)
        #expect(big.effective == effective.decimalString + ".000000")
    }
}
