// Every call into GMP lives in this file, the way swift-system keeps every
// syscall in one place. Nothing outside this file sees an `mpz_t`.
//
// GMP aborts the process on a division by zero; every divisor is checked
// here, before the call, so no input can reach that abort.

internal import CGMP

/// An arbitrary-precision signed integer backed by GMP's `mpz_t`.
///
/// Values are immutable: every operation returns a new value, so the type has
/// value semantics even though the limbs live on the heap. Each value owns one
/// `mpz_t` at a stable heap address (GMP in-place calls need stable pointers).
internal final class BigInt: @unchecked Sendable {
    let z: UnsafeMutablePointer<__mpz_struct>

    init() {
        z = .allocate(capacity: 1)
        __gmpz_init(z)
    }

    deinit {
        __gmpz_clear(z)
        z.deallocate()
    }

    convenience init(_ value: Int) {
        self.init()
        __gmpz_set_si(z, value)
    }

    convenience init(_ value: Int128) {
        self.init()
        let magnitude = value.magnitude
        let high = UInt(truncatingIfNeeded: magnitude >> 64)
        let low = UInt(truncatingIfNeeded: magnitude)
        __gmpz_set_ui(z, high)
        __gmpz_mul_2exp(z, z, 64)
        __gmpz_add_ui(z, z, low)
        if value < 0 { __gmpz_neg(z, z) }
    }

    convenience init(copying other: BigInt) {
        self.init()
        __gmpz_set(z, other.z)
    }

    /// Parses plain decimal digits (no sign, no point); nil if `digits` is
    /// empty or holds anything but ASCII digits.
    convenience init?(digits: some StringProtocol) {
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        self.init()
        let ok = String(digits).withCString { __gmpz_set_str(z, $0, 10) }
        if ok != 0 { return nil }
    }

    static func + (a: BigInt, b: BigInt) -> BigInt { let r = BigInt(); __gmpz_add(r.z, a.z, b.z); return r }
    static func - (a: BigInt, b: BigInt) -> BigInt { let r = BigInt(); __gmpz_sub(r.z, a.z, b.z); return r }
    static func * (a: BigInt, b: BigInt) -> BigInt { let r = BigInt(); __gmpz_mul(r.z, a.z, b.z); return r }
    static prefix func - (a: BigInt) -> BigInt { let r = BigInt(); __gmpz_neg(r.z, a.z); return r }

    func multiplied(by small: Int) -> BigInt { let r = BigInt(); __gmpz_mul_si(r.z, z, small); return r }
    func power(_ exponent: Int) -> BigInt { let r = BigInt(); __gmpz_pow_ui(r.z, z, UInt(max(0, exponent))); return r }
    /// `self * 2^bits`.
    func shiftedLeft(_ bits: Int) -> BigInt { let r = BigInt(); __gmpz_mul_2exp(r.z, z, UInt(bits)); return r }

    var isOdd: Bool { __gmpz_tstbit(z, 0) != 0 }

    /// `floor(self / 2^bits)`.
    func floorShiftedRight(_ bits: Int) -> BigInt { let r = BigInt(); __gmpz_fdiv_q_2exp(r.z, z, UInt(bits)); return r }
    /// `ceil(self / 2^bits)`.
    func ceilShiftedRight(_ bits: Int) -> BigInt { let r = BigInt(); __gmpz_cdiv_q_2exp(r.z, z, UInt(bits)); return r }

    /// The nearest `Double` (for the APR solver's first estimate only, never for an amount).
    var approximateDouble: Double { __gmpz_get_d(z) }

    /// -1, 0 or 1.
    var signum: Int { Int(rk_mpz_sgn(z)) }

    static func compare(_ a: BigInt, _ b: BigInt) -> Int { Int(__gmpz_cmp(a.z, b.z)).signum() }

    /// Truncating quotient and remainder (C semantics: the quotient rounds toward
    /// zero, the remainder has the sign of the dividend). Nil when `d` is zero.
    func quotientAndRemainder(dividingBy d: BigInt) -> (quotient: BigInt, remainder: BigInt)? {
        guard d.signum != 0 else { return nil }
        let q = BigInt(), r = BigInt()
        __gmpz_tdiv_qr(q.z, r.z, z, d.z)
        return (q, r)
    }

    /// Floor of the `n`-th root of a non-negative value; nil for a negative value or n < 1.
    func root(_ n: Int) -> BigInt? {
        guard n >= 1, signum >= 0 else { return nil }
        let r = BigInt()
        _ = __gmpz_root(r.z, z, UInt(n))
        return r
    }

    /// Number of bits of the magnitude (0 for zero).
    var bitWidth: Int { signum == 0 ? 0 : Int(__gmpz_sizeinbase(z, 2)) }

