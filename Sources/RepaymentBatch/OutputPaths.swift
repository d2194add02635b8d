#if canImport(Glibc)
import Glibc
#endif

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
