import Testing
@testable import RepaymentKernel

/// Strict input parsing (SPEC §1, §7): amounts, rates, dates, booleans,
/// whole numbers, and the batch header; errors name the field and the problem.
@Suite("Parsing: strictness and messages")
struct ParsingTests {
    // MARK: amounts

    @Test("Valid amounts parse to exact minor units", arguments: [
        ("10000", 2, "1000000", "10000.00"), ("10000.5", 2, "1000050", "10000.50"), ("0.07", 2, "7", "0.07"),
        ("007.50", 2, "750", "7.50"), ("0", 2, "0", "0.00"), ("12", 0, "12", "12"), ("1.234567", 6, "1234567", "1.234567"),
        ("1.5", 6, "1500000", "1.500000"), ("123456789012345678.99", 2, "12345678901234567899", "123456789012345678.99"),
        ("1" + String(repeating: "0", count: 40), 2, "1" + String(repeating: "0", count: 42), "1" + String(repeating: "0", count: 40) + ".00"),
        ("99999999999999999999999999999999999999999999.123", 3, "99999999999999999999999999999999999999999999123",
         "99999999999999999999999999999999999999999999.123"),
    ])
    func validAmounts(_ text: String, _ scale: Int, _ units: String, _ printed: String) throws {
        let m = try Money(parsing: text, scale: scale, field: "principal")
        #expect(m.minorUnitsString == units)
        #expect(m.description == printed)
        #expect(m.scale == scale)
    }

    @Test("More decimals than scale is an error, even trailing zeros")
    func tooManyDecimals() {
        expectError(field: "principal", ["100.500", "2"]) { _ = try Money(parsing: "100.500", scale: 2, field: "principal") }
        expectError(field: "principal", ["100.005"]) { _ = try Money(parsing: "100.005", scale: 2, field: "principal") }
        expectError(field: "fees", ["100.0"]) { _ = try Money(parsing: "100.0", scale: 0, field: "fees") }
        expectError(field: "x", ["1.0000000"]) { _ = try Money(parsing: "1.0000000", scale: 6, field: "x") }
        // a long fraction must not slip through a fast path
        expectError(field: "x", []) { _ = try Money(parsing: "1." + String(repeating: "0", count: 30), scale: 2, field: "x") }
    }

    @Test("Negative amounts are rejected with 'negative'", arguments: ["-3.20", "-0", "-1", "-100000000000000000000000000000000000000000"])
    func negativeAmount(_ text: String) {
        // A value longer than 40 characters is quoted cut, with its length (KernelError.quoted).
        let quoted = text.count > 40 ? "'\(text.prefix(40))…' (\(text.utf8.count) bytes)" : "'\(text)'"
        expectError(field: "principal", ["negative", quoted]) { _ = try Money(parsing: text, scale: 2, field: "principal") }
    }

    @Test("Signs, exponents, grouping, blanks and other shapes are rejected", arguments: [
        "1e5", "1E5", "1.5e2", "1,000", "1,000.00", "1 000", " 100", "100 ", "+5", "", ".", ".5", "5.", "1..2", "1.2.3",
        "0x10", "１２", "12a", "abc", "NaN", "inf", "--5", "5-", "1_000", "12%",
    ])
    func malformedAmount(_ text: String) {
        expectError(field: "down_payment", []) { _ = try Money(parsing: text, scale: 2, field: "down_payment") }
    }

    @Test("Scale must be 0...6")
    func badScale() {
        expectError(field: "scale", ["must be 0 to 6", "7"], code: .outOfRange) { _ = try Money(parsing: "1", scale: 7) }
        expectError(field: "scale", ["must be 0 to 6", "-1"], code: .outOfRange) { _ = try Money(parsing: "1", scale: -1) }
    }

    // MARK: rates

    @Test("A percentage is the same rate as its fraction", arguments: [
        ("14.4%", "0.144"), ("100%", "1"), ("0.5%", "0.005"), ("8%", "0.08"), ("0%", "0"), ("12.345678%", "0.12345678"),
        ("007%", "0.07"), ("1234567890123456789012345%", "12345678901234567890123.45"),
    ])
    func percentEqualsFraction(_ a: String, _ b: String) throws {
        #expect(try Rate(parsing: a) == Rate(parsing: b))
        #expect(try Rate(parsing: a).hashValue == Rate(parsing: b).hashValue)
    }

    @Test("Rates print as 6-decimal fractions, rounded half-even")
    func rateDescription() throws {
        #expect(try Rate(parsing: "14.4%").description == "0.144000")
        #expect(try Rate(parsing: "0.1234565").description == "0.123456")   // tie, 6 even
        #expect(try Rate(parsing: "0.1234575").description == "0.123458")   // tie, 7 odd
        #expect(try Rate(parsing: "0.12345651").description == "0.123457")
        #expect(try Rate(parsing: "0.144").exactDecimal == "0.144")
        #expect(try Rate(parsing: "0.0123456%").exactDecimal == "0.000123456")
        #expect(try Rate(parsing: "14.4%") != Rate(parsing: "0.1441"))
    }

