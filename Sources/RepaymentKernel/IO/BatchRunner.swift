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
// stop the pipeline; every output is a temporary file (or a buffer, for standard output),
// removed on failure and put in place only after the whole input went through (ByteSink).

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

    /// Outputs of a run.
    public init(schedule: ByteSink? = nil, summary: ByteSink? = nil, jsonl: ByteSink? = nil, errors: ByteSink? = nil) {
        self.schedule = schedule
        self.summary = summary
        self.jsonl = jsonl
        self.errors = errors
    }

    /// Every sink given.
    public var all: [ByteSink] { [schedule, summary, jsonl, errors].compactMap { $0 } }
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

    /// The signals that ask a run to stop and clean up (exit status 128 + the signal).
    public static let stopSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Prefix text cells (ids, error messages) that a spreadsheet would run as a formula
    /// with `'` (`CSVWriter.formulaSafe`). CSV outputs only.
    public var excelSafe = false

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
            try ByteSink.publish(sinks)
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

        let plan = ChunkWork(columns: columns, format: format,
                             wantSchedule: outputs.schedule != nil, wantErrors: outputs.errors != nil, excelSafe: excelSafe)
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
    let format: BatchFormat
    let wantSchedule: Bool
    let wantErrors: Bool
    /// `BatchRunner.excelSafe`.
    let excelSafe: Bool

    func compute(_ chunk: InputChunk, estimate: Int, buffers: [[UInt8]]) -> OutputChunk {
        var out = OutputChunk(primary: buffers[0], secondary: buffers[1], errors: buffers[2],
                              rows: chunk.records.count, bytesRead: chunk.bytesRead)
        switch format {
        case .csv:
            if wantSchedule { out.primary.reserveCapacity(estimate * chunk.records.count) }
            out.secondary.reserveCapacity(100 * chunk.records.count)
            for (k, record) in chunk.records.enumerated() {
                let ok = BatchFormatter.process(fields: record.fields, columns: columns,
                                                schedule: &out.primary, summary: &out.secondary,
                                                writeSchedule: wantSchedule, excelSafe: excelSafe)
                if !wantSchedule { out.primary.removeAll(keepingCapacity: true) }
                if !ok {
                    out.failed += 1
                    if wantErrors { appendErrorLine(row: chunk.firstRow + k, record: record, to: &out.errors) }
                }
            }
        case .jsonl:
            out.primary.reserveCapacity(estimate * chunk.records.count)
            for (k, record) in chunk.records.enumerated() {
                let id = columns.id(of: record.fields)
                do {
                    let result = try BatchResult(columns.request(from: record.fields))
                    JsonlFormatter.appendResult(id: id, line: record.line, result, to: &out.primary)
                } catch {
                    out.failed += 1
                    JsonlFormatter.appendError(id: id, line: record.line, error, to: &out.primary)
                    if wantErrors {
                        BatchRunner.appendErrorLine(row: chunk.firstRow + k, line: record.line, id: id, error,
                                                    excelSafe: excelSafe, to: &out.errors)
                    }
                }
            }
        }
        return out
    }

    /// The error report line of a row that `BatchFormatter.process` rejected. The row is parsed
    /// and computed again to get the error itself; rows are independent and deterministic, so
    /// this is the same error (and failed rows are rare, so the cost does not matter).
    func appendErrorLine(row: Int, record: CSVRecord, to out: inout [UInt8]) {
        let id = columns.id(of: record.fields)
        let error: KernelError
        do {
            _ = try BatchResult(columns.request(from: record.fields))
            error = KernelError(field: "", "the row failed while writing its output")
        } catch let e {
            error = e
        }
        BatchRunner.appendErrorLine(row: row, line: record.line, id: id, error, excelSafe: excelSafe, to: &out)
    }
}

extension BatchRunner {
    /// Appends one line of the error report: `row,line,id,column,message` (row: the 1-based data
    /// row, header excluded; line: the physical line where the record starts). With
    /// `excelSafe`, the text cells go through `CSVWriter.formulaSafe`.
    public static func appendErrorLine(row: Int, line: Int, id: String, _ error: KernelError, excelSafe: Bool = false,
                                       to out: inout [UInt8]) {
        out.append(contentsOf: String(row).utf8)
        out.append(44)
        out.append(contentsOf: String(line).utf8)
        for text in [id, error.field, error.problem] {
            out.append(44)
            CSVWriter.appendField(excelSafe ? CSVWriter.formulaSafe(text) : text, to: &out)
        }
        out.append(10)
    }
}

/// Rows read, in input order.
struct InputChunk: @unchecked Sendable {
    let index: Int
    /// 1-based data-row number of the first record.
    let firstRow: Int
    let records: [CSVRecord]
    /// `CSVReader.bytesConsumed` after the last record.
    let bytesRead: Int
}

/// A computed chunk's bytes.
struct OutputChunk: Sendable {
    var primary: [UInt8] = []     // schedule CSV, or JSON lines
    var secondary: [UInt8] = []   // summary CSV
    var errors: [UInt8] = []      // error report lines
    var rows: Int
    var failed = 0
    var bytesRead: Int
    var outputBytes: Int { primary.count + secondary.count + errors.count }
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
    private var queue: [InputChunk] = []
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
    private var spare: [[UInt8]] = []

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
            let records: [CSVRecord]
            do {
                records = try reader.nextBatch(max: rows, waitForMax: false)
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
            if records.isEmpty {
                readerDone = true
                pthread_cond_broadcast(workReady)
                pthread_cond_broadcast(resultReady)
                unlock()
                return
            }
            queue.append(InputChunk(index: chunksRead, firstRow: rowsRead + 1, records: records,
                                    bytesRead: reader.bytesConsumed))
            chunksRead += 1
            rowsRead += records.count
            pthread_cond_signal(workReady)
            unlock()
        }
    }

    // MARK: worker threads

    func workLoop(_ work: ChunkWork) {
        while true {
            lock()
            while !stopped && queueHead == queue.count && !readerDone { pthread_cond_wait(workReady, mutex) }
            if stopped || queueHead == queue.count {
                unlock()
                return
            }
            let chunk = queue[queueHead]
            queueHead += 1
            if queueHead > 64 && queueHead * 2 > queue.count {
                queue.removeFirst(queueHead)
                queueHead = 0
            }
            let estimate = bytesPerRow
            var buffers: [[UInt8]] = []
            while buffers.count < 3, let b = spare.popLast() { buffers.append(b) }
            unlock()
            while buffers.count < 3 { buffers.append([]) }
            let out = work.compute(chunk, estimate: estimate, buffers: buffers)
            lock()
            results[chunk.index] = out
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
        var buffers = [out.primary, out.secondary, out.errors]
        for i in buffers.indices { buffers[i].removeAll(keepingCapacity: true) }
        lock()
        bytesWritten = out.bytesRead
        if spare.count < 3 * window { spare.append(contentsOf: buffers) }
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

    /// Starts a thread running `body`. The stop signals (SIGINT, SIGTERM, SIGHUP) and SIGPIPE
    /// are blocked in it, so that those signals reach the calling (writer) thread and interrupt
    /// its blocking reads and writes.
    static func spawn(_ body: @escaping @Sendable () -> Void) throws(KernelError) -> pthread_t {
        var block = sigset_t(), saved = sigset_t()
        sigemptyset(&block)
        for sig in BatchRunner.stopSignals { sigaddset(&block, sig) }
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
