// CSVReader.swift — a fast, streaming RFC 4180 CSV reader (and a tiny field writer).
//
// Pure Swift + Glibc: input comes either from a file descriptor, read with read(2) into a
// reusable buffer, or from bytes already in memory. Memory use is bounded by the chunk size
// and the length of the longest record (itself bounded by `maxRecordBytes`), never by the
// total input size.
//
// Parsing strategy: a record is parsed straight out of the buffer. If the buffer ends before
// the record does (and the input is not exhausted), the scanner saves where it is (the
// position, the line, the number of cells finished so far, and inside a quoted field what was
// already unescaped) and resumes from exactly there once more input has arrived; the finished
// cells stay where the caller collects them (strings for `next()`, a `CSVChunk` for
// `nextChunk`), and a record still incomplete when a call returns is parked in the reader until
// the next call. Every byte is
// therefore examined once, however the input arrives: a 50 MB cell read from a pipe in 64 KB
// pieces costs the same as read from a file. The buffer keeps the current record's bytes from
// its first byte; it is compacted when at least half of it is consumed and doubled otherwise,
// so moving bytes costs O(1) amortized per byte as well.
//
// Every chunk read is checked to be UTF-8 before it is parsed (SPEC §8: a file that is not
// UTF-8 is unusable); see `UTF8Validation`.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A syntax or I/O error found while reading CSV input.
public struct CSVSyntaxError: Error, Sendable, Equatable {
    /// 1-based physical line (LF-separated) where the problem was detected. For an unterminated
    /// quoted field this is the line of the opening quote.
    public var line: Int
    /// Human-readable description of the problem.
    public var message: String
    /// True when reading failed (read(2) returned an error, the input shrank, or the read was
    /// stopped), false for a problem with the bytes themselves (syntax, encoding, size limits).
    public var isIOError: Bool

    /// Creates an error for `line` with `message`.
    public init(line: Int, message: String, isIOError: Bool = false) {
        self.line = line
        self.message = message
        self.isIOError = isIOError
    }
}

/// One CSV record (row).
public struct CSVRecord: Sendable {
    /// The decoded fields, unquoted and with `""` unescaped.
    public var fields: [String]
    /// 1-based physical line on which the record starts.
    public var line: Int

    /// Creates a record from its fields and starting line.
    public init(fields: [String], line: Int) {
        self.fields = fields
        self.line = line
    }
}

// Byte constants.
private let LF: UInt8 = 0x0A, CR: UInt8 = 0x0D, QUOTE: UInt8 = 0x22, COMMA: UInt8 = 0x2C

/// Streaming RFC 4180 CSV reader.
///
/// Fields are separated by `,`; records end at LF or CRLF (a CR not followed by LF is ordinary
/// data and does not count as a line break). A UTF-8 BOM at the very start is skipped. Blank
/// lines (an LF or CRLF with nothing before it) produce no record but are counted in line numbers;
/// a line holding only spaces, or only `""`, is a record with one field.
/// Quoted fields may contain `,`, CR, LF and `""` (an escaped quote).
///
/// The input must be UTF-8 (`requiresUTF8`, on by default): a byte sequence that is not is an
/// error naming its line. A cell may take at most `maxFieldBytes` bytes of input (1 MiB by
/// default, quotes included) and a record `maxRecordBytes` (16 MiB, line end excluded); a
/// longer one is an error naming its line, found as soon as the limit is passed, so a file
/// without line breaks cannot make the reader grow without bound.
///
/// Errors are sticky: once `next()` has thrown, every later call throws the same error.
/// The reader is not thread-safe; hand the records (which are `Sendable`) to other threads.
/// (Its state is declared `@exclusivity(unchecked)`: one thread, no overlapping accesses, and
/// the dynamic checks cost a third of the parsing time.)
/// The reader never closes the file descriptor it was given.
public final class CSVReader {
    /// The default `maxFieldBytes`: 1 MiB.
    public static let defaultMaxFieldBytes = 1 << 20
    /// The default `maxRecordBytes`: 16 MiB.
    public static let defaultMaxRecordBytes = 16 << 20

