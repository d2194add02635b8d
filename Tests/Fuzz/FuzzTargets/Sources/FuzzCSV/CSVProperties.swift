// CSVReader on arbitrary bytes, strict (the default: input that is not UTF-8 is
// an error) and lenient (`requiresUTF8` false: read as U+FFFD):
// - reading from memory and from a pipe in small chunks gives the same records
//   (or the same error, line and message): chunk boundaries never matter. Text
//   that is not UTF-8 is the one difference: in memory it is found before the
//   first record, from a pipe when its chunk is read, so the pipe may first give
//   the records before it (the lenient reader's first records);
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
                    // Quoted with its quotes doubled (the first run of this writer forgot to
                    // double them: a field BOM + '"' came back unterminated; the reader was right).
                    out.append(UInt8(ascii: "\""))
                    for b in f.utf8 {
                        out.append(b)
                        if b == UInt8(ascii: "\"") { out.append(b) }
                    }
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
        let lenient = check(bytes, strict: false)
        check(bytes, strict: true, lenient: lenient)
    }

    /// The properties for one mode; returns what was read from memory.
    @discardableResult
    static func check(_ bytes: [UInt8], strict: Bool,
                      lenient: ([[String]], CSVSyntaxError?) = ([], nil)) -> ([[String]], CSVSyntaxError?) {
        let memory = CSVReader(bytes: bytes)
        memory.requiresUTF8 = strict
        let (records, error) = read(memory)

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
            let pipeReader = CSVReader(fileDescriptor: fds[0], chunkSize: chunk)
            pipeReader.requiresUTF8 = strict
            let (streamed, streamError) = read(pipeReader)
            close(fds[0])
            if strict && error?.message.hasPrefix("not UTF-8 text") == true {
                require(records.isEmpty, "in memory, records before text that is not UTF-8")
                require(streamed.count <= lenient.0.count && Array(lenient.0.prefix(streamed.count)) == streamed,
                        "chunk \(chunk): the records streamed before text that is not UTF-8 are not the lenient reader's")
                // From the pipe, a syntax error before the text that is not UTF-8 comes first:
                // then it is the lenient reader's error.
                let first = streamError?.message.hasPrefix("not UTF-8 text") == true ? error : lenient.1
                require(streamError != nil && streamError?.line == first?.line && streamError?.message == first?.message,
                        "chunk \(chunk): error \(String(describing: streamError)) streamed, \(String(describing: first)) expected")
            } else {
                require(streamed == records, "chunk \(chunk): \(streamed.count) records streamed, \(records.count) in memory")
                require(streamError?.line == error?.line && streamError?.message == error?.message,
                        "chunk \(chunk): error \(String(describing: streamError)) streamed, \(String(describing: error)) in memory")
            }
        }

        // Written back, the records read as themselves.
        let (again, againError) = read(CSVReader(bytes: write(records)))
        require(againError == nil, "re-serialised records do not parse: \(String(describing: againError))")
        require(again == records, "re-serialised records differ: \(again.count) vs \(records.count)")
        return (records, error)
    }
}
