// The cell parsers of SPEC §7 against a reference grammar written here:
// - each accepts exactly what the grammar and the limits accept;
// - what they print re-parses to the same value, and is the canonical text
//   the reference derives digit by digit (amounts with exactly `scale`
//   decimals, rates as exact decimals and rounded half-even to 6 places,
//   dates as YYYY-MM-DD, whole numbers without leading zeros).
// The first input byte picks the parser (and an amount's scale), the rest is the cell.

import FuzzSupport
import RepaymentKernel

enum ParserProperties {
    static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

    /// `digits[.digits]`: the integer and fraction digits, nil otherwise.
    static func decimal(_ u: [UInt8]) -> (int: [UInt8], frac: [UInt8])? {
        guard let dot = u.firstIndex(of: 46) else {
            return !u.isEmpty && u.allSatisfy(isDigit) ? (u, []) : nil
        }
        let int = Array(u[..<dot]), frac = Array(u[(dot + 1)...])
        guard !int.isEmpty, !frac.isEmpty, int.allSatisfy(isDigit), frac.allSatisfy(isDigit) else { return nil }
        return (int, frac)
    }

    static func stripped(_ d: [UInt8]) -> [UInt8] {
        let s = Array(d.drop { $0 == 48 })
        return s.isEmpty ? [48] : s
    }

    static func text(_ d: [UInt8]) -> String { String(decoding: d, as: UTF8.self) }

    static func check(_ bytes: [UInt8]) {
        guard let selector = bytes.first else { return }
        let cell = Array(bytes.dropFirst())
        let s = String(decoding: cell, as: UTF8.self)
        // The kernel sees the cell as a String: compare against its UTF-8 (invalid bytes became U+FFFD).
        let u = Array(s.utf8)
        switch selector % 5 {
        case 0: amount(s, u, scale: Int(selector / 5) % 8)
        case 1: rate(s, u)
        case 2: date(s, u)
        case 3: whole(s, u)
        default: boolean(s)
        }
    }

    static func amount(_ s: String, _ u: [UInt8], scale: Int) {
        let parsed = try? Money(parsing: s, scale: scale, field: "x")
        var expected: String? = nil
        if (0...6).contains(scale), let (int, frac) = decimal(u), frac.count <= scale,
           int.drop(while: { $0 == 48 }).count <= InputLimits.amountDigits {
            expected = text(stripped(int)) + (scale > 0 ? "." + text(frac) + String(repeating: "0", count: scale - frac.count) : "")
        }
        require((parsed != nil) == (expected != nil), "amount '\(s)' at scale \(scale): kernel \(parsed.map { $0.description } ?? "refused"), reference \(expected ?? "refused")")
        guard let m = parsed, let expected else { return }
        require(m.description == expected, "amount '\(s)': printed \(m.description), expected \(expected)")
        let again = try? Money(parsing: m.description, scale: scale)
        require(again == m && again?.description == m.description, "amount '\(s)': \(m.description) does not re-parse to itself")
    }