    @exclusivity(unchecked) private var buf: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var cap: Int
    @exclusivity(unchecked) private var start = 0            // first unconsumed byte: the first byte of the current record
    @exclusivity(unchecked) private var end = 0              // one past the last valid byte
    @exclusivity(unchecked) private var eof: Bool            // no more input beyond `end`
    private let fd: Int32            // -1 for in-memory input
    @exclusivity(unchecked) private var line = 1             // physical line of buf[start]
    @exclusivity(unchecked) private var atStart = true       // BOM not yet checked
    @exclusivity(unchecked) private var fieldCountHint = 8   // field count of the previous record (for reserveCapacity)
    @exclusivity(unchecked) private var scratch: [UInt8] = []  // unescaping buffer for quoted fields containing `""`
    @exclusivity(unchecked) private var pendingError: CSVSyntaxError?
    @exclusivity(unchecked) private var totalRead = 0        // bytes obtained from read(2) (or given in memory)
    @exclusivity(unchecked) private var validated = 0        // buf[..<validated] is known to be UTF-8
    @exclusivity(unchecked) private var validationPending: Bool  // in-memory input not yet checked
    /// For a regular file: the bytes from the offset at open to the end of the file, as they
    /// were when the reader was made (a smaller count at end of input means the file shrank).
    private let expectedBytes: Int?

    // The scanner's saved state while a record is incomplete (see `scan()`).
    private enum Phase { case record, field, unquoted, quoted, afterQuote }
    @exclusivity(unchecked) private var phase = Phase.record
    @exclusivity(unchecked) private var pos = 0              // where scanning resumes (absolute index in `buf`)
    @exclusivity(unchecked) private var posLine = 1          // physical line at `pos`
    @exclusivity(unchecked) private var fieldStart = 0       // first byte of the current field (its opening quote if quoted)
    @exclusivity(unchecked) private var fieldLine = 1        // line of `fieldStart`
    @exclusivity(unchecked) private var segStart = 0         // quoted field: first byte not yet copied to `scratch`
    @exclusivity(unchecked) private var escaped = false      // quoted field: `scratch` holds the field's beginning
    @exclusivity(unchecked) private var recordLine = 1       // line of the current record's first byte
    @exclusivity(unchecked) private var cellsInRecord = 0    // cells of the current record finished so far
    // A record left incomplete when a call returned (its cells so far), taken up by the next call.
    @exclusivity(unchecked) private var parked = CSVChunk()
    @exclusivity(unchecked) private var isParked = false

    /// Bytes examined by the scanner so far. Each input byte is examined once (a few bytes
    /// twice where a chunk ends between CR and LF or inside `""`); tests check this.
    @exclusivity(unchecked) private(set) var scannedBytes = 0

    /// Polled before every read(2) and when read(2) is interrupted by a signal (EINTR): true
    /// ends reading with an I/O error "interrupted" (so a stop request is honoured even while
    /// input keeps arriving, e.g. from a device that never ends a line).
    public var shouldStop: (@Sendable () -> Bool)? = nil

    /// The most bytes one cell may take in the input (quotes and doubled quotes included).
    @exclusivity(unchecked) public var maxFieldBytes = CSVReader.defaultMaxFieldBytes
    /// The most bytes one record may take in the input (its line end excluded).
    @exclusivity(unchecked) public var maxRecordBytes = CSVReader.defaultMaxRecordBytes
    /// True (the default): input that is not UTF-8 is an error naming its line. False: invalid
    /// sequences are decoded as U+FFFD.
    public var requiresUTF8 = true

    /// Bytes of input consumed so far: everything up to the end of the last record returned
    /// (plus any blank lines skipped). For a progress display: compare with the file size.
    public var bytesConsumed: Int { totalRead - (end - start) }

