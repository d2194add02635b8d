// Run with:  BENCHMARKS=1 swift package benchmark
//
// Schedules/s of the core engine, and batch throughput on a CSV made by
// Benchmarks/make-loans.py (see the README for the figures).
import Benchmark
import RepaymentKernel

private func loan(_ term: Int, _ method: RepaymentMethod) -> LoanTerms {
    try! LoanTerms(principal: Money(parsing: "250000.00"), rate: Rate(parsing: "4.9%"), term: term,
                   method: method, start: CivilDate(parsing: "2024-01-31"))
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal],
                                           scalingFactor: .kilo, maxDuration: .seconds(3))
    stageBenchmarks()

    Benchmark("annuity 12 months (schedules)") { benchmark in
        let terms = loan(12, .annuity)
        for _ in benchmark.scaledIterations {
            blackHole(try! terms.schedule())
        }
    }
    Benchmark("annuity 360 months (schedules)", configuration: .init(scalingFactor: .one)) { benchmark in
        let terms = loan(360, .annuity)
        for _ in benchmark.scaledIterations {
            blackHole(try! terms.schedule())
        }
    }
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
    Benchmark("annuity 12 months with APR (batch row)") { benchmark in
        let columns = try! BatchColumns(header: ["id", "principal", "rate", "term", "start"])
        let fields = ["L1", "250000.00", "4.9%", "12", "2024-01-31"]
        var schedule: [UInt8] = [], summary: [UInt8] = []
        schedule.reserveCapacity(1 << 20); summary.reserveCapacity(1 << 20)
        for _ in benchmark.scaledIterations {
            BatchFormatter.process(fields: fields, columns: columns, schedule: &schedule, summary: &summary)
            if schedule.count > 1 << 19 { schedule.removeAll(keepingCapacity: true); summary.removeAll(keepingCapacity: true) }
        }
        blackHole(schedule)
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
