import Testing
@testable import RepaymentKernel

/// The certified APR of SPEC §6: 6 decimals, correctly rounded half-even from
/// the true root, decided exactly (`ExactBoundary`) near a rounding boundary.
///
/// Construction: an interest-only loan (or a single payment) with whole-month
/// periods and an interest that is an exact number of cents has the monthly
/// IRR x = rate/12 exactly, so 12x = rate. Choosing rate = 0.1234565 (a tie
/// at 6 decimals) or rate = 0.1234565 +- 10^-k puts the root exactly on, or
/// 10^-k above/below, the boundary between 0.123456 and 0.123457.
@Suite("APR certification near rounding boundaries")
struct APRCertificationTests {
    func d(_ s: String) -> CivilDate { try! CivilDate(parsing: s) }
    /// Payment times of a schedule anchored on the 15th (no month end involved).
    let day15 = Accrual(basis: .monthly, anchorDay: 15)

    /// An interest-only loan from 2024-01-15, `n` whole months, monthly basis.
    func interestOnly(_ principal: String, _ rate: String, _ n: Int) throws -> (Schedule, LoanTerms) {
        let t = try LoanTerms(principal: Money(parsing: principal), rate: Rate(parsing: rate), term: n,
                              method: .interestOnly, start: d("2024-01-15"))
        return (try t.schedule(), t)
    }

    func apr(_ principal: String, _ rate: String, _ n: Int) throws -> AnnualPercentageRate {
        let (s, t) = try interestOnly(principal, rate, n)
        // the construction only works when every interest is exact
        let monthly = (t.principal.units * t.rate.numerator).divided(by: t.rate.denominator * .small(12), rounding: .down)!
        #expect(s.rows.allSatisfy { $0.interest.units == monthly }, "interest not constant")
        #expect((monthly * t.rate.denominator * .small(12)) == t.principal.units * t.rate.numerator, "interest not exact")
        return BatchResult.apr(of: s, terms: t)
    }

    @Test("Exact ties round half-even", arguments: [
        // 240000.00 x 0.1234565 / 12 = 2469.13 exactly; 48000.00 x 0.1234575 / 12 = 493.83
        ("240000", "0.1234565", 1, "0.123456"), ("240000", "0.1234565", 12, "0.123456"), ("240000", "0.1234565", 60, "0.123456"),
        ("48000", "0.1234575", 1, "0.123458"), ("48000", "0.1234575", 24, "0.123458"),
        // 0.0000005: the tie between 0 and 0.000001 -> 0.000000; 0.0000015 -> 0.000002
        ("2400000", "0.0000005", 3, "0.000000"), ("800000", "0.0000015", 3, "0.000002"),
        // the same ties at a huge scale (GMP path)
        ("240000000000000000000000000000", "0.1234565", 6, "0.123456"),
    ])
    func ties(_ principal: String, _ rate: String, _ n: Int, _ want: String) throws {
        #expect(try apr(principal, rate, n).nominal == want)
    }

    @Test("Roots just above and just below a boundary land on the right side", arguments: [
        // 2.4e11 x (0.1234565 +- 1e-12) / 12 is a whole number of cents
        ("240000000000", "0.123456500001", 12, "0.123457"), ("240000000000", "0.123456499999", 12, "0.123456"),
        ("240000000000", "0.123457500001", 3, "0.123458"), ("240000000000", "0.123457499999", 3, "0.123457"),
        // 1e-18 from the boundary: far beyond a double's resolution
        ("240000000000000000", "0.123456500000000001", 2, "0.123457"),
        ("240000000000000000", "0.123456499999999999", 2, "0.123456"),
        ("240000000000000000000000", "0.123456500000000000000001", 4, "0.123457"),
        ("240000000000000000000000", "0.123456499999999999999999", 4, "0.123456"),
    ])
    func nearBoundary(_ principal: String, _ rate: String, _ n: Int, _ want: String) throws {
        #expect(try apr(principal, rate, n).nominal == want)
    }

    @Test("Effective APR on an exact tie: one payment after 12 whole months")
    func effectiveTie() throws {
        // financed 20000.00, one payment 22469.13 after 12 months: (1+x)^12 = 1.1234565 exactly
        func schedule(_ payment: String) throws -> Schedule {
            let p = try Money(parsing: payment)
            return Schedule(rows: [ScheduleRow(period: 1, dueDate: d("2025-01-15"), kind: .installment, principal: p.units,
                                               interest: .small(0), carried: .small(0), balance: .small(0), scale: 2)], scale: 2)
        }
        let financed = try Money(parsing: "20000").units
        let tie = AnnualPercentageRate.of(try schedule("22469.13"), financed: financed, from: d("2024-01-15"), accrual: day15)
        #expect(tie.effective == "0.123456")
        // 12 * (1.1234565^(1/12) - 1) = 0.11697656177... (Python Decimal, 50 digits; not near a boundary)
        #expect(tie.nominal == "0.116977")
        let above = AnnualPercentageRate.of(try schedule("22469.14"), financed: financed, from: d("2024-01-15"), accrual: day15)
        #expect(above.effective == "0.123457")   // 0.1234570 exactly
        // 0.1234575 -> half-even up to 0.123458: financed 20000.00 -> 22469.15
        let odd = AnnualPercentageRate.of(try schedule("22469.15"), financed: financed, from: d("2024-01-15"), accrual: day15)
        #expect(odd.effective == "0.123458")
        // at a huge scale: 2e29 financed, payment 1e-18 relative above the tie
        let bigFinanced = try Money(parsing: "200000000000000000000000000000").units
        let bigTie = try Money(parsing: "224691300000000000000000000000").units
        func big(_ extra: Int128) -> Schedule {
            Schedule(rows: [ScheduleRow(period: 1, dueDate: d("2025-01-15"), kind: .installment, principal: bigTie + .small(extra),
                                        interest: .small(0), carried: .small(0), balance: .small(0), scale: 2)], scale: 2)
        }
        #expect(AnnualPercentageRate.of(big(0), financed: bigFinanced, from: d("2024-01-15"), accrual: day15).effective == "0.123456")
        #expect(AnnualPercentageRate.of(big(1), financed: bigFinanced, from: d("2024-01-15"), accrual: day15).effective == "0.123457")
        #expect(AnnualPercentageRate.of(big(-1), financed: bigFinanced, from: d("2024-01-15"), accrual: day15).effective == "0.123456")
    }

