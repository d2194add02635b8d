/// Forward writing of ASCII numbers into raw memory: the inner loop of the
/// CSV writers. Callers reserve enough room (see `maxAmountBytes`).
struct ByteWriter {
    var p: UnsafeMutablePointer<UInt8>
    var count = 0

    /// The most bytes one `Int128` amount can take: sign, 39 digits, point.
    static let maxAmountBytes = 42

    static let powersOfTen: [UInt64] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000]

    mutating func byte(_ b: UInt8) {
        p[count] = b
        count += 1
    }

    mutating func bytes(_ b: UnsafeBufferPointer<UInt8>) {
        guard let base = b.baseAddress, b.count > 0 else { return }
        (p + count).update(from: base, count: b.count)
        count += b.count
    }

    /// Writes `v` with at least `minDigits` digits (zero-padded), two digits per division.
    mutating func unsigned(_ v: UInt64, minDigits: Int = 1) {
        var digits = ByteWriter.digitCount(v)
        if digits < minDigits { digits = minDigits }
        var q = v
        var i = count + digits
        while q >= 100 {
            let r = q % 100
            q /= 100
            i -= 2
            p[i] = 48 &+ UInt8(truncatingIfNeeded: r / 10)
            p[i + 1] = 48 &+ UInt8(truncatingIfNeeded: r % 10)
        }
        if q >= 10 {
            i -= 2
            p[i] = 48 &+ UInt8(truncatingIfNeeded: q / 10)
            p[i + 1] = 48 &+ UInt8(truncatingIfNeeded: q % 10)
        } else {
            i -= 1
            p[i] = 48 &+ UInt8(truncatingIfNeeded: q)
        }
        while i > count { i -= 1; p[i] = 48 }
        count += digits
    }

    /// Decimal digits of `v`, by comparisons (no division).
    @inline(__always) static func digitCount(_ v: UInt64) -> Int {
        if v < 100_000_000 {
            if v < 10_000 { return v < 100 ? (v < 10 ? 1 : 2) : (v < 1_000 ? 3 : 4) }
            return v < 1_000_000 ? (v < 100_000 ? 5 : 6) : (v < 10_000_000 ? 7 : 8)
        }
        var n = 8
        var t = v / 100_000_000
        while t > 0 { t /= 10; n += 1 }
        return n
    }

    /// Writes `v` minor units at `scale` (0...6): `-12.30`, `0.05`, `7` at scale 0.
    mutating func amount(_ v: Int128, scale: Int) {
        let m = v.magnitude
        guard m._high == 0, scale <= 6 else {
            var tmp: [UInt8] = []
            MoneyFormat.append(v, scale: scale, to: &tmp)
            tmp.withUnsafeBufferPointer { bytes($0) }
            return
        }
        if v < 0 { byte(45) }
        var pow: UInt64 = 1
        for _ in 0..<scale { pow &*= 10 }
        let (whole, frac) = m._low.quotientAndRemainder(dividingBy: pow)
        unsigned(whole)
        if scale > 0 {
            byte(46)
            unsigned(frac, minDigits: scale)
        }
    }

    /// The row kind's name.
    mutating func kind(_ k: RowKind) {
        let name: StaticString
        switch k {
        case .installment: name = "installment"
        case .down: name = "down"
        case .deferral: name = "deferral"
        case .lump: name = "lump"
        case .prepay: name = "prepay"
        }
        name.withUTF8Buffer { bytes($0) }
    }

    /// `YYYY-MM-DD` (years 1...9999, so fixed width).
    mutating func date(_ d: CivilDate) {
        let y = UInt8(truncatingIfNeeded: d.year / 100), yy = UInt8(truncatingIfNeeded: d.year % 100)
        let m = UInt8(truncatingIfNeeded: d.month), dd = UInt8(truncatingIfNeeded: d.day)
        p[count] = 48 &+ y / 10; p[count + 1] = 48 &+ y % 10
        p[count + 2] = 48 &+ yy / 10; p[count + 3] = 48 &+ yy % 10
        p[count + 4] = 45
        p[count + 5] = 48 &+ m / 10; p[count + 6] = 48 &+ m % 10
        p[count + 7] = 45
        p[count + 8] = 48 &+ dd / 10; p[count + 9] = 48 &+ dd % 10
        count += 10
    }
}
