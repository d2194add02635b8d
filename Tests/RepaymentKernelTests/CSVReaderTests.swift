@testable import RepaymentKernel
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct CSVBasicRules {
    @Test func simpleRecords() throws {
        #expect(try csvFields("a,b,c\n1,2,3\n") == [["a", "b", "c"], ["1", "2", "3"]])
        #expect(try csvLines("a,b,c\n1,2,3\n") == [1, 2])
    }

    @Test func noTrailingNewline() throws {
        #expect(try csvFields("a,b\nc,d") == [["a", "b"], ["c", "d"]])
        #expect(try csvFields("a,b\r\nc,d") == [["a", "b"], ["c", "d"]])
        #expect(try csvFields("x") == [["x"]])
        #expect(try csvFields("a,\"q\"") == [["a", "q"]])
        #expect(try csvFields("a,") == [["a", ""]])
    }

    @Test func emptyInput() throws {
        #expect(try csvFields("") == [])
        #expect(try csvFields("\n\n\r\n") == [])
        #expect(try csvFields("\u{FEFF}") == [])
    }

    @Test func crlf() throws {
        #expect(try csvFields("a,b\r\nc,d\r\n") == [["a", "b"], ["c", "d"]])
        #expect(try csvLines("a,b\r\nc,d\r\n") == [1, 2])
        #expect(try csvFields("\"a\",\"b\"\r\n\"c\"\r\n") == [["a", "b"], ["c"]])
        // Mixed terminators.
        #expect(try csvFields("a\nb\r\nc") == [["a"], ["b"], ["c"]])
    }

    @Test func bareCRIsData() throws {
        #expect(try csvFields("a\rb,c\n") == [["a\rb", "c"]])
        #expect(try csvFields("a\r") == [["a\r"]])
        #expect(try csvFields("a\r\r\nb") == [["a\r"], ["b"]])
        #expect(try csvFields("\rx\n") == [["\rx"]])
        #expect(try csvLines("a\rb\nc\n") == [1, 2])  // bare CR is not a line break
    }

    @Test func bom() throws {
        #expect(try csvFields("\u{FEFF}a,b\n") == [["a", "b"]])
        #expect(try csvFields("\u{FEFF}\"a\",b\n") == [["a", "b"]])
        #expect(try csvFields("\u{FEFF}\n\nx") == [["x"]])
        #expect(try csvLines("\u{FEFF}\n\nx") == [3])
        // Only at the very start: later BOMs (and a double BOM) are data.
        #expect(try csvFields("a\n\u{FEFF}b\n") == [["a"], ["\u{FEFF}b"]])
        #expect(try csvFields("\u{FEFF}\u{FEFF}a") == [["\u{FEFF}a"]])
        // An incomplete BOM is data, and not UTF-8: an error by default, U+FFFD when lenient.
        #expect(csvErrorOf([0xEF, 0xBB])?.message.hasPrefix("not UTF-8 text (bytes \\xEF\\xBB)") == true)
        let lenient = CSVReader(bytes: [0xEF, 0xBB])
        lenient.requiresUTF8 = false
        #expect(csvOutcome(lenient).records == [["\u{FFFD}"]])
    }

    @Test func blankLines() throws {
        let s = "\n\na,b\n\n\r\nc,d\r\n\n\n"
        #expect(try csvFields(s) == [["a", "b"], ["c", "d"]])
        #expect(try csvLines(s) == [3, 6])
        // A line of spaces is not blank; a line with one comma is two empty fields.
        #expect(try csvFields(" \n,\n") == [[" "], ["", ""]])
    }

    @Test func emptyFields() throws {
        #expect(try csvFields(",,\n") == [["", "", ""]])
        #expect(try csvFields("a,,b\n") == [["a", "", "b"]])
        #expect(try csvFields(",a\r\n") == [["", "a"]])
        #expect(try csvFields("a,\r\n") == [["a", ""]])
        #expect(try csvFields(",") == [["", ""]])
    }

    @Test func emptyQuotedField() throws {
        #expect(try csvFields("\"\"\n") == [[""]])
        #expect(try csvFields("\"\"") == [[""]])
        #expect(try csvFields("\"\",\"\"\r\n") == [["", ""]])
        #expect(try csvFields("a,\"\",b") == [["a", "", "b"]])
        #expect(try csvFields("\"\"\"\"") == [["\""]])
    }

    @Test func embeddedSpecials() throws {
        #expect(try csvFields("\"a,b\",c\n") == [["a,b", "c"]])
        #expect(try csvFields("\"say \"\"hi\"\"\",x\n") == [["say \"hi\"", "x"]])
        #expect(try csvFields("\"\"\"\"\"\",\"a\"\"\"\n") == [["\"\"", "a\""]])
        #expect(try csvFields("\"line1\nline2\",z\nnext\n") == [["line1\nline2", "z"], ["next"]])
        #expect(try csvFields("\"l1\r\nl2\r\n\",z\r\n") == [["l1\r\nl2\r\n", "z"]])
        #expect(try csvFields("\"cr\ronly\"\n") == [["cr\ronly"]])
        #expect(try csvFields("\" padded \", x ,y \n") == [[" padded ", " x ", "y "]])
    }

    @Test func multiLineRecordLineNumbers() throws {
        let s = "h1,h2\n\"a\nb\nc\",d\n\ne,\"f\r\ng\"\r\nlast"
        #expect(try csvFields(s) == [["h1", "h2"], ["a\nb\nc", "d"], ["e", "f\r\ng"], ["last"]])
        #expect(try csvLines(s) == [1, 2, 6, 8])
    }

    @Test func unicode() throws {
        #expect(try csvFields("协商还款,é,😀\n\"协,商\",x") == [["协商还款", "é", "😀"], ["协,商", "x"]])
        // Invalid UTF-8 is an error (SPEC §8); a lenient reader repairs it with U+FFFD.
        #expect(csvErrorOf([0x61, 0xFF, 0x2C, 0x62])?.line == 1)
        let lenient = CSVReader(bytes: [0x61, 0xFF, 0x2C, 0x62])
        lenient.requiresUTF8 = false
        #expect(csvOutcome(lenient).records == [["a\u{FFFD}", "b"]])
    }
}

