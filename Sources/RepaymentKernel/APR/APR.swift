#if canImport(Glibc)
import Glibc
#endif

/// The annual percentage rate of a schedule or plan (SPEC §6), printed with
/// 6 decimals and correctly rounded (half-even) from the true root.
///
/// Read it from a loan's schedule (`try terms.schedule().apr`) or a plan
/// (`NegotiatedPlan.apr`, also `plan.schedule.apr`):
///
/// ```swift
/// let apr = try terms.schedule().apr   // 10000.00 at 12%, 12 months: nominal "0.120001", effective "0.126826"
/// ```
///
/// The monthly rate `x` solves `financed = sum(payment_j / (1+x)^t_j)`, with
/// `t_j` whole months plus leftover days/30 from the reference date. Then
/// `apr = 12x` and `effective = (1+x)^12 - 1`.
///
/// How the 6 decimals are certified: a `Double` Newton iteration gives the
/// root to about 15 significant digits; when that estimate is below 10^6
/// (2^40 millionths) and farther than a safe margin from a rounding boundary
/// (`...5` in the 7th decimal), it decides the digits. Otherwise every digit
/// is decided exactly: with `w = (1+x)^(1/30)` every term is an integer power
/// `w^-(30*months + days)`, so the sign of `f` at a boundary is bracketed
/// with GMP fixed-point interval arithmetic (directed rounding), refining
/// until the bracket excludes zero; a search over the millionths trusts only
/// those signs. Values beyond a double's precision (an APR of 10^18, an
/// effective rate of 10^200) start the search from a root refined with GMP
/// floats. No digit printed ever comes from a `Double`, and amounts of any
/// size (a principal of 10^307 and more) are scaled, never overflowed.
public struct AnnualPercentageRate: Sendable, Hashable {
    /// `12x` in millionths (0.144000 is 144000).
    let nominalMillionths: WideInteger
    /// `(1+x)^12 - 1` in millionths.
    let effectiveMillionths: WideInteger

    /// Zero (a schedule with no interest and no fees).
    public static let zero = AnnualPercentageRate(nominalMillionths: .small(0), effectiveMillionths: .small(0))

    /// `12x` with 6 decimals, e.g. `0.125729`.
    public var nominal: String { Self.format(nominalMillionths) }
    /// `(1+x)^12 - 1` with 6 decimals, e.g. `0.133233`.
    public var effective: String { Self.format(effectiveMillionths) }

