#if canImport(Glibc)
import Glibc
#endif
import RepaymentKernel

// OutputFile.swift — the outputs of `repay batch`, written all or nothing.
//
// * A path names a regular file (or nothing yet): the bytes go to a temporary file beside it,
//   created with O_EXCL|O_NOFOLLOW under a random name `.NAME.repay-tmp-PID-RANDOM` (a planted
//   file or symlink is never opened). Only when the whole input went through are the files
//   finished (flushed, given the mode and owner of the file they replace, fsynced) and then
//   renamed over their paths, after a hard link `.NAME.repay-old-PID-RANDOM` keeps each
//   previous file: if one rename fails, the ones already done are undone from those links.
// * Standard output, a FIFO or a device is buffered in an unlinked temporary file in $TMPDIR
//   and copied out after the renames (a failed copy undoes them too), so a file found unusable
//   at row 900,000 leaves nothing on standard output either. Standard output redirected to the
//   end of a regular file (`>`, `>>`) is written in place instead and cut back to its old length
//   on failure (no second copy of a large output). `streaming` (`--stream`) writes such an
//   output as the run goes; /dev/null is always written directly.
// * Leftovers of runs that were killed (SIGKILL leaves temporary files behind) are removed the
//   next time a run writes into the same directory: the PID in their name is not alive.

/// An output of `repay batch`: a file written through a temporary file and renamed into place,
/// standard output (or a FIFO or device) buffered until the run completes, or, when streaming,
/// a descriptor written as the run goes.
///
/// A failed or interrupted run never leaves a truncated file that looks complete. A sink is used
/// by one thread at a time.
public final class ByteSink {
    /// How the bytes reach their destination.
    enum Kind: Equatable {
        /// A regular file: a temporary file beside it, renamed over it by `publish`.
        case file
        /// Standard output, a FIFO or a device: buffered in an unlinked temporary file, copied
        /// to `destination` by `publish`.
        case spooled
        /// Written to the descriptor as the run goes (`streaming`, or /dev/null).
        case direct
        /// Standard output (or /dev/stdout...) redirected to the end of a regular file (`>` or
        /// `>>`): written in place, and cut back to its length at the start if the run fails.
        /// It spares buffering a large output only to copy it to a file.
        case rewindable
    }

    /// Where a sink is in its life.
    enum State { case writing, finished, published, discarded }

    let kind: Kind
    /// Where `write` goes: the temporary file, the spool, or (direct) the destination.
    let fd: Int32
    /// The final descriptor of a spooled or direct sink (-1 for a file).
    let destination: Int32
    /// What the messages call this output: the path, or "standard output".
    public let name: String
    /// The option it comes from (`schedule`, `summary`, ...), named in error messages.
    public let field: String
    /// The file the temporary file replaces (a symlink's target, resolved), nil unless a file.
    let finalPath: String?
    /// The temporary file written until `publish`, nil unless a file.
    public let tempPath: String?
    /// The destination descriptor is ours to close (a FIFO or device we opened).
    let ownsDestination: Bool
    var buffer: [UInt8] = []
    var failed: KernelError?
    var state = State.writing
    /// The previous file at `finalPath`, kept as a hard link (or renamed there) while publishing.
    var backupPath: String?
    /// The previous file could not be hard-linked: it is renamed to `backupPath` just before the
    /// temporary file takes its place.
    var backupByRename = false
    /// `finalPath` existed when publication began.
    var replacesFile = false
    /// A rewindable sink: the length `destination` had at the start (where to cut it back).
    var rewindOffset: off_t = 0
    /// True once publication started touching the final paths (the messages then say exactly
    /// which files changed).
    public internal(set) var publicationStarted = false
    /// Polled when a write is interrupted by a signal (EINTR) and while waiting for a pipe or
    /// terminal to accept bytes: true ends the write with an "interrupted" error.
    public var shouldStop: (@Sendable () -> Bool)? = nil
    /// Bytes handed to `write` so far.
    public private(set) var bytesWritten = 0
    /// Bytes written to `fd`, and how far writeback to disk was already started.
    var fileOffset = 0, writebackStarted = 0

