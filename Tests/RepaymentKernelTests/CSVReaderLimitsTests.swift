@testable import RepaymentKernel
@testable import RepaymentBatch
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Writes `bytes` into a new pipe from another thread, `piece` bytes per write(2), and
/// returns the reading end (the caller closes it). The writer stops when the reader closes the
/// pipe early (SIGPIPE is ignored in the test process, so that is an EPIPE error).
func csvPipe(_ bytes: [UInt8], piece: Int) -> Int32 {
    signal(SIGPIPE, SIG_IGN)
    var fds: [Int32] = [0, 0]
    precondition(pipe(&fds) == 0)
    let writer = fds[1]
    let t = Thread {
        var off = 0
        while off < bytes.count {
            let n = bytes[off..<min(off + piece, bytes.count)].withUnsafeBytes { write(writer, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            off += n
        }
        close(writer)
    }
    t.start()
    return fds[0]
}

/// SPEC §8: the input must be UTF-8. Every byte is checked as it is read, whatever the chunks.
@Suite struct CSVUTF8Validation {
    @Test func validatorAgreesWithTheStandardLibrary() {
        // Random byte strings biased towards the interesting ranges, against String(validating:).
        var rng = SplitMix64(seed: 7)
        let pool: [UInt8] = [0x41, 0x2C, 0x0A, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
                             0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF]
        for _ in 0..<20_000 {
            let n = Int(rng.next() % 9)
            let bytes = (0..<n).map { _ in pool[Int(rng.next() % UInt64(pool.count))] }
            let want = String(validating: bytes, as: UTF8.self) != nil
            let got = bytes.withUnsafeBufferPointer { UTF8Validation.firstInvalidOffset($0) } == nil
            #expect(got == want, "\(bytes.map { String($0, radix: 16) })")
        }
        // Every scalar's encoding is valid; long ASCII runs take the fast path.
        var all: [UInt8] = Array(repeating: 0x61, count: 37)
        for v in stride(from: 0, through: 0x10FFFF, by: 97) where !(0xD800...0xDFFF).contains(v) {
            all += Array(String(Character(Unicode.Scalar(UInt32(v))!)).utf8)
        }
        #expect(all.withUnsafeBufferPointer { UTF8Validation.firstInvalidOffset($0) } == nil)
    }

    @Test func knownBadSequences() {
        let bad: [[UInt8]] = [
            [0xC0, 0x80],              // overlong NUL
            [0xE0, 0x80, 0x80],        // overlong
            [0xED, 0xA0, 0x80],        // surrogate U+D800
            [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
            [0xF5, 0x80, 0x80, 0x80],
            [0x80],                    // lone continuation byte
            [0xE5, 0x8D],              // cut short by the end
        ]
        for b in bad {
            let e = csvErrorOf(Array("id,x\nok,1\n".utf8) + [0x61] + b + Array(",2\n".utf8))
            #expect(e?.line == 3, "\(b)")
            #expect(e?.message.hasPrefix("not UTF-8 text (bytes \\x") == true, "\(b)")
            #expect(e?.isIOError == false)
        }
        // Cut short at the very end of the input.
        #expect(csvErrorOf(Array("id\nok\n\"x".utf8) + [0xF0, 0x9F, 0x98])?.line == 3)
    }

    @Test(arguments: [1, 2, 3, 5, 7, 64, 1 << 20])
    func errorLineIsTheSameForEveryChunkSize(chunkSize: Int) {
        // A sequence split between two reads is fine; the bad byte's line counts LFs inside
        // quoted fields too.
        let good = Array("id,name\n1,\"协商\n还款😀\"\n2,é\n".utf8)
        let bad = good + Array("3,\"multi\nline ".utf8) + [0xFF, 0xFE] + Array("\"\n".utf8)
        #expect(csvOutcomeViaFD(good, chunkSize: chunkSize).error == nil)
        #expect(csvOutcomeViaFD(good, chunkSize: chunkSize).records.count == 3)
        let e = csvOutcomeViaFD(bad, chunkSize: chunkSize).error
        #expect(e?.line == 6, "chunk \(chunkSize)")
        #expect(e?.message.contains("bytes \\xFF") == true)
        #expect(e?.message.contains("iconv") == true)
        // The message too is the same however the input was cut: the bytes quoted stop at the
        // first that cannot be UTF-8, so bytes read later never change it.
        for tail: [UInt8] in [[0xFF, 0xFE, 0xFD], [0xE0, 0x80, 0x80], [0xF0, 0x9F, 0x41], [0xED, 0xA0, 0x80, 0x80]] {
            let bytes = good + Array("4,x".utf8) + tail + Array("\n".utf8)
            let inMemory = csvErrorOf(bytes)
            #expect(inMemory != nil)
            #expect(csvOutcomeViaFD(bytes, chunkSize: chunkSize).error == inMemory, "chunk \(chunkSize) \(tail)")
        }
        #expect(csvErrorOf(good + [0xE0, 0x80, 0x80])?.message.hasPrefix("not UTF-8 text (bytes \\xE0\\x80);") == true)
        #expect(csvErrorOf(good + [0xF0, 0x9F, 0x98])?.message.hasPrefix("not UTF-8 text (bytes \\xF0\\x9F\\x98);") == true)
    }

    @Test func lenientReaderDecodesWithReplacementCharacters() throws {
        let o = csvWithFileReader(Array("a,b\nbad".utf8) + [0xFF, 0xFE], chunkSize: 3) { r in
            r.requiresUTF8 = false
            return csvOutcome(r)
        }
        #expect(o.records == [["a", "b"], ["bad\u{FFFD}\u{FFFD}"]])
    }
}

/// Cells and records are bounded, so input without line breaks cannot grow the buffer forever.
@Suite struct CSVSizeLimits {
    @Test func defaultsAreDocumentedValues() {
        #expect(CSVReader.defaultMaxFieldBytes == 1 << 20)
        #expect(CSVReader.defaultMaxRecordBytes == 16 << 20)
        #expect(CSVReader.sizeText(1 << 20) == "1 MiB")
        #expect(CSVReader.sizeText(100) == "100 bytes")
    }

    @Test(arguments: [1, 7, 64, 1 << 20])
    func longCellIsAnErrorNamingItsLine(chunkSize: Int) {
        func outcome(_ text: String) -> CSVOutcome {
            csvWithFileReader(Array(text.utf8), chunkSize: chunkSize) { r in
                r.maxFieldBytes = 10
                r.maxRecordBytes = 40
                return csvOutcome(r)
            }
        }
        // Exactly at the limits is fine (quotes count, the line end does not).
        let ok = outcome("id,x\n0123456789,\"01234567\"\n0123456789,0123456789,0123456789,0123456\n")
        #expect(ok.error == nil)
        #expect(ok.records.count == 3)
        let cell = outcome("id,x\na,b\nc,01234567890\n").error
        #expect(cell?.line == 3)
        #expect(cell?.message == "cell 2 is longer than 10 bytes (the limit for one cell); is this a CSV file, and are its quotes balanced?")
        #expect(cell?.isIOError == false)
        let quoted = outcome("id,x\n\"a\n\",\"0123\n456789\"\n").error
        #expect(quoted?.line == 3)
        #expect(quoted?.message.hasPrefix("cell 2 is longer") == true)
        let record = outcome("id\n\n0123456789,0123456789,0123456789,0123456789\n").error
        #expect(record?.line == 3)
        #expect(record?.message.hasPrefix("the record is longer than 40 bytes") == true)
    }

    @Test func unterminatedNULStreamStopsAtTheLimitNotAtTheEnd() throws {
        // Like /dev/zero, but bounded: 40 MB of NUL bytes through a pipe. The reader must give
        // up after the cell limit (1 MiB), without reading (or holding) the rest.
        let fd = csvPipe([UInt8](repeating: 0, count: 40 << 20), piece: 1 << 16)
        defer { close(fd) }
        let r = CSVReader(fileDescriptor: fd)
        let e = csvOutcome(r).error
        #expect(e?.line == 1)
        #expect(e?.message.hasPrefix("cell 1 is longer than 1 MiB") == true)
        #expect(r.scannedBytes < 3 << 20)
    }

    @Test func stopRequestIsSeenWhileInputKeepsComing() {
        // The stop flag is polled before every read, not only when read(2) is interrupted.
        let fd = csvPipe(Array(String(repeating: "a,b,c\n", count: 200_000).utf8), piece: 4096)
        defer { close(fd) }
        let flag = StopAfter(chunks: 3)
        let r = CSVReader(fileDescriptor: fd, chunkSize: 4096)
        r.shouldStop = { flag.tick(); return flag.stop }
        let o = csvOutcome(r)
        #expect(o.error?.message == "interrupted")
        #expect(o.error?.isIOError == true)
        #expect(o.records.count < 200_000)
    }
}

/// A record cut over many reads is scanned once, not again after every read.
@Suite struct CSVResumableScanning {
    @Test func twentyMegabyteCellThroughAPipeIsScannedOnce() throws {
        let cell = 20 << 20
        var bytes = Array("id,x\n".utf8)
        bytes += [UInt8](repeating: 0x78, count: cell)
        bytes += Array(",\"q\"\"".utf8) + [UInt8](repeating: 0x79, count: cell / 4) + Array("\"\nlast,1\n".utf8)
        let fd = csvPipe(bytes, piece: 1 << 16)
        defer { close(fd) }
        let r = CSVReader(fileDescriptor: fd, chunkSize: 1 << 16)
        r.maxFieldBytes = 32 << 20
        r.maxRecordBytes = 64 << 20
        let o = csvOutcome(r)
        #expect(o.error == nil)
        #expect(o.records.count == 3)
        #expect(o.records[1][0].utf8.count == cell)
        #expect(o.records[1][1] == "q\"" + String(repeating: "y", count: cell / 4))
        // Each byte once, plus at most a byte or two per read (a chunk ending on a quote): the
        // re-parsing reader scanned the partial record again after every 64 KB, ~4 GB here.
        #expect(r.scannedBytes <= bytes.count + 2 * (bytes.count >> 12), "scanned \(r.scannedBytes) of \(bytes.count)")
        #expect(r.scannedBytes >= bytes.count)
    }

    @Test(arguments: [1, 2, 3, 13])
    func tinyReadsScanEachByteAboutOnce(chunkSize: Int) {
        let text = Array(String(repeating: "\"a\"\"b\",c\r\nxyz,\"1\n2\"\n\n", count: 50).utf8)
        let (o, scanned) = csvWithFileReader(text, chunkSize: chunkSize) { r in (csvOutcome(r), r.scannedBytes) }
        #expect(o.error == nil)
        #expect(o.records.count == 100)
        #expect(scanned <= 2 * text.count)
    }
}

/// A regular file that shrinks while being read is an I/O error that says so.
@Suite struct CSVShrinkingInput {
    @Test func truncatedFileIsReported() throws {
        let path = csvTempPath("shrink")
        var text = "id,x\n"
        for i in 0..<2000 { text += "row\(i),\(i)\n" }
        csvWriteFile(path, Array(text.utf8))
        defer { unlink(path) }
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        let r = CSVReader(fileDescriptor: fd, chunkSize: 1024)
        _ = try r.nextBatch(max: 10)
        #expect(truncate(path, 5000) == 0)
        var error: CSVSyntaxError?
        do { while try r.next() != nil {} } catch let e { error = e }
        #expect(error?.isIOError == true)
        #expect(error?.message.hasPrefix("the input file shrank while it was being read: it had \(text.utf8.count) bytes to read when opened, only 5000 could be read") == true,
                "\(String(describing: error))")
    }

    @Test func growingFileIsFine() throws {
        let path = csvTempPath("grow")
        csvWriteFile(path, Array("id,x\na,1\n".utf8))
        defer { unlink(path) }
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        let r = CSVReader(fileDescriptor: fd, chunkSize: 4)
        _ = try r.next()
        let h = try #require(FileHandle(forWritingAtPath: path))
        h.seekToEndOfFile()
        h.write(Data("b,2\n".utf8))
        try h.close()
        #expect(csvOutcome(r).records == [["a", "1"], ["b", "2"]])
    }
}

/// The batch path, `nextChunk(into:)`, has the same checks and the same resumable scanning as
/// `next()`: it is what `repay batch` reads with (and `rk_run_csv`, in memory).
@Suite struct CSVChunkPathChecks {
    @Test(arguments: [1, 3, 64, 1 << 20])
    func encodingAndLimitsAsInNext(chunkSize: Int) {
        let inputs: [[UInt8]] = [
            Array("id,x\nok,1\na".utf8) + [0xFF] + Array(",2\n".utf8),
            Array("id,x\n1,\"multi\nline ".utf8) + [0xED, 0xA0, 0x80] + Array("\"\n".utf8),
            Array("id,x\na,b\nc,01234567890\n".utf8),
            Array("id\n\n0123456789,0123456789,0123456789,0123456789\n".utf8),
            Array("id,x\n\"a\n\",\"0123\n456789\"\n".utf8),
        ]
        for bytes in inputs {
            let reference = csvWithFileReader(bytes, chunkSize: chunkSize) { r in
                r.maxFieldBytes = 10
                r.maxRecordBytes = 40
                return csvOutcome(r)
            }
            #expect(reference.error != nil)
            for max in [1, 2, 4096] {
                let got = csvWithFileReader(bytes, chunkSize: chunkSize) { r in
                    r.maxFieldBytes = 10
                    r.maxRecordBytes = 40
                    return csvChunkOutcome(r, max: max)
                }
                #expect(csvFirstDifference(got, reference) == nil, "chunk \(chunkSize) max \(max) \(bytes)")
            }
        }
    }

    @Test func inMemoryChunksCheckUTF8() {
        // rk_run_csv's path: the whole document is checked before the first record.
        let r = CSVReader(bytes: Array("id\nok\n".utf8) + [0xC0, 0x80] + Array("\n".utf8))
        var chunk = CSVChunk()
        #expect(throws: CSVSyntaxError.self) { try r.nextChunk(into: &chunk, max: 10) }
        do {
            _ = try InMemoryBatch(Array("id,principal,rate,term,start\nx".utf8) + [0xFF] + Array(",1000,0.1,12,2024-01-01\n".utf8),
                                  wantSchedule: true)
            Issue.record("a document that is not UTF-8 was computed")
        } catch {
            #expect(error.code == .unusableFile)
            #expect(error.description.hasPrefix("input: line 2: not UTF-8 text (bytes \\xFF)"), "\(error)")
        }
    }

    @Test(arguments: [1, 5, 4096])
    func recordsCutAcrossCallsAreResumedNotRescanned(piece: Int) {
        // From a pipe in small pieces, nextChunk returns as soon as it has a record, often in
        // the middle of the next one: that record is parked and resumed by the next call.
        var text = "id,note,x\n"
        for i in 0..<400 {
            text += i % 7 == 0 ? "r\(i),\"multi\nline \"\"quoted\"\", \(i)\",\(i)\r\n" : "r\(i),plain \(i),\(i)\n"
        }
        text += "last," + String(repeating: "z", count: 300_000) + ",1\n"
        let bytes = Array(text.utf8)
        let reference = csvOutcome(CSVReader(bytes: bytes))
        for max in [1, 3, 4096] {
            let fd = csvPipe(bytes, piece: piece)
            let r = CSVReader(fileDescriptor: fd, chunkSize: 4096)
            let got = csvChunkOutcome(r, max: max)
            close(fd)
            #expect(csvFirstDifference(got, reference) == nil, "piece \(piece) max \(max)")
            #expect(r.scannedBytes <= bytes.count + 2 * (bytes.count >> 10), "scanned \(r.scannedBytes) of \(bytes.count)")
        }
    }

    @Test func callsOfEveryKindShareAParkedRecord() throws {
        // A record parked by nextBatch is finished by nextChunk and the other way round.
        var text = "a,b\n"
        for i in 0..<300 { text += "\(i),\"\(String(repeating: "v", count: i % 50))\"\n" }
        let bytes = Array(text.utf8)
        let reference = csvOutcome(CSVReader(bytes: bytes))
        let fd = csvPipe(bytes, piece: 3)
        defer { close(fd) }
        let r = CSVReader(fileDescriptor: fd, chunkSize: 16)
        var got = CSVOutcome()
        var chunk = CSVChunk()
        var turn = 0
        while true {
            turn += 1
            if turn % 2 == 0 {
                let batch = try r.nextBatch(max: 2, waitForMax: false)
                if batch.isEmpty { break }
                got.records += batch.map(\.fields)
                got.lines += batch.map(\.line)
            } else {
                try r.nextChunk(into: &chunk, max: 2, waitForMax: false)
                if chunk.isEmpty { break }
                for k in 0..<chunk.count {
                    got.records.append(chunk.fields(k))
                    got.lines.append(chunk.records[k].line)
                }
            }
        }
        #expect(csvFirstDifference(got, reference) == nil)
    }
}