@Suite struct CSVErrors {
    @Test func quoteInUnquotedField() {
        let e = csvErrorOf("ok,fine\nab\"c,d\n")
        #expect(e?.line == 2)
        #expect(e?.message.contains("quote") == true)
        #expect(csvErrorOf(" \"a\"")?.line == 1)  // leading space makes the field unquoted
    }

    @Test func charactersAfterClosingQuote() {
        let e = csvErrorOf("a\n\n\"ab\"c,d\n")
        #expect(e?.line == 3)
        #expect(e?.message.contains("after closing quote") == true)
        #expect(csvErrorOf("\"ab\" ,x")?.line == 1)
        #expect(csvErrorOf("\"a\nb\"x")?.line == 2)      // error line is where the bad character is
        #expect(csvErrorOf("\"ab\"\rx\n")?.line == 1)    // bare CR after closing quote
        #expect(csvErrorOf("\"ab\"\r")?.line == 1)
    }

    @Test func unterminatedQuotedField() {
        let e = csvErrorOf("a,b\nc,\"never\nclosed\n")
        #expect(e?.line == 2)  // line of the opening quote
        #expect(e?.message.contains("unterminated") == true)
        #expect(csvErrorOf("\"")?.line == 1)
        #expect(csvErrorOf("x\n\"abc\"\"")?.line == 2)  // ends with an escaped quote, still open
    }

