import Testing
import CRepayKernel
@testable import RepaymentKernel
@testable import RepayKernelC

/// Payments through the C API (SPEC §9): `BatchResult.compute(_:ledger: true)`, which keeps a plan
/// row's replay for its ledger, the JSON `payments` array, and the ledger getters.
@Suite("CAPI: payments, days past due and the ledger")
struct CAPIPaymentTests {
    static let header = ["id", "principal", "rate", "term", "start", "as_of", "payments", "paid_through",
                         "overdue_principal", "allocation", "grace_days"]

    func row(_ cells: [String: String]) -> [String] { Self.header.map { cells[$0] ?? "" } }

    let loan = ["id": "x", "principal": "10000", "rate": "8%", "term": "10", "start": "2024-03-15"]

    @Test("compute(ledger: true): the result of compute(), plus the replay of a plan row with payments")
    func resultWithReplay() throws {
        let columns = try BatchColumns(header: Self.header)
        let late = row(loan.merging(["as_of": "2024-04-25", "payments": "2024-04-15 518.52; 2024-04-20 519.37",
                                     "grace_days": "4"]) { $1 })
        let request = try columns.request(from: late)
        let withLedger = try BatchResult.compute(request, ledger: true).get()
        let plain = try BatchResult.compute(request).get()
        #expect(plain.replay == nil)
        let r = try #require(withLedger.replay)
        guard let terms = try request.planTerms() else { Issue.record("expected a plan"); return }
        #expect(r.arrears == terms.arrears && r.events.last?.kind == .asOf)
        #expect(r.events.map(\.kind) == [.due, .payment, .penalty, .payment, .asOf])
        var same = withLedger
        same.replay = nil
        #expect(same == plain)
        // every other row: no replay
        for cells in [loan, loan.merging(["payments": "2024-06-01 3000 prepay"]) { $1 },
                      loan.merging(["as_of": "2024-06-20", "paid_through": "1"]) { $1 },
                      ["id": "d", "as_of": "2024-06-20", "overdue_principal": "100"]] {
            let req = try columns.request(from: row(cells))
            #expect(try BatchResult.compute(req, ledger: true).get() == BatchResult.compute(req).get())
            #expect(try BatchResult.compute(req, ledger: true).get().replay == nil)
        }
        // the same errors, naming the item: request(from:) only parses; the replay that finds
        // the late item runs when the row is computed, with or without the ledger.
        let bad = row(loan.merging(["as_of": "2024-04-25", "payments": "2024-04-15 5; 2024-04-26 5"]) { $1 })
        expectError(field: "payments", ["payments: item 2: ", "after as_of"]) {
            _ = try BatchResult.compute(columns.request(from: bad), ledger: true).get()
        }
        expectError(field: "payments", ["payments: item 2: ", "after as_of"]) { _ = try BatchResult(columns.request(from: bad)) }
    }

    @Test("A key too long to be a column is quoted short and escaped (a JSON key reaches the request this way)")
    func longKeyQuoted() {
        let key = "\u{1B}[31m" + String(repeating: "k", count: 100)
        do {
            try RequestBox().set(key: key, value: "1")
            Issue.record("a 105-byte key was accepted")
        } catch {
            #expect(error.status == RK_INVALID && error.field == "key")
            #expect(error.message.hasPrefix("key: unknown column '\\x1B[31m"))
            #expect(error.message.contains("…' (105 bytes)") && !error.message.contains("\u{1B}"))
        }
    }

