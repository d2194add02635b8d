/// How interest accrues over the spans of one schedule (SPEC §2): a
/// day-count basis plus the schedule's anchor day `D`.
///
/// This is the single home of SPEC §2. Loan periods, the accrued interest of
/// arrears, a plan's deferral interest and installment periods, and the APR's
/// payment times all measure their spans here, in the style of QuantLib's
/// `yearFraction` with a reference period.
///
/// Under the `monthly` basis a span counts whole anchored months plus
/// leftover days. A span that starts at a clamped month end (the last day of
/// its month, below `D`) steps by month with day `D` (the **month-end rule**),
/// so every regular period of a schedule charges exactly `rate/12`:
///
/// ```swift
/// let eom = Accrual(basis: .monthly, anchorDay: 31)
/// eom.monthsAndDays(from: try CivilDate(parsing: "2024-02-29"),
///                   to: try CivilDate(parsing: "2024-03-31"))   // (1, 0): one month
/// eom.monthsAndDays(from: try CivilDate(parsing: "2024-04-30"),
///                   to: try CivilDate(parsing: "2024-05-31"))   // (1, 0)
/// // A start that is not on the schedule's days steps with its own day:
/// eom.monthsAndDays(from: try CivilDate(parsing: "2024-01-15"),
///                   to: try CivilDate(parsing: "2024-03-31"))   // (2, 16)
/// ```
///
/// `D` is the day of `first_due` when given, else of `start`, for a loan; the
/// day of `as_of` for a plan.
public struct Accrual: Sendable, Hashable {
    /// The day-count basis.
    public var basis: DayCountBasis
    /// The schedule's anchor day of month `D`, 1...31.
    public var anchorDay: Int

    /// An accrual for a schedule whose due dates keep day `anchorDay`.
    public init(basis: DayCountBasis, anchorDay: Int) {
        self.basis = basis
        self.anchorDay = anchorDay
    }

    /// An accrual for a schedule anchored on `anchor` (its day of month is `D`).
    public init(basis: DayCountBasis, anchor: CivilDate) {
        self.init(basis: basis, anchorDay: anchor.day)
    }

    /// Whole months and leftover days from `a` to `b` (SPEC §2), with the
    /// month-end rule: the largest `k` with `addMonths(a', k) <= b`, then the
    /// actual days from `addMonths(a', k)` to `b`. `(0, 0)` when `b <= a`.
    ///
    /// `a'` is `a`, except when `a` is the last day of its month and its day
    /// is below the anchor day: then `a'` steps with the anchor day.
    /// Used for the `monthly` basis and for APR times, whatever the basis.
    @inline(__always)
    public func monthsAndDays(from a: CivilDate, to b: CivilDate) -> (months: Int, days: Int) {
        a.wholeMonthsAndDays(to: b, stepDay: stepDay(of: a))
    }

    /// The day of month `a` steps with: the anchor day at a clamped month end, else its own.
    @inline(__always)
    func stepDay(of a: CivilDate) -> Int {
        if a.day < anchorDay && a.day == CivilDate.daysInMonth(year: a.year, month: a.month) { return anchorDay }
        return a.day
    }

    /// The integer numerator of a span's factor: `factor(a, b) = rate * units / divisor`.
    ///
    /// `monthly`: 30 per whole month plus leftover days; `act/360`, `act/365`:
    /// actual days; `30/360`: 30E/360 days.
    @inline(__always)
    public func units(from a: CivilDate, to b: CivilDate) -> Int {
        switch basis {
        case .monthly:
            let (m, d) = monthsAndDays(from: a, to: b)
            return 30 * m + d
        case .actual360, .actual365: return a.days(to: b)
        case .thirty360: return a.days30E(to: b)
        }
    }

    /// The divisor of `units(from:to:)`: 365 for `act/365`, else 360.
    public var divisor: Int { basis.divisor }

    /// `round(balance * factor(a, b))` in minor units at the annual `rate`,
    /// with `rounding` (SPEC §2). Zero when the balance or the rate is zero.
    ///
    /// Example: 2261.16 at 12% from 2024-02-29 to 2024-03-31 on a schedule
    /// anchored on the 31st is one whole month: `round(226116 * 0.01) = 2261`,
    /// i.e. 22.61.
    public func interest(on balance: Money, rate: Rate, from a: CivilDate, to b: CivilDate,
                         rounding: RoundingMode) -> Money {
        Money(units: interest(on: balance.units, rate: rate, from: a, to: b, rounding: rounding), scale: balance.scale)
    }

    /// `round(balance * rate * units(a, b) / divisor)` on exact integers.
    func interest(on balance: WideInteger, rate: Rate, from a: CivilDate, to b: CivilDate,
                  rounding: RoundingMode) -> WideInteger {
        if balance.signum == 0 || rate.isZero { return .small(0) }
        let units = WideInteger.small(Int128(self.units(from: a, to: b)))
        // The denominator is positive (a Rate's denominator is never zero), so this never fails.
        return (balance * rate.numerator * units)
            .divided(by: rate.denominator * .small(Int128(divisor)), rounding: rounding) ?? .small(0)
    }
}
