import Testing
@testable import RepaymentKernel

/// The six rounding modes of SPEC §1 on exact ties (positive and negative),
/// on both integer back ends, and amount formatting at every scale.
@Suite("Rounding modes and amount formatting")
struct RoundingTests {
    /// Independent definition: rounds n/d (d > 0) by the textbook rules, via floor/ceiling.
    static func reference(_ n: Int, _ d: Int, _ mode: RoundingMode) -> Int {
        let fl = n >= 0 ? n / d : -((-n + d - 1) / d)      // floor
        let ce = fl * d == n ? fl : fl + 1                  // ceiling
        if fl == ce { return fl }
        let twice = 2 * (n - fl * d)                        // 2 * distance above floor, in units of 1/d
        switch mode {
        case .floor: return fl
        case .ceiling: return ce
        case .down: return n >= 0 ? fl : ce
        case .up: return n >= 0 ? ce : fl
        case .halfUp: return twice < d ? fl : (twice > d ? ce : (n >= 0 ? ce : fl))
        case .halfEven: return twice < d ? fl : (twice > d ? ce : (fl % 2 == 0 ? fl : ce))
        }
    }

    // exact value in tenths -> expected per mode: half-up, half-even, down, up, floor, ceiling
    static let table: [(Int, [Int])] = [
        (25, [3, 2, 2, 3, 2, 3]), (35, [4, 4, 3, 4, 3, 4]), (-25, [-3, -2, -2, -3, -3, -2]), (-35, [-4, -4, -3, -4, -4, -3]),
        (5, [1, 0, 0, 1, 0, 1]), (-5, [-1, 0, 0, -1, -1, 0]), (15, [2, 2, 1, 2, 1, 2]), (-15, [-2, -2, -1, -2, -2, -1]),
        (24, [2, 2, 2, 3, 2, 3]), (26, [3, 3, 2, 3, 2, 3]), (-24, [-2, -2, -2, -3, -3, -2]), (-26, [-3, -3, -2, -3, -3, -2]),
        (20, [2, 2, 2, 2, 2, 2]), (-20, [-2, -2, -2, -2, -2, -2]), (0, [0, 0, 0, 0, 0, 0]), (1, [0, 0, 0, 1, 0, 1]),
        (-1, [0, 0, 0, -1, -1, 0]),
    ]
    static let modes: [RoundingMode] = [.halfUp, .halfEven, .down, .up, .floor, .ceiling]

    @Test("Table of ties and near-ties on Int128, BigInt and WideInteger (tenths)")
    func tiesTable() throws {
        for (tenths, want) in Self.table {
            for (mode, w) in zip(Self.modes, want) {
                #expect(Self.reference(tenths, 10, mode) == w, "reference \(tenths)/10 \(mode)")
                #expect(try Int128(tenths).divided(by: 10, rounding: mode) == Int128(w), "Int128 \(tenths)/10 \(mode)")
                #expect(try BigInt(Int128(tenths)).divided(by: BigInt(10), rounding: mode).int128 == Int128(w), "BigInt \(tenths)/10 \(mode)")
                #expect(WideInteger.small(Int128(tenths)).divided(by: .small(10), rounding: mode)?.decimalString == String(w))
            }
        }
    }

    @Test("Ties with values beyond 64 bits and beyond Int128 agree with the small table")
    func bigTies() throws {
        let big = Int128(1) << 100   // a power of two: x.5 * 2^k patterns
        for (tenths, want) in Self.table {
            for (mode, w) in zip(Self.modes, want) {
                // (tenths * 2^100) / (10 * 2^100): the 128-bit division path
                #expect(try (Int128(tenths) * big).divided(by: 10 * big, rounding: mode) == Int128(w), "\(tenths) \(mode)")
                // beyond Int128: multiply numerator and divisor by 10^40 on GMP
                let k = BigInt(10).power(40)
                let q = try (BigInt(Int128(tenths)) * k).divided(by: BigInt(10) * k, rounding: mode)
                #expect(q.int128 == Int128(w))
                // a huge quotient of the same sign: (±10^41 + tenths) / 10 = ±10^40 + tenths/10
                let base = tenths < 0 ? BigInt(0) - k : k
                let n = WideInteger(base * BigInt(10) + BigInt(Int128(tenths)))
                let got = n.divided(by: .small(10), rounding: mode)
                #expect(got.map { $0 == WideInteger(base + BigInt(Int128(w))) } == true, "\(tenths) \(mode)")
            }
        }
    }

    @Test("Random divisions: Int128 and BigInt match the textbook definition (20000 cases)")
    func randomAgainstReference() throws {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<20000 {
            let d = rng.int(1...2000)
            let n = rng.int(-1_000_000...1_000_000)
            let mode = rng.pick(Self.modes)
            let want = Self.reference(n, d, mode)
            #expect(try Int128(n).divided(by: Int128(d), rounding: mode) == Int128(want))
            #expect(try BigInt(Int128(n)).divided(by: BigInt(Int128(d)), rounding: mode).int128 == Int128(want))
        }
    }