    /// The value as an `Int128`, or nil when it does not fit.
    var int128: Int128? {
        if signum == 0 { return 0 }
        guard bitWidth <= 127 else { return nil }
        // Take 64-bit limbs of the magnitude with mpz_getlimbn (GMP's limb is 64 bits here).
        let limb0 = UInt64(__gmpz_getlimbn(z, 0))
        let limbCount = abs(Int(z.pointee._mp_size))
        let limb1 = limbCount > 1 ? UInt64(__gmpz_getlimbn(z, 1)) : 0
        let magnitude = Int128(limb1) << 64 | Int128(limb0)
        return signum < 0 ? -magnitude : magnitude
    }

    /// Decimal digits with a leading `-` when negative.
    var decimalString: String {
        let size = __gmpz_sizeinbase(z, 10) + 2
        var buffer = [CChar](repeating: 0, count: Int(size))
        return buffer.withUnsafeMutableBufferPointer {
            _ = __gmpz_get_str($0.baseAddress, 10, z)
            return String(cString: $0.baseAddress!)
        }
    }
}

/// GMP integers allocated once and reused (one set per thread, in `ThreadCache`): the exact
/// annuity arithmetic of the batch hot path without an allocation per loan. GMP reallocates
/// a value's limbs only when it grows past every earlier size.
internal final class GMPScratch {
    private let z: UnsafeMutablePointer<__mpz_struct>
    private static let count = 5

    init() {
        z = .allocate(capacity: GMPScratch.count)
        for i in 0..<GMPScratch.count { __gmpz_init(z + i) }
    }

    deinit {
        for i in 0..<GMPScratch.count { __gmpz_clear(z + i) }
        z.deallocate()
    }

    /// Sets `r` to a non-negative `v`.
    private static func set(_ r: UnsafeMutablePointer<__mpz_struct>, _ v: UInt128) {
        if v >> 64 == 0 {
            __gmpz_set_ui(r, UInt(truncatingIfNeeded: v))
            return
        }
        __gmpz_set_ui(r, UInt(truncatingIfNeeded: v >> 64))
        __gmpz_mul_2exp(r, r, 64)
        __gmpz_add_ui(r, r, UInt(truncatingIfNeeded: v))
    }

    /// `r` as an unsigned 128-bit value, nil when it is negative or does not fit.
    private static func get(_ r: UnsafeMutablePointer<__mpz_struct>) -> UInt128? {
        let sign = rk_mpz_sgn(r)
        if sign == 0 { return 0 }
        guard sign > 0, __gmpz_sizeinbase(r, 2) <= 128 else { return nil }
        let low = UInt128(UInt64(__gmpz_getlimbn(r, 0)))
        let high = r.pointee._mp_size > 1 ? UInt128(UInt64(__gmpz_getlimbn(r, 1))) : 0
        return high << 64 | low
    }

    /// Leaves the annuity factor `F = Fn / Fd` of `AnnuityFactor` in `z[0]` (`Fn = rn * a^n`)
    /// and `z[1]` (`Fd = b * (a^n - b^n)`), with `b = 12 rd`, `a = b + rn`; rn > 0, rd > 0.
    private func annuityFactor(rn: UInt128, rd: UInt128, n: Int) {
        let fn = z, fd = z + 1, t = z + 2
        let (b, o1) = rd.multipliedReportingOverflow(by: 12)
        let (a, o2) = b.addingReportingOverflow(rn)
        if !o1 && !o2 && a >> 64 == 0 {
            // The usual case, every operand a machine word: five calls.
            __gmpz_ui_pow_ui(fn, UInt(a), UInt(n))          // a^n
            __gmpz_ui_pow_ui(fd, UInt(b), UInt(n))          // b^n
            __gmpz_sub(fd, fn, fd)
            __gmpz_mul_ui(fd, fd, UInt(b))                  // Fd = b (a^n - b^n) > 0
            __gmpz_mul_ui(fn, fn, UInt(rn))                 // Fn = rn a^n
            return
        }
        GMPScratch.set(t, rd)
        __gmpz_mul_ui(t, t, 12)                         // b
        GMPScratch.set(fn, rn)
        __gmpz_add(fn, fn, t)                           // a
        __gmpz_pow_ui(fn, fn, UInt(n))                  // a^n
        __gmpz_pow_ui(fd, t, UInt(n))                   // b^n
        __gmpz_sub(fd, fn, fd)
        __gmpz_mul(fd, fd, t)                           // Fd = b (a^n - b^n) > 0
        GMPScratch.set(t, rn)
        __gmpz_mul(fn, fn, t)                           // Fn = rn a^n
    }

    /// `floor(F * 2^64)`, nil when it does not fit 128 bits.
    func annuityFactorFixed(rn: UInt128, rd: UInt128, n: Int) -> UInt128? {
        annuityFactor(rn: rn, rd: rd, n: n)
        __gmpz_mul_2exp(z, z, 64)
        __gmpz_fdiv_q(z + 3, z, z + 1)                  // Fd > 0: checked by construction
        return GMPScratch.get(z + 3)
    }

