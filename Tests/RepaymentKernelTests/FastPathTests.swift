import Testing
@testable import RepaymentKernel

/// The speed paths of issue 10 against the general code they stand in for: the 64-bit
/// monthly engine, the reusable GMP scratch of the annuity factor, the word-at-a-time
/// number writer and the schedule line emitter.
@Suite("Fast paths agree with the general code")
struct FastPathTests {
    // MARK: engine

    static func rows(_ s: Schedule) -> [String] {
        s.rows.map { "\($0.period) \($0.dueDate) \($0.kind) \($0.principal.minorUnitsString) \($0.interest.minorUnitsString) \($0.carried.minorUnitsString) \($0.balance.minorUnitsString)" }
    }

    @Test("The 64-bit monthly engine gives the rows of the general engine (6000 random loans, monthly basis)")
    func monthlyEngine() throws {
        var g = LoanGenerator(seed: 64)
        var fast = 0
        for i in 0..<6000 {
            var t = g.loan(maxTerm: i % 10 == 0 ? 400 : 60)
            if t.basis != .monthly {   // mostly the monthly basis, the one the fast path takes
                t = try LoanTerms(principal: t.principal, rate: t.method == .flat ? t.feeRate! : t.rate, term: t.term,
                                  method: t.method, start: t.start, firstDue: t.firstDue, basis: .monthly, rounding: t.rounding)
            }
            let input = LoanEngine.Input(t)
            var scratch: [CompactRow] = []
            if LoanEngine.monthly64(input, into: &scratch) { fast += 1 }
            let a = try LoanEngine.schedule(for: input, fastPath: true)
            let b = try LoanEngine.schedule(for: input, fastPath: false)
            #expect(Self.rows(a) == Self.rows(b), "P=\(t.principal) rate=\(t.rate.exactDecimal) n=\(t.term) \(t.method) start=\(t.start) first=\(t.firstDue?.description ?? "-") \(t.rounding)")
        }
        #expect(fast > 3000)   // annuity, equal principal and interest-only loans that fit 64 bits
    }

    @Test("Every other basis and method keeps the general engine")
    func otherCasesDecline() throws {
        var g = LoanGenerator(seed: 65)
        for _ in 0..<500 {
            let t = g.loan()
            var scratch: [CompactRow] = []
            let took = LoanEngine.monthly64(LoanEngine.Input(t), into: &scratch)
            if t.basis != .monthly || t.method == .bullet || t.method == .flat { #expect(!took) }
        }
    }

    @Test("Due dates at month ends and across years, 1-month and 1200-month terms")
    func monthEnds() throws {
        for start in ["2024-01-31", "2023-01-31", "2024-02-29", "2024-11-30", "2099-12-31", "2024-03-30"] {
            for (term, first) in [(1, nil), (1200, nil), (7, "2024-12-31"), (13, "2025-02-28")] as [(Int, String?)] {
                let s = try CivilDate(parsing: start)
                let f = try first.map { try CivilDate(parsing: $0) }
                if let f, f <= s { continue }
                for rounding in RoundingMode.allCases {
                    let t = try LoanTerms(principal: Money(parsing: "123456.78"), rate: Rate(parsing: "7.25%"), term: term,
                                          start: s, firstDue: f, rounding: rounding)
                    let input = LoanEngine.Input(t)
                    #expect(try Self.rows(LoanEngine.schedule(for: input)) == Self.rows(LoanEngine.schedule(for: input, fastPath: false)),
                            "\(start) \(term) \(first ?? "-") \(rounding)")
                }
            }
        }
    }

    @Test("Reciprocal division equals the hardware division")
    func reciprocal() {
        var rng = SplitMix64(seed: 9)
        for d in [1, 2, 3, 7, 360, 12_000, 360_000_000, UInt64.max / 3, UInt64.max] as [UInt64] {
            let r = Reciprocal(d)
            for t in [0, 1, d - 1, d, d &+ 1, UInt64.max, UInt64.max - 1] as [UInt64] {
                let (q, m) = r.quotientAndRemainder(t)
                #expect(q == t / d && m == t % d, "\(t) / \(d)")
            }
        }
        for _ in 0..<100_000 {
            let d = rng.next() >> UInt64(rng.int(0...63)) | 1
            let t = rng.next() >> UInt64(rng.int(0...63))
            let (q, m) = Reciprocal(d).quotientAndRemainder(t)
            #expect(q == t / d && m == t % d, "\(t) / \(d)")
        }
    }

