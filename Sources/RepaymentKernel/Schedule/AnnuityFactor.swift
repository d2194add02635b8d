#if canImport(Glibc)
import Glibc
#endif

/// The annuity factor `F = i / (1 - (1+i)^-n)` of a rate and a term, exact,
/// cached per thread, with a 64-bit fixed-point copy for the fast path.
///
/// `A = round(P * F)`. `F` is the exact rational `Fn / Fd` with `i = rn/(12 rd)`,
/// `a = 12 rd + rn`, `b = 12 rd`: `Fn = rn * a^n`, `Fd = b * (a^n - b^n)`.
///
/// Fast path: with `Ffix = floor(F * 2^64)`, `P * Ffix / 2^64` is below the true
/// `P * F` by less than `P / 2^64`, i.e. less than `P` units of the 64-bit
/// fraction. When that window does not contain the rounding boundary
/// (an integer for directed modes, a half for the half modes), the rounded
/// result is exact; otherwise the exact GMP division decides.
struct AnnuityFactor {
    let numerator: BigInt
    let denominator: BigInt
    /// `floor(F * 2^64)`, nil when `F >= 2^63`.
    let fixed: UInt128?

    init(rate: Rate, periods n: Int) {
        let rn = rate.numerator.bigValue, b = rate.denominator.bigValue.multiplied(by: 12)
        let a = b + rn
        let an = a.power(n), bn = b.power(n)
        numerator = rn * an
        denominator = b * (an - bn)   // > 0: a > b >= 12, n >= 1
        let f = try? numerator.shiftedLeft(64).divided(by: denominator, rounding: .floor)
        fixed = f?.int128.flatMap { UInt128(exactly: $0) }
    }

    /// `round(P * F)` for `P >= 0`.
    func installment(principal: WideInteger, rounding: RoundingMode) -> WideInteger {
        if case .small(let p) = principal, let fixed, p >= 0, p <= Int128(UInt64.max),
           let fast = Self.fastRound(UInt64(p), fixed, rounding) {
            return .small(fast)
        }
        let exact = try? (principal.bigValue * numerator).divided(by: denominator, rounding: rounding)
        return WideInteger(exact ?? BigInt(0))
    }

    /// The fixed-point rounding, or nil when the error window straddles the boundary.
    static func fastRound(_ p: UInt64, _ fixed: UInt128, _ mode: RoundingMode) -> Int128? {
        let (hi, lo) = UInt128(p).multipliedFullWidth(by: fixed)
        guard hi < (1 << 62) else { return nil }
        let integer = Int128(hi << 64 | lo >> 64)
        let frac = UInt64(truncatingIfNeeded: lo)
        // True fraction lies in [frac, frac + p]; it must not carry into the integer part.
        let (top, carry) = frac.addingReportingOverflow(p)
        guard !carry else { return nil }
        switch mode {
        case .down, .floor:
            return integer
        case .up, .ceiling:
            return frac > 0 ? integer + 1 : (p == 0 ? integer : nil)
        case .halfUp, .halfEven:
            let half: UInt64 = 1 << 63
            if top < half { return integer }
            if frac > half { return integer + 1 }
            return nil
        }
    }

