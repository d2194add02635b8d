import Testing
@testable import RepaymentKernel

/// Anchored month arithmetic, whole months and leftover days, day counts (SPEC §1-2).
@Suite("Calendar: addMonths, whole months, day counts")
struct CalendarTests {
    func d(_ s: String) -> CivilDate { try! CivilDate(parsing: s) }

    @Test("adding(months:) keeps the anchor's day, clamped", arguments: [
        ("2024-01-31", 1, "2024-02-29"), ("2023-01-31", 1, "2023-02-28"), ("2100-01-31", 1, "2100-02-28"),
        ("2000-01-31", 1, "2000-02-29"), ("2024-01-31", 2, "2024-03-31"), ("2024-01-31", 3, "2024-04-30"),
        ("2024-01-31", 13, "2025-02-28"), ("2024-01-31", 49, "2028-02-29"), ("2024-03-31", -1, "2024-02-29"),
        ("2024-03-31", -13, "2023-02-28"), ("2024-12-31", 2, "2025-02-28"), ("2024-02-29", 12, "2025-02-28"),
        ("2024-02-29", 48, "2028-02-29"), ("2024-01-15", 0, "2024-01-15"), ("2024-05-30", 9, "2025-02-28"),
        ("2024-01-29", 1, "2024-02-29"), ("2023-01-29", 1, "2023-02-28"), ("0001-01-31", 1, "0001-02-28"),
        ("9999-11-30", 1, "9999-12-30"), ("2024-08-31", 1, "2024-09-30"), ("2024-10-31", -120, "2014-10-31"),
    ])
    func addMonths(_ from: String, _ k: Int, _ want: String) {
        #expect(d(from).adding(months: k)?.description == want)
    }

