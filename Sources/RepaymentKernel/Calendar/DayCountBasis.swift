/// How interest accrues over a span of dates (SPEC §2).
///
/// Every basis reduces to `rate * units / divisor` for a span, with an
/// integer `units`, so interest is one exact integer division:
///
/// | basis     | units of a span from a to b              | divisor |
/// |-----------|------------------------------------------|---------|
/// | `monthly` | 30 per whole anchored month + leftover days | 360  |
/// | `act/360` | actual days                              | 360     |
/// | `act/365` | actual days                              | 365     |
/// | `30/360`  | 30E/360 days (day 31 counts as 30)       | 360     |
///
/// The units of a span are measured by ``Accrual``, which also knows the
/// schedule's anchor day for the month-end rule: on a schedule anchored on
/// the 31st, 2024-02-29 to 2024-03-31 is one whole month (`rate/12`); on one
/// anchored on the 29th, the same span is one month (to 03-29) plus 2 days.
public enum DayCountBasis: String, Sendable, CaseIterable, Hashable {
    /// `rate/12` per whole month plus `rate/360` per leftover day (the default).
    case monthly
    /// Actual days over 360.
    case actual360 = "act/360"
    /// Actual days over 365.
    case actual365 = "act/365"
    /// 30E/360 days over 360.
    case thirty360 = "30/360"


    /// Days in a year for daily rates and penalty interest: 365 for `act/365`, else 360.
    public var yearDays: Int { self == .actual365 ? 365 : 360 }

    /// The divisor of a span's units (see ``Accrual/units(from:to:)``).
    var divisor: Int { self == .actual365 ? 365 : 360 }
}
