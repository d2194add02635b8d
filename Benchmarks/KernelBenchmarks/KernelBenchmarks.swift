// Run with:  BENCHMARKS=1 swift package benchmark
//
// Schedules/s of the core engine, and batch throughput on a CSV made by
// Benchmarks/make-loans.py (see the README for the figures).
import Benchmark
import CKernelLoop
import RepaymentKernel

private func loan(_ term: Int, _ method: RepaymentMethod) -> LoanTerms {
    try! LoanTerms(principal: Money(parsing: "250000.00"), rate: Rate(parsing: "4.9%"), term: term,
                   method: method, start: CivilDate(parsing: "2024-01-31"))
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal],
                                           scalingFactor: .kilo, maxDuration: .seconds(3))
    stageBenchmarks()

    Benchmark("annuity 12 months (schedules)", configuration: .init(timeUnits: .nanoseconds)) { benchmark in
        let terms = loan(12, .annuity)
        for _ in benchmark.scaledIterations {
            blackHole(try! terms.schedule())
        }
    }
    Benchmark("annuity 360 months (schedules)", configuration: .init(timeUnits: .nanoseconds, scalingFactor: .one)) { benchmark in
        let terms = loan(360, .annuity)
        for _ in benchmark.scaledIterations {
            blackHole(try! terms.schedule())
        }
    }
    kernelAgainstC()
    Benchmark("equal-principal 36 months (schedules)") { benchmark in
        let terms = loan(36, .equalPrincipal)
        for _ in benchmark.scaledIterations {
            blackHole(try! terms.schedule())
        }
    }
    // SPEC §9.2: a 360-month loan replayed against 360 payments (each installment paid a few days
    // late, every fifth one partly), next to the schedule alone above. The loan and its history
    // are built once, outside the measured closure.
    let replayLoan = loan(360, .annuity)
    let history = replayHistory(replayLoan)
    let asOf = replayLoan.dueDate(360).adding(months: 1)!
    let onTime = try! PaymentHistory(try! replayLoan.schedule().rows.map { Payment(date: $0.dueDate, amount: $0.payment) })
    Benchmark("replay 360 months, 360 on-time payments (arrears)", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try! ArrearsSnapshot(loan: replayLoan, payments: onTime, asOf: asOf))
        }
    }
    Benchmark("replay 360 months, 432 late payments (arrears)", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try! ArrearsSnapshot(loan: replayLoan, payments: history, asOf: asOf))
        }
    }
    Benchmark("replay 360 months, 432 late payments (with ledger)", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try! PaymentReplay(loan: replayLoan, history: history, asOf: asOf))
        }
    }
    // One batch row in memory through the worker's RowProcessor, as `repay batch` computes it:
    // cells as bytes from a CSVChunk, the schedule into the reused rows, lines formatted into
    // ByteBuffers (emptied now and then, their capacity kept). The malloc count is per row:
    // 0 in steady state (the buffers and rows have grown by then).
    for (name, summary) in [("annuity 12 months with APR (batch row)", true), ("annuity 12 months without APR (batch row)", false)] {
        Benchmark(name, configuration: .init(timeUnits: .nanoseconds)) { benchmark in
            var chunk = CSVChunk()
            try! CSVReader(bytes: Array("id,principal,rate,term,start\nL1,250000.00,4.9%,12,2024-01-31\n".utf8))
                .nextChunk(into: &chunk, max: 2)
            let columns = try! BatchColumns(header: chunk.fields(0))
            var processor = RowProcessor(columns: columns, outputs: RowOutputs(schedule: true, summary: summary))
            let buffers = RowBuffers(primary: ByteBuffer(capacity: 1 << 20), summary: ByteBuffer(capacity: 1 << 20),
                                     ledger: ByteBuffer(capacity: 1 << 10))
            chunk.forEachRow { k, row, line in
                guard k == 1 else { return }
                // Warm up: the rows array, the per-thread caches and the buffers reach their sizes.
                for _ in 0..<1000 { _ = processor.process(row, line: line, into: buffers) }
                buffers.primary.removeAll(); buffers.summary.removeAll()
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    blackHole(processor.process(row, line: line, into: buffers))
                    if buffers.primary.count > 1 << 19 { buffers.primary.removeAll(); buffers.summary.removeAll() }
                }
                benchmark.stopMeasurement()
            }
            blackHole(buffers.primary.count)
        }
    }
}

/// One payment per installment of `terms`: 3 days late, every fifth one in two halves 10 days apart.
private func replayHistory(_ terms: LoanTerms) -> PaymentHistory {
    let rows = try! terms.schedule().rows
    var items: [Payment] = []
    for (k, r) in rows.enumerated() {
        let late = CivilDateFromDays.shift(r.dueDate, by: 3)
        if k % 5 == 4 {
            let half = try! Money(parsing: "100.00")
            items.append(Payment(date: late, amount: half))
            items.append(Payment(date: CivilDateFromDays.shift(r.dueDate, by: 13), amount: r.payment - half))
        } else {
            items.append(Payment(date: late, amount: r.payment))
        }
    }
    return try! PaymentHistory(items)
}

