#if canImport(Glibc)
import Glibc
#endif
import Dispatch

/// An output stream that writes bytes to a file descriptor, for `repay batch`.
///
/// Writing to a path goes to a temporary file beside it, renamed over the
/// path only by `commit()`: a failed or interrupted run never leaves a
/// truncated file that looks complete.
public final class ByteSink {
    let fd: Int32
    let finalPath: String?
    let tempPath: String?
    var buffer: [UInt8] = []
    var failed: KernelError?

    /// Standard output.
    public static func standardOutput() -> ByteSink { ByteSink(fd: 1, finalPath: nil, tempPath: nil) }

    init(fd: Int32, finalPath: String?, tempPath: String?) {
        self.fd = fd
        self.finalPath = finalPath
        self.tempPath = tempPath
        buffer.reserveCapacity(1 << 20)
    }

    /// Opens a temporary file beside `path` (or standard output for `-`).
    public static func open(path: String, field: String) throws(KernelError) -> ByteSink {
        if path == "-" { return standardOutput() }
        let temp = "\(path).tmp-\(getpid())"
        let fd = Glibc.open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw KernelError(.io, field: field, "cannot write '\(path)': \(String(cString: strerror(errno)))")
        }
        return ByteSink(fd: fd, finalPath: path, tempPath: temp)
    }

    /// Appends bytes, flushing when the buffer is large.
    public func write(_ bytes: [UInt8]) throws(KernelError) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Writes out everything buffered.
    public func flush() throws(KernelError) {
        if let failed { throw failed }
        var offset = 0
        let total = buffer.count
        while offset < total {
            let n = buffer.withUnsafeBytes { raw in Glibc.write(fd, raw.baseAddress! + offset, total - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                let what = errno == EPIPE ? "the reader closed the pipe" : String(cString: strerror(errno))
                let e = KernelError(.io, field: "output", "write failed: \(what)")
                failed = e
                throw e
            }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, closes, and renames the temporary file over the final path.
    public func commit() throws(KernelError) {
        try flush()
        guard let tempPath, let finalPath else { return }
        if fsync(fd) != 0 && errno != EINVAL {
            let e = KernelError(.io, field: "output", "cannot write '\(finalPath)': \(String(cString: strerror(errno)))")
            discard(); throw e
        }
        close(fd)
        if rename(tempPath, finalPath) != 0 {
            let e = KernelError(.io, field: "output", "cannot rename to '\(finalPath)': \(String(cString: strerror(errno)))")
            unlink(tempPath)
            throw e
        }
    }

    /// Closes and removes the temporary file (a failed run leaves nothing behind).
    public func discard() {
        buffer.removeAll()
        guard let tempPath else { return }
        close(fd)
        unlink(tempPath)
    }
}

/// Runs `repay batch`: reads CSV rows, computes them in parallel, writes the
/// outputs in input order (byte-identical for every number of jobs).
public struct BatchRunner {
    /// Counts of a finished run.
    public struct Outcome: Sendable {
        /// Rows computed.
        public var ok = 0
        /// Rows that got `status=error`.
        public var failed = 0
    }

    /// Called after each chunk with the rows done so far.
    public var progress: (@Sendable (Int) -> Void)? = nil
    /// Set by a signal handler to stop at the next chunk.
    public var shouldStop: (@Sendable () -> Bool)? = nil
    /// Worker threads (1 = sequential).
    public var jobs: Int
    /// Rows per parallel chunk.
    public var chunkRows = 2048

    /// A runner with `jobs` workers.
    public init(jobs: Int) { self.jobs = max(1, jobs) }

    /// Reads from `input`, writes to the sinks (each optional), and commits
    /// them only when the whole input was usable.
    ///
    /// - Throws: `KernelError` with `.unusableFile` for a bad header or broken
    ///   quoting (nothing is committed), `.io` for a failed read or write.
    public func run(input: CSVReader, schedule: ByteSink?, summary: ByteSink?) throws(KernelError) -> Outcome {
        let sinks = [schedule, summary].compactMap { $0 }
        do {
            let outcome = try runUncommitted(input: input, schedule: schedule, summary: summary)
            for s in sinks { try s.commit() }
            return outcome
        } catch {
            for s in sinks { s.discard() }
            throw error
        }
    }

    private func runUncommitted(input: CSVReader, schedule: ByteSink?, summary: ByteSink?) throws(KernelError) -> Outcome {
        let header: CSVRecord
        do {
            guard let h = try input.next() else { throw KernelError(.unusableFile, field: "header", "the input is empty (no header row)") }
            header = h
        } catch let e as CSVSyntaxError {
            throw KernelError(.unusableFile, field: "input", "line \(e.line): \(e.message)")
        } catch let e as KernelError { throw e } catch { throw KernelError(.unusableFile, field: "input", "\(error)") }
        let columns = try BatchColumns(header: header.fields)
        try schedule?.write(Array(BatchFormatter.scheduleHeader.utf8))
        try summary?.write(Array(BatchFormatter.summaryHeader.utf8))
        var outcome = Outcome()
        let wantSchedule = schedule != nil
        while true {
            if let stop = shouldStop, stop() { throw KernelError(.io, field: "", "interrupted") }
            let records: [CSVRecord]
            do {
                records = try input.nextBatch(max: chunkRows * jobs)
            } catch {
                throw KernelError(.unusableFile, field: "input", "line \(error.line): \(error.message)")
            }
            if records.isEmpty { break }
            let parts = (records.count + chunkRows - 1) / chunkRows
            let results = ChunkResults(count: parts)
            let chunkRows = self.chunkRows
            let work: @Sendable (Int) -> Void = { (part: Int) in
                var s: [UInt8] = [], m: [UInt8] = []
                s.reserveCapacity(wantSchedule ? chunkRows * 64 : 0)
                m.reserveCapacity(chunkRows * 96)
                var failed = 0
                let end = min(records.count, (part + 1) * chunkRows)
                for i in (part * chunkRows)..<end {
                    if !BatchFormatter.process(fields: records[i].fields, columns: columns, schedule: &s, summary: &m) { failed += 1 }
                    if !wantSchedule { s.removeAll(keepingCapacity: true) }
                }
                results.store(part, schedule: s, summary: m, failed: failed)
            }
            if jobs == 1 || parts == 1 {
                for p in 0..<parts { work(p) }
            } else {
                DispatchQueue.concurrentPerform(iterations: parts, execute: work)
            }
            for p in 0..<parts {
                let (s, m, failed) = results.take(p)
                try schedule?.write(s)
                try summary?.write(m)
                outcome.failed += failed
                outcome.ok += min(records.count, (p + 1) * chunkRows) - p * chunkRows - failed
            }
            progress?(outcome.ok + outcome.failed)
        }
        return outcome
    }
}

/// Per-chunk outputs written by worker threads, each slot by exactly one worker.
private final class ChunkResults: @unchecked Sendable {
    private var slots: [([UInt8], [UInt8], Int)]
    private let lock = NSLockLike()
    init(count: Int) { slots = Array(repeating: ([], [], 0), count: count) }
    func store(_ i: Int, schedule: [UInt8], summary: [UInt8], failed: Int) {
        lock.locked { slots[i] = (schedule, summary, failed) }
    }
    func take(_ i: Int) -> ([UInt8], [UInt8], Int) { lock.locked { slots[i] } }
}

/// A pthread mutex (the kernel does not depend on Foundation).
private final class NSLockLike: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&mutex); defer { pthread_mutex_unlock(&mutex) }
        return body()
    }
}
