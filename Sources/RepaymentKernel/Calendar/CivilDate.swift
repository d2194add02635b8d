/// A calendar date with no time and no time zone, in the proleptic Gregorian
/// calendar, between 0001-01-01 and 9999-12-31.
///
/// Month arithmetic is always anchored (SPEC §1): `adding(months:)` keeps the
/// anchor's day of month, clamped to the target month's last day, and a
/// schedule computes every due date from the same anchor instead of adding a
/// month to the previous due date:
///
/// ```swift
/// let anchor = try CivilDate(parsing: "2024-01-31")
/// anchor.adding(months: 1)   // 2024-02-29 (leap year: clamped to the last day)
/// anchor.adding(months: 2)   // 2024-03-31 (not 03-29: anchored on the 31st)
/// anchor.adding(months: 13)  // 2025-02-28
/// ```
public struct CivilDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The year, 1...9999.
    public let year: Int
    /// The month, 1...12.
    public let month: Int
    /// The day of month, 1...(days in that month).
    public let day: Int

    /// Creates a date, or throws when no such date exists.
    public init(year: Int, month: Int, day: Int, field: String = "date") throws(KernelError) {
        guard (1...9999).contains(year), (1...12).contains(month),
              day >= 1, day <= CivilDate.daysInMonth(year: year, month: month) else {
            throw KernelError(field: field, "no such date: '\(CivilDate.pad(year, 4))-\(CivilDate.pad(month, 2))-\(CivilDate.pad(day, 2))'")
        }
        self.year = year; self.month = month; self.day = day
    }

    @inline(__always)
    init(unchecked year: Int, _ month: Int, _ day: Int) {
        self.year = year; self.month = month; self.day = day
    }

    /// Parses strict ISO 8601 `YYYY-MM-DD` (exactly that shape, digits only).
    ///
    /// - Throws: `KernelError` naming `field`: `not a date (expected YYYY-MM-DD)`
    ///   for a malformed string, `no such date` for `2025-02-30` or `2024-13-01`.
    public init(parsing text: some StringProtocol, field: String = "date") throws(KernelError) {
        if let ymd = text.utf8.withContiguousStorageIfAvailable({ CivilDate.fields(of: $0) }), let (y, m, d) = ymd,
           (1...9999).contains(y), (1...12).contains(m), d >= 1, d <= CivilDate.daysInMonth(year: y, month: m) {
            self.init(unchecked: y, m, d)
            return
        }
        let u = Array(text.utf8)
        func digit(_ i: Int) -> Int? { let c = u[i]; return (c >= 48 && c <= 57) ? Int(c - 48) : nil }
        guard u.count == 10, u[4] == 45, u[7] == 45,
              let y0 = digit(0), let y1 = digit(1), let y2 = digit(2), let y3 = digit(3),
              let m0 = digit(5), let m1 = digit(6), let d0 = digit(8), let d1 = digit(9) else {
            throw KernelError(field: field, "not a date (expected YYYY-MM-DD): \(KernelError.quoted(text))")
        }
        let y = y0 * 1000 + y1 * 100 + y2 * 10 + y3, m = m0 * 10 + m1, d = d0 * 10 + d1
        guard (1...9999).contains(y), (1...12).contains(m), d >= 1, d <= CivilDate.daysInMonth(year: y, month: m) else {
            throw KernelError(field: field, "no such date: \(KernelError.quoted(text))")
        }
        self.init(unchecked: y, m, d)
    }

    /// Parses `YYYY-MM-DD` from its UTF-8 bytes, as `init(parsing:field:)` does (the same
    /// errors); a valid date makes no `String`.
    public init(bytes: UnsafeBufferPointer<UInt8>, field: String = "date") throws(KernelError) {
        if let (y, m, d) = CivilDate.fields(of: bytes), (1...9999).contains(y), (1...12).contains(m),
           d >= 1, d <= CivilDate.daysInMonth(year: y, month: m) {
            self.init(unchecked: y, m, d)
            return
        }
        try self.init(parsing: String(decoding: bytes, as: UTF8.self), field: field)
    }

    /// `YYYY-MM-DD` digits, unvalidated; nil for another shape.
    static func fields(of u: UnsafeBufferPointer<UInt8>) -> (Int, Int, Int)? {
        guard u.count == 10, u[4] == 45, u[7] == 45 else { return nil }
        func number(_ from: Int, _ to: Int) -> Int? {
            var v = 0
            for i in from..<to {
                let d = u[i] &- 48
                if d > 9 { return nil }
                v = v * 10 + Int(d)
            }
            return v
        }
        guard let y = number(0, 4), let m = number(5, 7), let d = number(8, 10) else { return nil }
        return (y, m, d)
    }

    /// Whether `year` is a Gregorian leap year.
    public static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    /// The number of days in a month (28...31).
    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The anchored month step of SPEC §1: same day of month as `self`,
    /// clamped to the last day of the target month. Nil past 9999-12-31.
    public func adding(months k: Int) -> CivilDate? {
        let total = year * 12 + (month - 1) + k
        let y = total / 12, m = total % 12 + 1
        guard y >= 1, y <= 9999 else { return nil }
        return CivilDate(unchecked: y, m, Swift.min(day, CivilDate.daysInMonth(year: y, month: m)))
    }

    /// Days since 1970-01-01 (negative before), by H. Hinnant's `days_from_civil`.
    public var dayNumber: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// Actual days from `self` to `other` (negative when `other` is earlier).
    public func days(to other: CivilDate) -> Int { other.dayNumber - dayNumber }

    /// Days from `self` to `other` under 30E/360: a day 31 counts as 30.
    public func days30E(to other: CivilDate) -> Int {
        let d1 = Swift.min(day, 30), d2 = Swift.min(other.day, 30)
        return 360 * (other.year - year) + 30 * (other.month - month) + (d2 - d1)
    }

    /// Whole anchored months from `self` to `other` and the leftover days
    /// (SPEC §2): the largest `k` with `self.adding(months: k) <= other`, then
    /// the actual days from that date to `other`. `(0, 0)` when `other <= self`.
    ///
    /// From 2024-01-31 to 2024-03-30: `(1, 30)` since 2024-02-29 <= 03-30 < 03-31.
    /// This steps with `self`'s own day; a schedule's spans use
    /// ``Accrual/monthsAndDays(from:to:)``, which adds the month-end rule.
    public func wholeMonthsAndDays(to other: CivilDate) -> (months: Int, days: Int) {
        wholeMonthsAndDays(to: other, stepDay: day)
    }

    /// As `wholeMonthsAndDays(to:)`, stepping month by month with day
    /// `stepDay` (clamped) instead of `self.day`; month 0 is `self` itself.
    /// `stepDay` differs from `day` only at a clamped month end (then `day` is
    /// its month's last day), so `adding(0)` and the clamped step agree.
    @inline(__always)
    func wholeMonthsAndDays(to other: CivilDate, stepDay: Int) -> (months: Int, days: Int) {
        guard self < other else { return (0, 0) }
        let k = (other.year - year) * 12 + (other.month - month)
        // Stepping k months lands in other's month, on min(stepDay, its length).
        let landed = Swift.min(stepDay, CivilDate.daysInMonth(year: other.year, month: other.month))
        if landed <= other.day { return (k, other.day - landed) }
        // It passes `other`: one month less lands in the month before, whose
        // remaining days plus other's day of month are the leftover.
        let (py, pm) = other.month == 1 ? (other.year - 1, 12) : (other.year, other.month - 1)
        let previousLength = CivilDate.daysInMonth(year: py, month: pm)
        return (k - 1, previousLength - Swift.min(stepDay, previousLength) + other.day)
    }

    /// `YYYY-MM-DD`.
    public var description: String {
        "\(CivilDate.pad(year, 4))-\(CivilDate.pad(month, 2))-\(CivilDate.pad(day, 2))"
    }

    /// Appends `YYYY-MM-DD` as ASCII bytes.
    public func append(to out: inout [UInt8]) {
        out.append(UInt8(48 + year / 1000)); out.append(UInt8(48 + year / 100 % 10))
        out.append(UInt8(48 + year / 10 % 10)); out.append(UInt8(48 + year % 10))
        out.append(45)
        out.append(UInt8(48 + month / 10)); out.append(UInt8(48 + month % 10))
        out.append(45)
        out.append(UInt8(48 + day / 10)); out.append(UInt8(48 + day % 10))
    }

    public static func < (a: CivilDate, b: CivilDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }

    static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