/// Day arithmetic for building histories (the library has no public day shift).
private enum CivilDateFromDays {
    static func shift(_ d: CivilDate, by days: Int) -> CivilDate {
        var y = d.year, m = d.month, day = d.day + days
        while day > CivilDate.daysInMonth(year: y, month: m) {
            day -= CivilDate.daysInMonth(year: y, month: m)
            m += 1
            if m > 12 { m = 1; y += 1 }
        }
        return try! CivilDate(year: y, month: m, day: day)
    }
}

let stageBenchmarks: @Sendable () -> Void = {
    Benchmark("stage: parse a loan row") { benchmark in
        let columns = try! BatchColumns(header: ["id", "principal", "rate", "term", "start"])
        let fields = ["L1", "250000.00", "4.9%", "12", "2024-01-31"]
        for _ in benchmark.scaledIterations { blackHole(try! columns.request(from: fields)) }
    }
    Benchmark("stage: APR of a 12-month schedule") { benchmark in
        let terms = loan(12, .annuity)
        let s = try! terms.schedule()
        for _ in benchmark.scaledIterations { blackHole(BatchResult.apr(of: s, terms: terms)) }
    }
    Benchmark("stage: format a 12-month schedule") { benchmark in
        let s = try! loan(12, .annuity).schedule()
        var out: [UInt8] = []
        out.reserveCapacity(1 << 20)
        for _ in benchmark.scaledIterations {
            BatchFormatter.appendSchedule(id: "L1", s, to: &out)
            if out.count > 1 << 19 { out.removeAll(keepingCapacity: true) }
        }
        blackHole(out)
    }
}

// MARK: - The kernel against a C loop (issue 10, item 4)

/// 4096 different rates, 0.01007 ... 0.29679 (fractions with 5 decimals): more than the
/// kernel's per-thread annuity-factor cache holds (1024 slots), so every schedule computes
/// its factor. As numerator and denominator for the C loop.
private let rateSeries: [(num: UInt64, den: UInt64)] = (0..<4096).map { k in (1007 + 7 * UInt64(k), 100_000) }

private func rateText(_ r: (num: UInt64, den: UInt64)) -> String {
    let frac = String(r.num % r.den)
    return "\(r.num / r.den).\(String(repeating: "0", count: 5 - frac.count))\(frac)"
}

/// The Swift schedule against the C loop's, row by row: the ratio compares the same work.
private func checkSame(_ terms: LoanTerms, _ rate: (num: UInt64, den: UInt64), _ scratch: OpaquePointer) {
    let rows = try! terms.schedule().rows
    var c = [ck_row](repeating: ck_row(), count: terms.term)
    let p = UInt64(terms.principal.minorUnitsInt64!)
    let n = c.withUnsafeMutableBufferPointer {
        ck_annuity(scratch, p, rate.num, rate.den, Int32(terms.term), Int32(terms.start.year), Int32(terms.start.month),
                   Int32(terms.start.day), $0.baseAddress)
    }
    var same = Int(n) == rows.count
    for (r, x) in zip(rows, c) where same {
        same = r.period == Int(x.period) && r.dueDate.year == Int(x.year) && r.dueDate.month == Int(x.month)
            && r.dueDate.day == Int(x.day) && r.principal.minorUnitsInt64 == x.principal
            && r.interest.minorUnitsInt64 == x.interest && r.balance.minorUnitsInt64 == x.balance
    }
    precondition(same, "the C loop and the kernel disagree on \(terms.term) months at \(rate)")
}

/// Registers the kernel's schedules next to the C loop's (the same loans), after checking
/// that both compute the same rows.
private func kernelAgainstC() {
    let scratch = ck_scratch_new()!
    for term in [12, 360] {
        let fixed = loan(term, .annuity)
        checkSame(fixed, (49, 1000), scratch)
        let series = rateSeries.map { r in
            try! LoanTerms(principal: Money(parsing: "250000.00"), rate: Rate(parsing: rateText(r)), term: term,
                           start: CivilDate(parsing: "2024-01-31"))
        }
        for (t, r) in zip(series, rateSeries) { checkSame(t, r, scratch) }
        let config: Benchmark.Configuration = term == 12 ? .init(timeUnits: .nanoseconds) : .init(timeUnits: .nanoseconds, scalingFactor: .one)
        Benchmark("C loop: annuity \(term) months (schedules)", configuration: config) { benchmark in
            var rows = [ck_row](repeating: ck_row(), count: term)
            rows.withUnsafeMutableBufferPointer { buffer in
                for _ in benchmark.scaledIterations {
                    blackHole(ck_annuity(scratch, 25_000_000, 49, 1000, Int32(term), 2024, 1, 31, buffer.baseAddress))
                }
            }
            blackHole(rows)
        }
        Benchmark("annuity \(term) months, 4096 rates (schedules)", configuration: config) { benchmark in
            var k = 0
            for _ in benchmark.scaledIterations {
                blackHole(try! series[k].schedule())
                k = (k + 1) & 4095
            }
        }
        Benchmark("C loop: annuity \(term) months, 4096 rates (schedules)", configuration: config) { benchmark in
            var rows = [ck_row](repeating: ck_row(), count: term)
            var k = 0
            rows.withUnsafeMutableBufferPointer { buffer in
                for _ in benchmark.scaledIterations {
                    let r = rateSeries[k]
                    blackHole(ck_annuity(scratch, 25_000_000, r.num, r.den, Int32(term), 2024, 1, 31, buffer.baseAddress))
                    k = (k + 1) & 4095
                }
            }
            blackHole(rows)
        }
    }
}
