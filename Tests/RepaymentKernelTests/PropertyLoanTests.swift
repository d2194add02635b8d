import Testing
@testable import RepaymentKernel

/// Random loans from a seeded generator (SplitMix64, in CalendarTests.swift).
struct LoanGenerator {
    var rng: SplitMix64
    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func rate(maxPercent: Int) -> Rate {
        let decimals = rng.int(0...4)
        var scale = 1
        for _ in 0..<decimals { scale *= 10 }
        let v = rng.int(0...(maxPercent * scale))
        let text = decimals == 0 ? "\(v)" : "\(v / scale).\(String(String(v % scale + scale).dropFirst()))"
        return try! Rate(parsing: text + "%")
    }

    mutating func principal(scale: Int, huge: Bool) -> Money {
        var digits = String(rng.int(1...9)) + String((0..<rng.int(0...(huge ? 30 : 7))).map { _ in Character(String(rng.int(0...9))) })
        if rng.chance(10) { digits = String(rng.int(1...99)) }   // tiny principals
        let frac = String((0..<scale).map { _ in Character(String(rng.int(0...9))) })
        return try! Money(parsing: scale == 0 ? digits : digits + "." + frac, scale: scale)
    }

    mutating func date() -> CivilDate {
        let y = rng.int(2000...2030), m = rng.int(1...12)
        let dim = CivilDate.daysInMonth(year: y, month: m)
        let d = rng.chance(30) ? dim : rng.int(1...dim)   // month ends often
        return try! CivilDate(year: y, month: m, day: d)
    }

    mutating func loan(maxTerm: Int = 60, huge: Bool = false) -> LoanTerms {
        let method = rng.pick(RepaymentMethod.allCases)
        let scale = rng.chance(80) ? 2 : rng.int(0...6)
        let term = rng.chance(5) ? rng.int(1...360) : rng.int(1...maxTerm)
        let rate = method == .flat ? self.rate(maxPercent: 3) : self.rate(maxPercent: rng.chance(10) ? 200 : 36)
        let start = date()
        var firstDue: CivilDate? = nil
        if method != .bullet && rng.chance(30) { firstDue = Self.fromDayNumber(start.dayNumber + rng.int(1...60)) }
        return try! LoanTerms(principal: principal(scale: scale, huge: huge || rng.chance(5)), rate: rate, term: term,
                              method: method, start: start, firstDue: firstDue,
                              basis: rng.pick(DayCountBasis.allCases), rounding: rng.pick(RoundingMode.allCases))
    }

    static func fromDayNumber(_ n: Int) -> CivilDate {
        // inverse of dayNumber (H. Hinnant's civil_from_days), written independently of the library
        let z = n + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return try! CivilDate(year: y, month: m, day: d)
    }
}


@Suite("Properties of random base schedules")
struct PropertyLoanTests {
    static let count = 4000