    static func format(_ v: WideInteger) -> String {
        var out: [UInt8] = []
        MoneyFormat.append(v, scale: 6, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// One payment: an amount and its time from the reference date.
    struct Flow {
        var amount: WideInteger
        var months: Int
        var days: Int
        /// Exponent of `w = (1+x)^(1/30)`.
        var thirtieths: Int { 30 * months + days }
        var time: Double { Double(months) + Double(days) / 30 }
    }

    /// The APR of a schedule against `financed`, times measured from
    /// `reference` in whole months plus days/30 by `accrual`'s month rule
    /// (SPEC §6 with the §2 month-end rule; only the anchor day matters).
    /// `rateHint`: see `of(_:scale:financed:from:accrual:rateHint:)`.
    static func of(_ schedule: Schedule, financed: WideInteger, from reference: CivilDate,
                   accrual: Accrual, rateHint: Rate? = nil) -> AnnualPercentageRate {
        switch schedule.storage {
        case .compact(let rows):
            return rows.withUnsafeBufferPointer {
                of($0, scale: schedule.scale, financed: financed, from: reference, accrual: accrual, rateHint: rateHint)
            }
        case .wide(let rows):
            var flows: [Flow] = []
            flows.reserveCapacity(rows.count)
            for r in rows {
                let (m, d) = accrual.monthsAndDays(from: reference, to: r.dueDate)
                flows.append(Flow(amount: r.principal.units + r.interest.units + r.carried.units, months: m, days: d))
            }
            var total = WideInteger.small(0)
            for f in flows { total = total + f.amount }
            guard financed.signum > 0, total != financed, flows.contains(where: { $0.thirtieths > 0 && $0.amount.signum != 0 }) else {
                return .zero
            }
            // Amounts beyond a Double (10^308) enter as fractions of financed; beyond even
            // that, the exact path decides every digit.
            guard let q = ratios(flows, financed: financed) else {
                return certified(s: nil, financed: financed) { flows }
            }
            let times = flows.map(\.time)
            let (s, converged) = q.withUnsafeBufferPointer { qb in times.withUnsafeBufferPointer { newton(q: qb, t: $0) } }
            return certified(s: converged ? s : nil, financed: financed) { flows }
        }
    }

    /// The APR of compact rows (a schedule's, or the rows a batch worker computed into its
    /// scratch), as `of(_:financed:from:accrual:)`.
    ///
    /// `rateHint`, when given, is the loan's annual rate: Newton starts from its monthly
    /// `ln(1 + rate/12)`, usually within a rounding error of the root (an annuity's APR is its
    /// rate but for the rounding of its payments), which saves most iterations. It only
    /// changes where the search starts, never the printed digits (certify() decides those).
    static func of(_ rows: UnsafeBufferPointer<CompactRow>, scale: Int, financed: WideInteger, from reference: CivilDate,
                   accrual: Accrual, rateHint: Rate? = nil) -> AnnualPercentageRate {
        // Amounts and times in one scratch buffer: no allocation per schedule.
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * max(1, rows.count)) { scratch in
            let amounts = UnsafeMutableBufferPointer(rebasing: scratch[0..<rows.count])
            let times = UnsafeMutableBufferPointer(rebasing: scratch[rows.count..<(2 * rows.count)])
            var total: Int128 = 0
            var anyLater = false
            for (j, r) in rows.enumerated() {
                let (m, d) = accrual.monthsAndDays(from: reference, to: r.dueDate)
                let (pi, o1) = r.principal.addingReportingOverflow(r.interest)
                let (p, o2) = pi.addingReportingOverflow(r.carried)
                let (t, o3) = total.addingReportingOverflow(p)
                if o1 || o2 || o3 {
                    let wide = rows.map { ScheduleRow($0, scale: scale) }
                    return of(Schedule(rows: wide, scale: scale), financed: financed, from: reference, accrual: accrual)
                }
                total = t
                if p != 0 && (m > 0 || d > 0) { anyLater = true }
                amounts[j] = double(.small(p))
                times[j] = Double(m) + Double(d) / 30
            }
            guard financed.signum > 0, WideInteger.small(total) != financed, anyLater else { return .zero }
            var start: Double? = nil
            if let rateHint {
                let r = double(rateHint.numerator) / double(rateHint.denominator)
                if r.isFinite, r >= 0, r < 1e6 { start = Glibc.log1p(r / 12) }
            }
            return solve(amounts: amounts, times: UnsafeBufferPointer(times), financed: financed, start: start) {
                rows.map { r in
                    let (m, d) = accrual.monthsAndDays(from: reference, to: r.dueDate)
                    return Flow(amount: .small(r.principal) + .small(r.interest) + .small(r.carried), months: m, days: d)
                }
            }
        }
    }

    /// Solves for the root and certifies both printed values. `exactFlows` is
    /// only called when the floating-point estimate cannot decide the digits.
    /// `amounts` is overwritten with the amounts as fractions of `financed`.
    static func solve(amounts q: UnsafeMutableBufferPointer<Double>, times t: UnsafeBufferPointer<Double>, financed: WideInteger,
                      start: Double? = nil, exactFlows: () -> [Flow]) -> AnnualPercentageRate {
        if case .small = financed {
            // double(_:), not Double(Int128): the stdlib's generic conversion took 13% of a
            // 12-month batch with a summary (perf).
            let af = double(financed)
            for j in q.indices { q[j] /= af }
        } else {
            // A huge financed amount (beyond a Double at 10^308): divide by its mantissa and exponent.
            let (fm, fe) = financed.bigValue.mantissaAndExponent
            for j in q.indices { q[j] = Glibc.scalbn(q[j] / fm, -fe) }
        }
        let (s, converged) = newton(q: UnsafeBufferPointer(q), t: t, start: start)
        return certified(s: converged ? s : nil, financed: financed, exactFlows: exactFlows)
    }

    /// The amounts of `flows` as fractions of `financed`, for any magnitude; nil when a
    /// fraction is beyond a Double (the exact path then decides every digit).
    static func ratios(_ flows: [Flow], financed: WideInteger) -> [Double]? {
        let (fm, fe) = financed.bigValue.mantissaAndExponent
        guard fm > 0 else { return nil }
        var out: [Double] = []
        out.reserveCapacity(flows.count)
        for f in flows {
            if f.amount.isZero { out.append(0); continue }
            let (m, e) = f.amount.bigValue.mantissaAndExponent
            guard abs(e - fe) < 1000 else { return nil }
            out.append(Glibc.scalbn(m / fm, e - fe))
        }
        return out
    }

    /// Both printed values from the double root `s = ln(1+x)` (nil when the double
    /// solver failed): kept when they are clear of a rounding boundary, else decided exactly.
    static func certified(s: Double?, financed: WideInteger, exactFlows: () -> [Flow]) -> AnnualPercentageRate {
        var solver: ExactBoundary? = nil
        func make() -> ExactBoundary {
            if let solver { return solver }
            let made = ExactBoundary(flows: exactFlows(), financed: financed, hint: s)
            solver = made
            return made
        }
        let nominal = certify(estimate: s.map { 12 * $0.expm1 } ?? .nan, kind: .nominal, solver: make)
        let effective = certify(estimate: s.map { (12 * $0).expm1 } ?? .nan, kind: .effective, solver: make)
        return AnnualPercentageRate(nominalMillionths: nominal, effectiveMillionths: effective)
    }

    /// Newton on `s = ln(1+x)`: `F(s) = sum q e^{-ts} - 1` is convex and decreasing.
    /// Starts from the exact root of a single payment of the total at the
    /// payment-weighted mean time (usually within a few percent) and iterates
    /// until the step is negligible (`converged`). Flows are in date order, so
    /// `e^{-t s}` is built incrementally: one exp per distinct time step.
    /// `start`, when given and finite, replaces that first guess.
    static func newton(q: UnsafeBufferPointer<Double>, t: UnsafeBufferPointer<Double>, start: Double? = nil) -> (s: Double, converged: Bool) {
        var total = 0.0, weighted = 0.0
        for j in q.indices {
            guard q[j].isFinite, q[j] >= 0 else { return (0, false) }
            total += q[j]; weighted += q[j] * t[j]
        }
        guard total.isFinite, weighted.isFinite else { return (0, false) }
        var s = weighted > 0 && total > 0 ? Glibc.log(total) / (weighted / total) : 0
        if let start, start.isFinite { s = start }
        for _ in 0..<100 {
            var fv = -1.0, dv = 0.0
            var previousTime = 0.0, discount = 1.0
            var cachedStep = -1.0, cachedFactor = 1.0
            for j in q.indices {
                let dt = t[j] - previousTime
                if dt != 0 {
                    if dt != cachedStep { cachedStep = dt; cachedFactor = (-dt * s).exp }
                    discount *= cachedFactor
                    previousTime = t[j]
                }
                let e = q[j] * discount
                fv += e
                dv -= t[j] * e
            }
            if fv == 0 { return (s, true) }
            guard dv < 0, fv.isFinite, dv.isFinite else { return (s, false) }
            let step = -fv / dv
            let next = s + step
            guard next.isFinite else { return (s, false) }
            s = next
            // Quadratic convergence: after a step of 1e-10 the error is about (F''/2F') 1e-20, F''/F'
            // being a time (at most a few thousand months), far below what certify() needs (an
            // estimate good to 1e-4 millionths); the 1e-15 this stopped at cost one more pass.
            if abs(step) <= 1e-10 * max(1, abs(s)) { return (s, true) }
        }
        return (s, false)
    }

    static func double(_ v: WideInteger) -> Double {
        switch v {
        case .small(let x):
            // Int128 -> Double without the stdlib's generic conversion (slow here).
            let lo = x._low, hi = x._high
            if (hi == 0 && lo >> 63 == 0) || (hi == -1 && lo >> 63 == 1) { return Double(Int64(bitPattern: lo)) }
            return Double(hi) * 18446744073709551616.0 + Double(lo)
        case .big(let b): return b.approximateDouble
        }
    }

    /// The correctly rounded millionths of the true value near `estimate`.
    ///
    /// The double estimate decides alone only when it is below 2^40 millionths
    /// (10^6, where a double still resolves a millionth with a wide margin)
    /// and clear of a rounding boundary by a safe margin; otherwise `solver`
    /// decides every digit exactly (a NaN or infinite estimate included).
    static func certify(estimate: Double, kind: ExactBoundary.Kind, solver makeSolver: () -> ExactBoundary) -> WideInteger {
        let scaled = estimate * 1_000_000
        guard scaled.isFinite, abs(scaled) < 0x1p40 else {
            return WideInteger(makeSolver().millionths(kind: kind, near: nil))
        }
        let k = Int128(Int64(scaled.rounded(.toNearestOrEven)))   // |scaled| < 2^40: no generic conversion
        let distance = abs(abs(scaled - scaled.rounded(.down)) - 0.5)
        if distance > max(1e-4, abs(scaled) * 1e-11) { return .small(k) }
        // Near a boundary: decide with exact arithmetic.
        return WideInteger(makeSolver().millionths(kind: kind, near: BigInt(k)))
    }
}

/// Exact rounding of the APR (SPEC §6) for any magnitude: the sign of `f` at
/// a rounding boundary by interval arithmetic on GMP fixed-point numbers,
/// and a search over the millionths that only trusts those signs.
///
/// With `w = (1+x)^(1/30)` every term is an integer power `w^-(30*months + days)`.
/// A boundary `B` (a printed value plus or minus half a millionth) fixes
/// `w_B` (nominal: `w^30 = 1 + B/12`; effective: `w^360 = 1 + B`), and the
/// root lies above `B` exactly when `f(w_B) = sum p w_B^-e - financed > 0`.
/// Far from the double range, a high-precision estimate (GMP floats, Newton)
/// finds the millionths first, so the search needs only a few signs.
final class ExactBoundary {
    enum Kind { case nominal, effective }
    let flows: [AnnualPercentageRate.Flow]
    let financed: WideInteger
    /// `ln(1+x)` from the double solver when it converged.
    let hint: Double?
    /// Nonzero amounts merged by exponent, exponents increasing.
    private let terms: [(amount: BigInt, exponent: Int)]
    /// Bits by which the payments' total exceeds the amount financed (at least 0).
    private let excessBits: Int
    /// The root `v = (1+x)^(-1/30)` refined to `refinedPrecision` bits.
    private var refined: BigFloat? = nil
    private var refinedPrecision = 0