    /// True when the output is in place (published and not undone).
    public var isPublished: Bool { state == .published }
    /// True when the output is held back until the run completes (a file, or buffered
    /// standard output); false when it is written as the run goes (`streaming`, /dev/null).
    public var isHeldBack: Bool { kind != .direct }

    init(kind: Kind, fd: Int32, destination: Int32, name: String, field: String, finalPath: String?, tempPath: String?,
         ownsDestination: Bool) {
        self.kind = kind
        self.fd = fd
        self.destination = destination
        self.name = name
        self.field = field
        self.finalPath = finalPath
        self.tempPath = tempPath
        self.ownsDestination = ownsDestination
        buffer.reserveCapacity(1 << 20)
    }

    /// Standard output, written as the run goes (no buffering until the end).
    public static func standardOutput() -> ByteSink {
        ByteSink(kind: .direct, fd: 1, destination: 1, name: "standard output", field: "output", finalPath: nil,
                 tempPath: nil, ownsDestination: false)
    }

    /// Opens `path` for writing: a temporary file beside it; for `-` (standard output) or an
    /// existing FIFO or device, a buffer in $TMPDIR copied out at the end (or, with
    /// `streaming`, the descriptor itself; /dev/null is always written directly).
    ///
    /// Leftover temporary files of killed runs in the target directory are removed first.
    ///
    /// - Parameters:
    ///   - field: the option named in error messages (`schedule`, `summary`, ...).
    ///   - streaming: write standard output, FIFOs and devices as the run goes (partial output
    ///     when the run fails).
    /// - Throws: `KernelError` with `.io` when the output cannot be created.
    public static func open(path: String, field: String, streaming: Bool = false) throws(KernelError) -> ByteSink {
        if path == "-" {
            return try stream(to: 1, name: "standard output", field: field, owned: false, streaming: streaming)
        }
        if let n = OutputPath.descriptorAlias(path) {
            // /dev/stderr and the like name a descriptor we already have: write to it as it is
            // (its offset, its append mode), never replace the file behind it.
            let fd = fcntl(n, F_DUPFD_CLOEXEC, 3)
            guard fd >= 0 else {
                throw KernelError(.io, field: field, "cannot write '\(path)': \(String(cString: strerror(errno)))")
            }
            return try stream(to: fd, name: path, field: field, owned: true, streaming: streaming)
        }
        var st = stat()
        if stat(path, &st) == 0 && (st.st_mode & S_IFMT) != S_IFREG {
            if (st.st_mode & S_IFMT) == S_IFDIR {
                throw KernelError(.io, field: field, "cannot write '\(path)': it is a directory; give a file name, e.g. \(path.hasSuffix("/") ? path : path + "/")\(field).csv")
            }
            let fd = Glibc.open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else {
                throw KernelError(.io, field: field, "cannot write '\(path)': \(String(cString: strerror(errno)))")
            }
            return try stream(to: fd, name: path, field: field, owned: true, streaming: streaming)
        }
        let target = OutputPath.resolved(path)
        _ = TempFiles.removeStale(in: target.dir)
        let exists = stat(target.path, &st) == 0
        // A file that replaces another starts private; it gets the old file's mode when finished.
        let fd: Int32, temp: String
        switch TempFiles.create(dir: target.dir, base: target.base, tag: TempFiles.tempTag, mode: exists ? 0o600 : 0o666) {
        case .success(let created):
            (fd, temp) = created
        case .failure(let e):
            let hint = e.code == ENOENT ? " (does the directory '\(target.dir.isEmpty ? "." : target.dir)' exist?)" : ""
            throw KernelError(.io, field: field, "cannot write '\(path)': \(String(cString: strerror(e.code)))\(hint)")
        }
        return ByteSink(kind: .file, fd: fd, destination: -1, name: path, field: field, finalPath: target.path, tempPath: temp,
                        ownsDestination: false)
    }

