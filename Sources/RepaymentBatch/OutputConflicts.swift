#if canImport(Glibc)
import Glibc
#endif

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