    @Test("Malformed or negative rates are rejected", arguments: [
        "-0.1", "-5%", "1e-2", "%", "14.4%%", "%14.4", "1,5", "0.1 ", " 0.1", "", "abc", "0.1.2", "+0.1", "1/12", "0,144",
    ])
    func malformedRate(_ text: String) {
        expectError(field: "plan_rate", []) { _ = try Rate(parsing: text, field: "plan_rate") }
    }

    @Test("A mark that joins the '%' into one Character is not dropped with it (FuzzParsers finding)", arguments: [
        "1204.00\u{0601}%", "5\u{0600}%", "5\u{0301}%", "5%\u{0301}",
    ])
    func percentJoinedToAMark(_ text: String) {
        expectError(field: "rate", ["not a rate"]) { _ = try Rate(parsing: text, field: "rate") }
        let bytes = Array(text.utf8)
        expectError(field: "rate", ["not a rate"]) {
            _ = try bytes.withUnsafeBufferPointer { b throws(KernelError) in try Rate(bytes: b, field: "rate") }
        }
    }

    @Test("A negative rate says so")
    func negativeRateMessage() {
        expectError(field: "rate", ["negative"]) { _ = try Rate(parsing: "-0.1", field: "rate") }
    }

    // MARK: dates

    @Test("Valid dates", arguments: ["2024-02-29", "2000-02-29", "0001-01-01", "9999-12-31", "2023-12-31", "1900-02-28"])
    func validDates(_ text: String) throws {
        #expect(try CivilDate(parsing: text).description == text)
    }

    @Test("Dates that do not exist", arguments: ["2025-02-30", "2024-13-01", "2023-02-29", "2100-02-29", "1900-02-29",
                                                  "2024-04-31", "2024-00-10", "2024-01-00", "2024-01-32", "0000-01-01"])
    func noSuchDate(_ text: String) {
        expectError(field: "start", ["no such date", text]) { _ = try CivilDate(parsing: text, field: "start") }
    }

    @Test("Wrong date shapes", arguments: ["2024-1-01", "2024-01-1", "20240101", "2024/01/01", "2024-01-01T00:00",
                                            " 2024-01-01", "2024-01-01 ", "24-01-01", "abcd-ef-gh", "", "2024-0a-01",
                                            "+024-01-01", "2024—01—01", "２０２４-01-01"])
    func wrongShape(_ text: String) {
        expectError(field: "as_of", ["YYYY-MM-DD"]) { _ = try CivilDate(parsing: text, field: "as_of") }
    }

    // MARK: booleans and whole numbers

