// A small, strict JSON reader (RFC 8259) for rk_run_json, and the writer of
// its results. The kernel has no Foundation dependency and the library should
// not pull one in for a flat object of strings; and a JSON number must reach
// the kernel as its literal text (10000.50), never through a binary float.
//
// Every byte sequence is handled: bounds are checked, nesting is limited,
// strings must be valid UTF-8 with valid escapes; failures are `JSONSyntaxError`.

import CRepayKernel

struct JSONSyntaxError: Error {
    var offset: Int
    var message: String
}

indirect enum JSONValue {
    case string(String)
    /// The number's literal text, validated against the JSON grammar.
    case number(String)
    case bool(Bool)
    case null
    case array([JSONValue])
    /// Members in document order (duplicates kept, so the caller can reject them).
    case object([(String, JSONValue)])
}

struct JSONReader {
    private let b: [UInt8]
    private var i = 0
    private var depth = 0
    private var values = 0
    /// The limits of repaykernel.h: nesting, members of an object, elements of an
    /// array, values of a document. They bound the tree built from a document.
    static let maxDepth = Int(RK_MAX_JSON_DEPTH)
    static let maxMembers = Int(RK_MAX_JSON_MEMBERS)
    static let maxItems = Int(RK_MAX_JSON_ITEMS)
    static let maxValues = Int(RK_MAX_JSON_VALUES)

    init(_ bytes: [UInt8]) { b = bytes }