    /// A sink for an existing descriptor: direct when streaming or /dev/null, rewindable at the
    /// end of a regular file, else spooled.
    private static func stream(to fd: Int32, name: String, field: String, owned: Bool, streaming: Bool) throws(KernelError) -> ByteSink {
        if streaming || OutputPath.isDevNull(fd) {
            return ByteSink(kind: .direct, fd: fd, destination: fd, name: name, field: field, finalPath: nil, tempPath: nil,
                            ownsDestination: owned)
        }
        var st = stat()
        if fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
            && (fcntl(fd, F_GETFL) & O_APPEND != 0 || lseek(fd, 0, SEEK_CUR) == st.st_size) {
            // Writing at the end: cutting back to this length on failure loses nothing else.
            let sink = ByteSink(kind: .rewindable, fd: fd, destination: fd, name: name, field: field, finalPath: nil,
                                tempPath: nil, ownsDestination: owned)
            sink.rewindOffset = st.st_size
            return sink
        }
        let dir = OutputPath.temporaryDirectory
        switch TempFiles.create(dir: dir, base: "spool", tag: TempFiles.spoolTag, mode: 0o600, read: true) {
        case .success(let (spool, path)):
            unlink(path)  // nothing to clean up, whatever happens to the process
            return ByteSink(kind: .spooled, fd: spool, destination: fd, name: name, field: field, finalPath: nil, tempPath: nil,
                            ownsDestination: owned)
        case .failure(let e):
            if owned { close(fd) }
            throw KernelError(.io, field: field, "cannot keep \(name == "standard output" ? name : "'\(name)'") in a temporary file in '\(dir)' until the run completes: \(String(cString: strerror(e.code))); set TMPDIR to a writable directory, or add --stream to write it as the run goes")
        }
    }