    @Test("Due dates are anchored, never repeated addition")
    func anchoredNotRepeated() {
        let a = d("2024-01-31")
        #expect(a.adding(months: 1)!.adding(months: 1)!.description == "2024-03-29")
        #expect(a.adding(months: 2)!.description == "2024-03-31")
        let due = (1...12).map { a.adding(months: $0)!.description }
        #expect(due == ["2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30", "2024-07-31",
                        "2024-08-31", "2024-09-30", "2024-10-31", "2024-11-30", "2024-12-31", "2025-01-31"])
    }

    @Test("Out of range months give nil")
    func outOfRange() {
        #expect(d("9999-12-31").adding(months: 1) == nil)
        #expect(d("0001-01-01").adding(months: -1) == nil)
        #expect(d("9999-12-31").adding(months: 0) != nil)
    }

    @Test("wholeMonthsAndDays: the largest k with addMonths(a,k) <= b, then leftover days", arguments: [
        ("2024-01-31", "2024-03-30", 1, 30), ("2024-01-31", "2024-02-29", 1, 0), ("2024-02-29", "2024-03-31", 1, 2),
        ("2024-01-15", "2024-01-15", 0, 0), ("2024-01-15", "2024-02-14", 0, 30), ("2024-01-15", "2025-01-15", 12, 0),
        ("2024-05-31", "2024-06-20", 0, 20), ("2024-04-30", "2024-05-31", 1, 1), ("2024-01-31", "2024-03-31", 2, 0),
        ("2023-01-31", "2023-03-01", 1, 1), ("2024-06-20", "2024-01-15", 0, 0), ("2024-01-30", "2024-02-29", 1, 0),
        ("2024-01-30", "2024-03-01", 1, 1), ("2024-12-31", "2025-02-28", 2, 0), ("2024-12-31", "2025-02-27", 1, 27),
    ])
    func wholeMonths(_ a: String, _ b: String, _ m: Int, _ days: Int) {
        let r = d(a).wholeMonthsAndDays(to: d(b))
        #expect(r.months == m && r.days == days, "\(a) -> \(b): \(r)")
    }

    /// A brute-force reference: walk the calendar day by day.
    static func civil(fromDayNumber n: Int) -> (Int, Int, Int) {
        // 1970-01-01 plus n days, by counting (n small enough in the tests)
        var y = 1970, m = 1, day = 1, left = n
        while left > 0 {
            let dim = CivilDate.daysInMonth(year: y, month: m)
            if day + left <= dim { day += left; left = 0 } else {
                left -= dim - day + 1; day = 1; m += 1
                if m == 13 { m = 1; y += 1 }
            }
        }
        return (y, m, day)
    }

    @Test("Actual days agree with day-by-day counting (2000 random dates, 1970-2120)")
    func dayNumbers() throws {
        var rng = SplitMix64(seed: 0xCA1E)
        for _ in 0..<2000 {
            let n = Int(rng.next() % 55_000)
            let (y, m, day) = Self.civil(fromDayNumber: n)
            let date = try CivilDate(year: y, month: m, day: day)
            #expect(date.dayNumber == n)
        }
        #expect(d("1970-01-01").dayNumber == 0)
        #expect(d("2024-01-01").days(to: d("2025-01-01")) == 366)
        #expect(d("2023-01-01").days(to: d("2024-01-01")) == 365)
        #expect(d("2000-02-28").days(to: d("2000-03-01")) == 2)
        #expect(d("1900-02-28").days(to: d("1900-03-01")) == 1)
        #expect(d("2025-01-01").days(to: d("2024-01-01")) == -366)
        #expect(d("0001-01-01").days(to: d("9999-12-31")) == 3_652_058)
    }

    @Test("Whole months agree with a linear search (5000 random pairs)")
    func wholeMonthsBruteForce() throws {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<5000 {
            let y = 2020 + Int(rng.next() % 8), m = 1 + Int(rng.next() % 12)
            let a = try CivilDate(year: y, month: m, day: 1 + Int(rng.next() % UInt64(CivilDate.daysInMonth(year: y, month: m))))
            let b = a.adding(months: Int(rng.next() % 40))!
            let bb = try CivilDate(year: b.year, month: b.month, day: min(CivilDate.daysInMonth(year: b.year, month: b.month), 1 + Int(rng.next() % 31)))
            var k = 0
            while a.adding(months: k + 1)! <= bb { k += 1 }
            let r = a.wholeMonthsAndDays(to: bb)
            if a < bb {
                #expect(r.months == k && r.days == a.adding(months: k)!.days(to: bb), "\(a) -> \(bb)")
                #expect(r.days >= 0 && r.days <= 30)
            } else {
                #expect(r.months == 0 && r.days == 0)
            }
        }
    }

    @Test("30E/360: a day 31 counts as 30", arguments: [
        ("2024-01-31", "2024-02-29", 29), ("2023-01-31", "2023-02-28", 28), ("2024-01-30", "2024-03-31", 60),
        ("2024-02-29", "2024-03-31", 31), ("2024-01-15", "2024-02-15", 30), ("2024-03-31", "2024-04-30", 30),
        ("2024-12-31", "2025-01-31", 30), ("2024-01-01", "2025-01-01", 360), ("2024-05-31", "2024-06-20", 20),
    ])
    func thirty360(_ a: String, _ b: String, _ n: Int) {
        #expect(d(a).days30E(to: d(b)) == n)
        #expect(Accrual(basis: .thirty360, anchorDay: 31).units(from: d(a), to: d(b)) == n)
    }

    @Test("Basis units and divisors (factor = rate * units / divisor)")
    func basisUnits() {
        let a = d("2024-01-31"), b = d("2024-03-31")
        func units(_ basis: DayCountBasis, _ from: CivilDate, _ anchorDay: Int = 31) -> Int {
            Accrual(basis: basis, anchorDay: anchorDay).units(from: from, to: b)
        }
        #expect(units(.monthly, a) == 60)                          // 2 whole months
        #expect(units(.monthly, d("2024-02-29")) == 30)            // month-end rule: one month on a 31st schedule
        #expect(units(.monthly, d("2024-02-29"), 29) == 32)        // 1 month (to 03-29) + 2 days on a 29th schedule
        #expect(units(.actual360, a) == 60)                        // 29 + 31 days
        #expect(units(.actual365, a) == 60)
        #expect(units(.actual360, d("2024-02-29")) == 31)          // actual days ignore the anchor
        #expect(DayCountBasis.actual365.divisor == 365 && DayCountBasis.actual360.divisor == 360)
        #expect(DayCountBasis.monthly.divisor == 360 && DayCountBasis.thirty360.divisor == 360)
        #expect(DayCountBasis.actual365.yearDays == 365 && DayCountBasis.monthly.yearDays == 360)
        #expect(DayCountBasis.thirty360.yearDays == 360 && DayCountBasis.actual360.yearDays == 360)
        for s in ["monthly", "act/360", "act/365", "30/360"] { #expect((try? DayCountBasis(parsing: s)) != nil) }
        #expect(throws: KernelError.self) { try DayCountBasis(parsing: "actual/365") }
    }

    @Test("Interest of one period per basis, exact (bullet from 2024-01-31 to 2024-02-29)", arguments: [
        // 10000.00 at 12%: monthly 1 month = 100.00; act/360 29 days = 96.666.. ; act/365 = 95.342..; 30E 29 days = 96.666..
        ("monthly", "100.00"), ("act/360", "96.67"), ("act/365", "95.34"), ("30/360", "96.67"),
    ])
    func onePeriodInterest(_ basis: String, _ want: String) throws {
        let t = try LoanTerms(principal: Money(parsing: "10000"), rate: Rate(parsing: "12%"), term: 1, method: .bullet,
                              start: d("2024-01-31"), basis: DayCountBasis(parsing: basis))
        #expect(try t.schedule().rows[0].interest.description == want)
    }
}

/// A small deterministic generator (SplitMix64) for the randomized tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
    mutating func pick<T>(_ xs: [T]) -> T { xs[int(0...(xs.count - 1))] }
    mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }
}