    @Test func errorIsStickyAndBatchReturnsPrefix() throws {
        let r = CSVReader(bytes: csvUTF8("a\nb\nc\"\nd\n"))
        let batch = try r.nextBatch(max: 10)
        #expect(batch.map(\.fields) == [["a"], ["b"]])
        #expect(throws: CSVSyntaxError.self) { try r.nextBatch(max: 10) }
        #expect(throws: CSVSyntaxError(line: 3, message: "quote character in unquoted field (a field containing '\"' must be quoted)")) {
            try r.next()
        }
    }

    @Test func badFileDescriptorIsIOError() {
        let o = csvOutcome(CSVReader(fileDescriptor: -1, chunkSize: 16))
        #expect(o.error?.message.contains("I/O error") == true)
    }
}

@Suite struct CSVBatches {
    @Test func nextBatch() throws {
        var s = ""
        for i in 0..<10 { s += "r\(i),\(i)\n" }
        let r = CSVReader(bytes: csvUTF8(s))
        #expect(try r.nextBatch(max: 4).map(\.line) == [1, 2, 3, 4])
        #expect(try r.nextBatch(max: 4).map(\.line) == [5, 6, 7, 8])
        #expect(try r.nextBatch(max: 4).map(\.fields) == [["r8", "8"], ["r9", "9"]])
        #expect(try r.nextBatch(max: 4).isEmpty)
        #expect(try r.next() == nil)
    }
}

/// Inputs full of things that break at chunk boundaries.
let csvTrickyInputs: [String] = [
    "\u{FEFF}a,b\r\nc,d",
    "\u{FEFF}\"q\"\r\n",
    "\"a\"\"b\",\"\"\"\"\r\n\"x\ny\",\"\"\n\n\r\n,,\r\nz",
    "\r\n\r\n\r\na\r\r\nb\r\n\"c\r\nd\"\r\n",
    "协商还款,\"协商\"\"还款\",😀\r\n\"\",\"\"\n",
    "a,b\r",
    "\"unterminated\r\n",
    "ok\r\n\"bad\"x\r\n",
    "ok\r\nba\"d\r\n",
    "\"a\"\r",
    String(repeating: "long field value with spaces,", count: 20) + "\"and a \"\"quoted\"\" one\"\n" + String(repeating: "x", count: 300),
]

@Suite struct CSVChunkBoundaries {
    @Test(arguments: [1, 2, 3, 4, 5, 7, 13, 64])
    func tinyChunksMatchLargeChunks(chunkSize: Int) {
        for s in csvTrickyInputs {
            let bytes = csvUTF8(s)
            let reference = csvOutcome(CSVReader(bytes: bytes))
            #expect(csvFirstDifference(csvOutcomeViaFD(bytes, chunkSize: 1 << 20), reference) == nil, "input \(s.debugDescription)")
            #expect(csvFirstDifference(csvOutcomeViaFD(bytes, chunkSize: chunkSize), reference) == nil, "chunk \(chunkSize) input \(s.debugDescription)")
        }
    }

    @Test func randomRoundTripAllChunkSizes() {
        var rng = SplitMix64(seed: 42)
        let alphabet = ["a", "b", " ", ",", "\"", "\r\n", "\n", "\r", "协商还款", "é", "😀", "\"\""]
        var records: [[String]] = []
        var out: [UInt8] = [0xEF, 0xBB, 0xBF]
        for _ in 0..<400 {
            let n = Int(rng.next() % 6) + 1
            var rec: [String] = []
            for _ in 0..<n {
                var f = ""
                for _ in 0..<Int(rng.next() % 5) { f += alphabet[Int(rng.next() % UInt64(alphabet.count))] }
                rec.append(f)
            }
            if rec == [""] { rec = ["", ""] }
            records.append(rec)
            for (i, f) in rec.enumerated() {
                if i > 0 { out.append(0x2C) }
                CSVWriter.appendField(f, to: &out)
            }
            out += rng.next() % 2 == 0 ? [0x0A] : [0x0D, 0x0A]
            if rng.next() % 10 == 0 { out += [0x0A] }  // occasional blank line
        }
        let reference = csvOutcome(CSVReader(bytes: out))
        #expect(reference.error == nil)
        #expect(csvFirstDifference(reference, CSVOutcome(records: records, lines: reference.lines)) == nil)
        for chunk in [1, 2, 3, 7, 100, 1 << 20] {
            #expect(csvFirstDifference(csvOutcomeViaFD(out, chunkSize: chunk), reference) == nil, "chunk \(chunk)")
        }
    }