    // MARK: annuity factor

    @Test("The GMP scratch computes the factor and the installment of the allocating BigInt code (3000 cases)")
    func gmpScratch() throws {
        var rng = SplitMix64(seed: 5)
        var g = LoanGenerator(seed: 6)
        let scratch = GMPScratch()
        for i in 0..<3000 {
            // Every tenth rate with 19 to 30 decimals: the denominator is above 2^64 (GMP's general path).
            let rate = i % 10 == 0
                ? try Rate(parsing: "0." + String((0..<rng.int(19...30)).map { _ in Character(String(rng.int(0...9))) }) + "7")
                : g.rate(maxPercent: 60)
            guard case .small(let rn) = rate.numerator, case .small(let rd) = rate.denominator, rn > 0 else { continue }
            let n = rng.int(1...400)
            let factor = AnnuityFactor(rate: rate, periods: n)
            if let fixed = factor.fixed {
                #expect(scratch.annuityFactorFixed(rn: UInt128(rn), rd: UInt128(rd), n: n) == fixed)
            }
            let p = Int128(rng.int(1...Int(Int64.max >> rng.int(0...60))))
            let mode = rng.pick(RoundingMode.allCases)
            let exact = factor.installment(principal: .small(p), rounding: mode)
            let fast = scratch.annuityInstallment(principal: UInt128(p), rn: UInt128(rn), rd: UInt128(rd), n: n, rounding: mode)
            #expect(fast.map { WideInteger.small(Int128($0)) } == exact, "P=\(p) rate=\(rate.exactDecimal) n=\(n) \(mode)")
            // The cached entry point agrees too (hit or miss).
            #expect(AnnuityFactor.installment(principal: .small(p), rate: rate, periods: n, rounding: mode) == exact)
        }
    }

    // MARK: number writer

