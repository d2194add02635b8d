import ArgumentParser
import RepaymentKernel

/// The loan columns of SPEC §7 as options (`--first-due` is the column `first_due`).
struct LoanOptions: ParsableArguments {
    @Option(help: "Amount lent, plain decimal (10000 or 10000.50); at most --scale decimals.")
    var principal: String?
    @Option(help: "Annual nominal rate: 0.144 or 14.4%.")
    var rate: String?
    @Option(name: .customLong("daily-rate"), help: "Daily rate instead of --rate (0.05% per day = 18% a year on 360 days).")
    var dailyRate: String?
    @Option(name: .customLong("fee-rate"), help: "Fee per period as a fraction of the principal, for --method flat (0.6% a month).")
    var feeRate: String?
    @Option(help: "Number of monthly periods.")
    var term: String?
    @Option(help: "annuity (default, 等额本息), equal-principal (等额本金), interest-only (先息后本), bullet, flat (card-style fee).")
    var method: String?
    @Option(help: "Disbursement date, YYYY-MM-DD. Due dates keep its day of month, clamped to short months.")
    var start: String?
    @Option(name: .customLong("first-due"), help: "First due date (after --start); later ones keep its day of month.")
    var firstDue: String?
    @Option(help: "Day count: monthly (default), act/360, act/365, 30/360.")
    var basis: String?
    @Option(help: "half-up (default), half-even, down, up, floor, ceiling.")
    var rounding: String?
    @Option(help: "Decimals of every amount, 0 to 6 (default 2).")
    var scale: String?

    var cells: [(String, String?)] {
        [("principal", principal), ("rate", rate), ("daily_rate", dailyRate), ("fee_rate", feeRate), ("term", term),
         ("method", method), ("start", start), ("first_due", firstDue), ("basis", basis), ("rounding", rounding),
         ("scale", scale)]
    }
}

/// Builds a one-row batch request from option values, so the command line
/// goes through exactly the validation of the CSV contract.
func request(id: String, cells: [(String, String?)]) throws(KernelError) -> BatchRequest {
    let given = cells.filter { $0.1 != nil }
    let columns = try BatchColumns(header: ["id"] + given.map(\.0))
    return try columns.request(from: [id] + given.map { $0.1! })
}

/// Minimal JSON string escaping.
func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 {
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else { out.unicodeScalars.append(u) }
        }
    }
    return out + "\""
}

/// Renders rows as an aligned text table.
func table(_ header: [String], _ rows: [[String]], footer: [String]? = nil, leftAligned: Set<Int> = []) -> String {
    let all = [header] + rows + (footer.map { [$0] } ?? [])
    var widths = [Int](repeating: 0, count: header.count)
    for r in all { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
    func line(_ r: [String]) -> String {
        r.enumerated().map { i, c in
            let pad = String(repeating: " ", count: widths[i] - c.count)
            return leftAligned.contains(i) ? c + pad : pad + c
        }.joined(separator: "  ").trimmingTrailingSpaces()
    }
    var out = line(header) + "\n"
    out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
    for r in rows { out += line(r) + "\n" }
    if let footer {
        out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        out += line(footer) + "\n"
    }
    return out
}

/// Percent text of a 6-decimal fraction string: `0.125729` → `12.5729%`.
func percent(_ fraction: String) -> String {
    var digits = Array(fraction.replacingDot())
    // fraction has exactly 6 decimals; percent has 4.
    guard let dot = fraction.firstIndex(of: ".") else { return fraction }
    let intPart = String(fraction[..<dot]), frac = String(fraction[fraction.index(after: dot)...])
    let whole = (Int(intPart) ?? 0) * 100 + (Int(frac.prefix(2)) ?? 0)
    digits = Array(frac.dropFirst(2))
    return "\(whole).\(String(digits))%"
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var s = self
        while s.hasSuffix(" ") { s.removeLast() }
        return s
    }

    fileprivate func replacingDot() -> String { String(self.filter { $0 != "." }) }
}

func scheduleCSV(id: String, _ schedule: Schedule) -> String {
    var out = Array(BatchFormatter.scheduleHeader.utf8)
    BatchFormatter.appendSchedule(id: id, schedule, to: &out)
    return String(decoding: out, as: UTF8.self)
}

func rowsJSON(_ schedule: Schedule) -> String {
    schedule.rows.map { r in
        "{\"period\":\(r.period),\"due_date\":\"\(r.dueDate)\",\"kind\":\"\(r.kind.rawValue)\",\"payment\":\"\(r.payment)\",\"principal\":\"\(r.principal)\",\"interest\":\"\(r.interest)\",\"carried\":\"\(r.carried)\",\"balance\":\"\(r.balance)\"}"
    }.joined(separator: ",\n    ")
}
