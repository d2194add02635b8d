#if canImport(Glibc)
import Glibc
#endif
import RepaymentKernel

// Outputs of `repay batch`: atomic files (a temporary file renamed into place only when the
// whole run succeeded), standard output, and writes that a signal can interrupt.

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
        var failure: KernelError? = nil
        bytes.withUnsafeBytes { raw in
            do throws(KernelError) { try writeAll(raw) } catch { failure = error }
        }
        if let failure { throw failure }
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