    @Test("Rounding mode names")
    func names() throws {
        #expect(RoundingMode.allCases.map(\.rawValue) == ["half-up", "half-even", "down", "up", "floor", "ceiling"])
        for m in RoundingMode.allCases { #expect(try RoundingMode(parsing: m.rawValue) == m) }
        expectError(field: "rounding", ["unknown value 'HALF-UP'", "half-up"]) { _ = try RoundingMode(parsing: "HALF-UP") }
        expectError(field: "rounding", ["unknown value 'half_even'", "half-even"]) { _ = try RoundingMode(parsing: "half_even") }
    }

    @Test("An interest amount on an exact half cent, every mode (12.345 and 12.355)", arguments: [
        ("1234.50", RoundingMode.halfUp, "12.35"), ("1234.50", .halfEven, "12.34"), ("1234.50", .down, "12.34"),
        ("1234.50", .up, "12.35"), ("1234.50", .floor, "12.34"), ("1234.50", .ceiling, "12.35"),
        ("1235.50", .halfUp, "12.36"), ("1235.50", .halfEven, "12.36"), ("1235.50", .down, "12.35"),
        ("1235.50", .up, "12.36"), ("1235.50", .floor, "12.35"), ("1235.50", .ceiling, "12.36"),
    ])
    func interestTie(_ principal: String, _ mode: RoundingMode, _ want: String) throws {
        // 1% a month on 1234.50 is exactly 12.345
        let t = try LoanTerms(principal: Money(parsing: principal), rate: Rate(parsing: "12%"), term: 1, method: .interestOnly,
                              start: CivilDate(parsing: "2024-01-15"), rounding: mode)
        let r = try t.schedule().rows
        #expect(r.count == 1 && r[0].interest.description == want && r[0].principal.description == principal)
    }

    // MARK: formatting

    @Test("Money formatting at scales 0...6", arguments: [
        (Int64(0), 0, "0"), (0, 2, "0.00"), (0, 6, "0.000000"), (5, 0, "5"), (5, 1, "0.5"), (5, 2, "0.05"), (5, 3, "0.005"),
        (5, 6, "0.000005"), (-7, 2, "-0.07"), (-7, 0, "-7"), (-7, 6, "-0.000007"), (123456, 0, "123456"),
        (123456, 1, "12345.6"), (123456, 2, "1234.56"), (123456, 3, "123.456"), (123456, 4, "12.3456"),
        (123456, 5, "1.23456"), (123456, 6, "0.123456"), (-123456, 6, "-0.123456"), (1000000, 6, "1.000000"),
        (Int64.max, 2, "92233720368547758.07"), (Int64.min, 6, "-9223372036854.775808"), (10, 2, "0.10"), (100, 2, "1.00"),
    ])
    func formatting(_ units: Int64, _ scale: Int, _ want: String) {
        #expect(Money(minorUnits: units, scale: scale).description == want)
    }

    @Test("Formatting beyond 64 bits, at the Int128 limits and on GMP values")
    func hugeFormatting() throws {
        func fmt(_ v: Int128, _ scale: Int) -> String {
            var out: [UInt8] = []
            MoneyFormat.append(v, scale: scale, to: &out)
            return String(decoding: out, as: UTF8.self)
        }
        #expect(fmt(Int128.max, 6) == "170141183460469231731687303715884.105727")
        #expect(fmt(Int128.min, 6) == "-170141183460469231731687303715884.105728")
        #expect(fmt(Int128.min, 0) == "-170141183460469231731687303715884105728")
        #expect(fmt(Int128(UInt64.max) + 1, 2) == "184467440737095516.16")
        #expect(fmt(Int128(1) << 64 - 1, 0) == "18446744073709551615")
        #expect(fmt(-(Int128(10).power(20)), 3) == "-100000000000000000.000")
        #expect(fmt(Int128(10).power(20) + 1, 20) .hasPrefix("1.0000"))   // scale beyond 6 is never used, but must not crash
        // GMP values
        let big = try Money(parsing: "1" + String(repeating: "0", count: 40) + ".25", scale: 2)
        #expect(big.description == "1" + String(repeating: "0", count: 40) + ".25")
        let negative = Money.zero(scale: 2) - big
        #expect(negative.description == "-1" + String(repeating: "0", count: 40) + ".25")
        #expect((big + big).description == "2" + String(repeating: "0", count: 40) + ".50")
        let tiny = try Money(parsing: String(repeating: "9", count: 50) + ".000001", scale: 6)
        #expect(tiny.description == String(repeating: "9", count: 50) + ".000001")
        #expect(tiny.minorUnitsInt64 == nil)
        #expect(try Money(parsing: "12.34").minorUnitsInt64 == 1234)
        // every scale round-trips a random amount
        var rng = SplitMix64(seed: 99)
        for _ in 0..<2000 {
            let scale = rng.int(0...6)
            let intDigits = String(rng.int(0...Int(Int32.max))) + (rng.chance(20) ? String(repeating: "7", count: rng.int(10...40)) : "")
            let frac = String((0..<scale).map { _ in Character(String(rng.int(0...9))) })
            let text = scale == 0 ? intDigits : intDigits + "." + frac
            let m = try Money(parsing: text, scale: scale)
            let canonical = String(intDigits.drop(while: { $0 == "0" })).isEmpty ? "0" : String(intDigits.drop(while: { $0 == "0" }))
            #expect(m.description == (scale == 0 ? canonical : canonical + "." + frac))
        }
    }
}

extension Int128 {
    func power(_ k: Int) -> Int128 { (0..<k).reduce(1) { r, _ in r * self } }
}
