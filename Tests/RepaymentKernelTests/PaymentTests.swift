import Testing
@testable import RepaymentKernel

/// SPEC §9: prepayments (9.1) and history replay (9.2).
@Suite("Payments: prepayment and history replay (SPEC §9)")
struct PaymentTests {
    private func d(_ s: String) -> CivilDate { try! CivilDate(parsing: s) }
    private func m(_ s: String) -> Money { try! Money(parsing: s) }

    /// The loan of the README and Excel's PMT example: 10000 at 8% over 10 months, installment 1037.03.
    private var excelLoan: LoanTerms {
        try! LoanTerms(principal: m("10000"), rate: Rate(parsing: "8%"), term: 10, start: d("2024-03-15"))
    }

    private func expectError(field: String, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation,
                             _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected an error for \(field)", sourceLocation: sourceLocation)
        } catch let e as KernelError {
            #expect(e.field == field, "field of \(e)", sourceLocation: sourceLocation)
            #expect(e.description.contains(fragment), "'\(e)' should contain '\(fragment)'", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    // MARK: - The payments cell

    @Test("Parsing items: DATE AMOUNT [prepay], ';'-separated, spaces ignored")
    func parsing() throws {
        let h = try PaymentHistory(parsing: " 2024-02-10 1037.03 ;2024-03-15 500;  2024-03-15  20000  prepay ;")
        #expect(h.items.map(\.description) == ["2024-02-10 1037.03", "2024-03-15 500.00", "2024-03-15 20000.00 prepay"])
        #expect(h.items.map(\.isPrepayment) == [false, false, true])
    }

    @Test("Bad items name the item and what is wrong")
    func badItems() {
        expectError(field: "payments", "item 3: \"2024-13-01 500\": no such date") {
            _ = try PaymentHistory(parsing: "2024-01-01 1; 2024-02-01 2; 2024-13-01 500")
        }
        expectError(field: "payments", "item 1: \"01/02/2024 5\": not a date") { _ = try PaymentHistory(parsing: "01/02/2024 5") }
        expectError(field: "payments", "item 2: \"2024-01-01 5\": dated before item 1") {
            _ = try PaymentHistory(parsing: "2024-02-01 5; 2024-01-01 5")
        }
        expectError(field: "payments", "item 1: \"2024-02-01 0\": the amount must be more than 0") {
            _ = try PaymentHistory(parsing: "2024-02-01 0")
        }
        expectError(field: "payments", "more than 2 decimals") { _ = try PaymentHistory(parsing: "2024-02-01 1.005") }
        expectError(field: "payments", "unknown word 'prepaid'") { _ = try PaymentHistory(parsing: "2024-02-01 5 prepaid") }
        expectError(field: "payments", "item 2: \"\": empty") { _ = try PaymentHistory(parsing: "2024-02-01 5;;2024-03-01 5") }
        expectError(field: "payments", "expected DATE AMOUNT") { _ = try PaymentHistory(parsing: "2024-02-01") }
        expectError(field: "payments", "-5") { _ = try PaymentHistory(parsing: "2024-02-01 -5") }
    }

    // MARK: - 9.1 prepayments

    @Test("Without prepayments the contract walk is exactly the base schedule (5000 seeded loans)")
    func cursorMatchesEngine() throws {
        var gen = LoanGenerator(seed: 91)
        var compared = 0
        for _ in 0..<5000 {
            let loan = gen.loan(maxTerm: 120)
            guard loan.method != .flat else { continue }
            let prepaid = try PrepaidSchedule(loan: loan, prepayments: PaymentHistory([]))
            #expect(prepaid.schedule.rows == prepaid.contract.rows, "\(loan)")
            compared += 1
        }
        #expect(compared > 3000)
    }

    @Test("A prepayment between due dates, worked by hand, both modes")
    func prepaymentBetweenDueDates() throws {
        // After installments 1-2 the balance is 8052.81 (2024-05-15). On 06-01 (17 days, monthly basis):
        // interest round(8052.81 x 0.08 x 17/360) = round(30.4217) = 30.42; principal 3000 - 30.42 = 2969.58.
        let history = try PaymentHistory(parsing: "2024-06-01 3000 prepay")
        let less = try PrepaidSchedule(loan: excelLoan, prepayments: history, mode: .reducePayment)
        let rows = less.schedule.rows
        #expect(rows[2].kind == .prepay && rows[2].period == 3 && rows[2].dueDate == d("2024-06-01"))
        #expect(rows[2].interest == m("30.42") && rows[2].principal == m("2969.58") && rows[2].balance == m("5083.23"))
        // Next period runs from 06-01 to 06-15: round(5083.23 x 0.08 x 14/360) = round(15.8145) = 15.81.
        #expect(rows[3].interest == m("15.81"))
        // reduce-payment: 8 due dates left, A' = round(5083.23 x i / (1 - (1+i)^-8)), i = 0.08/12, = 654.61
        #expect(rows[3].payment == m("654.61") && rows.count == 11 && less.schedule.lastDue == d("2025-01-15"))
        let shorter = try PrepaidSchedule(loan: excelLoan, prepayments: history, mode: .reduceTerm)
        // reduce-term keeps 1037.03 and ends early, on 2024-10-15
        #expect(shorter.schedule.rows[3].payment == m("1037.03") && shorter.schedule.lastDue == d("2024-10-15"))
        #expect(shorter.monthsSaved == 3 && less.monthsSaved == 0)
        #expect(shorter.interestSaved > less.interestSaved && less.interestSaved > m("0"))
        for s in [less.schedule, shorter.schedule] {
            #expect(s.totalPrincipal == m("10000") && s.rows.allSatisfy { $0.balance >= m("0") })
        }
    }

    @Test("A prepayment on a due date comes after that day's installment and owes no interest")
    func prepaymentOnDueDate() throws {
        let s = try PrepaidSchedule(loan: excelLoan, prepayments: PaymentHistory(parsing: "2024-05-15 1000 prepay")).schedule
        #expect(s.rows[1].kind == .installment && s.rows[2].kind == .prepay)
        #expect(s.rows[2].interest == m("0") && s.rows[2].principal == m("1000") && s.rows[2].balance == m("7052.81"))
    }

    @Test("Published 提前还款 example: 1,000,000 over 30 years at 4.9%, 200,000 prepaid after the 12th installment")
    func mortgagePrepayment() throws {
        // The installment 5307.27 is the figure every Chinese mortgage calculator publishes for this loan
        // (PMT(4.9%/12, 360, 1000000) = 5307.267...). After 12 installments the balance is 984978.39.
        // Re-amortizing 784978.39 over the 348 months left gives PMT(4.9%/12, 348, 784978.39) = 4229.63
        // (reduce-payment); keeping 5307.27 pays it off in 228 months, 120 months early (reduce-term).
        // Both follow from the closed-form PMT that bank calculators use, computed independently
        // with exact fractions (fixtures/golden/reference.py).
        let loan = try LoanTerms(principal: m("1000000"), rate: Rate(parsing: "4.9%"), term: 360, start: d("2024-01-20"))
        let contract = try loan.schedule()
        #expect(contract.rows[0].payment == m("5307.27") && contract.rows[11].balance == m("984978.39"))
        let history = try PaymentHistory(parsing: "2025-01-20 200000 prepay")
        let less = try PrepaidSchedule(loan: loan, prepayments: history, mode: .reducePayment)
        #expect(less.installmentAfterPrepayments == m("4229.63"))
        #expect(less.schedule.rows.filter { $0.kind == .installment }.count == 360)
        let shorter = try PrepaidSchedule(loan: loan, prepayments: history, mode: .reduceTerm)
        #expect(shorter.installmentAfterPrepayments == m("5307.27"))
        #expect(shorter.schedule.rows.filter { $0.kind == .installment }.count == 12 + 228)
        #expect(shorter.monthsSaved == 120)
        #expect(shorter.interestSaved > less.interestSaved)
    }

    @Test("9.1 errors: plain items, dates, overpayment, flat loans")
    func prepaymentErrors() throws {
        func run(_ text: String, _ loan: LoanTerms? = nil) throws {
            _ = try PrepaidSchedule(loan: loan ?? excelLoan, prepayments: PaymentHistory(parsing: text))
        }
        expectError(field: "payments", "only prepay items") { try run("2024-06-01 100") }
        expectError(field: "payments", "not after the loan's start") { try run("2024-03-15 100 prepay") }
        expectError(field: "payments", "after the last due date 2025-01-15") { try run("2025-01-16 100 prepay") }
        expectError(field: "payments", "pays more than the 5083.23 owed") { try run("2024-06-01 3000 prepay; 2024-06-01 5083.24 prepay") }
        expectError(field: "payments", "does not exceed the 30.42 interest") { try run("2024-06-01 30.42 prepay") }
        let flat = try LoanTerms(principal: m("1200"), rate: Rate(parsing: "0.5%"), term: 12, method: .flat, start: d("2024-01-10"))
        expectError(field: "payments", "not for a flat loan") { try run("2024-06-01 100 prepay", flat) }
        // A payoff, then nothing left to prepay
        expectError(field: "payments", "item 2") { try run("2024-06-01 8083.23 prepay; 2024-06-02 1 prepay") }
    }

    @Test("Seeded prepayments: principal sums to P, balances never negative, rows in date order")
    func prepaymentProperties() throws {
        var gen = LoanGenerator(seed: 9191)
        var rng = SplitMix64(seed: 19)
        var built = 0
        for _ in 0..<2000 {
            let loan = gen.loan(maxTerm: 60)
            guard loan.method != .flat, case .small(let p) = loan.principal.units, p > 100, p < 1 << 60 else { continue }
            let contract = try loan.schedule().rows
            guard let last = contract.last?.dueDate, last.dayNumber - loan.start.dayNumber > 2 else { continue }
            var items: [Payment] = []
            var day = loan.start.dayNumber
            for _ in 0..<rng.int(1...3) {
                day += rng.int(1...max(1, (last.dayNumber - day) / 2))
                guard day <= last.dayNumber else { break }
                items.append(Payment(date: LoanGenerator.fromDayNumber(day), amount: Money(units: .small(Int128(rng.int(1...Int(p / 4)))), scale: loan.scale), isPrepayment: true))
            }
            let mode = rng.pick(PrepaymentMode.allCases)
            guard let s = try? PrepaidSchedule(loan: loan, prepayments: PaymentHistory(items), mode: mode).schedule else { continue }
            built += 1
            #expect(s.totalPrincipal == loan.principal, "\(loan) \(items)")
            #expect(s.rows.allSatisfy { $0.balance.units.signum >= 0 && $0.principal.units.signum >= 0 })
            #expect(s.rows.last?.balance.isZero == true)
            #expect(zip(s.rows, s.rows.dropFirst()).allSatisfy { $0.dueDate <= $1.dueDate && $0.period + 1 == $1.period })
            #expect(s.rows.filter { $0.kind == .prepay }.count == items.count)
        }
        #expect(built > 500)
    }

    // MARK: - 9.2 history replay

    @Test("Equivalence: on-time payments of installments 1..p give the arrears, rows and summary of paid_through = p")
    func equivalenceWithPaidThrough() throws {
        var gen = LoanGenerator(seed: 92)
        var rng = SplitMix64(seed: 29)
        var compared = 0
        for _ in 0..<3000 {
            let loan = gen.loan(maxTerm: 48)
            guard loan.method != .flat else { continue }
            let rows = try loan.schedule().rows
            let asOf = LoanGenerator.fromDayNumber(loan.start.dayNumber + rng.int(0...(rows.last!.dueDate.dayNumber - loan.start.dayNumber + 90)))
            let payable = rows.filter { $0.dueDate <= asOf }.count
            let p = rng.int(0...payable)
            // An installment of 0.00 (a zero rate, interest only) needs no payment item.
            let history = try PaymentHistory(rows.prefix(p).filter { !$0.payment.isZero }.map { Payment(date: $0.dueDate, amount: $0.payment) })
            let markup = rng.chance(50) ? Rate.defaultPenaltyMarkup : try Rate(parsing: "\(rng.int(0...200))%")
            let compound = rng.chance(40)
            let replayed = try ArrearsSnapshot(loan: loan, payments: history, asOf: asOf, markup: markup, compound: compound)
            let derived = try ArrearsSnapshot(loan: loan, paidThrough: p, asOf: asOf, markup: markup, compound: compound)
            #expect(replayed == derived, "\(loan) p=\(p) as_of \(asOf)")
            var terms = PlanTerms(asOf: asOf, arrears: replayed)
            terms.installments = rng.int(1...24)
            terms.planRate = try Rate(parsing: "\(rng.int(0...24))%")
            terms.waivePenalty = .percent(try Rate(parsing: "50%"))
            var same = terms
            same.arrears = derived
            #expect(try NegotiatedPlan(terms) == NegotiatedPlan(same))
            compared += 1
        }
        #expect(compared > 2000)
    }

    @Test("Partial and late payments, worked by hand: installment order, grace, days past due")
    func partialAndLate() throws {
        // Installment 1 (2024-04-15) 1037.03 = 66.67 interest + 970.36 principal, paid half on time and the
        // rest 5 days late. Penalty rate 8% x 1.5 / 360 per day on the unpaid principal:
        // after 04-15 518.52 pays 66.67 interest + 451.85 principal, 518.51 principal stays unpaid;
        // 04-15 -> 04-20: round(518.51 x 0.12 x 5 / 360) = round(0.864) = 0.86 owed at 04-20, paid first.
        let history = try PaymentHistory(parsing: "2024-04-15 518.52; 2024-04-20 519.37")
        let replay = try PaymentReplay(loan: excelLoan, history: history, asOf: d("2024-04-25"))
        let penalties = replay.events.filter { $0.kind == .penalty }
        #expect(penalties.count == 1 && penalties[0].amount == m("0.86") && penalties[0].installment == 1)
        let second = replay.events.first { $0.kind == .payment && $0.date == d("2024-04-20") }!
        #expect(second.penalty == m("0.86") && second.principal == m("518.51") && second.interest == m("0"))
        #expect(second.daysPastDue == 0 && second.overdue == m("0"))
        #expect(replay.arrears.penalty == m("0") && replay.arrears.overduePrincipal == m("0") && replay.credit == m("0"))
        // 04-15 -> 04-25 is 10 days of accrual on 9029.64: round(9029.64 x 0.08 x 10 / 360) = 20.07
        #expect(replay.arrears.accruedInterest == m("20.07") && replay.arrears.principal == m("9029.64"))
        // With 5 grace days the late half was paid within grace: no penalty at all; the 0.86 becomes credit.
        let graced = try PaymentReplay(loan: excelLoan, history: history, asOf: d("2024-04-25"), graceDays: 5)
        #expect(graced.events.allSatisfy { $0.kind != .penalty } && graced.credit == m("0.86"))
        // With 4 grace days it was not: penalty from the due date, owed at 04-20.
        let late = try PaymentReplay(loan: excelLoan, history: history, asOf: d("2024-04-25"), graceDays: 4)
        #expect(late.events.first { $0.kind == .penalty }?.amount == m("0.86"))
        // Days past due while it was partly unpaid: 5 at 04-20 before the payment; the as_of line shows 0.
        #expect(replay.events.last?.kind == .asOf && replay.daysPastDue == 0)
    }

    @Test("Both allocation orders on one history differ where SPEC says: penalty first across installments")
    func allocationOrders() throws {
        // Nothing paid until 2024-06-20: installments 1-3 are overdue (04-15, 05-15, 06-15).
        let history = try PaymentHistory(parsing: "2024-06-20 1100")
        let byInstallment = try PaymentReplay(loan: excelLoan, history: history, asOf: d("2024-06-25"))
        let byComponent = try PaymentReplay(loan: excelLoan, history: history, asOf: d("2024-06-25"), allocation: .component)
        let a = byInstallment.events.first { $0.kind == .payment }!, b = byComponent.events.first { $0.kind == .payment }!
        // installment: installment 1's penalty, 66.67 interest, 970.36 principal, then installment 2's penalty...
        // component: all three penalties, all three interests (66.67 + 60.20 + 53.69), then principal of 1.
        #expect(b.interest == m("180.56"))
        #expect(a.interest < b.interest && a.principal > b.principal)
        #expect(a.penalty + a.interest + a.principal == m("1100") && b.penalty + b.interest + b.principal == m("1100"))
        // Installment order pays installment 1 in full, so days past due count from installment 2 (05-15 -> 06-25).
        #expect(byInstallment.daysPastDue == 41 && byComponent.daysPastDue == 71)
        #expect(byInstallment.arrears != byComponent.arrears)
    }

    @Test("Credit carries across due dates and settles installments as they fall due")
    func creditCarried() throws {
        let history = try PaymentHistory(parsing: "2024-04-15 3000")
        let replay = try PaymentReplay(loan: excelLoan, history: history, asOf: d("2024-07-20"))
        let credits = replay.events.filter { $0.kind == .credit }
        #expect(credits.count == 2)                          // 05-15 pays 1037.03 in full, 06-15 gets the rest 925.94
        #expect(credits[0].amount == m("1037.03") && credits[1].amount == m("925.94"))
        #expect(replay.credit == m("0"))
        #expect(replay.arrears.overduePrincipal + replay.arrears.overdueInterest == m("1037.03") + m("1037.03") - m("925.94"))
    }

    @Test("Prepayment in a history pays what is due, then accrued interest and principal; the rest re-amortizes")
    func prepaymentInHistory() throws {
        let history = try PaymentHistory(parsing: "2024-04-15 1037.03; 2024-05-15 1037.03; 2024-06-01 3000 prepay")
        let replay = try PaymentReplay(loan: excelLoan, history: history, asOf: d("2024-06-15"))
        let prepaid = try PrepaidSchedule(loan: excelLoan, prepayments: PaymentHistory(parsing: "2024-06-01 3000 prepay"))
        // The installment due 06-15 is due on as_of: not overdue; principal is the balance before it.
        #expect(replay.arrears.principal == prepaid.schedule.rows[2].balance)
        #expect(replay.arrears.accruedInterest == prepaid.schedule.rows[3].interest)
        // A prepayment that does not exceed the accrued interest becomes credit and changes nothing.
        let small = try PaymentReplay(loan: excelLoan, history: PaymentHistory(parsing: "2024-04-15 1037.03; 2024-04-20 5 prepay"),
                                      asOf: d("2024-04-25"))
        #expect(small.credit == m("5") && small.arrears.principal == m("9029.64"))
    }

    @Test("Compound penalty adds a second term on unpaid interest, each rounded on its own")
    func compoundPenalty() throws {
        let plain = try PaymentReplay(loan: excelLoan, history: PaymentHistory([]), asOf: d("2024-05-10"))
        let compound = try PaymentReplay(loan: excelLoan, history: PaymentHistory([]), asOf: d("2024-05-10"), compound: true)
        // 04-15 -> 05-10 = 25 days at 0.12/360: principal round(970.36 x 25 x 0.12/360) = 8.09,
        // interest round(66.67 x 25 x 0.12/360) = 0.56.
        #expect(plain.arrears.penalty == m("8.09") && compound.arrears.penalty == m("8.65"))
        #expect(plain.daysPastDue == 25)
    }

    @Test("Conservation on seeded random histories: every cent paid is allocated or credited")
    func conservation() throws {
        var gen = LoanGenerator(seed: 929)
        var rng = SplitMix64(seed: 992)
        var checked = 0
        for _ in 0..<2000 {
            let loan = gen.loan(maxTerm: 36)
            guard loan.method != .flat, case .small(let p) = loan.principal.units, p > 100, p < 1 << 60 else { continue }
            let rows = try loan.schedule().rows
            guard case .small(let first) = rows[0].payment.units, first > 0, first < 1 << 50 else { continue }
            let typical = Int(first)
            let end = rows.last!.dueDate.dayNumber + 60
            let asOf = LoanGenerator.fromDayNumber(loan.start.dayNumber + rng.int(1...(end - loan.start.dayNumber)))
            var items: [Payment] = []
            var day = loan.start.dayNumber
            for _ in 0..<rng.int(0...12) {
                day += rng.int(0...45)
                guard day <= asOf.dayNumber else { break }
                let amount = Int128(rng.int(1...max(1, typical * (rng.chance(20) ? 4 : 1))))
                items.append(Payment(date: LoanGenerator.fromDayNumber(day), amount: Money(units: .small(amount), scale: loan.scale),
                                     isPrepayment: rng.chance(15)))
            }
            let replay = try PaymentReplay(loan: loan, history: PaymentHistory(items), asOf: asOf,
                                           allocation: rng.pick(AllocationOrder.allCases), prepayment: rng.pick(PrepaymentMode.allCases),
                                           graceDays: rng.chance(30) ? rng.int(1...10) : 0, compound: rng.chance(30))
            let a = replay.arrears
            var paid = Money.zero(scale: loan.scale), allocated = Money.zero(scale: loan.scale)
            var principalPaid = Money.zero(scale: loan.scale)
            for e in replay.events {
                switch e.kind {
                case .payment, .prepayment:
                    paid = paid + e.amount
                    allocated = allocated + e.penalty + e.interest + e.principal
                    principalPaid = principalPaid + e.principal
                case .credit:
                    allocated = allocated + e.penalty + e.interest + e.principal
                    principalPaid = principalPaid + e.principal
                case .due, .penalty, .asOf: break
                }
                #expect(e.credit.units.signum >= 0 && e.overdue.units.signum >= 0 && e.balance.units.signum >= 0)
            }
            #expect(paid == allocated + a.credit, "\(loan) \(items)")
            // Principal is never lost: paid + overdue + not yet due = P.
            #expect(principalPaid + a.overduePrincipal + a.principal == loan.principal, "\(loan) \(items)")
            for m in [a.principal, a.overduePrincipal, a.overdueInterest, a.accruedInterest, a.penalty] { #expect(m.units.signum >= 0) }
            checked += 1
        }
        #expect(checked > 1000)
    }

    @Test("Replay errors: dates after as_of or before start, flat loans, overpayment in a plan")
    func replayErrors() throws {
        func replay(_ text: String, asOf: String = "2024-06-25") throws {
            _ = try PaymentReplay(loan: excelLoan, history: PaymentHistory(parsing: text), asOf: d(asOf))
        }
        expectError(field: "payments", "item 2: \"2024-06-26 5.00\": after as_of 2024-06-25") { try replay("2024-04-15 5; 2024-06-26 5") }
        expectError(field: "payments", "before the loan's start") { try replay("2024-03-14 5") }
        expectError(field: "grace_days", "must not be negative") {
            _ = try PaymentReplay(loan: excelLoan, history: PaymentHistory([]), asOf: d("2024-06-25"), graceDays: -1)
        }
        let arrears = try ArrearsSnapshot(loan: excelLoan, payments: PaymentHistory(parsing: "2024-04-15 20000"), asOf: d("2024-05-01"))
        #expect(arrears.credit == m("18962.97"))
        // The debt at 05-01: 9029.64 not yet due + round(9029.64 x 0.08 x 16/360) = 32.11 accrued = 9061.75.
        expectError(field: "payments", "overpaid by 9901.22") { _ = try NegotiatedPlan(PlanTerms(asOf: d("2024-05-01"), arrears: arrears)) }
    }

    @Test("Batch rows: payments with paid_through or direct arrears are errors; the settings columns are format-checked")
    func batchRows() throws {
        let header = ["id", "principal", "rate", "term", "start", "as_of", "payments", "paid_through", "overdue_principal",
                      "prepayment", "allocation", "grace_days", "method", "fee_rate"]
        let columns = try BatchColumns(header: header)
        func row(_ cells: [String: String]) throws -> BatchRequest {
            try columns.request(from: header.map { cells[$0] ?? "" })
        }
        let loan = ["id": "x", "principal": "10000", "rate": "8%", "term": "10", "start": "2024-03-15"]
        let prepaid = try row(loan.merging(["payments": "2024-06-01 3000 prepay", "prepayment": "reduce-term"]) { $1 })
        guard !prepaid.isPlan, prepaid.loan != nil, let h = prepaid.payments, prepaid.paymentSettings.prepayment == .reduceTerm else {
            Issue.record("expected a prepaid loan"); return
        }
        #expect(h.items.count == 1)
        let settingsOnly = try row(loan.merging(["allocation": "component", "grace_days": "3"]) { $1 })
        // Settings without payments are checked, and change nothing: a plain loan.
        #expect(!settingsOnly.isPlan && settingsOnly.payments == nil)
        #expect(try BatchResult(settingsOnly) == BatchResult(row(loan)))
        expectError(field: "allocation", "unknown value 'oldest'") { _ = try row(loan.merging(["allocation": "oldest"]) { $1 }) }
        expectError(field: "prepayment", "unknown value") { _ = try row(loan.merging(["prepayment": "shorter"]) { $1 }) }
        let plan = loan.merging(["as_of": "2024-06-25", "payments": "2024-04-15 1037.03"]) { $1 }
        expectError(field: "payments", "not allowed with paid_through") { _ = try row(plan.merging(["paid_through": "1"]) { $1 }) }
        expectError(field: "payments", "not allowed with overdue_principal") { _ = try row(plan.merging(["overdue_principal": "5"]) { $1 }) }
        guard let terms = try row(plan).planTerms() else { Issue.record("expected a plan"); return }
        #expect(terms.arrears.daysPastDue == 41)
        let flat = plan.merging(["method": "flat", "rate": "", "fee_rate": "0.5%"]) { $1 }
        // Parsed fine; the replay (when the row is computed) refuses a flat loan.
        #expect(try row(flat).isPlan)
        expectError(field: "payments", "not for a flat loan") { _ = try BatchResult(row(flat)) }
        if case .failure(let e) = BatchResult.compute(try row(flat)) {
            #expect(e.field == "payments" && e.problem.contains("not for a flat loan"))
        } else {
            Issue.record("computed the replay of a flat loan")
        }
    }
}