    /// Reads from a file descriptor in chunks of `chunkSize` bytes using read(2).
    ///
    /// Memory stays at about `chunkSize` bytes, growing only if a single record is longer than
    /// the buffer. Each refill is one successful read(2) (a regular file fills the buffer; a pipe
    /// gives what it has), so records reach the caller as soon as they arrive on a pipe.
    /// The descriptor is not closed.
    public init(fileDescriptor: Int32, chunkSize: Int = 1 << 20) {
        cap = Swift.max(1, chunkSize)
        buf = .allocate(capacity: cap)
        fd = fileDescriptor
        eof = false
        validationPending = false
        var st = stat()
        if fstat(fileDescriptor, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG {
            let offset = lseek(fileDescriptor, 0, SEEK_CUR)
            expectedBytes = offset >= 0 ? Swift.max(0, Int(st.st_size) - Int(offset)) : nil
        } else {
            expectedBytes = nil
        }
    }

    /// Reads from bytes already in memory (the bytes are copied once).
    public init(bytes: [UInt8]) {
        let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: Swift.max(1, bytes.count))
        bytes.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { storage.update(from: base, count: src.count) }
        }
        cap = Swift.max(1, bytes.count)
        buf = storage
        end = bytes.count
        totalRead = bytes.count
        fd = -1
        eof = true
        validationPending = true
        expectedBytes = nil
    }

    deinit { buf.deallocate() }

    /// Returns the next non-blank record, or nil at end of input.
    ///
    /// - Throws: `CSVSyntaxError` on broken quoting (a quote inside an unquoted field, characters
    ///   after a closing quote other than `,` or a line end, an unterminated quoted field), on
    ///   input that is not UTF-8, on a cell or record over its limit, or on a read(2) failure,
    ///   a stop request or a file that shrank while being read (these three with `isIOError`).
    public func next() throws(CSVSyntaxError) -> CSVRecord? {
        if let e = pendingError { throw e }
        checkInMemoryInput()
        var sink = StringCells()
        sink.fields.reserveCapacity(fieldCountHint)
        resume(&sink)
        while true {
            if let e = pendingError { throw e }
            switch scan(into: &sink) {
            case .record(let line): return CSVRecord(fields: sink.fields, line: line)
            case .end: return nil
            case .needMore:
                do { try refill() } catch { abandon(&sink); pendingError = error; throw error }
            case .failure(let e):
                pendingError = e
                throw e
            }
        }
    }

    /// Returns up to `max` records; an empty array means end of input.
    ///
    /// With `waitForMax` false, the call returns as soon as it has at least one record and the
    /// records already read are used up: on a pipe, records that have arrived are not held back
    /// waiting for `max` of them.
    /// If an error occurs after some records were collected, those records are returned and the
    /// error is thrown by the next call.
    public func nextBatch(max: Int, waitForMax: Bool = true) throws(CSVSyntaxError) -> [CSVRecord] {
        var out: [CSVRecord] = []
        out.reserveCapacity(Swift.min(Swift.max(max, 0), 4096))
        checkInMemoryInput()
        var sink = StringCells()
        resume(&sink)
        defer { park(&sink) }
        while out.count < max {
            if let e = pendingError {
                if out.isEmpty { throw e }
                break  // the next call rethrows it
            }
            switch scan(into: &sink) {
            case .record(let line):
                out.append(CSVRecord(fields: sink.take(), line: line))
            case .end:
                return out
            case .needMore:
                if !waitForMax && !out.isEmpty { return out }  // the record being scanned is parked
                do { try refill() } catch { abandon(&sink); pendingError = error }
            case .failure(let e):
                pendingError = e
            }
        }
        return out
    }

    /// Appends up to `max` records to `chunk` (emptied first, its capacity kept), their cells
    /// as bytes: the batch path, with no `String` per cell. The chunk is empty at the end of
    /// input. `waitForMax` and errors as in `nextBatch(max:waitForMax:)`: records read before
    /// an error are kept, and the next call throws it. The same checks as `next()` (UTF-8,
    /// limits, stop requests, a shrinking file), and the same resumable scanning.
    public func nextChunk(into chunk: inout CSVChunk, max: Int, waitForMax: Bool = true) throws(CSVSyntaxError) {
        chunk.removeAll()
        checkInMemoryInput()
        var sink = ChunkCells(chunk: chunk)
        chunk = CSVChunk()   // the storage moves to the sink and back: no copy
        resume(&sink)
        defer {
            park(&sink)
            chunk = sink.chunk
        }
        // A record being scanned is the chunk's last, begun but not finished.
        while sink.chunk.count - (phase == .record ? 0 : 1) < max {
            if let e = pendingError {
                if sink.chunk.isEmpty { throw e }
                return  // the next call rethrows it
            }
            switch scan(into: &sink) {
            case .record:
                continue
            case .end:
                return
            case .needMore:
                if !waitForMax && sink.chunk.count > (phase == .record ? 0 : 1) { return }  // the record being scanned is parked
                do { try refill() } catch { abandon(&sink); pendingError = error }
            case .failure(let e):
                pendingError = e
            }
        }
    }

    /// A record left incomplete by the last call (the caller returned before more input came)
    /// goes back into `sink`, to be resumed where the scanner stopped.
    private func resume<Sink: CellSink>(_ sink: inout Sink) {
        guard isParked else { return }
        isParked = false
        sink.unpark(from: &parked)
    }

    /// When a record is being scanned, moves its finished cells out of `sink` (which the caller
    /// is about to return) into the reader, for the next call's `resume`.
    private func park<Sink: CellSink>(_ sink: inout Sink) {
        guard phase != .record else { return }
        sink.park(into: &parked, line: recordLine)
        isParked = true
    }

    /// After a failed read: drops the record being scanned (records before it stay valid).
    private func abandon<Sink: CellSink>(_ sink: inout Sink) {
        guard phase != .record else { return }
        sink.rollback()
        phase = .record
    }

    // MARK: - Buffer management

    /// Makes room, then reads once (more bytes, or end of input) and checks the new bytes are
    /// UTF-8. Sets `eof` when read(2) returns 0. EINTR is retried unless `shouldStop` says
    /// otherwise; any other failure (including EAGAIN on a non-blocking descriptor) is reported
    /// as an error.
    private func refill() throws(CSVSyntaxError) {
        precondition(!eof, "refill after EOF")
        let live = end - start
        if live > maxRecordBytes {
            throw tooLongRecord()
        }
        if pos - fieldStart > maxFieldBytes && (phase == .unquoted || phase == .quoted) {
            throw tooLong(cell: cellsInRecord + 1, line: fieldLine)
        }
        // Little room left: move the live bytes to the front when that frees at least half the
        // buffer; if there is still little room (the record takes more than half of it), double
        // the buffer. Either way each byte is moved O(1) times on average.
        let minRoom = Swift.max(1, Swift.min(cap / 4, 1 << 16))
        if cap - end < minRoom && start > 0 && start >= cap / 2 {
            if live > 0 { memmove(buf, buf + start, live) }
            shift(by: start)
        }
        if cap - end < minRoom {
            let nb = UnsafeMutablePointer<UInt8>.allocate(capacity: cap * 2)
            nb.update(from: buf + start, count: live)
            buf.deallocate()
            buf = nb
            cap *= 2
            shift(by: start)
        }
        while true {
            if let stop = shouldStop, stop() {
                throw CSVSyntaxError(line: posLine, message: "interrupted", isIOError: true)
            }
            let n = read(fd, buf + end, cap - end)
            if n > 0 {
                end += n
                totalRead += n
                try checkUTF8()
                return
            } else if n == 0 {
                eof = true
                if let expected = expectedBytes, totalRead < expected {
                    throw CSVSyntaxError(line: posLine, message: "the input file shrank while it was being read: it had \(expected) bytes to read when opened, only \(totalRead) could be read (did another program truncate or rewrite it?); run again once the file is complete", isIOError: true)
                }
                try checkUTF8()
                return
            } else if errno == EINTR {
                continue  // the stop request is checked at the top of the loop
            } else {
                let code = errno
                throw CSVSyntaxError(line: posLine, message: "I/O error: read(2) failed: \(String(cString: strerror(code))) (errno \(code))", isIOError: true)
            }
        }
    }

    /// Moves every saved position `by` bytes to the front (after the buffer was compacted).
    private func shift(by delta: Int) {
        guard delta != 0 else { return }
        start -= delta
        end -= delta
        pos -= delta
        fieldStart -= delta
        segStart -= delta
        validated -= delta
    }

    /// Checks `buf[validated..<end]` (the bytes read since the last check) is UTF-8; at end of
    /// input a sequence cut short is an error too.
    private func checkUTF8() throws(CSVSyntaxError) {
        guard requiresUTF8 else { validated = end; return }
        switch UTF8Validation.validate(buf, from: validated, to: end) {
        case .valid(let upTo):
            validated = upTo
            if eof && upTo < end { throw notUTF8(at: upTo, length: end - upTo) }  // cut short by the end
        case .invalid(let at, let length):
            throw notUTF8(at: at, length: length)
        }
    }

    /// In-memory input is checked in one go before the first record.
    private func checkInMemoryInput() {
        guard validationPending else { return }
        validationPending = false
        do { try checkUTF8() } catch { pendingError = error }
    }

    /// The error for the `length` bytes at `at` that are not UTF-8, naming its line.
    private func notUTF8(at: Int, length: Int) -> CSVSyntaxError {
        var lineOfByte = line
        var i = start
        while i < at {
            if buf[i] == LF { lineOfByte += 1 }
            i += 1
        }
        var bytes = ""
        for k in at..<Swift.min(end, at + length) {
            bytes += "\\x" + (buf[k] < 16 ? "0" : "") + String(buf[k], radix: 16, uppercase: true)
        }
        return CSVSyntaxError(line: lineOfByte, message: "not UTF-8 text (bytes \(bytes)); the input must be UTF-8: convert it first, e.g. iconv -f WINDOWS-1252 -t UTF-8 in.csv > in-utf8.csv")
    }

    /// The error for a record over its limit (on the line where the record starts).
    private func tooLongRecord() -> CSVSyntaxError {
        CSVSyntaxError(line: recordLine, message: "the record is longer than \(CSVReader.sizeText(maxRecordBytes)) (the limit for one record); is this a CSV file with line breaks?")
    }

    /// The error for the `cell`-th cell of a record over its limit (on `line`, where it starts).
    private func tooLong(cell: Int, line: Int) -> CSVSyntaxError {
        CSVSyntaxError(line: line, message: "cell \(cell) is longer than \(CSVReader.sizeText(maxFieldBytes)) (the limit for one cell); is this a CSV file, and are its quotes balanced?")
    }

    /// `1 MiB`, `16 MiB`, or `N bytes`.
    static func sizeText(_ n: Int) -> String {
        n >= 1 << 20 && n % (1 << 20) == 0 ? "\(n >> 20) MiB" : "\(n) bytes"
    }


    // MARK: - Parsing

    private enum ScanResult { case record(line: Int), needMore, end, failure(CSVSyntaxError) }

    /// Receives the cells of the record being scanned. A record is begun, gets its cells one by
    /// one, and is either complete (`scan` returns `.record`) or dropped (`rollback`). A record
    /// still incomplete when a call returns is parked in the reader and resumed by the next one.
    private protocol CellSink {
        /// A record starts on `line`.
        mutating func begin(line: Int)
        /// The next cell of the record, its bytes unquoted and unescaped.
        mutating func cell(_ bytes: UnsafeBufferPointer<UInt8>)
        /// The record begun last is dropped (it is broken, or its input could not be read).
        mutating func rollback()
        /// Moves the record begun last, incomplete, with the cells it has so far, to `parked`.
        mutating func park(into parked: inout CSVChunk, line: Int)
        /// Takes back the record `park` moved out, to go on with it.
        mutating func unpark(from parked: inout CSVChunk)
    }

    /// Cells as strings, for `next()` and `nextBatch`.
    private struct StringCells: CellSink {
        var fields: [String] = []
        mutating func begin(line: Int) { fields.removeAll(keepingCapacity: true) }
        mutating func cell(_ bytes: UnsafeBufferPointer<UInt8>) {
            // Already checked to be UTF-8 when `requiresUTF8`; else invalid bytes become U+FFFD.
            fields.append(String(decoding: bytes, as: UTF8.self))
        }
        mutating func rollback() { fields.removeAll(keepingCapacity: true) }
        mutating func park(into parked: inout CSVChunk, line: Int) {
            parked.append(fields: fields, line: line)
            fields.removeAll()
        }
        mutating func unpark(from parked: inout CSVChunk) {
            fields = parked.fields(0)
            parked.removeAll()
        }
        /// The fields of the record just completed.
        mutating func take() -> [String] {
            var done: [String] = []
            done.reserveCapacity(fields.count)
            swap(&done, &fields)
            return done
        }
    }

    /// Cells appended to a chunk, for `nextChunk`.
    private struct ChunkCells: CellSink {
        var chunk: CSVChunk
        mutating func begin(line: Int) { chunk.beginRecord(line: line) }
        mutating func cell(_ bytes: UnsafeBufferPointer<UInt8>) { chunk.appendCell(bytes) }
        mutating func rollback() { chunk.dropLastRecord() }
        mutating func park(into parked: inout CSVChunk, line: Int) { chunk.moveLastRecord(to: &parked) }
        mutating func unpark(from parked: inout CSVChunk) { parked.moveLastRecord(to: &chunk) }
    }

    /// Parses one record from `buf[start..<end]` into `sink`, resuming where the previous call
    /// stopped for lack of input. Never returns `.needMore` when `eof` is set. Commits
    /// `start`/`line` when a record is complete (or after skipping blank lines / the BOM).
    ///
    /// The scanner state lives in locals while the call runs and in the reader's properties
    /// only between calls (written back by `suspend`), which keeps the loops tight.
    private func scan<Sink: CellSink>(into sink: inout Sink) -> ScanResult {
        let buf = self.buf, e = self.end, eof = self.eof, maxField = maxFieldBytes
        var p: Int, line: Int
        var phase = self.phase
        var fieldStart = 0, fieldLine = 0, segStart = 0, escaped = false, cells = 0
        if phase == .record {
            p = start
            line = self.line
        } else {  // resume inside a record
            p = pos
            line = posLine
            fieldStart = self.fieldStart
            fieldLine = self.fieldLine
            segStart = self.segStart
            escaped = self.escaped
            cells = cellsInRecord
        }
        let entry = p

        if phase == .record {
            if atStart {  // skip a UTF-8 BOM at the very beginning of the input
                if e - p < 3 && !eof { return suspend(p, line, phase, fieldStart, fieldLine, segStart, escaped, cells, entry) }
                if e - p >= 3 && buf[p] == 0xEF && buf[p + 1] == 0xBB && buf[p + 2] == 0xBF { p += 3 }
                atStart = false
            }
            // Skip blank lines (LF or CRLF with nothing before them).
            while p < e {
                let b = buf[p]
                if b == LF { p += 1; line += 1; continue }
                if b == CR {
                    if p + 1 < e {
                        if buf[p + 1] == LF { p += 2; line += 1; continue }
                    } else if !eof {
                        break
                    }
                }
                break
            }
            start = p
            self.line = line
            if p == e || (buf[p] == CR && p + 1 == e && !eof) {
                if p == e && eof {
                    scannedBytes += p - entry
                    return .end
                }
                return suspend(p, line, phase, fieldStart, fieldLine, segStart, escaped, cells, entry)  // phase is still .record
            }
            recordLine = line
            sink.begin(line: line)
            phase = .field
        }

        while true {
            switch phase {
            case .record:
                preconditionFailure("scan: record phase inside a record")
            case .field:
                // p is at the first byte of a field (or at the end of the input after a comma).
                if p == e && !eof { return suspend(p, line, phase, fieldStart, fieldLine, segStart, escaped, cells, entry) }
                fieldStart = p
                fieldLine = line
                if p < e && buf[p] == QUOTE {
                    p += 1
                    segStart = p
                    escaped = false
                    phase = .quoted
                    continue
                }
                phase = .unquoted
                fallthrough
            case .unquoted:
                // Scan to `,` / LF / CRLF. Bytes above ',' (0x2C) are never special.
                while p < e {
                    let b = buf[p]
                    if b > COMMA { p += 1; continue }
                    if b == COMMA || b == LF { break }
                    if b == QUOTE {
                        return fail(CSVSyntaxError(line: line, message: "quote character in unquoted field (a field containing '\"' must be quoted)"), p, entry, &sink)
                    }
                    if b == CR {
                        if p + 1 < e {
                            if buf[p + 1] == LF { break }
                        } else if !eof {
                            return suspend(p, line, phase, fieldStart, fieldLine, segStart, escaped, cells, entry)
                        }
                    }
                    p += 1
                }
                if p == e && !eof { return suspend(p, line, phase, fieldStart, fieldLine, segStart, escaped, cells, entry) }
                if p - fieldStart > maxField { return fail(tooLong(cell: cells + 1, line: fieldLine), p, entry, &sink) }
                sink.cell(UnsafeBufferPointer(start: buf + fieldStart, count: p - fieldStart))
                cells += 1
                if p == e { return finish(p, line, cells, entry, &sink) }
                let b = buf[p]
                if b == COMMA { p += 1; phase = .field; continue }
                p += (b == LF) ? 1 : 2  // LF or CRLF
                line += 1
                return finish(p, line, cells, entry, &sink)
            case .quoted:
                // Find the closing quote, unescaping `""` into `scratch` if needed.
                while true {
                    while p < e {
                        let b = buf[p]
                        if b == QUOTE { break }
                        if b == LF { line += 1 }
                        p += 1
                    }
                    if p == e {
                        if !eof { return suspend(p, line, phase, fieldStart, fieldLine, segStart, escaped, cells, entry) }
                        return fail(CSVSyntaxError(line: fieldLine, message: "unterminated quoted field (opening quote on line \(fieldLine))"), p, entry, &sink)
                    }
                    // buf[p] is a quote: either the first half of `""` or the closing quote.
                    if p + 1 == e && !eof { return suspend(p, line, phase, fieldStart, fieldLine, segStart, escaped, cells, entry) }
                    if p + 1 < e && buf[p + 1] == QUOTE {
                        if !escaped { scratch.removeAll(keepingCapacity: true); escaped = true }
                        scratch.append(contentsOf: UnsafeBufferPointer(start: buf + segStart, count: p + 1 - segStart))
                        p += 2
                        segStart = p
                        continue
                    }
                    break
                }
                if p + 1 - fieldStart > maxField { return fail(tooLong(cell: cells + 1, line: fieldLine), p, entry, &sink) }
                let tail = UnsafeBufferPointer(start: buf + segStart, count: p - segStart)
                if escaped {
                    scratch.append(contentsOf: tail)
                    scratch.withUnsafeBufferPointer { sink.cell($0) }
                } else {
                    sink.cell(tail)
                }
                cells += 1
                p += 1  // past the closing quote
                phase = .afterQuote
                fallthrough
            case .afterQuote:
                if p == e {
                    if !eof { return suspend(p, line, phase, fieldStart, fieldLine, segStart, escaped, cells, entry) }
                    return finish(p, line, cells, entry, &sink)  // end of input ends the record
                }
                let b = buf[p]
                if b == COMMA { p += 1; phase = .field; continue }
                if b == LF { p += 1; line += 1; return finish(p, line, cells, entry, &sink) }
                if b == CR {
                    if p + 1 == e && !eof { return suspend(p, line, phase, fieldStart, fieldLine, segStart, escaped, cells, entry) }
                    if p + 1 < e && buf[p + 1] == LF { p += 2; line += 1; return finish(p, line, cells, entry, &sink) }
                }
                return fail(CSVSyntaxError(line: line, message: "unexpected character \(describe(b)) after closing quote (expected ',' or end of line)"), p, entry, &sink)
            }
        }
    }

    /// Saves the scanner state for the next call (the cells finished so far stay in the sink).
    private func suspend(_ p: Int, _ line: Int, _ phase: Phase, _ fieldStart: Int, _ fieldLine: Int, _ segStart: Int,
                         _ escaped: Bool, _ cells: Int, _ entry: Int) -> ScanResult {
        pos = p
        posLine = line
        self.phase = phase
        self.fieldStart = fieldStart
        self.fieldLine = fieldLine
        self.segStart = segStart
        self.escaped = escaped
        cellsInRecord = cells
        scannedBytes += p - entry
        return .needMore
    }

    /// Ends the current record at `p` (after its line end): commits the position and returns it.
    @inline(__always)
    private func finish<Sink: CellSink>(_ p: Int, _ line: Int, _ cells: Int, _ entry: Int, _ sink: inout Sink) -> ScanResult {
        scannedBytes += p - entry
        // The record's length without its line end.
        var length = p - start
        if p > start && buf[p - 1] == LF { length -= (p - 2 >= start && buf[p - 2] == CR) ? 2 : 1 }
        if length > maxRecordBytes {
            pos = p
            sink.rollback()
            phase = .record
            return .failure(tooLongRecord())
        }
        start = p
        self.line = line
        phase = .record
        fieldCountHint = cells
        return .record(line: recordLine)
    }

    /// A failure at `p`: the record begun is dropped and the reader stops there (errors are sticky).
    private func fail<Sink: CellSink>(_ error: CSVSyntaxError, _ p: Int, _ entry: Int, _ sink: inout Sink) -> ScanResult {
        scannedBytes += p - entry
        pos = p
        sink.rollback()
        phase = .record
        return .failure(error)
    }

    /// Printable description of a byte for error messages.
    private func describe(_ b: UInt8) -> String {
        switch b {
        case CR: return "'\\r'"
        case 0x20...0x7E: return "'\(Character(Unicode.Scalar(b)))'"
        default: return "0x" + String(b, radix: 16, uppercase: true)
        }
    }
}

