/// Forward writing of ASCII numbers into raw memory: the inner loop of the
/// CSV writers.
///
/// Numbers are converted 8 digits at a time in one 64-bit word (the SWAR
/// conversion of D. Lemire and P. Khuong, as `../shared/bench/ref_batch.c`
/// does) and stored with whole-word writes, so a write may touch up to
/// `slack` bytes past the last byte it keeps. Callers reserve the room of
/// what they write (see `maxAmountBytes`) plus `slack`.
struct ByteWriter {
    var p: UnsafeMutablePointer<UInt8>
    var count = 0
    /// The two ASCII digits of 0...99 (`pairTable`), loaded once per writer.
    let pairs = ByteWriter.pairTable

    /// The two ASCII digits of each of 0...99, first digit in the low byte (written once, then
    /// only read: safe to share between threads).
    nonisolated(unsafe) static let pairTable: UnsafePointer<UInt16> = {
        let t = UnsafeMutablePointer<UInt16>.allocate(capacity: 100)
        for v in 0..<100 { t[v] = twoDigits(v) }
        return UnsafePointer(t)
    }()

    /// The digits of `v` in 0...99 from the table, as the low 16 bits of a word.
    @inline(__always) func pair(_ v: Int) -> UInt64 { UInt64(pairs[v]) }

    /// The most bytes one `Int128` amount can take: sign, 39 digits, point.
    static let maxAmountBytes = 42
    /// Bytes past the logical end that a word store may overwrite.
    static let slack = 32