    /// The invariants of SPEC §3 for one loan.
    static func check(_ t: LoanTerms, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let s = try t.schedule()
        let rows = s.rows
        let label = "P=\(t.principal) rate=\(t.rate.exactDecimal) fee=\(t.feeRate?.exactDecimal ?? "-") n=\(t.term) \(t.method.rawValue) start=\(t.start) first=\(t.firstDue?.description ?? "-") \(t.basis.rawValue) \(t.rounding.rawValue)"
        #expect(!rows.isEmpty, "\(label)", sourceLocation: sourceLocation)
        #expect(rows.count <= (t.method == .bullet ? 1 : t.term), "\(label)", sourceLocation: sourceLocation)
        // sum of principal == P exactly
        #expect(s.totalPrincipal == t.principal, "sum(principal) \(label)", sourceLocation: sourceLocation)
        var balance = t.principal
        var previousDue: CivilDate? = nil
        var paidOff = false
        for (k, r) in rows.enumerated() {
            #expect(r.period == k + 1 && r.kind == .installment && r.carried.isZero, "\(label)", sourceLocation: sourceLocation)
            #expect(r.principal.units.signum >= 0 && r.interest.units.signum >= 0, "\(label) row \(k + 1)", sourceLocation: sourceLocation)
            #expect(r.payment == r.principal + r.interest)
            balance = balance - r.principal
            #expect(r.balance == balance, "running balance \(label) row \(k + 1)", sourceLocation: sourceLocation)
            #expect(r.balance.units.signum >= 0, "negative balance \(label) row \(k + 1)", sourceLocation: sourceLocation)
            // after payoff, only flat fee rows with a nonzero fee
            if paidOff {
                #expect(t.method == .flat && !r.interest.isZero && r.principal.isZero,
                        "row after payoff \(label) row \(k + 1)", sourceLocation: sourceLocation)
            }
            #expect(!r.payment.isZero || !paidOff, "zero payment after payoff \(label)", sourceLocation: sourceLocation)
            if r.balance.isZero { paidOff = true }
            // due dates strictly increasing and anchored
            if let p = previousDue { #expect(p < r.dueDate, "\(label)", sourceLocation: sourceLocation) }
            #expect(r.dueDate == t.dueDate(k + 1), "\(label)", sourceLocation: sourceLocation)
            previousDue = r.dueDate
        }
        #expect(rows.last!.balance.isZero, "last balance \(label)", sourceLocation: sourceLocation)
        // annuity: every payment before the last is the installment A when A covers the interest
        if t.method == .annuity, rows.count > 2 {
            let a = Money(units: AnnuityFactor.installment(principal: t.principal.units, rate: t.rate, periods: t.term,
                                                           rounding: t.rounding), scale: t.scale)
            for r in rows.dropLast() where r.interest < a {
                #expect(r.payment == a, "annuity payment \(label) row \(r.period)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test("4000 random loans: sum(principal) == P, balances >= 0 and consistent, last balance 0, no zero row after payoff, dates increasing")
    func invariants() throws {
        var g = LoanGenerator(seed: 2024)
        for _ in 0..<Self.count { try Self.check(g.loan()) }
    }

    @Test("300 random loans with huge principals (up to 10^31) keep the invariants")
    func hugeInvariants() throws {
        var g = LoanGenerator(seed: 31)
        for _ in 0..<300 { try Self.check(g.loan(maxTerm: 24, huge: true)) }
    }

    @Test("Early payoff: a long high-rate annuity rounded up ends before its term, flat keeps fee rows")
    func earlyPayoff() throws {
        let t = try LoanTerms(principal: Money(parsing: "1000"), rate: Rate(parsing: "120%"), term: 360,
                              start: CivilDate(parsing: "2024-01-15"), rounding: .up)
        let s = try t.schedule()
        #expect(s.count < 360 && s.count > 12)
        try Self.check(t)
        let f = try LoanTerms(principal: Money(parsing: "0.10"), rate: Rate(parsing: "10%"), term: 7, method: .flat,
                              start: CivilDate(parsing: "2024-01-15"), rounding: .up)
        let fr = try f.schedule().rows
        #expect(fr.count == 7 && fr[5].principal.isZero && fr[5].interest.description == "0.01")
        let zeroFee = try LoanTerms(principal: Money(parsing: "0.10"), rate: Rate(parsing: "0%"), term: 7, method: .flat,
                                    start: CivilDate(parsing: "2024-01-15"), rounding: .up)
        #expect(try zeroFee.schedule().count == 5)   // 0.02 x 5: no zero-payment rows afterwards
    }

    @Test("Int128 fast path and GMP path produce the same rows (2000 random loans)")
    func fastPathAgreesWithGMP() throws {
        var g = LoanGenerator(seed: 128)
        var compared = 0
        for _ in 0..<2000 {
            let t = g.loan(maxTerm: 48)
            let input = LoanEngine.Input(t)
            var small: [[String]] = [], big: [[String]] = []
            do {
                try LoanEngine.run(input, Int128.self) { r in
                    small.append([String(r.period), r.dueDate.description, r.principal.wide.decimalString,
                                  r.interest.wide.decimalString, r.balance.wide.decimalString])
                }
            } catch { continue }   // did not fit Int128: nothing to compare
            try LoanEngine.run(input, BigInt.self) { r in
                big.append([String(r.period), r.dueDate.description, r.principal.wide.decimalString,
                            r.interest.wide.decimalString, r.balance.wide.decimalString])
            }
            #expect(small == big, "P=\(t.principal) \(t.method) n=\(t.term)")
            compared += 1
        }
        #expect(compared > 1500)
    }

    @Test("Scaling the principal by 10^20 scales an interest-only schedule exactly (fast path vs GMP)")
    func scaledPrincipal() throws {
        // interest-only with an interest that is a whole number of cents has no rounding,
        // so P x 10^20 (GMP) must give every amount x 10^20
        var rng = SplitMix64(seed: 20)
        for _ in 0..<300 {
            let p = rng.int(1...1_000_000) * 100   // whole currency units, cents
            let start = try CivilDate(year: 2024, month: rng.int(1...12), day: rng.int(1...28))
            let n = rng.int(1...24)
            let small = try LoanTerms(principal: Money(parsing: String(p)), rate: Rate(parsing: "12%"), term: n,
                                      method: .interestOnly, start: start, rounding: rng.pick(RoundingMode.allCases))
            let big = try LoanTerms(principal: Money(parsing: String(p) + String(repeating: "0", count: 20)), rate: Rate(parsing: "12%"),
                                    term: n, method: .interestOnly, start: start, rounding: small.rounding)
            let a = try small.schedule().rows, b = try big.schedule().rows
            #expect(a.count == b.count)
            for (x, y) in zip(a, b) {
                #expect(x.interest.minorUnitsString + String(repeating: "0", count: 20) == y.interest.minorUnitsString)
                #expect(x.dueDate == y.dueDate)
            }
            #expect(b.last!.balance.isZero && b.last!.principal == big.principal)
        }
    }

    @Test("The annuity installment is the correctly rounded P*i/(1-(1+i)^-n), fixed-point fast path included (3000 cases)")
    func annuityInstallment() throws {
        var rng = SplitMix64(seed: 77)
        var g = LoanGenerator(seed: 78)
        for _ in 0..<3000 {
            let rate = g.rate(maxPercent: 40)
            if rate.isZero { continue }
            let n = rng.int(1...360)
            let digits = rng.int(1...(rng.chance(10) ? 30 : 12))
            let p = WideInteger(digits: Substring(String(rng.int(1...9)) + String((1..<digits).map { _ in Character(String(rng.int(0...9))) })).utf8)!
            let mode = rng.pick(RoundingMode.allCases)
            // independent exact value: i = rn/(12 rd); P*i*(1+i)^n / ((1+i)^n - 1)
            let rn = rate.numerator.bigValue, rd = rate.denominator.bigValue
            let b = rd * BigInt(12), a = b + rn
            let an = a.power(n), bn = b.power(n)
            let want = try (p.bigValue * rn * an).divided(by: b * (an - bn), rounding: mode)
            let got = AnnuityFactor.installment(principal: p, rate: rate, periods: n, rounding: mode)
            #expect(got == WideInteger(want), "P=\(p.decimalString) rate=\(rate.exactDecimal) n=\(n) \(mode)")
        }
    }

    @Test("APR of a monthly loan with whole-month periods is its nominal rate (annuity and equal-principal, 400 loans)")
    func aprEqualsRate() throws {
        var rng = SplitMix64(seed: 600)
        for _ in 0..<400 {
            let r = rng.int(1...3000)   // 0.01% .. 30.00%
            let rate = try Rate(parsing: "\(r / 100).\(String(String(r % 100 + 100).dropFirst()))%")
            let method: RepaymentMethod = rng.chance(50) ? .annuity : .equalPrincipal
            let start = try CivilDate(year: 2024, month: rng.int(1...12), day: rng.int(1...28))
            let t = try LoanTerms(principal: Money(parsing: String(rng.int(100_000_000...999_999_999)) + "00"), rate: rate,
                                  term: rng.int(1...60), method: method, start: start, rounding: rng.pick(RoundingMode.allCases))
            let apr = BatchResult.apr(of: try t.schedule(), terms: t)
            let got = Double(apr.nominal)!, want = Double(rate.exactDecimal)!
            #expect(abs(got - want) <= 1e-6, "\(rate.exactDecimal) \(method) n=\(t.term): \(apr.nominal)")
            // effective = (1+r/12)^12 - 1
            let eff = (1 + want / 12).power12 - 1
            #expect(abs(Double(apr.effective)! - eff) <= 2e-6)
        }
    }

    @Test("A card-style flat fee shows its true APR, about 1.8 x 12 x fee", arguments: [12, 18, 24, 36])
    func flatAPR(_ n: Int) throws {
        for fee in ["0.2%", "0.3%", "0.5%", "0.6%", "0.75%", "1%"] {
            let t = try LoanTerms(principal: Money(parsing: "12000"), rate: Rate(parsing: fee), term: n, method: .flat,
                                  start: CivilDate(parsing: "2024-01-15"))
            let apr = Double(BatchResult.apr(of: try t.schedule(), terms: t).nominal)!
            let nominal = 12 * Double(t.feeRate!.exactDecimal)!
            let ratio = apr / nominal
            #expect(ratio > 1.74 && ratio < 1.93, "n=\(n) fee=\(fee): apr \(apr) = \(ratio) x \(nominal)")
            if n == 12 { #expect(abs(ratio - 1.8) < 0.05, "fee \(fee): \(ratio)") }
        }
    }
}

extension Double {
    var power12: Double { var r = 1.0; for _ in 0..<12 { r *= self }; return r }
}
