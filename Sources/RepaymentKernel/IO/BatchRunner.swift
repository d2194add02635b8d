#if canImport(Glibc)
import Glibc
#endif

// The `repay batch` pipeline.
//
//   reader thread ──chunks──▶ N worker threads ──outputs──▶ calling thread (writer)
//
// * The reader parses the CSV (CSVReader) into chunks of rows, numbered in input order.
// * Each worker takes the next chunk, computes every row (BatchFormatter) and renders its
//   output bytes (CSV or JSON lines, and error lines) into buffers of its own.
// * The calling thread writes the chunks' outputs strictly in chunk order, so the bytes are
//   identical for every number of workers.
// * At most `window` chunks exist at any time (read, being computed, or waiting to be
//   written): the reader waits for the writer. Chunks are sized to produce about
//   `chunkOutputBytes` of output each, so memory stays bounded whatever the input size and
//   whatever the loan terms (a 360-month loan writes 30 times the bytes of a 12-month one).
//
// Faults: a write error (closed pipe, full disk), a broken input or `shouldStop` (a signal)
// stop the pipeline; every output written to a path is a temporary file, removed on failure
// and renamed over the path only after the whole input went through.

/// An output stream of `repay batch`, writing bytes to a file descriptor.
///
/// Writing to a path goes to a hidden temporary file in the same directory, renamed over the
/// path only by `commit()`: a failed or interrupted run never leaves a truncated file that
/// looks complete. An existing path that is not a regular file (a FIFO, `/dev/null`, a
/// terminal) is written directly. `-` is standard output.
/// A sink is used by one thread at a time.
public final class ByteSink {
    let fd: Int32
    /// What the messages call this output: the path, or "standard output".
    public let name: String
    /// The option it comes from (`schedule`, `summary`, ...), named in error messages.
    public let field: String
    let finalPath: String?
    /// The temporary file written until `commit()`, nil when writing directly.
    public let tempPath: String?
    let ownsDescriptor: Bool
    var buffer: [UInt8] = []
    var failed: KernelError?
    var closed = false      // the descriptor is closed (finishWriting or discard)
    var finished = false    // published or discarded
    /// Polled when a write is interrupted by a signal (EINTR): true ends the write with an
    /// "interrupted" error instead of retrying.
    public var shouldStop: (@Sendable () -> Bool)? = nil
    /// Bytes handed to `write` so far.
    public private(set) var bytesWritten = 0
    /// Bytes written to the descriptor, and how far writeback to disk was already started.
    var fileOffset = 0, writebackStarted = 0

    /// Standard output.
    public static func standardOutput() -> ByteSink {
        standardOutput(field: "output")
    }

    static func standardOutput(field: String) -> ByteSink {
        ByteSink(fd: 1, name: "standard output", field: field, finalPath: nil, tempPath: nil, ownsDescriptor: false)
    }

    init(fd: Int32, name: String, field: String, finalPath: String?, tempPath: String?, ownsDescriptor: Bool) {
        self.fd = fd
        self.name = name
        self.field = field
        self.finalPath = finalPath
        self.tempPath = tempPath
        self.ownsDescriptor = ownsDescriptor
        buffer.reserveCapacity(1 << 20)
    }

