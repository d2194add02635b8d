import Testing
@testable import RepaymentKernel

/// SPEC §2's month-end rule: a span that starts at a clamped month end of a
/// schedule anchored on day D (29-31) steps by month with day D.
@Suite("Month-end rule (SPEC §2)")
struct MonthEndRuleTests {
    private func d(_ s: String) -> CivilDate { try! CivilDate(parsing: s) }

    @Test("Whole months and leftover days with an anchor day", arguments: [
        // (anchor day, from, to, months, days)
        (31, "2024-02-29", "2024-03-31", 1, 0),   // clamped Feb end on a 31st schedule: one month
        (31, "2024-04-30", "2024-05-31", 1, 0),
        (31, "2023-02-28", "2023-03-31", 1, 0),
        (31, "2023-02-28", "2023-03-30", 0, 30),  // one step lands on 03-31, past 03-30
        (31, "2024-02-29", "2024-03-15", 0, 15),
        (31, "2024-02-29", "2024-05-31", 3, 0),
        (31, "2024-01-15", "2024-03-31", 2, 16),  // not on the schedule's days: steps with its own day
        (31, "2024-03-30", "2024-04-30", 1, 0),   // 03-30 is no month end: its own day
        (31, "2024-03-30", "2024-05-31", 2, 1),
        (30, "2023-02-28", "2023-03-30", 1, 0),
        (30, "2024-02-29", "2024-03-31", 1, 1),   // 03-30 + 1 day
        (29, "2023-02-28", "2023-03-29", 1, 0),
        (29, "2024-02-29", "2024-03-29", 1, 0),   // the day is D itself: no change
        (29, "2024-02-29", "2024-03-31", 1, 2),
        (28, "2024-02-28", "2024-03-31", 1, 3),   // 02-28 of a leap year is no month end
        (31, "2100-02-28", "2100-03-31", 1, 0),   // 2100 is not a leap year
        (31, "2024-11-30", "2025-01-31", 2, 0),
        (31, "2024-12-31", "2024-12-31", 0, 0),
    ])
    func monthsAndDays(_ anchor: Int, _ a: String, _ b: String, _ months: Int, _ days: Int) {
        let r = Accrual(basis: .monthly, anchorDay: anchor).monthsAndDays(from: d(a), to: d(b))
        #expect(r.months == months && r.days == days, "\(a) -> \(b) anchored on \(anchor): \(r)")
    }

    @Test("Brute force: the largest k with addMonths(a', k) <= b, against a day-by-day walk")
    func bruteForce() {
        var rng = SplitMix64(seed: 2026_1128)
        for _ in 0..<20_000 {
            let anchor = rng.int(1...31)
            let y = rng.int(1999...2030), m = rng.int(1...12)
            let dim = CivilDate.daysInMonth(year: y, month: m)
            let a = try! CivilDate(year: y, month: m, day: rng.chance(50) ? dim : rng.int(1...dim))
            let b = LoanGenerator.fromDayNumber(a.dayNumber + rng.int(0...800))
            // a' steps with D only at a clamped month end; step k lands on min(step, length).
            let step = (a.day == dim && a.day < anchor) ? anchor : a.day
            func landed(_ k: Int) -> CivilDate {
                if k == 0 { return a }
                let total = a.year * 12 + (a.month - 1) + k
                let yy = total / 12, mm = total % 12 + 1
                return try! CivilDate(year: yy, month: mm, day: min(step, CivilDate.daysInMonth(year: yy, month: mm)))
            }
            var k = 0
            while landed(k + 1) <= b { k += 1 }
            let want = a < b ? (k, landed(k).days(to: b)) : (0, 0)
            let got = Accrual(basis: .monthly, anchorDay: anchor).monthsAndDays(from: a, to: b)
            #expect(got.months == want.0 && got.days == want.1, "\(a) -> \(b) anchored on \(anchor)")
        }
    }

    @Test("The README loan: period 2 of a 2024-01-31 loan charges 22.61 on 2261.16, not 24.12")
    func readmeLoan() throws {
        let loan = try LoanTerms(principal: Money(parsing: "3000"), rate: Rate(parsing: "12%"), term: 4,
                                 start: d("2024-01-31"))
        let rows = try loan.schedule().rows
        #expect(rows[0].balance.description == "2261.16")
        #expect(rows[1].dueDate == d("2024-03-31") && rows[1].interest.description == "22.61")
    }

