#if canImport(Glibc)
import Glibc
#endif

// ByteSink.swift — the outputs of `repay batch`, written all or nothing.
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
    public private(set) var publicationStarted = false
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

    /// Writes out everything buffered.
    public func flush() throws(KernelError) {
        if let failed { throw failed }
        guard !buffer.isEmpty else { return }
        try writeAll(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: [UInt8]) throws(KernelError) {
        try writeLoop(to: fd, bytes, count: bytes.count, waiting: kind == .direct,  // (rewindable: a regular file)
                      errorFor: kind == .spooled ? spoolError : writeError)
        fileOffset += bytes.count
        startWriteback()
    }

    /// Writes `bytes[..<total]` to `out`, retrying short and interrupted writes; with `waiting`,
    /// waits (polling the stop request) until `out` accepts bytes.
    private func writeLoop(to out: Int32, _ bytes: [UInt8], count total: Int, waiting: Bool,
                           errorFor: (Int32) -> KernelError) throws(KernelError) {
        var offset = 0
        while offset < total {
            if waiting { try waitUntilWritable(out) } else { try checkStop() }
            let n = bytes.withUnsafeBytes { raw in Glibc.write(out, raw.baseAddress! + offset, total - offset) }
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

    private func checkStop() throws(KernelError) {
        if let stop = shouldStop, stop() { throw fail(KernelError(.io, field: "", "interrupted")) }
    }

    /// For a pipe, terminal or socket: waits (polling `shouldStop` every 50 ms) until a write
    /// would not block, so a stop request is seen even when the reader on the other side stalls.
    /// Regular files are always writable.
    private func waitUntilWritable(_ out: Int32) throws(KernelError) {
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

    private func fail(_ e: KernelError) -> KernelError {
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

    // MARK: - Publication

    /// Puts finished sinks in place, all or nothing as far as POSIX allows:
    /// 1. each file about to be replaced is kept as a hard link `.NAME.repay-old-PID-RANDOM`;
    /// 2. every temporary file is renamed over its path;
    /// 3. buffered outputs (standard output, FIFOs, devices) are copied out (standard output
    ///    redirected to the end of a file was written in place, and is cut back on failure);
    /// 4. the links are removed and the directories fsynced.
    /// When a step fails, the renames already done are undone (previous files renamed back, new
    /// ones removed), the remaining temporary files are removed, and the error says exactly what
    /// happened to each file. A buffered output copied out before the failure stays written.
    ///
    /// - Throws: `KernelError` with `.io`.
    public static func publish(_ sinks: [ByteSink]) throws(KernelError) {
        for s in sinks where s.state == .writing { try s.finishWriting() }
        let files = sinks.filter { $0.kind == .file && $0.state == .finished }
        for s in files {
            s.publicationStarted = true
            s.keepPreviousFile()
        }
        var renamed: [ByteSink] = []
        for (i, s) in files.enumerated() {
            if let e = s.rename() {
                for rest in files[(i + 1)...] { rest.discard() }
                s.discard()
                throw KernelError(.io, field: s.field, "\(e); \(undo(renamed))")
            }
            renamed.append(s)
        }
        for s in sinks where s.kind == .spooled && s.state == .finished {
            do {
                try s.copyOut()
            } catch {
                for rest in sinks where rest.kind == .spooled || rest.kind == .rewindable { rest.discard() }
                throw KernelError(.io, field: error.field, "\(error.problem); \(undo(renamed))")
            }
        }
        for s in sinks where s.kind == .rewindable && s.state == .finished {
            if s.ownsDestination { close(s.destination) }
            s.state = .published
        }
        var dirs: Set<String> = []
        for s in renamed {
            if let b = s.backupPath { unlink(b) }
            s.backupPath = nil
            dirs.insert(OutputPath.resolved(s.finalPath!).dir)
        }
        for dir in dirs { OutputPath.syncDirectory(dir) }
    }

    /// Step 1 for one file: a hard link to the file it replaces (or, where links are not
    /// supported, a name to rename it to just before the replacement).
    private func keepPreviousFile() {
        guard let finalPath else { return }
        var st = stat()
        // A new file has nothing to keep; nor has anything but a regular file (a rename over
        // a directory fails, and then there is nothing to undo for this output).
        guard lstat(finalPath, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return }
        replacesFile = true
        let target = OutputPath.resolved(finalPath)
        for _ in 0..<100 {
            let backup = target.dir + TempFiles.name(base: target.base, tag: TempFiles.oldTag, suffix: TempFiles.randomSuffix())
            if link(finalPath, backup) == 0 {
                backupPath = backup
                return
            }
            if errno == EEXIST { continue }
            backupPath = backup
            backupByRename = true
            return
        }
    }

    /// Step 2 for one file; the error text, or nil when done.
    private func rename() -> String? {
        guard let tempPath, let finalPath else { return nil }
        if backupByRename, let backupPath, Glibc.rename(finalPath, backupPath) != 0 {
            let code = errno
            self.backupPath = nil
            return "cannot move the previous '\(name)' aside to replace it: \(String(cString: strerror(code)))"
        }
        if Glibc.rename(tempPath, finalPath) != 0 {
            let text = "cannot move the finished output into place at '\(name)': \(String(cString: strerror(errno)))"
            if backupByRename, let backupPath {
                if Glibc.rename(backupPath, finalPath) != 0 {
                    self.backupPath = nil  // keep it: it is the only copy
                    return text + "; CAUTION: its previous content is now in '\(backupPath)'"
                }
                self.backupPath = nil
            }
            return text
        }
        state = .published
        return nil
    }

    /// Undoes the renames of `renamed` (last first); says what happened to every file.
    private static func undo(_ renamed: [ByteSink]) -> String {
        guard !renamed.isEmpty else { return "no output file was changed" }
        var done: [String] = [], lost: [String] = []
        for s in renamed.reversed() {
            guard let finalPath = s.finalPath else { continue }
            if s.replacesFile {
                if let b = s.backupPath, Glibc.rename(b, finalPath) == 0 {
                    done.append("'\(s.name)' (--\(s.field)) restored")
                    s.backupPath = nil
                    s.state = .discarded
                } else if let b = s.backupPath {
                    lost.append("'\(s.name)' (--\(s.field)) holds the new output; its previous content is in '\(b)': \(String(cString: strerror(errno)))")
                } else {
                    lost.append("'\(s.name)' (--\(s.field)) holds the new output; its previous content could not be kept")
                }
            } else if unlink(finalPath) == 0 {
                done.append("'\(s.name)' (--\(s.field)) removed")
                s.state = .discarded
            } else {
                lost.append("'\(s.name)' (--\(s.field)) holds the new output and could not be removed: \(String(cString: strerror(errno)))")
            }
        }
        if lost.isEmpty {
            return "the outputs already in place were undone (\(done.reversed().joined(separator: ", "))): no output file was changed"
        }
        return "CAUTION, not all could be undone: " + (lost.reversed() + done.reversed()).joined(separator: "; ")
    }

    /// Step 3 for one buffered output: copies the buffer to the destination (sendfile(2), or
    /// read and write where it is not supported).
    private func copyOut() throws(KernelError) {
        defer {
            close(fd)
            if ownsDestination { close(destination) }
        }
        state = .discarded  // the buffer is closed whatever happens
        guard lseek(fd, 0, SEEK_SET) == 0 else { throw fail(spoolError(errno)) }
        let regular = OutputPath.isRegularFile(destination)
        var left = fileOffset
        var useSendfile = true
        var chunk: [UInt8] = []
        while left > 0 {
            let want = min(left, regular ? 1 << 24 : 1 << 16)
            if useSendfile {
                try waitUntilWritable(destination)
                let n = sendfile(destination, fd, nil, want)
                if n > 0 { left -= n; continue }
                let code = n < 0 ? errno : EIO  // 0: the buffer is shorter than what was written
                if code == EINTR { continue }  // the stop request is checked at the top
                if code == EINVAL || code == ENOSYS { useSendfile = false; continue }
                throw fail(code == EIO && n == 0 ? spoolError(code) : writeError(code))
            }
            if chunk.isEmpty { chunk = [UInt8](repeating: 0, count: 1 << 16) }
            let got = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, min(want, $0.count)) }
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { throw fail(spoolError(got < 0 ? errno : EIO)) }
            try writeLoop(to: destination, chunk, count: got, waiting: true, errorFor: writeError)
            left -= got
        }
        state = .published
    }
}

/// Linux `sync_file_range(2)` (a GNU extension the Glibc module does not import), if present.
private typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32
private let syncFileRange: SyncFileRange? = {
    guard let symbol = dlsym(nil, "sync_file_range") else { return nil }  // nil: RTLD_DEFAULT
    return unsafeBitCast(symbol, to: SyncFileRange.self)
}()

/// Paths and descriptors of outputs.
enum OutputPath {
    /// `path` with a symlink resolved (an existing file is written through its links), split
    /// into the directory (with its trailing `/`, empty for the current directory) and the name.
    static func resolved(_ path: String) -> (path: String, dir: String, base: String) {
        var st = stat()
        var target = path
        if lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK, let real = realpath(path, nil) {
            target = String(cString: real)
            free(real)
        }
        let slash = target.lastIndex(of: "/")
        let dir = slash.map { String(target[...$0]) } ?? ""
        let base = slash.map { String(target[target.index(after: $0)...]) } ?? target
        return (target, dir, base)
    }

    /// The descriptor that `/dev/stdout`, `/dev/stderr`, `/dev/fd/N` or `/proc/self/fd/N` names.
    static func descriptorAlias(_ path: String) -> Int32? {
        switch path {
        case "/dev/stdout": return 1
        case "/dev/stderr": return 2
        default:
            for prefix in ["/dev/fd/", "/proc/self/fd/"] where path.hasPrefix(prefix) {
                return Int32(path.dropFirst(prefix.count))
            }
            return nil
        }
    }

    /// `$TMPDIR`, or `/tmp`.
    static var temporaryDirectory: String {
        if let t = getenv("TMPDIR"), t.pointee != 0 { return String(cString: t) }
        return "/tmp"
    }

    static func isRegularFile(_ fd: Int32) -> Bool {
        var st = stat()
        return fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    /// `fd` is /dev/null (nothing can read what is written there, so it needs no buffering).
    static func isDevNull(_ fd: Int32) -> Bool {
        var a = stat(), b = stat()
        return fstat(fd, &a) == 0 && stat("/dev/null", &b) == 0 && (a.st_mode & S_IFMT) == S_IFCHR && a.st_rdev == b.st_rdev
    }

    /// Makes the renames in `dir` durable (best effort: not every file system supports it).
    static func syncDirectory(_ dir: String) {
        let fd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}

/// The temporary files of `repay batch`: `.NAME.repay-TAG-PID-RANDOM`, created exclusively.
enum TempFiles {
    /// A temporary output file.
    static let tempTag = "tmp"
    /// A hard link to the file an output replaces, while publishing.
    static let oldTag = "old"
    /// The buffer of standard output (unlinked at once).
    static let spoolTag = "spool"
    /// Characters of the random part.
    static let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
    /// Length of the random part.
    static let randomLength = 10

    /// Ten random characters from `alphabet`.
    static func randomSuffix() -> String {
        var g = SystemRandomNumberGenerator()
        return String(decoding: (0..<randomLength).map { _ in alphabet[Int(g.next() % UInt64(alphabet.count))] }, as: UTF8.self)
    }

    /// `.NAME.repay-TAG-PID-RANDOM`, NAME cut to 150 bytes so the whole stays a valid file name.
    static func name(base: String, tag: String, pid: Int32 = getpid(), suffix: String) -> String {
        var short = ""
        var bytes = 0
        for s in base.unicodeScalars {
            bytes += String(s).utf8.count
            if bytes > 150 { break }
            short.unicodeScalars.append(s)
        }
        return ".\(short).repay-\(tag)-\(pid)-\(suffix)"
    }

    /// Creates `dir + name(...)` with O_CREAT|O_EXCL|O_NOFOLLOW (never opening something that
    /// is already there, a planted symlink included), trying new random names on a collision.
    /// `mode` is filtered by the umask as usual. `random` is for tests.
    static func create(dir: String, base: String, tag: String, mode: mode_t, read: Bool = false,
                       random: () -> String = randomSuffix) -> Result<(Int32, String), Int32Error> {
        var code: Int32 = EEXIST
        for _ in 0..<100 {
            let path = dir + name(base: base, tag: tag, suffix: random())
            let fd = open(path, (read ? O_RDWR : O_WRONLY) | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if fd >= 0 { return .success((fd, path)) }
            code = errno
            if code != EEXIST { break }
        }
        return .failure(Int32Error(code))
    }

    /// The PID in the name of a temporary file of `repay batch` (also the `.NAME.repay-PID.tmp`
    /// of earlier versions), nil for any other name.
    static func pid(inName name: String) -> Int32? {
        let b = Array(name.utf8)
        guard b.first == UInt8(ascii: ".") else { return nil }
        func digits(_ r: Range<Int>) -> Int32? {
            guard !r.isEmpty, r.count <= 10, r.allSatisfy({ (48...57).contains(b[$0]) }) else { return nil }
            return Int32(String(decoding: b[r], as: UTF8.self))
        }
        func hasSuffix(_ s: String, before end: Int) -> Bool {
            let t = Array(s.utf8)
            return end - t.count >= 1 && Array(b[(end - t.count)..<end]) == t
        }
        // Legacy: .NAME.repay-PID.tmp
        if hasSuffix(".tmp", before: b.count) {
            var i = b.count - 4
            while i > 0 && (48...57).contains(b[i - 1]) { i -= 1 }
            if hasSuffix(".repay-", before: i), let pid = digits(i..<(b.count - 4)) { return pid }
        }
        // .NAME.repay-TAG-PID-RANDOM
        let r = b.count - randomLength
        guard r > 1, b[r - 1] == UInt8(ascii: "-"), b[r...].allSatisfy({ alphabet.contains($0) }) else { return nil }
        var i = r - 1
        while i > 0 && (48...57).contains(b[i - 1]) { i -= 1 }
        guard hasSuffix(".repay-\(tempTag)-", before: i) || hasSuffix(".repay-\(oldTag)-", before: i) else { return nil }
        return digits(i..<(r - 1))
    }

    /// Removes from `dir` the temporary files of runs that are gone: files named like ours whose
    /// PID is not a live process (kill(pid, 0) fails with ESRCH). Returns the names removed.
    @discardableResult
    static func removeStale(in dir: String) -> [String] {
        guard let d = opendir(dir.isEmpty ? "." : dir) else { return [] }
        defer { closedir(d) }
        var removed: [String] = []
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            guard let pid = pid(inName: name), pid > 0, pid != getpid() else { continue }
            guard kill(pid, 0) != 0 && errno == ESRCH else { continue }
            var st = stat()
            let path = dir + name
            guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG || (st.st_mode & S_IFMT) == S_IFLNK else { continue }
            if unlink(path) == 0 { removed.append(name) }
        }
        return removed
    }
}

/// An errno value as an `Error` (for `Result`).
struct Int32Error: Error, Equatable {
    let code: Int32
    init(_ code: Int32) { self.code = code }
}

/// The command-line guard of `repay batch` against outputs that would destroy the input or each
/// other. Files are compared by identity (device and inode, following symlinks), so another
/// spelling of a path, a symlink or a hard link is caught; an output that does not exist yet
/// is compared by its resolved path. Character devices (a terminal, /dev/null) may be named
/// more than once.
public enum OutputConflicts {
    /// What identifies a file.
    struct Identity: Equatable {
        var device: UInt64, inode: UInt64
        var isCharacterDevice: Bool
    }

    /// The identity of an existing file (following symlinks), or of a descriptor.
    static func identity(path: String) -> Identity? {
        var st = stat()
        return stat(path, &st) == 0 ? Identity(st) : nil
    }

    static func identity(fd: Int32) -> Identity? {
        var st = stat()
        return fstat(fd, &st) == 0 ? Identity(st) : nil
    }

    /// An output that does not exist yet: its absolute path with the directory resolved.
    static func plannedPath(_ path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[...$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard let real = realpath(dir, nil) else { return path }
        defer { free(real) }
        return String(cString: real) + "/" + base
    }

    /// The problem with `outputs` (option name without dashes, path; `-` is standard output)
    /// reading `input` (`-`: standard input), or nil when there is none.
    public static func problem(input: String, outputs: [(option: String, path: String)]) -> String? {
        let inputID = input == "-" ? identity(fd: 0) : identity(path: input)
        let inputName = input == "-" ? "standard input" : "'\(input)'"
        struct Output { var option: String, path: String, id: Identity?, planned: String? }
        var seen: [Output] = []
        for (option, path) in outputs {
            let id = path == "-" ? identity(fd: 1) : identity(path: path)
            let out = Output(option: option, path: path, id: id, planned: id == nil && path != "-" ? plannedPath(path) : nil)
            if let id, let inputID, id == inputID, !id.isCharacterDevice {
                if path == "-" {
                    return "--\(option) - would overwrite the input \(inputName): standard output is redirected to it; redirect it elsewhere or give --\(option) a file name"
                }
                if input == "-" {
                    return "--\(option) would overwrite the input: '\(path)' is the file standard input reads; write it to another file"
                }
                return "--\(option) would overwrite the input \(inputName) ('\(path)' is the same file); write it to another file"
            }
            for other in seen {
                if path == "-" && other.path == "-" {
                    return "--\(other.option) and --\(option) cannot both be standard output; give one of them a file name"
                }
                let same = (id != nil && id == other.id && !id!.isCharacterDevice) || (out.planned != nil && out.planned == other.planned)
                if same {
                    return "--\(other.option) '\(other.path)' and --\(option) '\(path)' name the same file; give each output its own file"
                }
            }
            seen.append(out)
        }
        return nil
    }
}

extension OutputConflicts.Identity {
    init(_ st: stat) {
        self.init(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), isCharacterDevice: (st.st_mode & S_IFMT) == S_IFCHR)
    }
}
