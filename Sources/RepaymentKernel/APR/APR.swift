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
/// root to about 15 significant digits; when that estimate is farther than a
/// safe margin from a rounding boundary (`...5` in the 7th decimal), it
/// decides the digits. Otherwise the boundary is decided exactly: with
/// `w = (1+x)^(1/30)` every term is an integer power `w^-(30*months + days)`,
/// so the sign of `f` at the boundary is bracketed with GMP fixed-point
/// interval arithmetic (directed rounding), refining until the bracket
/// excludes zero.
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
    static func of(_ schedule: Schedule, financed: WideInteger, from reference: CivilDate,
                   accrual: Accrual) -> AnnualPercentageRate {
        switch schedule.storage {
        case .compact(let rows):
            return rows.withUnsafeBufferPointer { of($0, scale: schedule.scale, financed: financed, from: reference, accrual: accrual) }
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
            var amounts = flows.map { double($0.amount) }
            let times = flows.map(\.time)
            return amounts.withUnsafeMutableBufferPointer { a in
                times.withUnsafeBufferPointer { t in solve(amounts: a, times: t, financed: financed) { flows } }
            }
        }
    }

    /// The APR of compact rows (a schedule's, or the rows a batch worker computed into its
    /// scratch), as `of(_:financed:from:accrual:)`.
    static func of(_ rows: UnsafeBufferPointer<CompactRow>, scale: Int, financed: WideInteger, from reference: CivilDate,
                   accrual: Accrual) -> AnnualPercentageRate {
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
            return solve(amounts: amounts, times: UnsafeBufferPointer(times), financed: financed) {
                rows.map { r in
                    let (m, d) = accrual.monthsAndDays(from: reference, to: r.dueDate)
                    return Flow(amount: .small(r.principal) + .small(r.interest) + .small(r.carried), months: m, days: d)
                }
            }
        }
    }

    /// Solves for the root and certifies both printed values. `exactFlows` is
    /// only called when an estimate lies near a rounding boundary.
    /// `amounts` is overwritten with the amounts as fractions of `financed`.
    static func solve(amounts q: UnsafeMutableBufferPointer<Double>, times t: UnsafeBufferPointer<Double>, financed: WideInteger,
                      exactFlows: () -> [Flow]) -> AnnualPercentageRate {
        let af = double(financed)
        for j in q.indices { q[j] /= af }
        // Newton on s = ln(1+x): F(s) = sum q e^{-ts} - 1 is convex and decreasing.
        // Start from the exact root of a single payment of the total at the
        // payment-weighted mean time (usually within a few percent), then
        // iterate until the step is negligible. Flows are in date order, so
        // e^{-t s} is built incrementally: one exp per distinct time step.
        var total = 0.0, weighted = 0.0
        for j in q.indices { total += q[j]; weighted += q[j] * t[j] }
        var s = weighted > 0 && total > 0 ? Glibc.log(total) / (weighted / total) : 0
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
            guard dv < 0, fv.isFinite, fv != 0 else { break }
            let step = -fv / dv
            let next = s + step
            guard next.isFinite else { break }
            s = next
            if abs(step) <= 1e-15 * max(1, abs(s)) { break }
        }
        let x = s.expm1
        var solver: ExactBoundary? = nil
        let nominal = certify(estimate: 12 * x, kind: .nominal) {
            if solver == nil { solver = ExactBoundary(flows: exactFlows(), financed: financed) }
            return solver!
        }
        let effective = certify(estimate: (12 * s).expm1, kind: .effective) {
            if solver == nil { solver = ExactBoundary(flows: exactFlows(), financed: financed) }
            return solver!
        }
        return AnnualPercentageRate(nominalMillionths: nominal, effectiveMillionths: effective)
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
    static func certify(estimate: Double, kind: ExactBoundary.Kind, solver makeSolver: () -> ExactBoundary) -> WideInteger {
        let scaled = estimate * 1_000_000
        guard scaled.isFinite, abs(scaled) < 1e30 else { return .small(0) }
        var k = Int128(scaled.rounded(.toNearestOrEven))
        let distance = abs(abs(scaled - scaled.rounded(.down)) - 0.5)
        if distance > max(1e-4, abs(scaled) * 1e-11) { return .small(k) }
        // Near a boundary: decide with exact arithmetic.
        let solver = makeSolver()
        for _ in 0..<4 {
            let low = solver.compareRoot(toMillionths: 2 * k - 1, kind: kind)   // root vs (k - 1/2) millionths
            if low < 0 { k -= 1; continue }
            let high = solver.compareRoot(toMillionths: 2 * k + 1, kind: kind)
            if high > 0 { k += 1; continue }
            if low == 0 { return .small(k & 1 == 0 ? k : k - 1) }
            if high == 0 { return .small(k & 1 == 0 ? k : k + 1) }
            return .small(k)
        }
        return .small(k)
    }
}

