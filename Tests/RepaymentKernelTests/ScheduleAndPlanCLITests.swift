import Foundation
import Testing

/// `repay schedule` and `repay plan`, run as a person would run them (the built binary).
@Suite("CLI: schedule and plan")
struct ScheduleAndPlanCLITests {
    struct Run { var status: Int32; var out: String; var err: String }

    func repay(_ args: [String]) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: BatchTestSupport.repayPath)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
    }

    @Test("schedule --format json is valid JSON with exact string amounts that add up")
    func scheduleJSON() throws {
        let r = try repay(["schedule", "--principal", "10000", "--rate", "8%", "--term", "10", "--start", "2024-01-01", "--format", "json"])
        #expect(r.status == 0)
        let json = try #require(JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let rows = try #require(json["rows"] as? [[String: Any]])
        #expect(rows.count == 10)
        #expect(rows[0]["payment"] as? String == "1037.03")
        let principal = rows.compactMap { Decimal(string: $0["principal"] as! String) }.reduce(0, +)
        #expect(principal == Decimal(string: "10000.00"))
        let totals = try #require(json["totals"] as? [String: Any])
        #expect(totals["total_interest"] as? String == "370.34")
        #expect(totals["apr"] as? String == "0.080004")
    }

    @Test("schedule --format csv is the batch schedule format")
    func scheduleCSV() throws {
        let r = try repay(["schedule", "--principal", "3000", "--rate", "12%", "--term", "4", "--start", "2024-01-31", "--format", "csv", "--id", "a,b"])
        #expect(r.status == 0)
        let lines = r.out.split(separator: "\n")
        #expect(lines.first == "id,period,due_date,kind,payment,principal,interest,carried,balance")
        #expect(lines[1] == "\"a,b\",1,2024-02-29,installment,768.84,738.84,30.00,0.00,2261.16")
        #expect(lines.count == 5)
    }

    @Test("a bad option value exits 2 and names the option", arguments: [
        (["--principal", "100.005"], "--principal: more than 2 decimals"),
        (["--principal", "-5"], "--principal: must not be negative"),
        (["--rate", "abc"], "--rate: not a rate"),
        (["--method", "balloon"], "--method: unknown value 'balloon'"),
        (["--start", "2025-02-30"], "--start: no such date"),
    ])
    func badValues(override: [String], message: String) throws {
        var args = ["schedule", "--principal", "1000", "--rate", "5%", "--term", "12", "--start", "2024-01-01"]
        // Replace (or add) the option, as `--option=value` so a leading '-' is a value.
        if let i = args.firstIndex(of: override[0]) { args.removeSubrange(i...(i + 1)) }
        args.append("\(override[0])=\(override[1])")
        let r = try repay(args)
        #expect(r.status == 2)
        #expect(r.err.contains(message), "\(r.err)")
        #expect(r.err.contains("repay schedule --help"))
        #expect(r.out.isEmpty)
    }

    @Test("plan report conserves the debt and shows what was waived")
    func planReport() throws {
        let r = try repay(["plan", "--as-of", "2024-10-01", "--principal", "42000", "--overdue-principal", "3500",
                           "--overdue-interest", "1250.40", "--accrued-interest", "180.25", "--penalty", "612.80",
                           "--fees", "150", "--waive-penalty", "100%", "--waive-interest", "50%", "--installments", "60",
                           "--format", "json"])
        #expect(r.status == 0)
        let json = try #require(JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let rows = try #require(json["rows"] as? [[String: Any]])
        #expect(rows.count == 60)
        func dec(_ v: Any?) -> Decimal { Decimal(string: v as! String)! }
        let debt = dec((json["debt_before"] as! [String: Any])["total"])
        let waived = dec((json["waived"] as! [String: Any])["total"])
        let repaid = rows.map { dec($0["principal"]) + dec($0["carried"]) }.reduce(0, +)
        #expect(debt == waived + repaid, "conservation")
        #expect(waived == Decimal(string: "1328.13"))
        #expect((json["totals"] as! [String: Any])["apr"] as? String == "0.000000")
    }

    @Test("plan --budget finds the fewest installments or says what budget would work")
    func budget() throws {
        let fits = try repay(["plan", "--as-of", "2024-10-01", "--principal", "12000", "--budget", "1000"])
        #expect(fits.status == 0)
        #expect(fits.out.hasPrefix("Budget 1000.00 a month: 12 installments is the fewest that fits"))
        let tooSmall = try repay(["plan", "--as-of", "2024-10-01", "--principal", "12000", "--budget", "100"])
        #expect(tooSmall.status == 2)
        #expect(tooSmall.err.contains("the smallest budget that works is 200.00 (with 60 installments)"))
    }

    @Test("plan without --as-of says what to type")
    func missingAsOf() throws {
        let r = try repay(["plan", "--principal", "1000"])
        #expect(r.status == 2)
        #expect(r.err.contains("--as-of: required"))
    }
}
