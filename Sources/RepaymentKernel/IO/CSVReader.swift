// CSVReader.swift — a fast, streaming RFC 4180 CSV reader (and a tiny field writer).
//
// Pure Swift + Glibc: input comes either from a file descriptor, read with read(2) into a
// reusable buffer, or from bytes already in memory. Memory use is bounded by the chunk size
// and the length of the longest record, never by the total input size.
//
// Parsing strategy: a record is parsed straight out of the buffer. If the buffer ends before
// the record does (and the input is not exhausted), the partial record is discarded, its bytes
// are moved to the front of the buffer, more input is read, and the record is parsed again from
// its first byte. The buffer doubles whenever a single record does not fit, so re-parsing costs
// O(record length) amortized. This keeps the hot loop free of resumable-state bookkeeping and
// makes every chunk boundary (inside quotes, between `""`, between CR and LF, inside a BOM)
// trivially correct.

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
    /// True when reading failed (read(2) returned an error), false for a syntax error.
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
/// Quoted fields may contain `,`, CR, LF and `""` (an escaped quote). Fields are decoded as UTF-8
/// (invalid sequences become U+FFFD).
///
/// Errors are sticky: once `next()` has thrown, every later call throws the same error.
/// The reader is not thread-safe; hand the records (which are `Sendable`) to other threads.
/// The reader never closes the file descriptor it was given.
public final class CSVReader {
    private var buf: UnsafeMutablePointer<UInt8>
    private var cap: Int
    private var start = 0            // first unconsumed byte
    private var end = 0              // one past the last valid byte
    private var eof: Bool            // no more input beyond `end`
    private let fd: Int32            // -1 for in-memory input
    private var line = 1             // physical line of buf[start]
    private var atStart = true       // BOM not yet checked
    private var fieldCountHint = 8   // field count of the previous record (for reserveCapacity)
    private var scratch: [UInt8] = []  // unescaping buffer for quoted fields containing `""`
    private var pendingError: CSVSyntaxError?
    private var totalRead = 0        // bytes obtained from read(2) (or given in memory)

