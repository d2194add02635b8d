import Foundation
import Testing
@testable import RepaymentKernel

/// `repay batch --ledger FILE` (issue 9), run as the built binary: the ledger of every plan row
/// with payments, in input order, byte for byte what `repay ledger --format csv` prints for
/// the same row, for every --jobs.
@Suite("CLI: repay batch --ledger")
struct LedgerBatchCLITests {
    static let header = ["id", "principal", "rate", "term", "start", "as_of", "paid_through", "payments", "allocation",
                         "grace_days", "markup", "compound", "fees", "installments"]

    /// A plan row with payments, and the `repay ledger` arguments of the same loan and history.
    struct LedgerRow {
        var cells: [String: String]
        var ledgerArgs: [String]
    }

    /// Mixed rows: plans with payments (with their ledger arguments), plans with paid_through,
    /// loans, and failed rows (a bad plan with payments among them).
    static func rows(count: Int) -> (rows: [[String: String]], ledgers: [Int: LedgerRow]) {
        var rng = SplitMix64(seed: 99)
        var rows: [[String: String]] = [], ledgers: [Int: LedgerRow] = [:]
        for i in 0..<count {
            let (y, m) = (rng.int(2020...2024), rng.int(1...12))
            // Month ends often (the anchor then clamps): the last day of the start's month.
            let start = try! CivilDate(year: y, month: m, day: rng.chance(30) ? CivilDate.daysInMonth(year: y, month: m) : rng.int(1...28))
            let day = min(start.day, 28)
            let term = rng.pick([6, 12, 24, 36])
            let principal = "\(rng.int(1_000...90_000)).\(rng.int(10...99))"
            let rate = "\(rng.int(3...24)).\(rng.int(0...9))%"
            var cells = ["id": "R\(i)", "principal": principal, "rate": rate, "term": String(term), "start": start.description]
            switch i % 5 {
            case 0, 1, 2:
                // A history: some installments paid, late or partly; as_of after the last payment.
                let paid = rng.int(1...(term / 2))
                var items: [String] = [], args: [String] = []
                for k in 1...paid {
                    let due = start.adding(months: k)!
                    let date = try! CivilDate(year: due.year, month: due.month, day: min(day + rng.int(0...5), 28))
                    let amount = "\(rng.int(50...4_000)).\(rng.int(10...99))"
                    items.append("\(date) \(amount)")
                    args += ["--payment", date.description, amount]
                }
                let asOf = start.adding(months: paid + rng.int(1...3))!
                cells["as_of"] = asOf.description
                cells["payments"] = items.joined(separator: "; ")
                cells["installments"] = String(rng.int(3...12))
                var extra: [String] = []
                if rng.chance(40) { cells["allocation"] = "component"; extra += ["--allocation", "component"] }
                if rng.chance(40) { cells["grace_days"] = "3"; extra += ["--grace-days", "3"] }
                if rng.chance(30) { cells["markup"] = "100%"; extra += ["--markup", "100%"] }
                if rng.chance(30) { cells["compound"] = "true"; extra += ["--compound", "true"] }
                if rng.chance(30) { cells["fees"] = "25.50"; extra += ["--fees", "25.50"] }
                if i % 25 == 10 {
                    cells["installments"] = "0"   // a failed plan row: no ledger lines
                } else {
                    ledgers[i] = LedgerRow(cells: cells, ledgerArgs: ["ledger", "--format", "csv", "--id", "R\(i)",
                                                                      "--principal", principal, "--rate", rate,
                                                                      "--term", String(term), "--start", start.description,
                                                                      "--as-of", asOf.description] + args + extra)
                }
            case 3:
                cells["as_of"] = start.adding(months: 2)!.description
                cells["paid_through"] = "1"
                cells["installments"] = "6"
            default:
                break   // a loan
            }
            rows.append(cells)
        }
        return (rows, ledgers)
    }