    @Test("Booleans: true/false, yes/no, on/off, 1/0")
    func booleans() throws {
        for s in ["true", "yes", "on", "1"] { #expect(try CellParser.boolean(s, field: "compound") == true) }
        for s in ["false", "no", "off", "0"] { #expect(try CellParser.boolean(s, field: "compound") == false) }
        for s in ["2", "y", "n", "", "truee", " true", "-1", "01"] {
            expectError(field: "compound", ["boolean"]) { _ = try CellParser.boolean(s, field: "compound") }
        }
    }

    @Test("Whole numbers are plain digits")
    func wholeNumbers() {
        #expect(CellParser.wholeNumber("12") == 12)
        #expect(CellParser.wholeNumber("007") == 7)
        for s in ["12.0", "-1", "1e2", "+3", " 3", "", "1,000", "３"] { #expect(CellParser.wholeNumber(s) == nil, "\(s)") }
    }

    // MARK: batch rows and header

    static let loanHeader = ["id", "principal", "rate", "daily_rate", "fee_rate", "term", "method", "start", "first_due",
                             "basis", "rounding", "scale", "as_of", "paid_through", "overdue_principal", "compound", "installments"]

    func row(_ values: [String: String]) -> [String] {
        Self.loanHeader.map { values[$0] ?? "" }
    }

    func request(_ values: [String: String]) throws -> BatchRequest {
        let columns = try BatchColumns(header: Self.loanHeader)
        var v = ["id": "x", "principal": "10000", "rate": "0.12", "term": "12", "start": "2024-01-15"]
        for (k, x) in values { v[k] = x }
        return try columns.request(from: row(v))
    }

    @Test("Row errors name the column")
    func rowErrors() throws {
        expectError(field: "principal", ["decimals", "100.005"]) { _ = try request(["principal": "100.005"]) }
        expectError(field: "principal", ["negative"]) { _ = try request(["principal": "-3.20"]) }
        expectError(field: "principal", []) { _ = try request(["principal": "0"]) }
        expectError(field: "term", []) { _ = try request(["term": "12.5"]) }
        expectError(field: "term", []) { _ = try request(["term": "0"]) }
        expectError(field: "start", ["no such date"]) { _ = try request(["start": "2025-02-30"]) }
        expectError(field: "rate", []) { _ = try request(["rate": "abc"]) }
        expectError(field: "rate", []) { _ = try request(["rate": ""]) }   // no rate at all
        expectError(field: "method", ["unknown value", "annuities"]) { _ = try request(["method": "annuities"]) }
        expectError(field: "rounding", ["half-up"]) { _ = try request(["rounding": "banker"]) }
        expectError(field: "basis", ["act/360"]) { _ = try request(["basis": "actual"]) }
        expectError(field: "scale", []) { _ = try request(["scale": "7"]) }
        expectError(field: "first_due", []) { _ = try request(["first_due": "2024-01-15"]) }   // not after start
        expectError(field: "first_due", ["bullet"]) { _ = try request(["method": "bullet", "first_due": "2024-02-15"]) }
        expectError(field: "compound", ["only for plans"]) { _ = try request(["compound": "yes"]) }
        expectError(field: "installments", ["only for plans"]) { _ = try request(["installments": "3"]) }
        expectError(field: "id", ["required"]) { _ = try request(["id": ""]) }
        expectError(field: "compound", ["boolean"]) { _ = try request(["as_of": "2024-06-20", "paid_through": "2", "compound": "maybe"]) }
        expectError(field: "overdue_principal", ["paid_through"]) {
            _ = try request(["as_of": "2024-06-20", "paid_through": "2", "overdue_principal": "5"])
        }
        // Derived arrears are computed after parsing (BatchResult.compute): these rows parse, then fail.
        for (field, cells) in [("paid_through", ["as_of": "2024-06-20", "paid_through": "13"]),
                               ("as_of", ["as_of": "2024-01-14", "paid_through": "0"])] {
            #expect(throws: Never.self) { _ = try request(cells) }
            expectError(field: field, []) { _ = try BatchResult(request(cells)) }
        }
    }

    @Test("Exactly one of rate, daily_rate, fee_rate; fee_rate only with flat")
    func rateColumns() throws {
        expectError(field: "daily_rate", ["only one"]) { _ = try request(["daily_rate": "0.0005"]) }
        expectError(field: "fee_rate", ["flat"]) { _ = try request(["rate": "", "fee_rate": "0.006"]) }
        expectError(field: "fee_rate", ["flat"]) { _ = try request(["rate": "", "method": "flat"]) }
        // daily rate times yearDays: 0.0005 * 365 under act/365
        guard let t = try request(["rate": "", "daily_rate": "0.05%", "basis": "act/365"]).loan else {
            Issue.record("not a loan"); return
        }
        #expect(t.rate == (try Rate(parsing: "0.1825")))
        guard let f = try request(["rate": "", "fee_rate": "0.6%", "method": "flat"]).loan else {
            Issue.record("not a loan"); return
        }
        #expect(f.feeRate == (try Rate(parsing: "0.006")))
        #expect(f.rate == (try Rate(parsing: "0.072")))   // 12 x fee for accrual and penalty
    }

    @Test("A row with the wrong number of cells is a row error")
    func wrongCellCount() throws {
        let columns = try BatchColumns(header: ["id", "principal", "rate", "term", "start"])
        expectError(field: "row", ["has 4 cells but the header has 5"]) { _ = try columns.request(from: ["a", "100", "0.1", "12"]) }
        expectError(field: "row", ["has 6 cells but the header has 5"]) {
            _ = try columns.request(from: ["a", "100", "0.1", "12", "2024-01-01", ""])
        }
        _ = try columns.request(from: ["a", "100", "0.1", "12", "2024-01-01"])
    }

    @Test("Unusable headers: unknown, duplicate, empty name, no id", arguments: [
        (["id", "principal", "rat"], "rat"),
        (["id", "principal", "Rate"], "Rate"),
        (["id", " principal"], " principal"),
        (["id", "principal", "principal"], "duplicate"),
        (["id", "", "principal"], "empty"),
        (["principal", "rate", "term"], "id"),
        ([], "id"),
    ])
    func badHeader(_ header: [String], _ fragment: String) {
        do {
            _ = try BatchColumns(header: header)
            Issue.record("header \(header) accepted")
        } catch {
            // BatchColumns(header:) throws only KernelError (typed throws)
            #expect(error.code == .unusableFile)
            #expect(error.description.contains(fragment), "\(error)")
        }
    }

    @Test("Columns in any order; the full contract header is accepted")
    func anyOrder() throws {
        let all = Column.allCases.map(\.name)
        #expect(all.count == 37)   // SPEC §7: 12 loan columns, as_of, 20 plan columns, 4 payment columns
        #expect(Column.allCases.filter { $0.group == .loan }.count == 12 && Column.allCases.filter { $0.group == .plan }.count == 20)
        #expect(Column.allCases.filter { $0.group == .payments }.map(\.name) == ["payments", "prepayment", "allocation", "grace_days"])
        #expect(Column.allCases.allSatisfy { Column(name: $0.name) == $0 } && Column(name: "Rate") == nil)
        _ = try BatchColumns(header: all.reversed())
        let c = try BatchColumns(header: ["term", "start", "rate", "principal", "id"])
        guard let t = try c.request(from: ["12", "2024-01-15", "8%", "10000", "z"]).loan else {
            Issue.record("not a loan"); return
        }
        #expect(t.term == 12 && t.principal.description == "10000.00")
    }
}
