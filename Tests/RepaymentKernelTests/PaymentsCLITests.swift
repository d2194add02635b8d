import Foundation
import Testing

/// `repay schedule --prepay`, `repay plan --payment` and `repay ledger` (SPEC §9), run as the built binary.
@Suite("CLI: prepayments, payment histories and the ledger")
struct PaymentsCLITests {
    let cli = ScheduleAndPlanCLITests()
    let loan = ["--principal", "10000", "--rate", "8%", "--term", "10", "--start", "2024-03-15"]

    @Test("schedule --prepay: a prepay row and the savings, in json and table; reduce-term ends early")
    func prepay() throws {
        let r = try cli.repay(["schedule"] + loan + ["--prepay", "2024-06-01", "3000", "--prepayment", "reduce-term", "--format", "json"])
        #expect(r.status == 0, "\(r.err)")
        let json = try #require(JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let rows = try #require(json["rows"] as? [[String: Any]])
        #expect(rows[2]["kind"] as? String == "prepay" && rows[2]["interest"] as? String == "30.42")
        let saved = try #require(json["prepayment"] as? [String: Any])
        #expect(saved["months_saved"] as? Int == 3 && saved["installment_after"] as? String == "1037.03")
        let table = try cli.repay(["schedule"] + loan + ["--prepay", "2024-06-01", "3000"])
        #expect(table.out.contains("prepay") && table.out.contains("after 654.61"))
    }

    @Test("Bad prepayments and payments name the option and the item")
    func errors() throws {
        let r = try cli.repay(["schedule"] + loan + ["--prepay", "2024-06-01"])
        #expect(r.status == 2 && r.err.contains("--prepay: '2024-06-01' has no amount"))
        let late = try cli.repay(["schedule"] + loan + ["--prepay", "2026-01-01", "5"])
        #expect(late.status == 2 && late.err.contains("--prepay: item 1") && late.err.contains("after the last due date"))
        let bad = try cli.repay(["plan"] + loan + ["--as-of", "2024-06-25", "--payment", "2024-04-15", "1037.03", "--payment", "2024-13-01", "5"])
        #expect(bad.status == 2 && bad.err.contains("--payment: item 2: \"2024-13-01 5\": no such date"))
        let both = try cli.repay(["plan"] + loan + ["--as-of", "2024-06-25", "--paid-through", "1", "--payment", "2024-04-15", "1"])
        #expect(both.status == 2 && both.err.contains("--payment: not allowed with paid_through"))
        let noAsOf = try cli.repay(["ledger"] + loan + ["--payment", "2024-04-15", "1"])
        #expect(noAsOf.status == 2 && noAsOf.err.contains("--as-of: required"))
    }

    @Test("plan --payment equals plan --paid-through for on-time payments, and shows the days past due")
    func planFromHistory() throws {
        let history = ["--payment", "2024-04-15", "1037.03", "--payment", "2024-05-15", "1037.03"]
        let a = try cli.repay(["plan"] + loan + ["--as-of", "2024-07-20", "--installments", "6", "--format", "csv"] + history)
        let b = try cli.repay(["plan"] + loan + ["--as-of", "2024-07-20", "--installments", "6", "--format", "csv", "--paid-through", "2"])
        #expect(a.status == 0 && a.out == b.out && !a.out.isEmpty)
        let table = try cli.repay(["plan"] + loan + ["--as-of", "2024-07-20", "--installments", "6"] + history)
        #expect(table.out.contains("Days past due (逾期天数): 35"))   // installment 3, due 06-15: 30 + 5 days
    }

    @Test("ledger --format csv: the documented columns, one line per event, the as_of line last")
    func ledgerCSV() throws {
        let r = try cli.repay(["ledger"] + loan + ["--as-of", "2024-04-25", "--payment", "2024-04-15", "518.52",
                                                   "--payment", "2024-04-20", "519.37", "--format", "csv", "--id", "x"])
        #expect(r.status == 0, "\(r.err)")
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines[0] == "id,date,event,installment,amount,penalty,interest,principal,credit,overdue,balance,days_past_due")
        #expect(lines[1] == "x,2024-04-15,due,1,1037.03,0.00,66.67,970.36,0.00,1037.03,9029.64,0")
        #expect(lines.contains("x,2024-04-20,penalty,1,0.86,0.86,0.00,0.00,0.00,519.37,9029.64,5"))
        #expect(lines.last == "x,2024-04-25,as_of,,0.00,0.00,0.00,0.00,0.00,0.00,9029.64,0")
        let json = try cli.repay(["ledger"] + loan + ["--as-of", "2024-04-25", "--payment", "2024-04-15", "518.52", "--format", "json"])
        let object = try #require(JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
        let arrears = try #require(object["arrears"] as? [String: Any])
        #expect(arrears["days_past_due"] as? Int == 10 && arrears["overdue_principal"] as? String == "518.51")
    }
}
