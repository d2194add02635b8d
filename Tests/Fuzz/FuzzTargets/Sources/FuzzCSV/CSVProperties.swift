// CSVReader on arbitrary bytes:
// - reading from memory and from a pipe in small chunks gives the same records
//   (or the same error, line and message): chunk boundaries never matter;
// - re-serialising the records with CSVWriter and reading them again gives the
//   same records.

#if canImport(Glibc)
import Glibc
#endif
import FuzzSupport
import RepaymentKernel

enum CSVProperties {
    /// Every record, or the error that ended reading.
    static func read(_ reader: CSVReader) -> ([[String]], CSVSyntaxError?) {
        var records: [[String]] = []
        do {
            while let r = try reader.next() { records.append(r.fields) }
            return (records, nil)
        } catch {
            return (records, error)
        }
    }

    /// The records as CSV, written so that they read back as themselves: a
    /// record of one empty field is `""` (an empty line is a blank line), and
    /// a first field that starts with a BOM is quoted (a leading BOM is skipped).
    static func write(_ records: [[String]]) -> [UInt8] {
        var out: [UInt8] = []
        for (n, fields) in records.enumerated() {
            if fields == [""] { out.append(contentsOf: "\"\"\n".utf8); continue }
            for (i, f) in fields.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if n == 0 && i == 0 && f.utf8.starts(with: [0xEF, 0xBB, 0xBF]) {
                    out.append(UInt8(ascii: "\""))
                    out.append(contentsOf: f.utf8)
                    out.append(UInt8(ascii: "\""))
                } else {
                    CSVWriter.appendField(f, to: &out)
                }
            }
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    static func check(_ bytes: [UInt8]) {
        let (records, error) = read(CSVReader(bytes: bytes))

        // The same bytes through a pipe, read in chunks of 1 to 16 bytes.
        if bytes.count < 60_000 {
            var fds: [Int32] = [0, 0]
            require(pipe(&fds) == 0, "pipe")
            bytes.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = Glibc.write(fds[1], raw.baseAddress! + done, raw.count - done)
                    require(n > 0, "write to the pipe")
                    done += n
                }
            }
            close(fds[1])
            let chunk = 1 + Int(bytes.reduce(0) { ($0 &* 31 &+ Int($1)) & 0xFFFF } % 16)
            let (streamed, streamError) = read(CSVReader(fileDescriptor: fds[0], chunkSize: chunk))
            close(fds[0])
            require(streamed == records, "chunk \(chunk): \(streamed.count) records streamed, \(records.count) in memory")
            require(streamError?.line == error?.line && streamError?.message == error?.message,
                    "chunk \(chunk): error \(String(describing: streamError)) streamed, \(String(describing: error)) in memory")
        }

        // Written back, the records read as themselves.
        let (again, againError) = read(CSVReader(bytes: write(records)))
        require(againError == nil, "re-serialised records do not parse: \(String(describing: againError))")
        require(again == records, "re-serialised records differ: \(again.count) vs \(records.count)")
    }
}