    /// `round(P * F)` for a rate and term, using the calling thread's cache.
    ///
    /// The cache keeps only plain data (the rate, the term and the fixed-point factor), so a
    /// hit costs no reference counting; a miss computes the factor with the thread's reusable
    /// GMP integers (`GMPScratch`), and so does the rare exact decision. No allocation either
    /// way once the thread's GMP integers have grown to the sizes a term needs.
    static func installment(principal: WideInteger, rate: Rate, periods n: Int, rounding: RoundingMode) -> WideInteger {
        if rate.isZero {
            return principal.divided(by: .small(Int128(n)), rounding: rounding) ?? .small(0)
        }
        guard case .small(let rn) = rate.numerator, case .small(let rd) = rate.denominator else {
            // A rate beyond Int128 (up to 100 decimals): its factors are large (a^n has up to
            // n * 103 digits), so only the last few are kept; a replay re-sizing after many
            // prepayments asks for the same (rate, periods) until the next due date.
            let cache = ThreadCache.current
            if let hit = cache.bigAnnuity.first(where: { $0.periods == n && $0.rate.numerator == rate.numerator && $0.rate.denominator == rate.denominator }) {
                return hit.factor.installment(principal: principal, rounding: rounding)
            }
            let f = AnnuityFactor(rate: rate, periods: n)
            if cache.bigAnnuity.count >= ThreadCache.bigSlots { cache.bigAnnuity.removeFirst() }
            cache.bigAnnuity.append((rate, n, f))
            return f.installment(principal: principal, rounding: rounding)
        }
        guard rn > 0, rd > 0, case .small(let p) = principal, p >= 0 else {
            return AnnuityFactor(rate: rate, periods: n).installment(principal: principal, rounding: rounding)
        }
        let cache = ThreadCache.current
        let key = AnnuityKey(rn: rn, rd: rd, n: n)
        // Direct-mapped: one slot per hash bucket, replaced on a miss.
        let hash = (rn._low &* 0x9E37_79B9_7F4A_7C15) ^ (rd._low &* 31) ^ (UInt64(truncatingIfNeeded: n) &* 0x85EB_CA6B)
        let slot = cache.annuity + Int(truncatingIfNeeded: (hash >> 32) ^ hash) & (ThreadCache.slots - 1)
        if !slot.pointee.valid || slot.pointee.key != key {
            slot.pointee = AnnuitySlot(key: key, fixed: cache.gmp.annuityFactorFixed(rn: UInt128(rn), rd: UInt128(rd), n: n), valid: true)
        }
        if let fixed = slot.pointee.fixed, p <= Int128(UInt64.max), let fast = fastRound(UInt64(p), fixed, rounding) {
            return .small(fast)
        }
        if let exact = cache.gmp.annuityInstallment(principal: UInt128(p), rn: UInt128(rn), rd: UInt128(rd), n: n, rounding: rounding),
           let v = Int128(exactly: exact) {
            return .small(v)
        }
        return AnnuityFactor(rate: rate, periods: n).installment(principal: principal, rounding: rounding)
    }
}

struct AnnuityKey: Hashable {
    let rn: Int128, rd: Int128, n: Int
}

/// A cache slot: plain data, copied without reference counting.
struct AnnuitySlot {
    var key: AnnuityKey
    /// `floor(F * 2^64)`, nil when it does not fit 128 bits.
    var fixed: UInt128?
    var valid: Bool
}

/// Per-thread memo tables and scratch of the engine and the formatters (no locks, no
/// exclusivity checks on the hot path: the tables are raw memory owned by the cache).
final class ThreadCache {
    static let slots = 1024
    /// The annuity factors, direct-mapped.
    let annuity: UnsafeMutablePointer<AnnuitySlot>
    /// GMP integers for the annuity arithmetic.
    let gmp = GMPScratch()
    /// Where `BatchFormatter` formats lines destined for an array.
    let formatBuffer = ByteBuffer(capacity: 1 << 16)

    init() {
        annuity = .allocate(capacity: ThreadCache.slots)
        annuity.initialize(repeating: AnnuitySlot(key: AnnuityKey(rn: 0, rd: 0, n: 0), fixed: nil, valid: false),
                           count: ThreadCache.slots)
    }

    deinit {
        annuity.deinitialize(count: ThreadCache.slots)
        annuity.deallocate()
    }
    /// The most recent factors of rates beyond Int128, oldest first.
    static let bigSlots = 4
    var bigAnnuity: [(rate: Rate, periods: Int, factor: AnnuityFactor)] = []

    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k) { raw in
            if let raw { Unmanaged<ThreadCache>.fromOpaque(raw).release() }
        }
        return k
    }()

    static var current: ThreadCache {
        if let raw = pthread_getspecific(key) {
            return Unmanaged<ThreadCache>.fromOpaque(raw).takeUnretainedValue()
        }
        let cache = ThreadCache()
        pthread_setspecific(key, Unmanaged.passRetained(cache).toOpaque())
        return cache
    }
}