    /// The name in messages: "standard output", or the path in quotes.
    var displayName: String { name == "standard output" && kind != .file ? name : "'\(name)'" }

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
        try writeLoop(to: fd, bytes, waiting: kind == .direct,  // (rewindable: a regular file)
                      errorFor: kind == .spooled ? spoolError : writeError)
        fileOffset += bytes.count
        startWriteback()
    }

    /// Writes `bytes` to `out`, retrying short and interrupted writes; with `waiting`, waits
    /// (polling the stop request) until `out` accepts bytes.
    func writeLoop(to out: Int32, _ bytes: UnsafeRawBufferPointer, waiting: Bool,
                   errorFor: (Int32) -> KernelError) throws(KernelError) {
        guard let base = bytes.baseAddress else { return }
        let total = bytes.count
        var offset = 0
        while offset < total {
            if waiting { try waitUntilWritable(out) } else { try checkStop() }
            let n = Glibc.write(out, base + offset, total - offset)
            if n < 0 {
                let code = errno
                if code == EINTR { continue }  // the stop request is checked at the top of the loop
                throw fail(errorFor(code))
            }
            offset += n
        }
    }

    /// The error for a failed write to the destination.
    func writeError(_ code: Int32) -> KernelError {
        let what: String
        switch code {
        case EPIPE: what = "the program reading it closed the pipe; the output is incomplete"
        case ENOSPC: what = "no space left on the device"
        case EDQUOT: what = "disk quota exceeded"
        default: what = String(cString: strerror(code))
        }
        return KernelError(.io, field: field, "cannot write to \(displayName): \(what)")
    }

    /// The error for a failed write to the buffer of standard output (or a FIFO or device).
    func spoolError(_ code: Int32) -> KernelError {
        KernelError(.io, field: field, "cannot keep \(displayName) in a temporary file in '\(OutputPath.temporaryDirectory)' until the run completes: \(String(cString: strerror(code))); set TMPDIR to a directory with room, or add --stream to write it as the run goes")
    }

    /// For a file that will be fsynced: asks the kernel to start writing to disk every 16 MiB
    /// as the run goes, so the final fsync does not wait for the whole file (for a 1 GB
    /// schedule that wait was over a second of an eight-second run).
    private func startWriteback() {
        guard kind == .file, fileOffset - writebackStarted >= 1 << 24, let syncFileRange else { return }
        _ = syncFileRange(fd, Int64(writebackStarted), Int64(fileOffset - writebackStarted), 2 /* SYNC_FILE_RANGE_WRITE */)
        writebackStarted = fileOffset
    }

    func checkStop() throws(KernelError) {
        if let stop = shouldStop, stop() { throw fail(KernelError(.io, field: "", "interrupted")) }
    }

    /// For a pipe, terminal or socket: waits (polling `shouldStop` every 50 ms) until a write
    /// would not block, so a stop request is seen even when the reader on the other side stalls.
    /// Regular files are always writable.
    func waitUntilWritable(_ out: Int32) throws(KernelError) {
        guard let stop = shouldStop else { return }
        if stop() { throw fail(KernelError(.io, field: "", "interrupted")) }
        guard !OutputPath.isRegularFile(out) else { return }
        while true {
            var p = pollfd(fd: out, events: Int16(POLLOUT), revents: 0)
            let r = poll(&p, 1, 50)
            if stop() { throw fail(KernelError(.io, field: "", "interrupted")) }
            if r != 0 { return }  // ready, or an error that write(2) will report
        }
    }

    func fail(_ e: KernelError) -> KernelError {
        failed = e
        return e
    }

    /// Finishes and publishes this sink alone (see `publish(_:)`).
    public func commit() throws(KernelError) {
        try finishWriting()
        try ByteSink.publish([self])
    }

    /// Everything that can fail for lack of space or an I/O error before publication: flush;
    /// for a file also the mode and owner of the file it replaces, fsync and close. After it,
    /// only renames (and the copy of a buffered output) are left.
    public func finishWriting() throws(KernelError) {
        try flush()
        guard state == .writing else { return }
        switch kind {
        case .direct:
            if ownsDestination { close(destination) }
        case .spooled, .rewindable:
            break  // copied out, or kept, by `publish`
        case .file:
            var st = stat()
            if let finalPath, stat(finalPath, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG {
                // Keep who may read the file: the owner where allowed (root), then the mode.
                if st.st_uid != geteuid() || st.st_gid != getegid() { _ = fchown(fd, st.st_uid, st.st_gid) }
                _ = fchmod(fd, st.st_mode & 0o7777)
            }
            if fsync(fd) != 0 && errno != EINVAL {
                throw fail(KernelError(.io, field: field, "cannot write to '\(name)': \(String(cString: strerror(errno)))"))
            }
            if close(fd) != 0 {
                throw fail(KernelError(.io, field: field, "cannot write to '\(name)': \(String(cString: strerror(errno)))"))
            }
        }
        state = .finished
    }

    /// Closes and removes the temporary file or buffer (a failed run leaves nothing behind).
    /// A published sink is left alone.
    public func discard() {
        buffer.removeAll()
        switch state {
        case .published, .discarded:
            return
        case .writing:
            rewind()
            if kind != .direct && kind != .rewindable { close(fd) }
            if ownsDestination { close(destination) }
        case .finished:
            rewind()
            if kind == .spooled { close(fd) }
            if (kind == .spooled || kind == .rewindable) && ownsDestination { close(destination) }
        }
        state = .discarded
        if let tempPath { unlink(tempPath) }
        if let backupPath, !backupByRename { unlink(backupPath) }  // a link to the file left in place
        backupPath = nil
    }

    /// A rewindable sink: cuts the file back to where the run found its end.
    private func rewind() {
        guard kind == .rewindable else { return }
        _ = ftruncate(destination, rewindOffset)
        _ = lseek(destination, rewindOffset, SEEK_SET)  // a shared offset (2>&1) must not leave a hole
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