    @Test func pipeWithShortReads() throws {
        // A pipe delivers data in small pieces; the reader must still assemble records correctly.
        var s = ""
        for i in 0..<5000 { s += "\(i),\"x\r\n\(i)\",\"q\"\"\(i)\"\r\n" }
        let bytes = csvUTF8(s)
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let writer = fds[1]
        let t = Thread {
            var off = 0
            while off < bytes.count {
                let n = bytes[off..<min(off + 37, bytes.count)].withUnsafeBytes { write(writer, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                off += n
            }
            close(writer)
        }
        t.start()
        let o = csvOutcome(CSVReader(fileDescriptor: fds[0], chunkSize: 4096))
        close(fds[0])
        #expect(csvFirstDifference(o, csvOutcome(CSVReader(bytes: bytes))) == nil)
        #expect(o.records.count == 5000)
        #expect(o.lines.last == 9999)
    }
}

@Suite struct CSVWriterQuoting {
    @Test func quotingRules() {
        func w(_ s: String) -> String { var o: [UInt8] = []; CSVWriter.appendField(s, to: &o); return String(decoding: o, as: UTF8.self) }
        #expect(w("plain") == "plain")
        #expect(w("") == "")
        #expect(w(" sp ") == " sp ")
        #expect(w("a,b") == "\"a,b\"")
        #expect(w("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(w("a\nb") == "\"a\nb\"")
        #expect(w("a\rb") == "\"a\rb\"")
        #expect(w("协商还款") == "协商还款")
        var o: [UInt8] = []
        CSVWriter.appendField(csvUTF8("x\"y")[...], to: &o)
        #expect(o == csvUTF8("\"x\"\"y\""))
    }
}

@Suite struct CSVReaderPosition {
    @Test func bytesConsumedFollowsRecords() throws {
        let text = "\u{FEFF}h1,h2\r\n\"a\nb\",c\n\n\nlast,x"
        let bytes = csvUTF8(text)
        for chunk in [1, 2, 5, 1 << 20] {
            let path = csvTempPath("pos")
            csvWriteFile(path, bytes)
            defer { unlink(path) }
            let fd = open(path, O_RDONLY)
            defer { close(fd) }
            let r = CSVReader(fileDescriptor: fd, chunkSize: chunk)
            #expect(r.bytesConsumed == 0)
            _ = try r.next()
            #expect(r.bytesConsumed == 3 + 7, "chunk \(chunk)")          // BOM + "h1,h2\r\n"
            _ = try r.next()
            #expect(r.bytesConsumed == 10 + 8, "chunk \(chunk)")         // "\"a\nb\",c\n"
            _ = try r.next()
            #expect(r.bytesConsumed == bytes.count, "chunk \(chunk)")    // blank lines, "last,x"
            #expect(try r.next() == nil)
            #expect(r.bytesConsumed == bytes.count)
        }
        let m = CSVReader(bytes: bytes)
        while try m.next() != nil {}
        #expect(m.bytesConsumed == bytes.count)
    }

    @Test func ioErrorsAreMarked() {
        #expect(csvOutcome(CSVReader(fileDescriptor: -1, chunkSize: 16)).error?.isIOError == true)
        #expect(csvErrorOf("a\"b")?.isIOError == false)
    }
}

@Suite struct CSVBatchesFromPipes {
    @Test func batchReturnsWhatHasArrived() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let first = csvUTF8("a,1\nb,2\nc,\"3")  // two records and the start of a third
        _ = first.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        let r = CSVReader(fileDescriptor: fds[0], chunkSize: 1 << 16)
        // Without waitForMax the call returns the two complete records instead of blocking.
        #expect(try r.nextBatch(max: 100, waitForMax: false).map(\.fields) == [["a", "1"], ["b", "2"]])
        let rest = csvUTF8("\"\nd,4\n")
        _ = rest.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        close(fds[1])
        #expect(try r.nextBatch(max: 100, waitForMax: false).map(\.fields) == [["c", "3"], ["d", "4"]])
        #expect(try r.nextBatch(max: 100, waitForMax: false).isEmpty)
    }

    @Test(arguments: [1, 2, 3, 7, 64])
    func shortBatchesLoseNothing(chunkSize: Int) throws {
        for s in csvTrickyInputs {
            let bytes = csvUTF8(s)
            let reference = csvOutcome(CSVReader(bytes: bytes))
            let path = csvTempPath("short")
            csvWriteFile(path, bytes)
            defer { unlink(path) }
            let fd = open(path, O_RDONLY)
            defer { close(fd) }
            let r = CSVReader(fileDescriptor: fd, chunkSize: chunkSize)
            var got = CSVOutcome()
            do {
                while true {
                    let batch = try r.nextBatch(max: 3, waitForMax: false)
                    if batch.isEmpty { break }
                    got.records += batch.map(\.fields)
                    got.lines += batch.map(\.line)
                }
            } catch { got.error = error }
            #expect(csvFirstDifference(got, reference) == nil, "chunk \(chunkSize) input \(s.debugDescription)")
        }
    }
}

/// `nextChunk(into:)` (cells as bytes) reads what `next()` reads, also when a record is cut by
/// the end of the buffer (the scanner resumes it; a record still incomplete when the call
/// returns is parked in the reader) and when an error ends the input.
@Suite struct CSVChunkReading {
    /// The whole input through nextChunk with `max` records per chunk, via a file read `chunkSize` bytes at a time.
    static func outcome(_ bytes: [UInt8], chunkSize: Int, max: Int) -> CSVOutcome {
        let path = csvTempPath("chunk")
        csvWriteFile(path, bytes)
        defer { unlink(path) }
        let fd = open(path, O_RDONLY)
        precondition(fd >= 0)
        defer { close(fd) }
        return csvChunkOutcome(CSVReader(fileDescriptor: fd, chunkSize: chunkSize), max: max, waitForMax: max % 2 == 0)
    }