    /// `round(b * rn / (rd * 12))` with `mode`, written out on Int128 independently of the kernel.
    private func monthOfInterest(_ b: Int128, _ rn: Int128, _ rd: Int128, _ mode: RoundingMode) -> Int128 {
        let num = b * rn, den = rd * 12
        let q = num / den, r = num % den   // num >= 0
        if r == 0 { return q }
        let up: Bool
        switch mode {
        case .down, .floor: up = false
        case .up, .ceiling: up = true
        case .halfUp: up = 2 * r >= den
        case .halfEven: up = 2 * r > den || (2 * r == den && q % 2 == 1)
        }
        return up ? q + 1 : q
    }

    @Test("Every regular period of a loan anchored on the 29th-31st charges round(B * rate/12)")
    func regularPeriodsChargeOneMonth() throws {
        var rng = SplitMix64(seed: 31)
        var checked = 0
        for _ in 0..<4000 {
            let method = rng.pick([RepaymentMethod.annuity, .equalPrincipal, .interestOnly])
            let y = rng.int(2000...2030), m = rng.int(1...12)
            let anchorDay = rng.int(29...31)
            let day = min(anchorDay, CivilDate.daysInMonth(year: y, month: m))
            let anchor = try CivilDate(year: y, month: m, day: day)
            // Anchored on D either by start, or by first_due (start a few days to months before).
            let byFirstDue = rng.chance(40)
            let start = byFirstDue ? LoanGenerator.fromDayNumber(anchor.dayNumber - rng.int(1...70)) : anchor
            // The anchor must carry day D itself: clamp the anchor month only when D fits.
            let firstDue: CivilDate? = byFirstDue ? anchor : nil
            guard anchor.day == anchorDay else { continue }
            let rate = try Rate(parsing: "\(rng.int(0...3600)).\(rng.int(0...99))%")
            let principal = try Money(parsing: "\(rng.int(1...9_999_999)).\(rng.int(10...99))")
            let loan = try LoanTerms(principal: principal, rate: rate, term: rng.int(2...120), method: method,
                                     start: start, firstDue: firstDue, basis: .monthly,
                                     rounding: rng.pick(RoundingMode.allCases))
            let rows = try loan.schedule().rows
            guard case .small(let rn) = rate.numerator, case .small(let rd) = rate.denominator else { continue }
            for k in rows.indices where k >= 1 || firstDue == nil {
                guard case .small(let b) = (k == 0 ? loan.principal : rows[k - 1].balance).units,
                      case .small(let got) = rows[k].interest.units else { continue }
                #expect(got == monthOfInterest(b, rn, rd, loan.rounding),
                        "period \(k + 1) due \(rows[k].dueDate) of a loan from \(start) anchored on \(anchorDay)")
                checked += 1
            }
        }
        #expect(checked > 50_000)
    }

    @Test("Every installment of a plan from a month end charges round(B * plan_rate/12)")
    func planPeriodsChargeOneMonth() throws {
        var rng = SplitMix64(seed: 3031)
        var checked = 0
        for _ in 0..<1500 {
            let y = rng.int(2000...2030), m = rng.int(1...12)
            let dim = CivilDate.daysInMonth(year: y, month: m)
            guard dim >= 29 else { continue }
            let asOf = try CivilDate(year: y, month: m, day: rng.int(29...dim))
            let owed = try Money(parsing: "\(rng.int(100...999_999)).\(rng.int(10...99))")
            let zero = Money.zero(scale: 2)
            var terms = PlanTerms(asOf: asOf, arrears: try ArrearsSnapshot(
                principal: owed, overduePrincipal: zero, overdueInterest: zero, accruedInterest: zero, penalty: zero, fees: zero))
            terms.deferMonths = rng.int(0...13)
            terms.installments = rng.int(2...60)
            terms.planMethod = rng.pick([.annuity, .equalPrincipal, .interestOnly])
            terms.planRate = try Rate(parsing: "\(rng.int(1...36))%")
            terms.rounding = rng.pick(RoundingMode.allCases)
            let plan = try NegotiatedPlan(terms)
            guard case .small(let rn) = terms.planRate.numerator, case .small(let rd) = terms.planRate.denominator else { continue }
            var balance = owed.units
            for r in plan.schedule.rows {
                guard case .small(let b) = balance, case .small(let got) = r.interest.units else { break }
                #expect(got == monthOfInterest(b, rn, rd, terms.rounding), "row \(r.period) due \(r.dueDate), as_of \(asOf)")
                balance = r.balance.units
                checked += 1
            }
        }
        #expect(checked > 20_000)
    }
}