    /// Parses a whole document: one value, surrounded only by whitespace.
    static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        var r = JSONReader(bytes)
        // A UTF-8 byte order mark is tolerated, as in the CSV reader.
        if r.b.count >= 3, r.b[0] == 0xEF, r.b[1] == 0xBB, r.b[2] == 0xBF { r.i = 3 }
        r.skipSpace()
        guard r.i < r.b.count else { throw JSONSyntaxError(offset: r.i, message: "empty document (expected a JSON object or array)") }
        let v = try r.value()
        r.skipSpace()
        guard r.i == r.b.count else { throw r.error("unexpected \(r.describeHere()) after the JSON value") }
        return v
    }

    private func error(_ m: String) -> JSONSyntaxError { JSONSyntaxError(offset: i, message: m) }

    private func describeHere() -> String {
        guard i < b.count else { return "end of input" }
        let c = b[i]
        if c >= 0x21 && c <= 0x7E { return "'\(Character(Unicode.Scalar(c)))'" }
        return "byte 0x" + String(c, radix: 16, uppercase: true)
    }

    private mutating func skipSpace() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0A || b[i] == 0x0D { i += 1 }
    }

    private mutating func value() throws(JSONSyntaxError) -> JSONValue {
        guard i < b.count else { throw error("unexpected end of input (expected a value)") }
        values += 1
        guard values <= Self.maxValues else { throw error("more than \(Self.maxValues) values in the document (RK_MAX_JSON_VALUES)") }
        switch b[i] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw error("unexpected \(describeHere()) (expected a value)")
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let n = word.utf8CodeUnitCount
        guard b.count - i >= n else { throw error("unexpected \(describeHere()) (expected '\(word)')") }
        for k in 0..<n where b[i + k] != word.utf8Start[k] { throw error("unexpected \(describeHere()) (expected '\(word)')") }
        i += n
    }

    private mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        guard depth <= Self.maxDepth else { throw error("nested more than \(Self.maxDepth) levels deep (RK_MAX_JSON_DEPTH)") }
    }

    private mutating func object() throws(JSONSyntaxError) -> JSONValue {
        try enter(); defer { depth -= 1 }
        i += 1
        var members: [(String, JSONValue)] = []
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
        while true {
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw error("unexpected \(describeHere()) (expected a string key)") }
            let key = try string()
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: ":") else { throw error("unexpected \(describeHere()) (expected ':')") }
            i += 1
            skipSpace()
            guard members.count < Self.maxMembers else {
                throw error("an object with more than \(Self.maxMembers) members (RK_MAX_JSON_MEMBERS)")
            }
            members.append((key, try value()))
            skipSpace()
            guard i < b.count else { throw error("unexpected end of input (expected ',' or '}')") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            throw error("unexpected \(describeHere()) (expected ',' or '}')")
        }
    }

    private mutating func array() throws(JSONSyntaxError) -> JSONValue {
        try enter(); defer { depth -= 1 }
        i += 1
        var items: [JSONValue] = []
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
        while true {
            skipSpace()
            guard items.count < Self.maxItems else {
                throw error("an array with more than \(Self.maxItems) elements (RK_MAX_JSON_ITEMS)")
            }
            items.append(try value())
            skipSpace()
            guard i < b.count else { throw error("unexpected end of input (expected ',' or ']')") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            throw error("unexpected \(describeHere()) (expected ',' or ']')")
        }
    }

    private mutating func number() throws(JSONSyntaxError) -> String {
        let start = i
        func digits(_ r: inout JSONReader) -> Int {
            let s = r.i
            while r.i < r.b.count, r.b[r.i] >= UInt8(ascii: "0"), r.b[r.i] <= UInt8(ascii: "9") { r.i += 1 }
            return r.i - s
        }
        if b[i] == UInt8(ascii: "-") { i += 1 }
        guard i < b.count, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") else { throw error("malformed number (expected a digit)") }
        if b[i] == UInt8(ascii: "0") {
            i += 1
            if i < b.count, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") { throw error("malformed number (leading zero)") }
        } else {
            _ = digits(&self)
        }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            guard digits(&self) > 0 else { throw error("malformed number (expected a digit after '.')") }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard digits(&self) > 0 else { throw error("malformed number (expected a digit in the exponent)") }
        }
        return String(decoding: b[start..<i], as: UTF8.self)
    }

    private mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard b.count - i >= 4 else { throw error("unexpected end of input in a \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = b[i]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error("malformed \\u escape (expected 4 hex digits)")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    private mutating func string() throws(JSONSyntaxError) -> String {
        let open = i
        i += 1
        var out: [UInt8] = []
        while true {
            guard i < b.count else { throw JSONSyntaxError(offset: open, message: "unterminated string") }
            let c = b[i]
            if c == UInt8(ascii: "\"") { i += 1; break }
            if c < 0x20 { throw error("control character 0x\(String(c, radix: 16, uppercase: true)) in a string (escape it)") }
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            i += 1
            guard i < b.count else { throw JSONSyntaxError(offset: open, message: "unterminated string") }
            let e = b[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var u = try hex4()
                if (0xD800...0xDBFF).contains(u) {
                    guard b.count - i >= 6, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else {
                        throw error("unpaired surrogate in a \\u escape")
                    }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("unpaired surrogate in a \\u escape") }
                    u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(u) {
                    throw error("unpaired surrogate in a \\u escape")
                }
                guard let scalar = Unicode.Scalar(u) else { throw error("invalid \\u escape") }
                out.append(contentsOf: String(Character(scalar)).utf8)
            default:
                if e >= 0x20 && e <= 0x7E { throw error("unknown escape '\\\(Character(Unicode.Scalar(e)))'") }
                throw error("unknown escape (byte 0x\(String(e, radix: 16, uppercase: true)) after '\\')")
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else {
            throw JSONSyntaxError(offset: open, message: "string is not valid UTF-8")
        }
        return s
    }
}

/// Appends JSON text.
struct JSONWriter {
    var out: [UInt8] = []

    mutating func raw(_ s: String) { out.append(contentsOf: s.utf8) }

    mutating func string(_ s: String) {
        out.append(0x22)
        for c in s.utf8 {
            switch c {
            case 0x22: out.append(0x5C); out.append(0x22)
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(c >> 4)]); out.append(hex[Int(c & 15)])
            default: out.append(c)
            }
        }
        out.append(0x22)
    }

    /// `"key":` then the string value.
    mutating func member(_ key: String, _ value: String, first: Bool = false) {
        if !first { out.append(0x2C) }
        string(key); out.append(0x3A); string(value)
    }
}