    /// `round(P * F)` exactly with `mode`, nil when it does not fit 128 bits.
    func annuityInstallment(principal p: UInt128, rn: UInt128, rd: UInt128, n: Int, rounding mode: RoundingMode) -> UInt128? {
        annuityFactor(rn: rn, rd: rd, n: n)
        let fn = z, fd = z + 1, q = z + 3, r = z + 4
        GMPScratch.set(z + 2, p)
        __gmpz_mul(fn, fn, z + 2)                       // P * Fn
        __gmpz_tdiv_qr(q, r, fn, fd)
        guard var quotient = GMPScratch.get(q) else { return nil }
        if rk_mpz_sgn(r) != 0 {
            __gmpz_mul_2exp(r, r, 1)
            let half = Int(__gmpz_cmp(r, fd)).signum()
            if mode.bumpsAwayFromZero(negative: false, half: half, qIsOdd: quotient & 1 != 0) {
                guard quotient < UInt128.max else { return nil }
                quotient += 1
            }
        }
        return quotient
    }
}

/// A GMP binary floating-point number (`mpf_t`) of a chosen precision, for
/// the APR solver's high-precision estimate only (SPEC §6): it refines a root
/// that exact interval arithmetic (`BigInt`) then certifies. Never an amount.
///
/// Values are immutable, as `BigInt`; every result has the precision of the
/// left operand. A division by zero is refused before GMP sees it (nil).
internal final class BigFloat: @unchecked Sendable {
    let f: UnsafeMutablePointer<__mpf_struct>
    /// Bits of mantissa (at least; GMP rounds up to whole limbs).
    let precision: Int

    init(precision: Int) {
        self.precision = max(64, precision)
        f = .allocate(capacity: 1)
        __gmpf_init2(f, UInt(self.precision))
    }

    deinit {
        __gmpf_clear(f)
        f.deallocate()
    }

    convenience init(_ value: BigInt, precision: Int) {
        self.init(precision: precision)
        __gmpf_set_z(f, value.z)
    }

    /// A finite `Double` (0 for a NaN or an infinity).
    convenience init(_ value: Double, precision: Int) {
        self.init(precision: precision)
        __gmpf_set_d(f, value.isFinite ? value : 0)
    }

    /// The same value at another precision.
    func with(precision p: Int) -> BigFloat { let r = BigFloat(precision: p); __gmpf_set(r.f, f); return r }

    static func + (a: BigFloat, b: BigFloat) -> BigFloat { let r = BigFloat(precision: a.precision); __gmpf_add(r.f, a.f, b.f); return r }
    static func - (a: BigFloat, b: BigFloat) -> BigFloat { let r = BigFloat(precision: a.precision); __gmpf_sub(r.f, a.f, b.f); return r }
    static func * (a: BigFloat, b: BigFloat) -> BigFloat { let r = BigFloat(precision: a.precision); __gmpf_mul(r.f, a.f, b.f); return r }

    /// `a / b`; nil when `b` is zero.
    func divided(by b: BigFloat) -> BigFloat? {
        guard b.signum != 0 else { return nil }
        let r = BigFloat(precision: precision); __gmpf_div(r.f, f, b.f); return r
    }

    func multiplied(by small: UInt) -> BigFloat { let r = BigFloat(precision: precision); __gmpf_mul_ui(r.f, f, small); return r }
    func minus(_ small: UInt) -> BigFloat { let r = BigFloat(precision: precision); __gmpf_sub_ui(r.f, f, small); return r }
    func power(_ e: Int) -> BigFloat { let r = BigFloat(precision: precision); __gmpf_pow_ui(r.f, f, UInt(max(0, e))); return r }

    /// -1, 0 or 1.
    var signum: Int { Int(__gmpf_cmp_ui(f, 0)).signum() }

    /// `|self|`.
    var magnitude: BigFloat { let r = BigFloat(precision: precision); __gmpf_abs(r.f, f); return r }

    /// The binary exponent `e` with `self = m * 2^e`, `0.5 <= |m| < 1` (0 for zero).
    var exponent: Int {
        var e = 0
        _ = __gmpf_get_d_2exp(&e, f)
        return e
    }

    /// The value rounded to the nearest integer (ties away from zero).
    var rounded: BigInt {
        let half = BigFloat(0.5, precision: precision)
        let shifted = signum < 0 ? self - half : self + half
        let r = BigInt()
        __gmpz_set_f(r.z, shifted.f)   // truncates toward zero
        return r
    }
}

extension BigInt {
    /// The binary exponent `e` with `self = m * 2^e`, `0.5 <= |m| < 1`, and `m` (0 for zero).
    var mantissaAndExponent: (Double, Int) {
        var e = 0
        let m = __gmpz_get_d_2exp(&e, z)
        return (m, e)
    }
}
