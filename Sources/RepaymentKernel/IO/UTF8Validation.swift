// UTF8Validation.swift — a streaming UTF-8 validator for the CSV reader.
//
// SPEC §8: a file that is not UTF-8 is unusable. The reader checks every byte it reads,
// chunk by chunk, before parsing it: ASCII goes 16 bytes per step, other bytes through the
// RFC 3629 table (no overlong forms, no surrogates, nothing above U+10FFFF). A sequence cut by
// the end of a chunk is left for the next chunk.

/// Validation of UTF-8 bytes in a buffer.
enum UTF8Validation {
    /// The outcome of checking `from..<to`.
    enum Result: Equatable {
        /// Everything before `upTo` is valid UTF-8; `upTo..<to` (at most 3 bytes) is the start
        /// of a sequence that the next bytes may complete.
        case valid(upTo: Int)
        /// The sequence starting at `at` is not UTF-8: `length` bytes from there, the last of
        /// them the first byte that no UTF-8 text could have there (so the same bytes whatever
        /// followed, and however the input was cut into chunks).
        case invalid(at: Int, length: Int)
    }

    /// Checks `p[from..<to]`.
    static func validate(_ p: UnsafePointer<UInt8>, from: Int, to: Int) -> Result {
        var i = from
        while i < to {
            // ASCII fast path: 16 bytes per step.
            while i &+ 16 <= to {
                let a = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
                let b = UnsafeRawPointer(p + i + 8).loadUnaligned(as: UInt64.self)
                if (a | b) & 0x8080_8080_8080_8080 != 0 { break }
                i &+= 16
            }
            guard i < to else { break }
            let lead = p[i]
            if lead < 0x80 { i &+= 1; continue }
            // The second byte's range depends on the lead byte (RFC 3629, section 4).
            let count: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: count = 2
            case 0xE0: count = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE, 0xEF: count = 3
            case 0xED: count = 3; high = 0x9F
            case 0xF0: count = 4; low = 0x90
            case 0xF1...0xF3: count = 4
            case 0xF4: count = 4; high = 0x8F
            default: return .invalid(at: i, length: 1)
            }
            for k in 1..<count {
                if i + k >= to { return .valid(upTo: i) }  // cut by the end of the chunk
                let b = p[i + k]
                if k == 1 ? (b < low || b > high) : (b < 0x80 || b > 0xBF) { return .invalid(at: i, length: k + 1) }
            }
            i &+= count
        }
        return .valid(upTo: to)
    }

    /// Checks a whole byte sequence: the offset of the first byte that is not UTF-8 (a
    /// sequence cut by the end counts as invalid), or nil when all of it is valid.
    static func firstInvalidOffset(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        switch validate(base, from: 0, to: bytes.count) {
        case .valid(let upTo): return upTo == bytes.count ? nil : upTo
        case .invalid(let at, _): return at
        }
    }
}