    init(flows: [AnnualPercentageRate.Flow], financed: WideInteger, hint: Double? = nil) {
        self.flows = flows
        self.financed = financed
        self.hint = hint
        var merged: [Int: BigInt] = [:]
        for f in flows where f.amount.signum != 0 {
            let e = max(0, f.thirtieths)
            merged[e] = (merged[e] ?? BigInt(0)) + f.amount.bigValue
        }
        terms = merged.sorted { $0.key < $1.key }.map { (amount: $0.value, exponent: $0.key) }
        var total = BigInt(0)
        for t in terms { total = total + t.amount }
        excessBits = max(0, total.bitWidth - financed.bigValue.bitWidth)
    }

    // MARK: signs at boundaries

    /// Compares the true value (nominal `12x` or effective `(1+x)^12-1`) with
    /// `halfMillionths / 2_000_000`: -1 below, 1 above, 0 when no precision
    /// tried tells them apart (an exact tie).
    func compareRoot(toMillionths halfMillionths: Int128, kind: Kind) -> Int {
        compare(half: BigInt(halfMillionths), kind: kind)
    }

    /// As `compareRoot`, for any magnitude.
    func compare(half h: BigInt, kind: Kind) -> Int {
        // Boundary B = h / 2e6. Nominal: 1 + x_b = 1 + B/12; w = (1+x_b)^(1/30).
        // Effective: (1+x_b)^12 = 1 + B; w = (1 + B)^(1/360).
        let den: BigInt, degree: Int
        switch kind {
        case .nominal: den = BigInt(24_000_000); degree = 30
        case .effective: den = BigInt(2_000_000); degree = 360
        }
        let num = den + h
        guard num.signum > 0 else { return 1 }   // a boundary at or below x = -1: the root is above
        guard !terms.isEmpty, financed.signum > 0 else { return -1 }
        // Enough bits to resolve a millionth of the boundary, plus the payments' excess over financed.
        let base = 96 + excessBits + h.bitWidth
        let cap = 4 * base + 6144
        var bits = base
        while bits <= cap {
            if let sign = sign(num: num, den: den, degree: degree, bits: bits) {
                // f(x_b) > 0 means the root lies above the boundary.
                return sign
            }
            bits *= 2
        }
        return 0
    }