    static let powersOfTen: [UInt64] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000]

    @inline(__always) mutating func byte(_ b: UInt8) {
        p[count] = b
        count &+= 1
    }

    mutating func bytes(_ b: UnsafeBufferPointer<UInt8>) {
        guard let base = b.baseAddress, b.count > 0 else { return }
        (p + count).update(from: base, count: b.count)
        count += b.count
    }

    /// The bytes `field(_:)` writes for `b`: quoted (RFC 4180) when it holds `,` `"` CR or LF.
    static func fieldBytes(_ b: UnsafeBufferPointer<UInt8>) -> Int {
        var quotes = 0, special = false
        for c in b {
            if c == 34 { quotes += 1; special = true } else if c == 44 || c == 13 || c == 10 { special = true }
        }
        return special ? b.count + 2 + quotes : b.count
    }

    /// Writes a CSV field, quoted (RFC 4180, `"` doubled) only when it holds `,` `"` CR or LF.
    mutating func field(_ b: UnsafeBufferPointer<UInt8>) {
        guard b.contains(where: { $0 == 44 || $0 == 34 || $0 == 13 || $0 == 10 }) else {
            bytes(b)
            return
        }
        byte(34)
        for c in b {
            if c == 34 { byte(34) }
            byte(c)
        }
        byte(34)
    }

    /// Stores the 8 bytes of `word` (first byte lowest) and keeps the first `keep` of them.
    @inline(__always) mutating func word(_ word: UInt64, keep: Int) {
        UnsafeMutableRawPointer(p + count).storeBytes(of: word.littleEndian, as: UInt64.self)
        count &+= keep
    }

    /// The 8 ASCII digits of `v < 10^8`, most significant first in memory (lowest byte).
    @inline(__always) static func digits8(_ v: UInt32) -> UInt64 {
        let merged = UInt64(v / 10_000) | (UInt64(v % 10_000) << 32)
        let top = ((merged &* 10_486) >> 20) & ((0x7F << 32) | 0x7F)
        let bottom = merged &- 100 &* top
        let hundreds = (bottom << 16) &+ top
        var tens = (hundreds &* 103) >> 10
        tens &= (0xF << 48) | (0xF << 32) | (0xF << 16) | 0xF
        tens &+= (hundreds &- 10 &* tens) << 8
        return tens &+ 0x3030_3030_3030_3030
    }

    /// Writes `v < 10^8` without leading zeros (`0` as one digit).
    @inline(__always) mutating func upTo8(_ v: UInt32) {
        var x = ByteWriter.digits8(v)
        // Leading '0' bytes: the low nibbles are zero up to the first nonzero digit; at most 7.
        let zeros = ((x & 0x0F0F_0F0F_0F0F_0F0F) | (1 << 56)).trailingZeroBitCount >> 3
        x >>= UInt64(8 * zeros)
        word(x, keep: 8 - zeros)
    }

    /// Writes `v` in decimal, without leading zeros.
    @inline(__always) mutating func unsigned(_ v: UInt64) {
        if v < 100_000_000 {
            upTo8(UInt32(truncatingIfNeeded: v))
        } else {
            longUnsigned(v)
        }
    }

    /// `unsigned(_:)` for `v >= 10^8`: leading part, then 8 digits per word.
    @inline(never) mutating func longUnsigned(_ v: UInt64) {
        let low = UInt32(truncatingIfNeeded: v % 100_000_000)
        let high = v / 100_000_000
        if high < 100_000_000 {
            upTo8(UInt32(truncatingIfNeeded: high))
        } else {
            upTo8(UInt32(truncatingIfNeeded: high / 100_000_000))
            word(ByteWriter.digits8(UInt32(truncatingIfNeeded: high % 100_000_000)), keep: 8)
        }
        word(ByteWriter.digits8(low), keep: 8)
    }

    /// Writes `v < 10^digits` with exactly `digits` (1...8) digits, zero-padded.
    @inline(__always) mutating func padded(_ v: UInt32, digits: Int) {
        word(ByteWriter.digits8(v) >> UInt64(8 * (8 - digits)), keep: digits)
    }

    /// `m` split into whole units and fraction at `scale` (0...6). Each case divides by a
    /// literal, which compiles to a multiplication (a `div` instruction costs 10-20 cycles).
    @inline(__always) static func split(_ m: UInt64, scale: Int) -> (whole: UInt64, fraction: UInt32) {
        @inline(__always) func parts(_ w: UInt64, _ pow: UInt64) -> (whole: UInt64, fraction: UInt32) {
            (w, UInt32(truncatingIfNeeded: m &- w &* pow))
        }
        switch scale {
        case 0: return (m, 0)
        case 1: return parts(m / 10, 10)
        case 2: return parts(m / 100, 100)
        case 3: return parts(m / 1_000, 1_000)
        case 4: return parts(m / 10_000, 10_000)
        case 5: return parts(m / 100_000, 100_000)
        default: return parts(m / 1_000_000, 1_000_000)
        }
    }

    /// Writes `v` minor units at `scale` (0...6): `-12.30`, `0.05`, `7` at scale 0.
    @inline(__always) mutating func amount(_ v: Int128, scale: Int) {
        if v._high == 0 && scale <= 6 {
            unsignedAmount(v._low, scale: scale)
        } else {
            slowAmount(v, scale: scale)
        }
    }

    /// `amount(_:scale:)` followed by the byte `separator` (a comma or the line end).
    @inline(__always) mutating func amount(_ v: Int128, scale: Int, then separator: UInt8) {
        if v._high == 0 && scale <= 6 {
            let (whole, fraction) = ByteWriter.split(v._low, scale: scale)
            unsigned(whole)
            fractionAndSeparator(fraction, scale: scale, separator)
        } else {
            slowAmount(v, scale: scale)
            byte(separator)
        }
    }

    /// `.` and `scale` digits of `fraction` (none at scale 0), then `separator`: one word store.
    @inline(__always) mutating func fractionAndSeparator(_ fraction: UInt32, scale: Int, _ separator: UInt8) {
        switch scale {
        case 0:
            byte(separator)
        case 2:
            word(0x2E | pair(Int(fraction)) << 8 | UInt64(separator) << 24, keep: 4)
        default:
            let digits = ByteWriter.digits8(fraction) >> UInt64(8 * (8 - scale))
            word(0x2E | digits << 8 | UInt64(separator) << UInt64(8 * (scale + 1)), keep: scale + 2)
        }
    }

    /// `amount(_:scale:)` for `0 <= m < 2^64`, `scale` 0...6.
    @inline(__always) mutating func unsignedAmount(_ m: UInt64, scale: Int) {
        let (whole, fraction) = ByteWriter.split(m, scale: scale)
        unsigned(whole)
        if scale > 0 {
            byte(46)
            padded(fraction, digits: scale)
        }
    }

    /// A period number and a comma: small numbers without a division.
    @inline(__always) mutating func period(_ k: Int) {
        if k >= 0 && k < 10 {
            word(UInt64(0x30 + k) | 0x2C << 8, keep: 2)
        } else if k >= 10 && k < 100 {
            word(pair(k) | 0x2C << 16, keep: 3)
        } else {
            unsigned(UInt64(k))
            byte(44)
        }
    }

    /// Negative amounts, amounts of 2^64 minor units or more, scales above 6.
    @inline(never) mutating func slowAmount(_ v: Int128, scale: Int) {
        let m = v.magnitude
        if m._high == 0 && scale <= 6 {
            byte(45)
            unsignedAmount(m._low, scale: scale)
            return
        }
        var tmp: [UInt8] = []
        MoneyFormat.append(v, scale: scale, to: &tmp)
        tmp.withUnsafeBufferPointer { bytes($0) }
    }

    /// The row kind's name and a comma (`installment` inline, the others out of line).
    @inline(__always) mutating func kindAndComma(_ k: RowKind) {
        if k == .installment {
            word(0x6D6C_6C61_7473_6E69, keep: 8)   // "installm"
            word(0x2C74_6E65, keep: 4)             // "ent,"
        } else {
            otherKindAndComma(k)
        }
    }

    /// The names of the kinds other than `installment`, and a comma.
    @inline(never) mutating func otherKindAndComma(_ k: RowKind) {
        switch k {
        case .installment: word(0x6D6C_6C61_7473_6E69, keep: 8); word(0x2C74_6E65, keep: 4)
        case .down: word(0x2C_6E77_6F64, keep: 5)
        case .deferral: word(0x6C61_7272_6566_6564, keep: 8); byte(44)
        case .lump: word(0x2C_706D_756C, keep: 5)
        case .prepay: word(0x2C_7961_7065_7270, keep: 7)
        }
    }

    /// Two ASCII digits of `v < 100`, first digit in the low byte.
    @inline(__always) static func twoDigits(_ v: Int) -> UInt16 {
        let t = (UInt16(truncatingIfNeeded: v) &* 103) >> 10   // v / 10 for v < 100
        return (t | (UInt16(truncatingIfNeeded: v) &- 10 &* t) << 8) &+ 0x3030
    }

    /// `YYYY-MM-DD` (years 1...9999, so fixed width).
    @inline(__always) mutating func date(_ d: CivilDate) {
        dateWord(d)
        UnsafeMutableRawPointer(p + count).storeBytes(of: UInt16(truncatingIfNeeded: pair(d.day)).littleEndian, as: UInt16.self)
        count &+= 2
    }

    /// `YYYY-MM-DD,`.
    @inline(__always) mutating func dateAndComma(_ d: CivilDate) {
        dateWord(d)
        word(pair(d.day) | 0x2C << 16, keep: 3)
    }

    /// `YYYY-MM-`: 8 bytes in one word.
    @inline(__always) private mutating func dateWord(_ d: CivilDate) {
        let y = d.year
        let hi = pair(y / 100), lo = pair(y % 100)
        let mm = pair(d.month)
        word(hi | lo << 16 | 0x2D << 32 | mm << 40 | 0x2D << 56, keep: 8)
    }

    /// Up to 32 bytes kept in four words and written with four word stores: a schedule's id
    /// and comma, or a regular installment's text.
    struct Snippet {
        var bytes: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var count = 0

        /// The bytes `write` puts down through a `ByteWriter` (at most 32), or nil when longer.
        init?(maxBytes: Int = 32, _ write: (inout ByteWriter) -> Void) {
            // Written as bytes (32 kept at most, plus slack), then copied into the words: the
            // bytes past `count` stay zero.
            let copied = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 96) { room -> Bool in
                var w = ByteWriter(p: room.baseAddress!)
                write(&w)
                guard w.count <= min(32, maxBytes) else { return false }
                count = w.count
                withUnsafeMutableBytes(of: &bytes) { $0.copyMemory(from: UnsafeRawBufferPointer(start: room.baseAddress!, count: w.count)) }
                return true
            }
            if !copied { return nil }
        }
    }

    /// Writes a snippet (32 bytes stored, `count` kept).
    @inline(__always) mutating func snippet(_ s: Snippet) {
        let d = UnsafeMutableRawPointer(p + count)
        d.storeBytes(of: s.bytes.0, as: UInt64.self)
        d.storeBytes(of: s.bytes.1, toByteOffset: 8, as: UInt64.self)
        d.storeBytes(of: s.bytes.2, toByteOffset: 16, as: UInt64.self)
        d.storeBytes(of: s.bytes.3, toByteOffset: 24, as: UInt64.self)
        count &+= s.count
    }

    /// `amount(_:scale:then:)` at scale 2, the common case, with the fewest branches: below
    /// 10^10 cents the whole units take one word and the cents, with the separator, another.
    @inline(__always) mutating func cents(_ v: Int128, then separator: UInt8) {
        if v._high == 0 && v._low < 10_000_000_000 {
            let m = v._low
            let whole = m / 100
            upTo8(UInt32(truncatingIfNeeded: whole))
            let c = Int(truncatingIfNeeded: m &- whole &* 100)
            word(0x2E | pair(c) << 8 | UInt64(separator) << 24, keep: 4)
        } else {
            anyAmount(v, scale: 2, then: separator)
        }
    }

    /// `amount(_:scale:then:)` out of line.
    @inline(never) mutating func anyAmount(_ v: Int128, scale: Int, then separator: UInt8) {
        amount(v, scale: scale, then: separator)
    }
}

/// How a line writer formats amounts: specialized for scale 2 (`Cents`), or any scale
/// (`Scaled`). Generic code over it compiles to one loop per case, each small enough for
/// the optimizer to keep the writer in registers.
protocol AmountFormat {
    /// Writes `v` and then `separator`.
    func write(_ v: Int128, then separator: UInt8, to w: inout ByteWriter)
}

/// Amounts at scale 2.
struct Cents: AmountFormat {
    @inline(__always) func write(_ v: Int128, then separator: UInt8, to w: inout ByteWriter) {
        w.cents(v, then: separator)
    }
}

/// Amounts at any scale.
struct Scaled: AmountFormat {
    let scale: Int
    @inline(__always) func write(_ v: Int128, then separator: UInt8, to w: inout ByteWriter) {
        w.anyAmount(v, scale: scale, then: separator)
    }
}
