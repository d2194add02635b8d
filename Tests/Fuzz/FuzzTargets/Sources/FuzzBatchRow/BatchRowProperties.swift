// A batch CSV document (header row + data rows) end to end, row by row as
// `repay batch` and rk_run_csv process it:
// - every input row yields exactly one summary line (id, then ok or error),
//   and an ok row as many schedule lines as its schedule has rows;
// - the outputs are well-formed CSV with the contract's column counts;
// - an ok row's schedule repays exactly its principal (loans, prepaid loans)
//   or conserves the debt (plans, SPEC §5), with balances falling row by row;
// - an error row's message is the request's own error;
// - processing a row twice gives the same bytes (no state leaks between rows).

import FuzzSupport
import RepaymentKernel

enum BatchRowProperties {
    static let maximumRows = 32

    static func records(_ bytes: [UInt8]) -> [[String]]? {
        let reader = CSVReader(bytes: bytes)
        var out: [[String]] = []
        do {
            while let r = try reader.next() { out.append(r.fields) }
        } catch {
            return nil
        }
        return out
    }

    static func check(_ bytes: [UInt8]) {
        guard let all = records(bytes), let header = all.first,
              let columns = try? BatchColumns(header: header) else { return }
        for (n, fields) in all.dropFirst().prefix(maximumRows).enumerated() {
            let context = "row \(n + 1)"
            var schedule: [UInt8] = [], summary: [UInt8] = []
            let ok = BatchFormatter.process(fields: fields, columns: columns, schedule: &schedule, summary: &summary)
            var schedule2: [UInt8] = [], summary2: [UInt8] = []
            let ok2 = BatchFormatter.process(fields: fields, columns: columns, schedule: &schedule2, summary: &summary2)
            require(ok == ok2 && schedule == schedule2 && summary == summary2, "\(context): a second run differs")

            guard let lines = records(summary) else { violated("\(context): the summary line is not CSV") }
            require(lines.count == 1, "\(context): \(lines.count) summary lines")
            let line = lines[0]
            require(line.count == 12, "\(context): \(line.count) summary cells")
            let id = columns.id(of: fields)
            require(line[0] == id, "\(context): summary id '\(line[0])' for '\(id)'")
            require(line[1] == (ok ? "ok" : "error"), "\(context): status \(line[1]), process said \(ok)")

            let request: BatchRequest
            do {
                request = try columns.request(from: fields)
            } catch {
                require(!ok, "\(context): ok, but the request fails: \(error)")
                require(line[11] == error.description, "\(context): message '\(line[11])' != '\(error.description)'")
                require(schedule.isEmpty, "\(context): an error row has schedule lines")
                continue
            }
            let result: BatchResult
            do {
                result = try BatchResult(request)
            } catch {
                require(!ok, "\(context): ok, but the row fails: \(error)")
                require(error.code != .internalFailure, "\(context): internal failure: \(error)")
                require(line[11] == error.description, "\(context): message '\(line[11])' != '\(error.description)'")
                continue
            }
            require(ok, "\(context): the row computes but was reported as an error: \(line[11])")
            guard let printed = records(schedule) else { violated("\(context): the schedule lines are not CSV") }
            require(printed.count == result.schedule.count, "\(context): \(printed.count) schedule lines for \(result.schedule.count) rows")
            for (k, p) in printed.enumerated() {
                require(p.count == 9 && p[0] == id && p[1] == String(result.schedule.rows[k].period),
                        "\(context): schedule line \(k + 1) is \(p)")
            }
            require(line[2] == String(result.schedule.count), "\(context): payments \(line[2])")
            require(line[3] == result.totalPayable.description, "\(context): total payable \(line[3])")

            // BatchRequest is a struct since the Request/ split: a plan row has `plan` (its
            // arrears given, or derived from its loan by `arrears()`), a loan row `loan`.
            if let plan = request.plan {
                do {
                    var terms = plan.terms
                    if let derived = try request.arrears() { terms.arrears = derived.arrears }
                    Invariants.plan(try NegotiatedPlan(terms), context)
                } catch {
                    violated("\(context): the plan computed once and then failed: \(error)")
                }
            } else if let terms = request.loan {
                Invariants.loan(result.schedule, principal: terms.principal, context)
                if request.payments == nil {
                    require(result.totalInterest == result.totalPayable - terms.principal, "\(context): total interest")
                }
            }
        }
    }
}