/// Exact sign of `f` at a rounding boundary, by interval arithmetic on GMP
/// fixed-point numbers.
struct ExactBoundary {
    enum Kind { case nominal, effective }
    let flows: [AnnualPercentageRate.Flow]
    let financed: WideInteger

    /// Compares the true value (nominal `12x` or effective `(1+x)^12-1`) with
    /// `halfMillionths / 2_000_000`: -1 below, 1 above, 0 when no precision
    /// tried tells them apart (an exact tie).
    func compareRoot(toMillionths halfMillionths: Int128, kind: Kind) -> Int {
        // Boundary B = h / 2e6. Nominal: 1 + x_b = 1 + B/12; w = (1+x_b)^(1/30).
        // Effective: (1+x_b)^12 = 1 + B; w = (1 + B)^(1/360).
        let h = BigInt(halfMillionths)
        let num: BigInt, den: BigInt, degree: Int
        switch kind {
        case .nominal:
            den = BigInt(24_000_000)
            num = den + h
            degree = 30
        case .effective:
            den = BigInt(2_000_000)
            num = den + h
            degree = 360
        }
        guard num.signum > 0 else { return 1 }
        var bits = 96
        while bits <= 6144 {
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
        var fLow = BigInt(0), fHigh = BigInt(0)
        var cache: [Int: (BigInt, BigInt)] = [:]
        for f in flows where f.amount.signum != 0 {
            let e = f.thirtieths
            let (lo, hi): (BigInt, BigInt)
            if let c = cache[e] { (lo, hi) = c } else {
                if e == 0 { (lo, hi) = (one, one) } else {
                    // w^-e: lower bound from an upper bound of w^e, and vice versa.
                    let up = power(wHigh, e, bits: bits, roundUp: true)
                    let down = power(wLow, e, bits: bits, roundUp: false)
                    guard down.signum > 0,
                          let l = try? two.divided(by: up, rounding: .floor),
                          let u = try? two.divided(by: down, rounding: .ceiling) else { return nil }
                    (lo, hi) = (l, u)
                }
                cache[e] = (lo, hi)
            }
            let p = f.amount.bigValue
            fLow = fLow + p * lo
            fHigh = fHigh + p * hi
        }
        let target = financed.bigValue.shiftedLeft(bits)
        if BigInt.compare(fLow, target) > 0 { return 1 }
        if BigInt.compare(fHigh, target) < 0 { return -1 }
        return nil
    }

    /// `(w / 2^bits)^e * 2^bits`, rounded up or down at every step.
    private func power(_ w: BigInt, _ e: Int, bits: Int, roundUp: Bool) -> BigInt {
        func mul(_ a: BigInt, _ b: BigInt) -> BigInt {
            roundUp ? (a * b).ceilShiftedRight(bits) : (a * b).floorShiftedRight(bits)
        }
        var result = BigInt(1).shiftedLeft(bits)
        var base = w
        var n = e
        while n > 0 {
            if n & 1 == 1 { result = mul(result, base) }
            n >>= 1
            if n > 0 { base = mul(base, base) }
        }
        return result
    }
}

private extension Double {
    var exp: Double { Glibc.exp(self) }
    var expm1: Double { Glibc.expm1(self) }
}