    @Test(arguments: [1, 2, 3, 7, 64, 1 << 20])
    func sameAsNext(chunkSize: Int) {
        for s in csvTrickyInputs + ["id,x\n1,\"a\"\"b\"\n2,\"c\nd\"\n3,\"x\"y\n4,z\n", "a,b\r\n\"\",\"\"\r\n\r\n1,2"] {
            let bytes = csvUTF8(s)
            let reference = csvOutcome(CSVReader(bytes: bytes))
            for max in [1, 2, 5, 4096] {
                #expect(csvFirstDifference(Self.outcome(bytes, chunkSize: chunkSize, max: max), reference) == nil,
                        "chunk \(chunkSize) max \(max) input \(s.debugDescription)")
            }
        }
    }

    @Test func rowsAsCells() throws {
        var chunk = CSVChunk()
        try CSVReader(bytes: csvUTF8("id,p\nL1,\"1,5\"\n\"L\"\"2\",\n")).nextChunk(into: &chunk, max: 10)
        var seen: [[String]] = []
        chunk.forEachRow { k, row, line in
            seen.append((0..<row.count).map { row.string($0) } + ["\(k)", "\(line)"])
        }
        #expect(seen == [["id", "p", "0", "1"], ["L1", "1,5", "1", "2"], ["L\"2", "", "2", "3"]])
        chunk.beginRecord(line: 9)
        chunk.appendCell(UnsafeBufferPointer(start: nil, count: 0))
        chunk.dropLastRecord()
        #expect(chunk.count == 3 && chunk.fields(2) == ["L\"2", ""])
    }
}