    @Test("A JSON payments array becomes one item per element; what text cannot carry is refused by number")
    func jsonPaymentsCell() throws {
        func cell(_ json: String) throws(RequestFailure) -> String {
            guard case .array(let items)? = try? JSONReader.parse(Array(json.utf8)) else {
                throw RequestFailure(status: RK_FORMAT, field: "", message: "test: not an array")
            }
            return try JSONRun.paymentsCell(items)
        }
        let mixed = try cell(#"["2024-04-15 518.52", {"date": "2024-04-20", "amount": 3000, "prepay": true}]"#)
        #expect(mixed == "2024-04-15 518.52; 2024-04-20 3000 prepay")
        let object = try cell(#"[{"amount": "5", "date": "2024-04-20", "prepay": null}]"#)
        #expect(object == "2024-04-20 5")
        let empty = try cell("[]")
        #expect(empty == "")
        for (json, fragment) in [
            (#"["2024-04-15 5", {"date": "2024-04-20", "amount": 519.37}]"#, "payments: item 2: amount 519.37 is a JSON number"),
            (#"[{"date": "2024-04-20", "amount": 1E3}]"#, "payments: item 1: amount 1E3"),
            (#"["a; b"]"#, "payments: item 1: \"a; b\": contains ';'"),
            (#"["2024-04-15 5", "  "]"#, "payments: item 2: empty"),
            (#"[true]"#, "payments: item 1: must be a string"),
            (#"[{"date": "2024-04-20 5", "amount": "prepay"}]"#, "payments: item 1: date '2024-04-20 5' is not a single word"),
            (#"[{"date": "2024-04-20", "amount": ""}]"#, "payments: item 1: amount '' is not a single word"),
            (#"[{"date": "2024-04-20", "amount": "5", "prepay": 1}]"#, "payments: item 1: prepay must be true or false"),
            (#"[{"date": "2024-04-20", "amount": "5", "amount": "6"}]"#, "payments: item 1: duplicate member 'amount'"),
            (#"[{"date": "2024-04-20"}]"#, "payments: item 1: no \"amount\""),
        ] {
            do {
                _ = try cell(json)
                Issue.record("\(json) was accepted")
            } catch {
                #expect(error.status == RK_INVALID && error.field == "payments")
                #expect(error.message.hasPrefix(fragment), "\(error.message)")
            }
        }
    }

    @Test("The ledger getters read what the replay recorded; days past due by the source of the arrears")
    func ledgerGetters() throws {
        var req: OpaquePointer? = nil
        #expect(rk_request_new(&req) == RK_OK)
        defer { rk_request_free(req) }
        for (k, v) in loan where k != "id" { #expect(rk_request_set(req, k, v) == RK_OK) }
        #expect(rk_request_set(req, "as_of", "2024-06-25") == RK_OK)
        #expect(rk_request_set(req, "payments", "2024-06-20 1100") == RK_OK)
        var res: OpaquePointer? = nil
        #expect(rk_plan(req, &res) == RK_OK)
        defer { rk_result_free(res) }
        let replay = try PaymentReplay(loan: LoanTerms(principal: Money(parsing: "10000"), rate: Rate(parsing: "8%"), term: 10,
                                                       start: CivilDate(parsing: "2024-03-15")),
                                       history: PaymentHistory(parsing: "2024-06-20 1100"), asOf: CivilDate(parsing: "2024-06-25"))
        #expect(rk_result_ledger_count(res) == replay.events.count)
        for (i, e) in replay.events.enumerated() {
            #expect(String(cString: rk_ledger_date(res, i)!) == e.date.description)
            #expect(String(cString: rk_ledger_kind(res, i)!) == e.kind.rawValue)
            #expect(rk_ledger_installment(res, i) == Int64(e.installment ?? 0))
            #expect(rk_ledger_days_past_due(res, i) == Int64(e.daysPastDue))
            let amounts = [e.amount, e.penalty, e.interest, e.principal, e.credit, e.overdue, e.balance]
            for (c, m) in zip(RK_LEDGER_AMOUNT...RK_LEDGER_BALANCE, amounts) {
                #expect(String(cString: rk_ledger_amount(res, i, c)!) == m.description)
                var v: Int64 = -1
                #expect(rk_ledger_amount_int64(res, i, c, &v) == RK_OK && v == m.minorUnitsInt64)
            }
        }
        var days: Int64 = -1
        #expect(rk_result_days_past_due(res, &days) == RK_OK && days == 41)
        #expect(rk_ledger_kind(res, replay.events.count) == nil && rk_ledger_installment(res, -1) == -1)
    }
}
