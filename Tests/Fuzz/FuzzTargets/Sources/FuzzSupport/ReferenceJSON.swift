// An independent JSON reader (RFC 8259) for differential checks of rk_run_json:
// it accepts exactly the documents a strict reader must accept (a leading UTF-8
// BOM tolerated, strings valid UTF-8 with paired surrogate escapes), under the
// limits of repaykernel.h, and keeps numbers as their literal text.

public indirect enum RefJSON: Equatable {
    case string(String), number(String), bool(Bool), null
    case array([RefJSON]), object([(String, RefJSON)])

    public static func == (a: RefJSON, b: RefJSON) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)), (.number(let x), .number(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.null, .null): return true
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The member `key` of an object.
    public subscript(key: String) -> RefJSON? {
        if case .object(let members) = self { return members.first { $0.0 == key }?.1 }
        return nil
    }

    public var text: String? {
        switch self {
        case .string(let s), .number(let s): return s
        default: return nil
        }
    }
}

/// Why a document was refused.
public enum RefJSONFailure: Error { case syntax, limit }

public struct RefJSONLimits {
    public var depth = 64, members = 64, items = 10_000, values = 2_000_000
    public init() {}
}

public struct RefJSONReader {
    let b: [UInt8]
    var i = 0, depth = 0, values = 0
    let limits: RefJSONLimits
    var limitHit = false

    public static func parse(_ bytes: [UInt8], limits: RefJSONLimits = RefJSONLimits()) -> Result<RefJSON, RefJSONFailure> {
        var r = RefJSONReader(b: bytes, limits: limits)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { r.i = 3 }
        guard let v = r.document() else { return .failure(r.limitHit ? .limit : .syntax) }
        return .success(v)
    }

    mutating func document() -> RefJSON? {
        ws()
        guard let v = value() else { return nil }
        ws()
        return i == b.count ? v : nil
    }

    mutating func ws() { while i < b.count, [0x20, 0x09, 0x0A, 0x0D].contains(b[i]) { i += 1 } }

    mutating func value() -> RefJSON? {
        guard i < b.count else { return nil }
        values += 1
        if values > limits.values { limitHit = true; return nil }
        switch b[i] {
        case 0x7B: return object()
        case 0x5B: return array()
        case 0x22: return string().map { .string($0) }
        case 0x74: return word("true") ? .bool(true) : nil
        case 0x66: return word("false") ? .bool(false) : nil
        case 0x6E: return word("null") ? .null : nil
        case 0x2D, 0x30...0x39: return number().map { .number($0) }
        default: return nil
        }
    }

    mutating func word(_ w: String) -> Bool {
        let u = Array(w.utf8)
        guard b.count - i >= u.count, Array(b[i..<(i + u.count)]) == u else { return false }
        i += u.count
        return true
    }

    mutating func enter() -> Bool {
        depth += 1
        if depth > limits.depth { limitHit = true; return false }
        return true
    }

    mutating func object() -> RefJSON? {
        guard enter() else { return nil }
        defer { depth -= 1 }
        i += 1
        var members: [(String, RefJSON)] = []
        ws()
        if i < b.count, b[i] == 0x7D { i += 1; return .object(members) }
        while true {
            ws()
            guard i < b.count, b[i] == 0x22, let k = string() else { return nil }
            ws()
            guard i < b.count, b[i] == 0x3A else { return nil }
            i += 1
            ws()
            if members.count == limits.members { limitHit = true; return nil }
            guard let v = value() else { return nil }
            members.append((k, v))
            ws()
            guard i < b.count else { return nil }
            if b[i] == 0x2C { i += 1; continue }
            if b[i] == 0x7D { i += 1; return .object(members) }
            return nil
        }
    }

    mutating func array() -> RefJSON? {
        guard enter() else { return nil }
        defer { depth -= 1 }
        i += 1
        var items: [RefJSON] = []
        ws()
        if i < b.count, b[i] == 0x5D { i += 1; return .array(items) }
        while true {
            ws()
            if items.count == limits.items { limitHit = true; return nil }
            guard let v = value() else { return nil }
            items.append(v)
            ws()
            guard i < b.count else { return nil }
            if b[i] == 0x2C { i += 1; continue }
            if b[i] == 0x5D { i += 1; return .array(items) }
            return nil
        }
    }

    mutating func number() -> String? {
        let start = i
        if b[i] == 0x2D { i += 1 }
        func digits() -> Int { let s = i; while i < b.count, (0x30...0x39).contains(b[i]) { i += 1 }; return i - s }
        guard i < b.count, (0x30...0x39).contains(b[i]) else { return nil }
        if b[i] == 0x30 { i += 1 } else { _ = digits() }
        if i < b.count, b[i] == 0x2E { i += 1; guard digits() > 0 else { return nil } }
        if i < b.count, b[i] == 0x65 || b[i] == 0x45 {
            i += 1
            if i < b.count, b[i] == 0x2B || b[i] == 0x2D { i += 1 }
            guard digits() > 0 else { return nil }
        }
        // A digit right after a leading 0 is not part of any number: the caller sees it as garbage.
        return String(decoding: b[start..<i], as: UTF8.self)
    }

    mutating func hex() -> UInt32? {
        guard b.count - i >= 4 else { return nil }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = b[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            default: return nil
            }
            v = v * 16 + d
            i += 1
        }
        return v
    }

    mutating func string() -> String? {
        i += 1
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        func flush() -> Bool {
            guard !raw.isEmpty else { return true }
            guard let s = String(validating: raw, as: UTF8.self) else { return false }
            scalars.append(contentsOf: s.unicodeScalars)
            raw.removeAll()
            return true
        }
        while true {
            guard i < b.count else { return nil }
            let c = b[i]
            if c == 0x22 { i += 1; break }
            if c < 0x20 { return nil }
            if c != 0x5C { raw.append(c); i += 1; continue }
            guard flush() else { return nil }
            i += 1
            guard i < b.count else { return nil }
            let e = b[i]
            i += 1
            switch e {
            case 0x22: scalars.append("\"")
            case 0x5C: scalars.append("\\")
            case 0x2F: scalars.append("/")
            case 0x62: scalars.append("\u{8}")
            case 0x66: scalars.append("\u{C}")
            case 0x6E: scalars.append("\n")
            case 0x72: scalars.append("\r")
            case 0x74: scalars.append("\t")
            case 0x75:
                guard var u = hex() else { return nil }
                if (0xD800...0xDBFF).contains(u) {
                    guard b.count - i >= 6, b[i] == 0x5C, b[i + 1] == 0x75 else { return nil }
                    i += 2
                    guard let low = hex(), (0xDC00...0xDFFF).contains(low) else { return nil }
                    u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(u) {
                    return nil
                }
                guard let s = Unicode.Scalar(u) else { return nil }
                scalars.append(s)
            default: return nil
            }
        }
        guard flush() else { return nil }
        return String(scalars)
    }
}