    /// Sign of f at `w = (num/den)^(1/degree)` with `bits` fractional bits, or
    /// nil when the bracket still contains 0.
    private func sign(num: BigInt, den: BigInt, degree: Int, bits: Int) -> Int? {
        guard let x = try? num.shiftedLeft(degree * bits).divided(by: den, rounding: .floor),
              let r = x.root(degree) else { return nil }
        let wLow = r, wHigh = r + BigInt(1)
        let one = BigInt(1).shiftedLeft(bits)
        let two = BigInt(1).shiftedLeft(2 * bits)
        // w >= 1: once w^e exceeds 2^bits, w^-e is below one unit for every later term.
        let atLeastOne = BigInt.compare(wLow, one) >= 0
        var fLow = BigInt(0), fHigh = BigInt(0)
        // Bounds of w^e for the previous exponent, built up term by term.
        var up = one, down = one, previous = 0
        var negligible = false
        for t in terms {
            let (lo, hi): (BigInt, BigInt)
            if t.exponent == 0 {
                (lo, hi) = (one, one)
            } else if negligible {
                (lo, hi) = (BigInt(0), BigInt(1))
            } else {
                // w^-e: lower bound from an upper bound of w^e, and vice versa.
                let step = t.exponent - previous
                up = Self.multiply(up, Self.power(wHigh, step, bits: bits, roundUp: true), bits: bits, roundUp: true)
                down = Self.multiply(down, Self.power(wLow, step, bits: bits, roundUp: false), bits: bits, roundUp: false)
                previous = t.exponent
                guard down.signum > 0,
                      let l = try? two.divided(by: up, rounding: .floor),
                      let u = try? two.divided(by: down, rounding: .ceiling) else { return nil }
                (lo, hi) = (l, u)
                if atLeastOne && BigInt.compare(down, two) >= 0 { negligible = true }
            }
            fLow = fLow + t.amount * lo
            fHigh = fHigh + t.amount * hi
        }
        let target = financed.bigValue.shiftedLeft(bits)
        if BigInt.compare(fLow, target) > 0 { return 1 }
        if BigInt.compare(fHigh, target) < 0 { return -1 }
        return nil
    }