    /// Polled when read(2) is interrupted by a signal (EINTR): true ends reading with an I/O
    /// error "interrupted" instead of retrying (so Ctrl-C works while waiting for input).
    public var shouldStop: (@Sendable () -> Bool)? = nil

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
    }

    deinit { buf.deallocate() }

    /// Returns the next non-blank record, or nil at end of input.
    ///
    /// - Throws: `CSVSyntaxError` on broken quoting (a quote inside an unquoted field, characters
    ///   after a closing quote other than `,` or a line end, an unterminated quoted field) or on
    ///   a read(2) failure.
    public func next() throws(CSVSyntaxError) -> CSVRecord? {
        if let e = pendingError { throw e }
        while true {
            let (result, fields) = scanStrings()
            switch result {
            case .record(let line): return CSVRecord(fields: fields, line: line)
            case .end: return nil
            case .needMore:
                do { try refill() } catch { pendingError = error; throw error }
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
        while out.count < max {
            if let e = pendingError {
                if out.isEmpty { throw e }
                break  // the next call rethrows it
            }
            let (result, fields) = scanStrings()
            switch result {
            case .record(let line):
                out.append(CSVRecord(fields: fields, line: line))
            case .end:
                return out
            case .needMore:
                if !waitForMax && !out.isEmpty { return out }
                do { try refill() } catch { pendingError = error }
            case .failure(let e):
                pendingError = e
            }
        }
        return out
    }

    // MARK: - Buffer management

    /// Moves unconsumed bytes to the front, grows the buffer if it is full, then reads once (more
    /// bytes, or end of input). Sets `eof` when read(2) returns 0. EINTR is retried unless
    /// `shouldStop` says otherwise; any other failure (including EAGAIN on a non-blocking
    /// descriptor) is reported as an error.
    private func refill() throws(CSVSyntaxError) {
        precondition(!eof, "refill after EOF")
        let live = end - start
        if start > 0 {
            if live > 0 { memmove(buf, buf + start, live) }
            start = 0
            end = live
        }
        if end == cap {  // a single record fills the buffer: double it
            let newCap = cap * 2
            let nb = UnsafeMutablePointer<UInt8>.allocate(capacity: newCap)
            nb.update(from: buf, count: end)
            buf.deallocate()
            buf = nb
            cap = newCap
        }
        while true {
            let n = read(fd, buf + end, cap - end)
            if n > 0 {
                end += n
                totalRead += n
                return
            } else if n == 0 {
                eof = true
                return
            } else if errno == EINTR {
                if let stop = shouldStop, stop() {
                    throw CSVSyntaxError(line: line, message: "interrupted", isIOError: true)
                }
            } else {
                let code = errno
                throw CSVSyntaxError(line: line, message: "I/O error: read(2) failed: \(String(cString: strerror(code))) (errno \(code))", isIOError: true)
            }
        }
    }

    // MARK: - Parsing

    private enum ScanResult { case record(line: Int), needMore, end, failure(CSVSyntaxError) }

    /// Receives the cells of the record being scanned.
    private protocol CellSink {
        /// A record starts on `line`.
        mutating func begin(line: Int)
        /// The next cell of the record, its bytes unquoted and unescaped.
        mutating func cell(_ bytes: UnsafeBufferPointer<UInt8>)
        /// The record begun last is dropped (more input is needed, or it is broken).
        mutating func rollback()
    }

    /// Cells as strings, for `next()` and `nextBatch`.
    private struct StringCells: CellSink {
        var fields: [String] = []
        mutating func begin(line: Int) { fields.removeAll(keepingCapacity: true) }
        mutating func cell(_ bytes: UnsafeBufferPointer<UInt8>) { fields.append(String(decoding: bytes, as: UTF8.self)) }
        mutating func rollback() { fields.removeAll(keepingCapacity: true) }
    }

    /// Cells appended to a chunk, for `nextChunk`.
    private struct ChunkCells: CellSink {
        var chunk: CSVChunk
        mutating func begin(line: Int) { chunk.beginRecord(line: line) }
        mutating func cell(_ bytes: UnsafeBufferPointer<UInt8>) { chunk.appendCell(bytes) }
        mutating func rollback() { chunk.dropLastRecord() }
    }

    /// Scans one record as strings.
    private func scanStrings() -> (ScanResult, [String]) {
        var sink = StringCells()
        sink.fields.reserveCapacity(fieldCountHint)
        let r = scan(into: &sink)
        return (r, sink.fields)
    }

    /// Appends up to `max` records to `chunk` (emptied first, its capacity kept), their cells
    /// as bytes: the batch path, with no `String` per cell. The chunk is empty at the end of
    /// input. `waitForMax` and errors as in `nextBatch(max:waitForMax:)`: records read before
    /// an error are kept, and the next call throws it.
    public func nextChunk(into chunk: inout CSVChunk, max: Int, waitForMax: Bool = true) throws(CSVSyntaxError) {
        chunk.removeAll()
        var sink = ChunkCells(chunk: chunk)
        chunk = CSVChunk()   // the storage moves to the sink and back: no copy
        defer { chunk = sink.chunk }
        while sink.chunk.count < max {
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
                if !waitForMax && !sink.chunk.isEmpty { return }
                do { try refill() } catch { pendingError = error }
            case .failure(let e):
                pendingError = e
            }
        }
    }

    /// Parses one record from `buf[start..<end]`. Never returns `.needMore` when `eof` is set.
    /// Only commits `start`/`line` on success (or after skipping blank lines / the BOM).
    private func scan<Sink: CellSink>(into sink: inout Sink) -> ScanResult {
        let buf = self.buf, e = self.end, eof = self.eof
        var p = start
        var line = self.line

        if atStart {  // skip a UTF-8 BOM at the very beginning of the input
            if e - p < 3 && !eof { return .needMore }
            if e - p >= 3 && buf[p] == 0xEF && buf[p + 1] == 0xBB && buf[p + 2] == 0xBF { p += 3 }
            atStart = false
            start = p
        }
        // Skip blank lines (LF or CRLF with nothing before them).
        while p < e {
            let b = buf[p]
            if b == LF { p += 1; line += 1; continue }
            if b == CR {
                if p + 1 < e {
                    if buf[p + 1] == LF { p += 2; line += 1; continue }
                } else if !eof {
                    start = p; self.line = line
                    return .needMore
                }
            }
            break
        }
        start = p
        self.line = line
        if p == e { return eof ? .end : .needMore }

        let recordLine = line
        sink.begin(line: recordLine)
        var cells = 0
        // Every early return below drops the record begun (the sink rolls it back).
        var complete = false
        defer { if !complete { sink.rollback() } }

        while true {  // one iteration per field; p is at the first byte of the field
            if p < e && buf[p] == QUOTE {
                // Quoted field: find the closing quote, unescaping `""` into `scratch` if needed.
                let quoteLine = line
                p += 1
                var segStart = p
                var escaped = false
                while true {
                    while p < e {
                        let b = buf[p]
                        if b == QUOTE { break }
                        if b == LF { line += 1 }
                        p += 1
                    }
                    if p == e {
                        if !eof { return .needMore }
                        return .failure(CSVSyntaxError(line: quoteLine, message: "unterminated quoted field (opening quote on line \(quoteLine))"))
                    }
                    // buf[p] is a quote: either the first half of `""` or the closing quote.
                    if p + 1 == e && !eof { return .needMore }
                    if p + 1 < e && buf[p + 1] == QUOTE {
                        if !escaped { scratch.removeAll(keepingCapacity: true); escaped = true }
                        scratch.append(contentsOf: UnsafeBufferPointer(start: buf + segStart, count: p + 1 - segStart))
                        p += 2
                        segStart = p
                        continue
                    }
                    break
                }
                let tail = UnsafeBufferPointer(start: buf + segStart, count: p - segStart)
                if escaped {
                    scratch.append(contentsOf: tail)
                    scratch.withUnsafeBufferPointer { sink.cell($0) }
                    cells += 1
                } else {
                    sink.cell(tail)
                    cells += 1
                }
                p += 1  // past the closing quote
                if p == e {
                    if !eof { return .needMore }
                    break  // end of input ends the record
                }
                let b = buf[p]
                if b == COMMA { p += 1; continue }
                if b == LF { p += 1; line += 1; break }
                if b == CR {
                    if p + 1 == e && !eof { return .needMore }
                    if p + 1 < e && buf[p + 1] == LF { p += 2; line += 1; break }
                }
                return .failure(CSVSyntaxError(line: line, message: "unexpected character \(describe(b)) after closing quote (expected ',' or end of line)"))
            } else {
                // Unquoted field: scan to `,` / LF / CRLF. Bytes above ',' (0x2C) are never special.
                let fieldStart = p
                while p < e {
                    let b = buf[p]
                    if b > COMMA { p += 1; continue }
                    if b == COMMA || b == LF { break }
                    if b == QUOTE {
                        return .failure(CSVSyntaxError(line: line, message: "quote character in unquoted field (a field containing '\"' must be quoted)"))
                    }
                    if b == CR {
                        if p + 1 < e {
                            if buf[p + 1] == LF { break }
                        } else if !eof {
                            return .needMore
                        }
                    }
                    p += 1
                }
                if p == e && !eof { return .needMore }
                sink.cell(UnsafeBufferPointer(start: buf + fieldStart, count: p - fieldStart))
                cells += 1
                if p == e { break }
                let b = buf[p]
                if b == COMMA { p += 1; continue }
                p += (b == LF) ? 1 : 2  // LF or CRLF
                line += 1
                break
            }
        }
        start = p
        self.line = line
        complete = true
        fieldCountHint = cells
        return .record(line: recordLine)
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