    static func rate(_ s: String, _ u: [UInt8]) {
        let parsed = try? Rate(parsing: s, field: "x")
        let percent = u.last == 37
        var digits: [UInt8] = [], exponent = 0   // value = digits / 10^exponent
        var accepted = false
        if let (int, frac) = decimal(percent ? Array(u.dropLast()) : u), frac.count <= InputLimits.rateDecimals,
           int.drop(while: { $0 == 48 }).count <= InputLimits.rateIntegerDigits {
            accepted = true
            digits = int + frac
            exponent = frac.count + (percent ? 2 : 0)
        }
        require((parsed != nil) == accepted, "rate '\(s)': kernel \(parsed == nil ? "refused" : "accepted"), reference \(accepted ? "accepted" : "refused")")
        guard let r = parsed else { return }
        // The exact decimal: digits / 10^exponent without redundant zeros.
        var d = digits, e = exponent
        while e > 0, d.last == 48 { d.removeLast(); e -= 1 }
        if d.allSatisfy({ $0 == 48 }) { d = [48]; e = 0 }   // zero
        if d.count <= e { d = [UInt8](repeating: 48, count: e - d.count + 1) + d }
        let int = stripped(Array(d[..<(d.count - e)])), frac = Array(d[(d.count - e)...])
        let exact = text(int) + (frac.isEmpty ? "" : "." + text(frac))
        if e <= 18 {
            require(r.exactDecimal == exact, "rate '\(s)': exact \(r.exactDecimal), expected \(exact)")
            require((try? Rate(parsing: r.exactDecimal)) == r, "rate '\(s)': \(r.exactDecimal) does not re-parse to itself")
        }
        // Six decimals, half-even, from the exact digits.
        var six = int + frac.prefix(6) + [UInt8](repeating: 48, count: max(0, 6 - frac.count))
        let rest = Array(frac.dropFirst(6))
        if let first = rest.first {
            let tail = rest.dropFirst()
            let above = first > 53 || (first == 53 && tail.contains { $0 != 48 })
            let tie = first == 53 && !tail.contains { $0 != 48 }
            if above || (tie && (six.last! - 48) % 2 == 1) {
                var k = six.count - 1
                while k >= 0 && six[k] == 57 { six[k] = 48; k -= 1 }
                if k >= 0 { six[k] += 1 } else { six.insert(49, at: 0) }
            }
        }
        let sixText = text(stripped(Array(six.dropLast(6)))) + "." + text(Array(six.suffix(6)))
        require(r.description == sixText, "rate '\(s)': printed \(r.description), expected \(sixText)")
        require((try? Rate(parsing: r.description)).map { $0.description == r.description } == true,
                "rate '\(s)': \(r.description) does not re-parse to itself")
    }

    static func date(_ s: String, _ u: [UInt8]) {
        let parsed = try? CivilDate(parsing: s, field: "x")
        var valid = false
        if u.count == 10, u[4] == 45, u[7] == 45, [0, 1, 2, 3, 5, 6, 8, 9].allSatisfy({ isDigit(u[$0]) }) {
            func n(_ r: Range<Int>) -> Int { r.reduce(0) { $0 * 10 + Int(u[$1] - 48) } }
            let y = n(0..<4), m = n(5..<7), d = n(8..<10)
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
            let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
            valid = (1...9999).contains(y) && (1...12).contains(m) && d >= 1 && d <= days[m - 1]
        }
        require((parsed != nil) == valid, "date '\(s)': kernel \(parsed == nil ? "refused" : "accepted")")
        guard let date = parsed else { return }
        require(date.description == s, "date '\(s)' prints as \(date.description)")
        // Anchored month arithmetic (SPEC §1): the day is kept, clamped to the month's end.
        for k in [1, 11, 13, 120] {
            guard let later = date.adding(months: k) else { continue }
            require(later.day == min(date.day, CivilDate.daysInMonth(year: later.year, month: later.month)),
                    "date \(s) + \(k) months = \(later)")
            require((later.year * 12 + later.month) - (date.year * 12 + date.month) == k, "date \(s) + \(k) months = \(later)")
            require(date.days(to: later) > 0, "date \(s) + \(k) months is not later")
        }
    }

    static func whole(_ s: String, _ u: [UInt8]) {
        let parsed = CellParser.wholeNumber(s)
        var expected: Int? = nil
        if !u.isEmpty, u.allSatisfy(isDigit) {
            let significant = u.drop { $0 == 48 }
            if significant.count <= 15 { expected = significant.reduce(0) { $0 * 10 + Int($1 - 48) } }
        }
        require(parsed == expected, "whole number '\(s)': \(String(describing: parsed)), expected \(String(describing: expected))")
        if let v = parsed { require(CellParser.wholeNumber(String(v)) == v, "whole number \(v) does not re-parse") }
    }

    static func boolean(_ s: String) {
        let parsed = try? CellParser.boolean(s, field: "x")
        let expected: Bool? = ["true", "yes", "on", "1"].contains(s) ? true : (["false", "no", "off", "0"].contains(s) ? false : nil)
        require(parsed == expected, "boolean '\(s)': \(String(describing: parsed))")
    }
}