    /// `a * b / 2^bits`, rounded up or down.
    private static func multiply(_ a: BigInt, _ b: BigInt, bits: Int, roundUp: Bool) -> BigInt {
        roundUp ? (a * b).ceilShiftedRight(bits) : (a * b).floorShiftedRight(bits)
    }

    /// `(w / 2^bits)^e * 2^bits`, rounded up or down at every step.
    private static func power(_ w: BigInt, _ e: Int, bits: Int, roundUp: Bool) -> BigInt {
        var result = BigInt(1).shiftedLeft(bits)
        var base = w
        var n = e
        while n > 0 {
            if n & 1 == 1 { result = multiply(result, base, bits: bits, roundUp: roundUp) }
            n >>= 1
            if n > 0 { base = multiply(base, base, bits: bits, roundUp: roundUp) }
        }
        return result
    }

    // MARK: the printed millionths

    /// The true value's millionths, rounded half-even, decided by signs at
    /// boundaries only. `near` is a first guess (a double's); without one, a
    /// high-precision estimate provides it. A wrong guess costs more signs,
    /// never a wrong result.
    func millionths(kind: Kind, near: BigInt?) -> BigInt {
        let k0 = near ?? estimate(kind)
        // c(k): the sign of (true millionths - (k + 1/2)); non-increasing in k.
        // The result is the smallest k with c(k) <= 0 (half-even on a tie).
        var signs: [String: Int] = [:]
        func c(_ k: BigInt) -> Int {
            let key = k.decimalString
            if let s = signs[key] { return s }
            let s = compare(half: k.multiplied(by: 2) + BigInt(1), kind: kind)
            signs[key] = s
            return s
        }
        var low: BigInt, high: BigInt   // c(low) > 0 >= c(high)
        var step = BigInt(1)
        if c(k0) <= 0 {
            high = k0
            while true {
                let candidate = high - step
                if c(candidate) > 0 { low = candidate; break }
                high = candidate
                step = step.multiplied(by: 2)
            }
        } else {
            low = k0
            while true {
                let candidate = low + step
                if c(candidate) <= 0 { high = candidate; break }
                low = candidate
                step = step.multiplied(by: 2)
            }
        }
        while BigInt.compare(high - low, BigInt(1)) > 0 {
            let mid = (low + high).floorShiftedRight(1)
            if c(mid) > 0 { low = mid } else { high = mid }
        }
        // A tie at high + 1/2 rounds to the even neighbour.
        if c(high) == 0 && high.isOdd { return high + BigInt(1) }
        return high
    }

    // MARK: a high-precision estimate

