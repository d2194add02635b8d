import Foundation
import Testing
@testable import RepaymentKernel

/// Byte-exact golden fixtures: `fixtures/golden/NAME.csv` through
/// `BatchFormatter.process`, compared with `NAME.schedule.csv` and
/// `NAME.summary.csv`. The expected files are derived independently by
/// `fixtures/golden/reference.py` (exact rationals, written from SPEC.md).
@Suite("Golden fixtures (fixtures/golden, derived by reference.py)")
struct GoldenFixtureTests {
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fixtures/golden")

    /// Runs a batch input through the library the way `repay batch` does, row by row.
    static func run(_ input: [UInt8]) throws -> (schedule: String, summary: String) {
        let reader = CSVReader(bytes: input)
        guard let header = try reader.next() else { throw KernelError(field: "header", "empty fixture") }
        let columns = try BatchColumns(header: header.fields)
        var schedule = Array(BatchFormatter.scheduleHeader.utf8)
        var summary = Array(BatchFormatter.summaryHeader.utf8)
        while let record = try reader.next() {
            BatchFormatter.process(fields: record.fields, columns: columns, schedule: &schedule, summary: &summary)
        }
        return (String(decoding: schedule, as: UTF8.self), String(decoding: summary, as: UTF8.self))
    }

    static func read(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    /// Lines grouped by the id in the first column (ids in the fixtures are never quoted).
    static func byID(_ text: String) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            out[String(line.prefix(while: { $0 != "," })), default: []].append(String(line))
        }
        return out
    }

    @Test("Fixture matches byte for byte", arguments: ["loans", "rounding", "plans", "apr", "random", "monthend", "payments", "history"])
    func fixture(_ name: String) throws {
        let input = try Self.read("\(name).csv")
        let (schedule, summary) = try Self.run(Array(input.utf8))
        for (suffix, got) in [("schedule", schedule), ("summary", summary)] {
            let want = try Self.read("\(name).\(suffix).csv")
            if got != want {
                // Name every differing id with its first differing line.
                let w = Self.byID(want), g = Self.byID(got)
                for id in Set(w.keys).union(g.keys).sorted() where w[id] != g[id] {
                    let wl = w[id] ?? [], gl = g[id] ?? []
                    let i = (0..<min(wl.count, gl.count)).first(where: { wl[$0] != gl[$0] }) ?? min(wl.count, gl.count)
                    Issue.record("\(name).\(suffix).csv, id \(id) (\(wl.count) vs \(gl.count) lines): expected \(i < wl.count ? wl[i] : "(no line)") got \(i < gl.count ? gl[i] : "(no line)")")
                }
            }
            #expect(got == want, "\(name).\(suffix).csv differs")
        }
    }

    @Test("Every golden input row is covered by an expected summary line")
    func coverage() throws {
        for name in ["loans", "rounding", "plans", "apr", "random", "monthend", "payments", "history"] {
            let rows = try Self.read("\(name).csv").split(separator: "\n").count - 1
            let summary = try Self.read("\(name).summary.csv").split(separator: "\n").count - 1
            #expect(rows == summary && rows > 15, "\(name)")
            #expect(!(try Self.read("\(name).summary.csv")).contains(",error,"), "golden fixtures hold only ok rows")
        }
    }
}
