#if canImport(Glibc)
import Glibc
#endif
import RepaymentKernel

// The `repay batch` pipeline.
//
//   reader thread ──chunks──▶ N worker threads ──outputs──▶ calling thread (writer)
//
// * The reader scans the CSV (CSVReader.nextChunk) into chunks of rows, numbered in input order.
// * Each worker takes the next chunk and computes every row with its own RowProcessor (the
//   core: cells parsed as bytes, computed, formatted) into output buffers of its own (CSV or
//   JSON lines, ledger lines, error lines).
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
        try outputs.ledger?.write(Array(LedgerFormat.header.utf8))

        let plan = ChunkWork(columns: columns,
                             outputs: RowOutputs(jsonl: format == .jsonl, schedule: outputs.schedule != nil,
                                                 summary: outputs.summary != nil, ledger: outputs.ledger != nil,
                                                 excelSafe: excelSafe),
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