    /// The millionths near the true value, from the root refined in GMP floats.
    private func estimate(_ kind: Kind) -> BigInt {
        guard let s = hint ?? logDomainRoot() else { return BigInt(0) }
        // Bits to resolve a millionth of the larger printed value, plus guard bits.
        func log2Magnitude(_ z: Double, _ factor: Double) -> Double {
            z > 30 ? (z + Glibc.log(factor)) / M_LN2 : Glibc.log2(max(1e-300, abs(factor * z.expm1)))
        }
        let magnitude = max(log2Magnitude(s, 12), log2Magnitude(12 * s, 1)) + 20
        let precision = 64 + max(0, Int(magnitude.rounded(.up))) + excessBits
        guard let v = refinedRoot(s: s, precision: precision) else { return BigInt(0) }
        // nominal 12 (v^-30 - 1), effective v^-360 - 1, in millionths.
        let one = BigFloat(1, precision: precision)
        guard let w = one.divided(by: v.power(kind == .nominal ? 30 : 360)) else { return BigInt(0) }
        let value = kind == .nominal ? w.minus(1).multiplied(by: 12) : w.minus(1)
        return value.multiplied(by: 1_000_000).rounded
    }

    /// `v = (1+x)^(-1/30)` to `precision` bits by Newton on
    /// `f(v) = sum p v^e - financed` (increasing and convex for v > 0),
    /// starting from the double root `s`. Nil when it cannot be evaluated.
    private func refinedRoot(s: Double, precision: Int) -> BigFloat? {
        if let r = refined, refinedPrecision >= precision { return r }
        let start = Glibc.exp(-s / 30)
        guard start.isFinite, start > 0 else { return nil }
        let financedBig = financed.bigValue
        var p = 64
        var v = BigFloat(start, precision: p)
        var atFull = 0
        for _ in 0..<200 {
            // f and f' at v: powers built up term by term.
            var f = BigFloat(0, precision: p), slope = BigFloat(0, precision: p)
            var power = BigFloat(1, precision: p), previous = 0
            for t in terms {
                if t.exponent > previous { power = power * v.power(t.exponent - previous); previous = t.exponent }
                let term = power * BigFloat(t.amount, precision: p)
                f = f + term
                slope = slope + term.multiplied(by: UInt(t.exponent))
            }
            f = f - BigFloat(financedBig, precision: p)
            guard let derivative = slope.divided(by: v), derivative.signum > 0,
                  let step = f.divided(by: derivative) else { break }
            var next = v - step
            // Newton overshooting below 0 (far from the root): halve instead.
            if next.signum <= 0 { next = v.divided(by: BigFloat(2, precision: p)) ?? v }
            let small = step.magnitude.exponent < v.exponent - p + 8
            v = next
            if p < precision {
                p = min(precision, 2 * p)
                v = v.with(precision: p)
            } else {
                atFull += 1
                if small || atFull >= 4 { break }
            }
        }
        refined = v
        refinedPrecision = p
        return v
    }

    /// `ln(1+x)` by Newton on the log of the discounted sum (any magnitudes:
    /// the amounts enter as logarithms); nil when it does not converge.
    private func logDomainRoot() -> Double? {
        let (fm, fe) = financed.bigValue.mantissaAndExponent
        guard fm > 0 else { return nil }
        let lnF = Glibc.log(fm) + Double(fe) * M_LN2
        let lq = terms.map { t -> Double in
            let (m, e) = t.amount.mantissaAndExponent
            return Glibc.log(m) + Double(e) * M_LN2 - lnF
        }
        let times = terms.map { Double($0.exponent) / 30 }
        // G(s) = log sum exp(lq - t s) is convex and decreasing; its root is ln(1+x).
        func g(_ s: Double) -> (Double, Double) {
            var top = -Double.infinity
            for j in lq.indices { top = max(top, lq[j] - times[j] * s) }
            var sum = 0.0, weighted = 0.0
            for j in lq.indices {
                let w = Glibc.exp(lq[j] - times[j] * s - top)
                sum += w; weighted += times[j] * w
            }
            return (top + Glibc.log(sum), -weighted / sum)
        }
        let (g0, d0) = g(0)
        var s = d0 < 0 ? -g0 / d0 : 0
        for _ in 0..<200 {
            let (v, d) = g(s)
            guard v.isFinite, d < 0 else { return nil }
            let step = -v / d
            s += step
            if abs(step) <= 1e-15 * max(1, abs(s)) { return s }
        }
        return s.isFinite ? s : nil
    }
}

private extension Double {
    var exp: Double { Glibc.exp(self) }
    var expm1: Double { Glibc.expm1(self) }
}