    @Test("ExactBoundary compares the root with a boundary: tie, above, below")
    func exactBoundaryDirect() {
        // financed 240000.00, one payment 242469.13 after one month: 12x = 0.1234565
        let flows = [AnnualPercentageRate.Flow(amount: .small(24_246_913), months: 1, days: 0)]
        let solver = ExactBoundary(flows: flows, financed: .small(24_000_000))
        #expect(solver.compareRoot(toMillionths: 246_913, kind: .nominal) == 0)    // boundary 0.1234565: a tie
        #expect(solver.compareRoot(toMillionths: 246_911, kind: .nominal) == 1)    // root above 0.1234555
        #expect(solver.compareRoot(toMillionths: 246_915, kind: .nominal) == -1)   // root below 0.1234575
        // leftover days: one payment after 1 month and 15 days (t = 1.5)
        let odd = ExactBoundary(flows: [AnnualPercentageRate.Flow(amount: .small(24_246_913), months: 1, days: 15)],
                                financed: .small(24_000_000))
        // (1+x)^1.5 = 1.0102880416..: x = 0.0068...; 12x = 0.0822.. well below 0.1234565
        #expect(odd.compareRoot(toMillionths: 246_913, kind: .nominal) == -1)
        #expect(odd.compareRoot(toMillionths: 2 * 82_000 + 1, kind: .nominal) == 1)
    }

    @Test("certify corrects an estimate that sits on the wrong side of the boundary")
    func certifyCorrects() {
        let flows = [AnnualPercentageRate.Flow(amount: .small(24_246_913), months: 1, days: 0)]
        let tie = ExactBoundary(flows: flows, financed: .small(24_000_000))
        // true value 0.1234565 (tie -> 0.123456); estimates a hair above and below
        for e in [0.12345650000001, 0.12345649999999, 0.1234565] {
            #expect(AnnualPercentageRate.certify(estimate: e, kind: .nominal) { tie }.decimalString == "123456", "\(e)")
        }
        // root just above the boundary (financed 2.4e11, payment 1 cent more than the tie)
        let above = ExactBoundary(flows: [AnnualPercentageRate.Flow(amount: .small(24_246_913_000_000 + 1), months: 1, days: 0)],
                                  financed: .small(24_000_000_000_000))
        for e in [0.12345649999999, 0.1234565, 0.12345650000001] {
            #expect(AnnualPercentageRate.certify(estimate: e, kind: .nominal) { above }.decimalString == "123457", "\(e)")
        }
        let below = ExactBoundary(flows: [AnnualPercentageRate.Flow(amount: .small(24_246_913_000_000 - 1), months: 1, days: 0)],
                                  financed: .small(24_000_000_000_000))
        for e in [0.12345649999999, 0.1234565, 0.12345650000001] {
            #expect(AnnualPercentageRate.certify(estimate: e, kind: .nominal) { below }.decimalString == "123456", "\(e)")
        }
    }

    @Test("APR of a plan: a down payment counts at t = 0; no interest gives 0")
    func planAPR() throws {
        let z = Money.zero()
        var t = PlanTerms(asOf: d("2024-01-15"), arrears: try ArrearsSnapshot(principal: Money(parsing: "240000"), overduePrincipal: z,
                                                                             overdueInterest: z, accruedInterest: z, penalty: z, fees: z))
        t.installments = 12
        #expect(try NegotiatedPlan(t).apr.nominal == "0.000000")
        // interest-only plan at 12.34565%: IRR exactly the plan rate -> tie -> 0.123456
        t.planMethod = .interestOnly
        t.planRate = try Rate(parsing: "12.34565%")
        let p = try NegotiatedPlan(t)
        #expect(p.schedule.rows[0].interest.description == "2469.13")
        #expect(p.apr.nominal == "0.123456")
        // a down payment at t = 0 of 120000 leaves 120000 at the same rate: 1234.565 a month is not exact,
        // so use 48000 + 0.1234575: IRR = 0.1234575 -> 0.123458
        var u = PlanTerms(asOf: d("2024-01-15"), arrears: try ArrearsSnapshot(principal: Money(parsing: "58000"), overduePrincipal: z,
                                                                             overdueInterest: z, accruedInterest: z, penalty: z, fees: z))
        u.downPayment = try Money(parsing: "10000")
        u.installments = 6
        u.planMethod = .interestOnly
        u.planRate = try Rate(parsing: "0.1234575")
        let q = try NegotiatedPlan(u)
        #expect(q.schedule.rows[0].kind == .down && q.schedule.rows[1].interest.description == "493.83")
        #expect(q.apr.nominal == "0.123458")
    }
}
