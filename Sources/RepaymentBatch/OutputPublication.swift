#if canImport(Glibc)
import Glibc
#endif
import RepaymentKernel

// Publication of the outputs of `repay batch`: every file renamed into place, or none.

extension ByteSink {
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
            var failure: KernelError? = nil
            chunk.withUnsafeBytes { raw in
                do throws(KernelError) {
                    try writeLoop(to: destination, UnsafeRawBufferPointer(rebasing: raw[..<got]), waiting: true, errorFor: writeError)
                } catch { failure = error }
            }
            if let failure { throw failure }
            left -= got
        }
        state = .published
    }
}