// The reader holds mutable state and is meant for one thread at a time.
@available(*, unavailable)
extension CSVReader: Sendable {}

/// Minimal RFC 4180 field writer, the counterpart of `CSVReader`.
///
/// Note: a record consisting of a single empty field, written as an empty line, is read back
/// by `CSVReader` as a blank line (no record). Write `""` for such a record if it matters.
public enum CSVWriter {
    /// `field` with a `'` in front when it starts with `=` `+` `-` `@`, TAB or CR: a spreadsheet
    /// (Excel, LibreOffice) opening the CSV file would otherwise run it as a formula (CSV
    /// injection), e.g. `=HYPERLINK(...)` in an id. The `'` makes the cell text; it is part of
    /// the value for any other reader. Other fields are returned unchanged.
    public static func formulaSafe(_ field: String) -> String {
        startsFormula(field.utf8.first) ? "'" + field : field
    }

    /// Whether a cell starting with `first` is one that `formulaSafe` prefixes.
    @inline(__always)
    public static func startsFormula(_ first: UInt8?) -> Bool {
        switch first {
        case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, CR: return true
        default: return false
        }
    }

    /// Appends `field` to `out`, quoting (RFC 4180) only if it contains `,` `"` CR or LF.
    public static func appendField(_ field: String, to out: inout [UInt8]) {
        var field = field
        field.withUTF8 { appendField($0, to: &out) }
    }

    /// Appends the raw UTF-8 bytes `field` to `out`, quoting (RFC 4180) only if they contain
    /// `,` `"` CR or LF. Embedded quotes are doubled.
    public static func appendField(_ field: some Collection<UInt8>, to out: inout [UInt8]) {
        let needsQuotes = field.contains { $0 == COMMA || $0 == QUOTE || $0 == CR || $0 == LF }
        guard needsQuotes else {
            out.append(contentsOf: field)
            return
        }
        out.reserveCapacity(out.count + field.count + 2)
        out.append(QUOTE)
        for b in field {
            if b == QUOTE { out.append(QUOTE) }
            out.append(b)
        }
        out.append(QUOTE)
    }
}