    /// Opens `path` for writing: a temporary file beside it (or, for `-`, standard output;
    /// for an existing non-regular file such as a FIFO or `/dev/null`, the file itself).
    ///
    /// - Parameter field: the option named in error messages (`schedule`, `summary`, ...).
    public static func open(path: String, field: String) throws(KernelError) -> ByteSink {
        if path == "-" { return standardOutput(field: field) }
        var st = stat()
        if stat(path, &st) == 0 && (st.st_mode & S_IFMT) != S_IFREG {
            if (st.st_mode & S_IFMT) == S_IFDIR {
                throw KernelError(.io, field: field, "cannot write '\(path)': it is a directory")
            }
            let fd = Glibc.open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else {
                throw KernelError(.io, field: field, "cannot write '\(path)': \(String(cString: strerror(errno)))")
            }
            return ByteSink(fd: fd, name: path, field: field, finalPath: nil, tempPath: nil, ownsDescriptor: true)
        }
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[...$0]) } ?? ""
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let temp = "\(dir).\(base).repay-\(getpid()).tmp"
        let fd = Glibc.open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw KernelError(.io, field: field, "cannot write '\(path)': \(String(cString: strerror(errno)))")
        }
        return ByteSink(fd: fd, name: path, field: field, finalPath: path, tempPath: temp, ownsDescriptor: true)
    }

    /// Appends bytes, writing them out when the buffer is large (a large array is written
    /// directly, without a copy).
    public func write(_ bytes: [UInt8]) throws(KernelError) {
        if let failed { throw failed }
        bytesWritten += bytes.count
        if buffer.count + bytes.count < 1 << 20 {
            buffer.append(contentsOf: bytes)
            return
        }
        try flush()
        if bytes.count >= 1 << 18 {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    /// Appends a buffer's bytes; a large buffer is written directly, without a copy.
    public func write(_ bytes: ByteBuffer) throws(KernelError) {
        if let failed { throw failed }
        bytesWritten += bytes.count
        if buffer.count + bytes.count < 1 << 20 {
            bytes.withUnsafeBytes { buffer.append(contentsOf: $0) }
            return
        }
        try flush()
        try writeAll(bytes.rawBytes)
    }

    /// Writes out everything buffered.
    public func flush() throws(KernelError) {
        if let failed { throw failed }
        guard !buffer.isEmpty else { return }
        try writeAll(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: [UInt8]) throws(KernelError) {
        var failure: KernelError? = nil
        bytes.withUnsafeBytes { raw in
            do throws(KernelError) { try writeAll(raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws(KernelError) {
        var offset = 0
        let total = bytes.count
        guard let base = bytes.baseAddress else { return }
        while offset < total {
            try waitUntilWritable()
            let n = Glibc.write(fd, base + offset, total - offset)
            if n < 0 {
                let code = errno
                if code == EINTR {
                    if let stop = shouldStop, stop() { throw fail(KernelError(.io, field: "", "interrupted")) }
                    continue
                }
                let what: String
                switch code {
                case EPIPE: what = "the program reading it closed the pipe; the output is incomplete"
                case ENOSPC: what = "no space left on the device"
                case EDQUOT: what = "disk quota exceeded"
                default: what = String(cString: strerror(code))
                }
                throw fail(KernelError(.io, field: field, "cannot write to \(fd == 1 && tempPath == nil && finalPath == nil ? name : "'\(name)'"): \(what)"))
            }
            offset += n
        }
        fileOffset += total
        startWriteback()
    }

    /// For a file that `commit()` will fsync: asks the kernel to start writing to disk every
    /// 16 MiB as the run goes, so the final fsync does not wait for the whole file (for a
    /// 1 GB schedule that wait was over a second of an eight-second run).
    private func startWriteback() {
        guard tempPath != nil, fileOffset - writebackStarted >= 1 << 24, let syncFileRange else { return }
        _ = syncFileRange(fd, Int64(writebackStarted), Int64(fileOffset - writebackStarted), 2 /* SYNC_FILE_RANGE_WRITE */)
        writebackStarted = fileOffset
    }

    /// For a pipe, terminal or socket: waits (polling `shouldStop` every 50 ms) until a write
    /// would not block, so a stop request is seen even when the reader on the other side stalls.
    /// Regular files are always writable.
    private func waitUntilWritable() throws(KernelError) {
        guard let stop = shouldStop else { return }
        if stop() { throw fail(KernelError(.io, field: "", "interrupted")) }
        guard !isRegularFile else { return }
        while true {
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let r = poll(&p, 1, 50)
            if stop() { throw fail(KernelError(.io, field: "", "interrupted")) }
            if r != 0 { return }  // ready, or an error that write(2) will report
        }
    }

    private lazy var isRegularFile: Bool = {
        var st = stat()
        return fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }()

    private func fail(_ e: KernelError) -> KernelError {
        failed = e
        return e
    }

    /// Flushes, syncs, closes, and renames the temporary file over the final path.
    public func commit() throws(KernelError) {
        try finishWriting()
        try publish()
    }

    /// First half of `commit()`: everything that can fail for lack of space or an I/O error
    /// (flush, fsync, close). After it, only the rename is left.
    public func finishWriting() throws(KernelError) {
        try flush()
        guard !closed else { return }
        guard tempPath != nil, let finalPath else {
            if ownsDescriptor { close(fd) }
            closed = true
            return
        }
        if fsync(fd) != 0 && errno != EINVAL {
            throw fail(KernelError(.io, field: field, "cannot write to '\(finalPath)': \(String(cString: strerror(errno)))"))
        }
        let rc = close(fd)
        closed = true
        if rc != 0 {
            throw fail(KernelError(.io, field: field, "cannot write to '\(finalPath)': \(String(cString: strerror(errno)))"))
        }
    }

    /// Second half of `commit()`: renames the finished temporary file over the final path.
    public func publish() throws(KernelError) {
        if !closed { try finishWriting() }
        guard !finished else { return }
        finished = true
        guard let tempPath, let finalPath else { return }
        if rename(tempPath, finalPath) != 0 {
            let e = KernelError(.io, field: field, "cannot rename to '\(finalPath)': \(String(cString: strerror(errno)))")
            unlink(tempPath)
            throw e
        }
    }

    /// Closes and removes the temporary file (a failed run leaves nothing behind).
    public func discard() {
        buffer.removeAll()
        guard !finished else { return }
        finished = true
        if ownsDescriptor && !closed { close(fd) }
        closed = true
        if let tempPath { unlink(tempPath) }
    }
}

/// Linux `sync_file_range(2)` (a GNU extension the Glibc module does not import), if present.
private typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32
private let syncFileRange: SyncFileRange? = {
    guard let symbol = dlsym(nil, "sync_file_range") else { return nil }  // nil: RTLD_DEFAULT
    return unsafeBitCast(symbol, to: SyncFileRange.self)
}()

/// Output format of `repay batch`.
public enum BatchFormat: String, Sendable, CaseIterable {
    /// The schedule and summary CSV files of SPEC §7.
    case csv
    /// One JSON object per input row (`JsonlFormatter`).
    case jsonl
}

/// Where `repay batch` writes; every output is optional.
public struct BatchOutputs {
    /// `--format csv`: one line per payment.
    public var schedule: ByteSink?
    /// `--format csv`: one line per input row.
    public var summary: ByteSink?
    /// `--format jsonl`: one JSON object per input row.
    public var jsonl: ByteSink?
    /// The error report: `row,line,id,column,message`, one line per failed row.
    public var errors: ByteSink?
    /// The ledger (`LedgerFormat`) of every plan row with payments, in input order.
    public var ledger: ByteSink?

    /// Outputs of a run.
    public init(schedule: ByteSink? = nil, summary: ByteSink? = nil, jsonl: ByteSink? = nil, errors: ByteSink? = nil,
                ledger: ByteSink? = nil) {
        self.schedule = schedule
        self.summary = summary
        self.jsonl = jsonl
        self.errors = errors
        self.ledger = ledger
    }

    /// Every sink given.
    public var all: [ByteSink] { [schedule, summary, jsonl, errors, ledger].compactMap { $0 } }
}

/// Where a run is, for a progress display.
public struct BatchProgress: Sendable {
    /// Rows written so far.
    public var rows: Int
    /// Of which failed.
    public var failed: Int
    /// Input bytes consumed up to the last row written.
    public var bytesRead: Int
    /// Seconds since the run started.
    public var elapsed: Double
}

/// Runs `repay batch`: reads CSV rows, computes them in parallel, writes the outputs in input
/// order (byte-identical for every number of jobs), with memory bounded by the chunk size.
public struct BatchRunner {
    /// Counts of a finished run.
    public struct Outcome: Sendable, Equatable {
        /// Rows computed.
        public var ok = 0
        /// Rows that got `status=error`.
        public var failed = 0
    }

    /// The header of the `--errors` report.
    public static let errorsHeader = "row,line,id,column,message\n"

    /// Called on the calling thread about every `progressInterval` seconds while the run goes on.
    public var progress: ((BatchProgress) -> Void)? = nil
    /// Seconds between two `progress` calls.
    public var progressInterval = 0.25
    /// Polled by the writer (at least every 50 ms) and on interrupted writes: true stops the
    /// run with an "interrupted" error (nothing is committed).
    public var shouldStop: (@Sendable () -> Bool)? = nil
    /// Compute threads.
    public var jobs: Int
    /// Output format.
    public var format: BatchFormat = .csv
    /// Aim for about this many output bytes per chunk (the chunk's row count adapts).
    public var chunkOutputBytes = 1 << 20
    /// Bounds on the rows of a chunk.
    public var minChunkRows = 8, maxChunkRows = 4096
    /// Chunks in flight (read, computing, or waiting to be written); default `2 * jobs + 2`.
    public var window: Int? = nil

    /// A runner with `jobs` compute threads.
    public init(jobs: Int) { self.jobs = max(1, jobs) }

    /// Reads from `input`, writes to the CSV sinks (each optional), and commits them only when
    /// the whole input was usable.
    public func run(input: CSVReader, schedule: ByteSink?, summary: ByteSink?) throws(KernelError) -> Outcome {
        try run(input: input, outputs: BatchOutputs(schedule: schedule, summary: summary))
    }

    /// Reads from `input`, writes to `outputs`, and commits them only when the whole input went
    /// through; on any failure every sink is discarded.
    ///
    /// - Throws: `KernelError` with `.unusableFile` for a bad header or broken quoting, `.io`
    ///   for a failed read or write, or an `.io` error with the problem "interrupted" when
    ///   `shouldStop` said so. After a failure, compute threads may still be finishing their
    ///   current chunk, and the reading thread may still be blocked in read(2) on `input`
    ///   (it keeps `input` alive; do not use `input` again after a failure).
    public func run(input: CSVReader, outputs: BatchOutputs) throws(KernelError) -> Outcome {
        let sinks = outputs.all
        for s in sinks where s.shouldStop == nil { s.shouldStop = shouldStop }
        if input.shouldStop == nil { input.shouldStop = shouldStop }
        do {
            let outcome = try runUncommitted(input: input, outputs: outputs)
            // All outputs or none: finish (flush, fsync) every file before renaming any.
            for s in sinks { try s.finishWriting() }
            for s in sinks { try s.publish() }
            return outcome
        } catch {
            for s in sinks { s.discard() }
            throw error
        }
    }

    static func inputError(_ e: CSVSyntaxError) -> KernelError {
        if e.isIOError { return KernelError(.io, field: "input", "line \(e.line): \(e.message)") }
        return KernelError(.unusableFile, field: "input", "line \(e.line): \(e.message)")
    }

    private func runUncommitted(input: CSVReader, outputs: BatchOutputs) throws(KernelError) -> Outcome {
        let started = Clock.now()
        let header: CSVRecord
        do {
            guard let h = try input.next() else {
                throw KernelError(.unusableFile, field: "header", "the input is empty (no header row)")
            }
            header = h
        } catch let e as CSVSyntaxError {
            throw BatchRunner.inputError(e)
        } catch let e as KernelError { throw e } catch { throw KernelError(.unusableFile, field: "input", "\(error)") }
        let columns = try BatchColumns(header: header.fields)

        switch format {
        case .csv:
            try outputs.schedule?.write(Array(BatchFormatter.scheduleHeader.utf8))
            try outputs.summary?.write(Array(BatchFormatter.summaryHeader.utf8))
        case .jsonl:
            break
        }
        try outputs.errors?.write(Array(BatchRunner.errorsHeader.utf8))
        try outputs.ledger?.write(Array(LedgerFormat.header.utf8))

        let plan = ChunkWork(columns: columns,
                             outputs: RowOutputs(jsonl: format == .jsonl, schedule: outputs.schedule != nil,
                                                 summary: outputs.summary != nil, ledger: outputs.ledger != nil),
                             wantErrors: outputs.errors != nil)
        // Start small (the first chunks are read before any output size is known), then size
        // chunks from the output bytes per row actually seen.
        let pipeline = Pipeline(window: window ?? (2 * jobs + 2), initialEstimate: max(1, chunkOutputBytes / 64))
        var threads: [pthread_t] = []
        var clean = false
        defer {
            pipeline.stop()
            if clean { for t in threads { pthread_join(t, nil) } } else { for t in threads { pthread_detach(t) } }
        }
        let target = chunkOutputBytes, minRows = max(1, minChunkRows), maxRows = max(minChunkRows, maxChunkRows)
        let reader = UncheckedBox(input)
        try threads.append(Threads.spawn {
            pipeline.readLoop(reader.value, target: target, minRows: minRows, maxRows: maxRows)
        })
        for _ in 0..<jobs {
            try threads.append(Threads.spawn { pipeline.workLoop(plan) })
        }

        var outcome = Outcome()
        var lastProgress = started
        while true {
            let next = pipeline.nextResult(shouldStop: shouldStop, timeoutMillis: progress == nil ? 50 : min(50, Int(progressInterval * 1000)))
            switch next {
            case .chunk(let out):
                switch format {
                case .csv:
                    try outputs.schedule?.write(out.primary)
                    try outputs.summary?.write(out.secondary)
                case .jsonl:
                    try outputs.jsonl?.write(out.primary)
                }
                if !out.errors.isEmpty { try outputs.errors?.write(out.errors) }
                if !out.ledger.isEmpty { try outputs.ledger?.write(out.ledger) }
                outcome.failed += out.failed
                outcome.ok += out.rows - out.failed
                pipeline.written(out)
            case .waiting:
                break
            case .finished:
                clean = true
                return outcome
            case .failed(let e):
                throw e
            case .stopped:
                throw KernelError(.io, field: "", "interrupted")
            }
            if let progress {
                let now = Clock.now()
                if now - lastProgress >= progressInterval {
                    lastProgress = now
                    progress(BatchProgress(rows: outcome.ok + outcome.failed, failed: outcome.failed,
                                           bytesRead: pipeline.bytesWritten, elapsed: now - started))
                }
            }
        }
    }
}

/// What a worker does with a chunk.
struct ChunkWork: Sendable {
    let columns: BatchColumns
    let outputs: RowOutputs
    let wantErrors: Bool

    /// Computes every row of `chunk` into `buffers` (emptied, their capacity kept) with the
    /// worker's `processor`.
    func compute(_ chunk: InputChunk, buffers: [ByteBuffer], processor: inout RowProcessor) -> OutputChunk {
        let out = OutputChunk(primary: buffers[0], secondary: buffers[1], errors: buffers[2], ledger: buffers[3],
                              rows: chunk.cells.count, bytesRead: chunk.bytesRead)
        let rowBuffers = RowBuffers(primary: out.primary, summary: out.secondary, ledger: out.ledger)
        var failed = 0
        chunk.cells.forEachRow { k, row, line in
            guard let error = processor.process(row, line: line, into: rowBuffers) else { return }
            failed += 1
            if wantErrors {
                var text: [UInt8] = []
                BatchRunner.appendErrorLine(row: chunk.firstRow + k, line: line,
                                            id: String(decoding: columns.id(of: row), as: UTF8.self), error, to: &text)
                out.errors.append(text)
            }
        }
        var result = out
        result.failed = failed
        return result
    }
}

extension BatchRunner {
    /// Appends one line of the error report: `row,line,id,column,message` (row: the 1-based data
    /// row, header excluded; line: the physical line where the record starts).
    public static func appendErrorLine(row: Int, line: Int, id: String, _ error: KernelError, to out: inout [UInt8]) {
        out.append(contentsOf: String(row).utf8)
        out.append(44)
        out.append(contentsOf: String(line).utf8)
        out.append(44)
        CSVWriter.appendField(id, to: &out)
        out.append(44)
        CSVWriter.appendField(error.field, to: &out)
        out.append(44)
        CSVWriter.appendField(error.problem, to: &out)
        out.append(10)
    }
}

/// Rows read, in input order.
struct InputChunk: Sendable {
    let index: Int
    /// 1-based data-row number of the first record.
    let firstRow: Int
    /// The records' cells as bytes.
    let cells: CSVChunk
    /// `CSVReader.bytesConsumed` after the last record.
    let bytesRead: Int
}

/// A computed chunk's bytes.
struct OutputChunk: Sendable {
    let primary: ByteBuffer     // schedule CSV, or JSON lines
    let secondary: ByteBuffer   // summary CSV
    let errors: ByteBuffer      // error report lines
    let ledger: ByteBuffer      // ledger lines
    var rows: Int
    var failed = 0
    var bytesRead: Int
    var outputBytes: Int { primary.count + secondary.count + errors.count + ledger.count }
    var buffers: [ByteBuffer] { [primary, secondary, errors, ledger] }
}

/// The shared state of one run: a mutex, three condition variables, the queue of chunks to
/// compute and the computed chunks waiting to be written in order.
final class Pipeline: @unchecked Sendable {
    enum Next { case chunk(OutputChunk), waiting, finished, failed(KernelError), stopped }

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let workReady = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let spaceReady = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let resultReady = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    private let window: Int
    private var queue: [InputChunk?] = []
    private var queueHead = 0
    private var results: [Int: OutputChunk] = [:]
    private var chunksRead = 0
    private var chunksWritten = 0
    private var readerDone = false
    private var failure: KernelError?
    private var stopped = false
    /// Output bytes per row of the last chunk written (sizes the next chunks).
    private var bytesPerRow: Int
    /// Input bytes consumed up to the last chunk written.
    private(set) var bytesWritten = 0
    /// Emptied output buffers, kept with their capacity: reusing them spares a fresh
    /// allocation (and its page faults) for every chunk.
    private var spare: [ByteBuffer] = []
    /// Emptied input chunks, kept with their capacity, for the reader to refill.
    private var spareChunks: [CSVChunk] = []

    init(window: Int, initialEstimate: Int) {
        self.window = max(2, window)
        bytesPerRow = initialEstimate
        pthread_mutex_init(mutex, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        for c in [workReady, spaceReady, resultReady] { pthread_cond_init(c, &attr) }
        pthread_condattr_destroy(&attr)
    }

    deinit {
        for c in [workReady, spaceReady, resultReady] { pthread_cond_destroy(c); c.deallocate() }
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    private func lock() { pthread_mutex_lock(mutex) }
    private func unlock() { pthread_mutex_unlock(mutex) }

    /// Ends the run: every thread returns at its next check.
    func stop() {
        lock()
        stopped = true
        pthread_cond_broadcast(workReady)
        pthread_cond_broadcast(spaceReady)
        pthread_cond_broadcast(resultReady)
        unlock()
    }

    // MARK: reader thread

    func readLoop(_ reader: CSVReader, target: Int, minRows: Int, maxRows: Int) {
        var rowsRead = 0
        while true {
            lock()
            while !stopped && chunksRead - chunksWritten >= window { pthread_cond_wait(spaceReady, mutex) }
            let rows = min(maxRows, max(minRows, target / max(1, bytesPerRow)))
            let stop = stopped
            unlock()
            if stop { return }
            lock()
            var cells = spareChunks.popLast() ?? CSVChunk()
            unlock()
            do {
                try reader.nextChunk(into: &cells, max: rows, waitForMax: false)
            } catch {
                lock()
                if failure == nil { failure = BatchRunner.inputError(error) }
                readerDone = true
                pthread_cond_broadcast(workReady)
                pthread_cond_broadcast(resultReady)
                unlock()
                return
            }
            lock()
            if cells.isEmpty {
                readerDone = true
                pthread_cond_broadcast(workReady)
                pthread_cond_broadcast(resultReady)
                unlock()
                return
            }
            queue.append(InputChunk(index: chunksRead, firstRow: rowsRead + 1, cells: cells,
                                    bytesRead: reader.bytesConsumed))
            chunksRead += 1
            rowsRead += cells.count
            pthread_cond_signal(workReady)
            unlock()
        }
    }

    // MARK: worker threads

    func workLoop(_ work: ChunkWork) {
        // The worker's scratch, reused for every row it computes.
        var processor = RowProcessor(columns: work.columns, outputs: work.outputs)
        while true {
            lock()
            while !stopped && queueHead == queue.count && !readerDone { pthread_cond_wait(workReady, mutex) }
            if stopped || queueHead == queue.count {
                unlock()
                return
            }
            var chunk: InputChunk! = queue[queueHead]
            queue[queueHead] = nil   // the worker holds the only reference to the chunk's storage
            queueHead += 1
            let index = chunk.index
            if queueHead > 64 && queueHead * 2 > queue.count {
                queue.removeFirst(queueHead)
                queueHead = 0
            }
            var buffers: [ByteBuffer] = []
            while buffers.count < 4, let b = spare.popLast() { buffers.append(b) }
            unlock()
            while buffers.count < 4 { buffers.append(ByteBuffer(capacity: 1 << 16)) }
            let out = work.compute(chunk, buffers: buffers, processor: &processor)
            // The emptied chunk goes back to the reader with its capacity.
            var cells = chunk.cells
            chunk = nil
            cells.removeAll()
            lock()
            if spareChunks.count < window { spareChunks.append(cells) }
            results[index] = out
            pthread_cond_signal(resultReady)
            unlock()
        }
    }

    // MARK: writer (calling thread)

    /// The next chunk in input order, or what happened instead; waits at most `timeoutMillis`.
    func nextResult(shouldStop: (@Sendable () -> Bool)?, timeoutMillis: Int) -> Next {
        lock()
        defer { unlock() }
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let ns = Int(deadline.tv_nsec) + max(1, timeoutMillis) * 1_000_000
        deadline.tv_sec += ns / 1_000_000_000
        deadline.tv_nsec = ns % 1_000_000_000
        while true {
            if let stop = shouldStop, stop() { return .stopped }
            if let failure { return .failed(failure) }
            if let out = results.removeValue(forKey: chunksWritten) {
                chunksWritten += 1
                if out.rows > 0 { bytesPerRow = max(1, out.outputBytes / out.rows) }
                pthread_cond_signal(spaceReady)
                return .chunk(out)
            }
            if readerDone && chunksWritten == chunksRead { return .finished }
            if stopped { return .stopped }
            if pthread_cond_timedwait(resultReady, mutex, &deadline) == ETIMEDOUT {
                if let stop = shouldStop, stop() { return .stopped }
                return .waiting
            }
        }
    }

    /// Records the input position of the chunk just written and takes back its buffers.
    func written(_ out: consuming OutputChunk) {
        let buffers = out.buffers
        for b in buffers { b.removeAll() }
        lock()
        bytesWritten = out.bytesRead
        if spare.count < 4 * window { spare.append(contentsOf: buffers) }
        unlock()
    }
}

/// Hands a non-Sendable value to exactly one other thread.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Plain pthreads: the pipeline's threads block in condition variables and read(2), which
/// must not happen on Swift concurrency's cooperative pool.
enum Threads {
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// Starts a thread running `body`. SIGINT, SIGTERM and SIGPIPE are blocked in it, so that
    /// those signals reach the calling (writer) thread and interrupt its blocking writes.
    static func spawn(_ body: @escaping @Sendable () -> Void) throws(KernelError) -> pthread_t {
        var block = sigset_t(), saved = sigset_t()
        sigemptyset(&block)
        sigaddset(&block, SIGINT)
        sigaddset(&block, SIGTERM)
        sigaddset(&block, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &block, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let body = Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue()
            body.run()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            throw KernelError(.io, field: "jobs", "cannot start a thread: \(String(cString: strerror(rc)))")
        }
        return thread
    }
}

/// Monotonic seconds.
enum Clock {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
