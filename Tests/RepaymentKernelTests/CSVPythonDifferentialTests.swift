@testable import RepaymentKernel
import Foundation
import Testing

/// Generates random nasty records, writes them with Python's csv.writer, parses them back with
/// csv.reader, and prints {"rows": [...], "lines": [...]} (blank-line `[]` rows dropped; `lines`
/// is the 1-based physical line where each record starts).
let csvPythonScript = #"""
import csv, io, json, random, sys
seed, count, lt, quoting, path, bom = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6] == "bom"
lt = {"lf": "\n", "crlf": "\r\n"}[lt]
q = {"minimal": csv.QUOTE_MINIMAL, "all": csv.QUOTE_ALL}[quoting]
rng = random.Random(seed)
alphabet = ["a", "Z", "0", " ", "  ", ",", '"', '""', "\r\n", "\n", "协商还款", "é", "😀", "", "x y", "'", "\t"]
if lt == "\r\n" or q == csv.QUOTE_ALL:
    alphabet.append("\r")   # a bare CR is only quoted by csv.writer in these modes
buf = io.StringIO(newline="")
w = csv.writer(buf, lineterminator=lt, quoting=q)
records, starts = [], []
for _ in range(count):
    while rng.random() < 0.05:
        buf.write(lt)          # blank line
    n = rng.randint(1, 8)
    rec = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6))) for _ in range(n)]
    if rec == [""]:
        rec = ["", ""]
    starts.append(buf.getvalue().count("\n") + 1)
    w.writerow(rec)
    records.append(rec)
text = buf.getvalue()
if rng.random() < 0.5 and text.endswith(lt):
    text = text[: -len(lt)]    # sometimes no trailing newline
enc = "utf-8-sig" if bom else "utf-8"   # utf-8-sig writes a BOM and strips it on reading
with open(path, "w", encoding=enc, newline="") as f:
    f.write(text)
with open(path, "r", encoding=enc, newline="") as f:
    rows = [r for r in csv.reader(f) if r != []]
assert rows == records, "python round trip mismatch"
json.dump({"rows": rows, "lines": starts}, sys.stdout, ensure_ascii=False)
"""#

struct CSVPythonExpected: Decodable { var rows: [[String]]; var lines: [Int] }

struct CSVDiffCase: Sendable, CustomStringConvertible {
    var seed: Int, count: Int, lt: String, quoting: String, bom: Bool = false
    var description: String { "seed=\(seed) n=\(count) lt=\(lt) quoting=\(quoting)\(bom ? " bom" : "")" }
}

@Suite struct CSVPythonDifferential {
    @Test(arguments: [
        CSVDiffCase(seed: 1, count: 3000, lt: "lf", quoting: "minimal"),
        CSVDiffCase(seed: 2, count: 3000, lt: "crlf", quoting: "minimal"),
        CSVDiffCase(seed: 3, count: 3000, lt: "lf", quoting: "all"),
        CSVDiffCase(seed: 4, count: 3000, lt: "crlf", quoting: "all"),
        CSVDiffCase(seed: 5, count: 2000, lt: "crlf", quoting: "minimal"),
        CSVDiffCase(seed: 6, count: 2000, lt: "lf", quoting: "minimal"),
        CSVDiffCase(seed: 7, count: 2000, lt: "crlf", quoting: "minimal", bom: true),
        CSVDiffCase(seed: 8, count: 2000, lt: "lf", quoting: "all", bom: true),
    ])
    func matchesPythonCSV(_ c: CSVDiffCase) throws {
        let path = csvTempPath("py")
        defer { unlink(path) }
        let json = try csvRunPython(csvPythonScript, [String(c.seed), String(c.count), c.lt, c.quoting, path, c.bom ? "bom" : "nobom"])
        let expected = try JSONDecoder().decode(CSVPythonExpected.self, from: json)
        #expect(expected.rows.count == c.count)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes.starts(with: [0xEF, 0xBB, 0xBF]) == c.bom)

        let got = csvOutcome(CSVReader(bytes: bytes))
        #expect(got.error == nil)
        #expect(got.records.count == expected.rows.count)
        #expect(csvFirstDifference(got, CSVOutcome(records: expected.rows, lines: expected.lines)) == nil)

        for chunk in [1, 3, 7, 4096, 1 << 20] {
            #expect(csvFirstDifference(csvOutcomeViaFD(bytes, chunkSize: chunk), got) == nil, "chunk \(chunk)")
        }
    }
}
