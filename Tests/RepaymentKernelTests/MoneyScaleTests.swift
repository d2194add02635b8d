import Testing
@testable import RepaymentKernel

/// `Money` arithmetic and comparison across scales (issue 8): values are
/// compared and added exactly at the larger scale; the scale only decides how
/// an amount prints.
@Suite("Money across scales")
struct MoneyScaleTests {
    func m(_ s: String, _ scale: Int) -> Money { try! Money(parsing: s, scale: scale) }

    @Test("Equal values are equal at any scale; different values are not")
    func equality() {
        #expect(m("1.00", 2) == m("1", 0))
        #expect(m("1", 0) == m("1.000000", 6))
        #expect(m("1.00", 2) != m("100", 0))          // 100 minor units at scale 2 is 1.00, not 100
        #expect(Money(minorUnits: 100, scale: 2) != Money(minorUnits: 100, scale: 0))
        #expect(Money(minorUnits: 100, scale: 2) == Money(minorUnits: 1, scale: 0))
        #expect(m("0", 0) == m("0.00", 2))
        #expect(m("0.10", 2) == m("0.1", 1) && m("0.10", 2) != m("0.01", 2))
    }

    @Test("Hash is consistent with ==")
    func hashing() {
        let same = [m("1.00", 2), m("1", 0), m("1.0", 1), m("1.000000", 6), Money(minorUnits: 1000, scale: 3)]
        #expect(Set(same).count == 1)
        for a in same { #expect(a.hashValue == same[0].hashValue) }
        #expect(Set([m("1.00", 2), m("100", 0), m("0.01", 2), Money(minorUnits: -1, scale: 0), m("0", 0), m("0.00", 2)]).count == 5)
        let huge = "1" + String(repeating: "0", count: 40)
        #expect(Set([m(huge, 0), m(huge + ".000000", 6), m(huge + ".5", 1)]).count == 2)
        #expect(m(huge, 0).hashValue == m(huge + ".00", 2).hashValue)
    }

    @Test("Sum and difference are exact at the larger scale")
    func arithmetic() {
        let sum = m("1.5", 1) + m("0.25", 2)
        #expect(sum.scale == 2 && sum.description == "1.75" && sum.minorUnitsString == "175")
        let sum2 = m("0.25", 2) + m("1.5", 1)
        #expect(sum2.scale == 2 && sum2.description == "1.75")
        let diff = m("1", 0) - m("0.01", 2)
        #expect(diff.scale == 2 && diff.description == "0.99")
        let neg = m("0.001", 3) - m("1", 0)
        #expect(neg.scale == 3 && neg.description == "-0.999")
        let same = m("10.10", 2) + m("0.05", 2)
        #expect(same.scale == 2 && same.description == "10.15")
        let huge = m("1" + String(repeating: "0", count: 40), 0) + m("0.000001", 6)
        #expect(huge.description == "1" + String(repeating: "0", count: 40) + ".000001")
    }

    @Test("Order is by value, whatever the scales")
    func order() {
        #expect(m("0.99", 2) < m("1", 0))
        #expect(!(m("1", 0) < m("0.99", 2)))
        #expect(m("1.00", 2) < m("100", 0))
        #expect(!(m("1.00", 2) < m("1", 0)) && !(m("1", 0) < m("1.00", 2)))
        #expect([m("2", 0), m("0.5", 1), m("1.25", 2)].max() == m("2.0", 1))
        #expect([m("2", 0), m("0.5", 1), m("1.25", 2)].min() == m("0.50", 2))
    }

    @Test("2000 random pairs against integer arithmetic at scale 6")
    func randomPairs() {
        var g = SplitMix64(seed: 11)
        for _ in 0..<2000 {
            let sa = g.int(0...6), sb = g.int(0...6)
            let ua = Int64(g.int(-50_000...50_000)), ub = Int64(g.int(-50_000...50_000))
            let a = Money(minorUnits: ua, scale: sa), b = Money(minorUnits: ub, scale: sb)
            // the same values in millionths, by plain integer arithmetic
            func micro(_ u: Int64, _ s: Int) -> Int64 { var v = u; for _ in s..<6 { v *= 10 }; return v }
            let va = micro(ua, sa), vb = micro(ub, sb)
            let label = "\(a) (scale \(sa)) vs \(b) (scale \(sb))"
            #expect((a == b) == (va == vb), "== \(label)")
            #expect((a < b) == (va < vb), "< \(label)")
            if a == b { #expect(a.hashValue == b.hashValue, "hash \(label)") }
            let s = a + b, d = a - b
            #expect(s.scale == max(sa, sb) && d.scale == max(sa, sb), "scale \(label)")
            #expect(micro(s.minorUnitsInt64!, s.scale) == va + vb, "+ \(label)")
            #expect(micro(d.minorUnitsInt64!, d.scale) == va - vb, "- \(label)")
        }
    }
}