    /// Writes through a ByteWriter into a fresh buffer (with the slack) and returns the text.
    static func written(_ body: (inout ByteWriter) -> Void) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256 + ByteWriter.slack) { buffer in
            var w = ByteWriter(p: buffer.baseAddress!)
            body(&w)
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<w.count]), as: UTF8.self)
        }
    }

    static func reference(_ v: Int128, scale: Int) -> String {
        var out: [UInt8] = []
        MoneyFormat.append(v, scale: scale, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test("Amounts at every scale, both signs and every magnitude, as MoneyFormat writes them")
    func amounts() {
        var values: [Int128] = [0, 1, 9, 10, 99, 100, 101, 12_345, 99_999_999, 100_000_000, 9_999_999_999, 10_000_000_000,
                                10_000_000_001, 9_999_999_999_999_999, 10_000_000_000_000_000, Int128(UInt64.max) - 1,
                                Int128(UInt64.max), Int128(UInt64.max) + 1, .max, .min + 1]
        var rng = SplitMix64(seed: 11)
        for _ in 0..<20_000 {
            let bits = rng.int(0...126)
            values.append(Int128(_low: rng.next(), _high: Int64(bitPattern: rng.next())) >> Int128(bits))
        }
        values += values.map { -$0 }
        for v in values {
            for scale in 0...8 {
                let want = Self.reference(v, scale: scale)
                #expect(Self.written { $0.amount(v, scale: scale) } == want, "\(v) at \(scale)")
                #expect(Self.written { $0.amount(v, scale: scale, then: 44) } == want + ",", "\(v) at \(scale)")
                if scale == 2 {
                    #expect(Self.written { $0.cents(v, then: 10) } == want + "\n", "\(v)")
                }
            }
        }
    }

    @Test("Periods, unsigned numbers, dates and kinds")
    func fields() throws {
        for k in Array(0...1000) + [9_999, 10_000, 99_999_999, 100_000_000, 123_456_789_012, Int.max] {
            #expect(Self.written { $0.period(k) } == "\(k),")
            #expect(Self.written { $0.unsigned(UInt64(k)) } == "\(k)")
        }
        #expect(Self.written { $0.unsigned(UInt64.max) } == "\(UInt64.max)")
        #expect(Self.written { $0.unsigned(10_000_000_000_000_000) } == "10000000000000000")
        var rng = SplitMix64(seed: 12)
        for _ in 0..<5000 {
            let y = rng.chance(5) ? rng.int(1...9999) : rng.int(1990...2100), m = rng.int(1...12)
            let d = try CivilDate(year: y, month: m, day: rng.int(1...CivilDate.daysInMonth(year: y, month: m)))
            #expect(Self.written { $0.date(d) } == d.description)
            #expect(Self.written { $0.dateAndComma(d) } == d.description + ",")
        }
        for kind in [RowKind.installment, .down, .deferral, .lump, .prepay] {
            #expect(Self.written { $0.kindAndComma(kind) } == kind.rawValue + ",")
            #expect(Self.written { $0.otherKindAndComma(kind) } == kind.rawValue + ",")
        }
    }

    @Test("Snippets keep exactly their bytes, up to 32, and refuse more")
    func snippets() {
        for n in 0...40 {
            let text = String((0..<n).map { Character(Unicode.Scalar(UInt8(65 + $0 % 26))) })
            let s = ByteWriter.Snippet { w in text.utf8.forEach { w.byte($0) } }
            if n > 32 { #expect(s == nil); continue }
            #expect(s?.count == n)
            #expect(Self.written { w in w.byte(33); w.snippet(s!); w.byte(33) } == "!" + text + "!")
        }
        // A word store past the kept bytes does not leak into the snippet.
        let s = ByteWriter.Snippet { w in w.amount(123_456, scale: 2, then: 44) }!
        #expect(Self.written { $0.snippet(s) } == "1234.56,")
    }

    // MARK: schedule lines

    /// The lines of a schedule, written the plain way from `ScheduleRow`s.
    static func plainLines(id: String, _ s: Schedule) -> String {
        var quoted: [UInt8] = []
        CSVWriter.appendField(id, to: &quoted)
        let q = String(decoding: quoted, as: UTF8.self)
        return s.rows.map { r in
            [q, String(r.period), r.dueDate.description, r.kind.rawValue, r.payment.description, r.principal.description,
             r.interest.description, r.carried.description, r.balance.description].joined(separator: ",") + "\n"
        }.joined()
    }

    @Test("Schedule lines of random loans and plans, with quoted and long ids, equal the plain writer's")
    func scheduleLines() throws {
        var loans = LoanGenerator(seed: 21)
        var plans = PlanGenerator(seed: 22)
        let ids = ["L1", "", "a,b", "say \"hi\"", "line\nbreak", String(repeating: "x", count: 31), String(repeating: "y", count: 32),
                   String(repeating: "z", count: 300), "中文编号"]
        var n = 0
        for i in 0..<3000 {
            let schedule: Schedule
            if i % 3 == 2 {
                guard let p = try? NegotiatedPlan(plans.plan()) else { continue }
                schedule = p.schedule
            } else {
                schedule = try loans.loan(maxTerm: 120).schedule()
            }
            let id = ids[i % ids.count]
            var out: [UInt8] = []
            BatchFormatter.appendSchedule(id: id, schedule, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == Self.plainLines(id: id, schedule), "case \(i)")
            let buffer = ByteBuffer(capacity: 64)
            BatchFormatter.appendSchedule(id: id, schedule, to: buffer)
            #expect(buffer.bytes == out)
            n += 1
        }
        #expect(n > 2500)
    }

    @Test("ByteBuffer grows, keeps its bytes and its capacity")
    func byteBuffer() {
        let b = ByteBuffer(capacity: 1)
        var want: [UInt8] = []
        for i in 0..<5000 {
            let chunk = Array(repeating: UInt8(i % 251), count: i % 97)
            b.append(chunk)
            want += chunk
        }
        #expect(b.bytes == want && b.count == want.count)
        b.removeAll()
        #expect(b.isEmpty)
        b.append("id,x\n".utf8)
        #expect(b.bytes == Array("id,x\n".utf8))
    }
}