    @Test("The ledger file equals repay ledger --format csv of each plan row with payments, in input order, for --jobs 1 and 2")
    func ledgerFile() throws {
        let (rows, ledgers) = Self.rows(count: 160)
        let dir = BatchTestSupport.tempDir("ledger")
        defer { BatchTestSupport.remove(dir) }
        var text = BatchTestSupport.csvLine(Self.header)
        for r in rows { text += BatchTestSupport.csvLine(Self.header.map { r[$0] ?? "" }) }
        BatchTestSupport.write(dir + "/in.csv", Array(text.utf8))

        // The rows that computed (a plan can fail after its replay: overpaid, bad installments...);
        // a failed row's error is in the summary and it has no ledger lines.
        let first = try BatchTestSupport.repay(["batch", dir + "/in.csv", "--summary", dir + "/s.csv", "--quiet"])
        #expect(first.status == 1)
        let summary = String(decoding: BatchTestSupport.read(dir + "/s.csv"), as: UTF8.self)
        let ok = Set(summary.split(separator: "\n").filter { $0.contains(",ok,") }.map { String($0.split(separator: ",")[0]) })
        var want = Array(LedgerFormat.header.utf8)
        var withLedger = 0
        for i in ledgers.keys.sorted() where ok.contains("R\(i)") {
            let r = try BatchTestSupport.repay(ledgers[i]!.ledgerArgs)
            #expect(r.status == 0, "row \(i): \(r.stderr)")
            let lines = String(decoding: r.stdout, as: UTF8.self)
            #expect(lines.hasPrefix(LedgerFormat.header))
            want += Array(lines.utf8.dropFirst(LedgerFormat.header.utf8.count))
            withLedger += 1
        }
        #expect(withLedger > 50 && ok.count < rows.count)
        for jobs in ["1", "2"] {
            let r = try BatchTestSupport.repay(["batch", dir + "/in.csv", "--summary", dir + "/s\(jobs).csv",
                                                "--ledger", dir + "/l\(jobs).csv", "--jobs", jobs, "--quiet"])
            #expect(r.status == 1, "\(r.stderr)")
            let got = BatchTestSupport.read(dir + "/l\(jobs).csv")
            let gotLines = String(decoding: got, as: UTF8.self).split(separator: "\n"), wantLines = String(decoding: want, as: UTF8.self).split(separator: "\n")
            let diff = zip(gotLines, wantLines).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(gotLines.count, wantLines.count)
            #expect(got == want, "--jobs \(jobs): \(gotLines.count) lines, expected \(wantLines.count); first difference at line \(diff + 1)")
            #expect(BatchTestSupport.read(dir + "/s\(jobs).csv") == Array(summary.utf8))
        }
        // A failed plan row with payments (bad installments) is in the summary, not in the ledger.
        #expect(summary.contains("R10,error,") && !String(decoding: want, as: UTF8.self).contains("R10,"))
    }

    @Test("--ledger - writes the ledger to standard output; a ledger that cannot be written leaves no other output")
    func ledgerOnly() throws {
        let dir = BatchTestSupport.tempDir("ledger-only")
        defer { BatchTestSupport.remove(dir) }
        let (rows, ledgers) = Self.rows(count: 5)
        var text = BatchTestSupport.csvLine(Self.header)
        for r in rows { text += BatchTestSupport.csvLine(Self.header.map { r[$0] ?? "" }) }
        BatchTestSupport.write(dir + "/in.csv", Array(text.utf8))
        let r = try BatchTestSupport.repay(["batch", dir + "/in.csv", "--ledger", "-", "--summary", dir + "/s.csv", "--quiet"])
        let summary = String(decoding: BatchTestSupport.read(dir + "/s.csv"), as: UTF8.self)
        let ok = Set(summary.split(separator: "\n").filter { $0.contains(",ok,") }.map { String($0.split(separator: ",")[0]) })
        #expect(r.status == (ok.count == rows.count ? 0 : 1), "\(r.stderr)")
        let ids = String(decoding: r.stdout, as: UTF8.self).split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[0]) }
        #expect(!ids.isEmpty && Set(ids) == Set(ledgers.keys.map { "R\($0)" }).intersection(ok))
        BatchTestSupport.remove(dir + "/s.csv")
        let bad = try BatchTestSupport.repay(["batch", dir + "/in.csv", "--summary", dir + "/s.csv",
                                              "--ledger", dir + "/no/such/dir/l.csv", "--quiet"])
        #expect(bad.status != 0 && bad.stderr.contains("ledger"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/s.csv"))
    }
}
