// A loan schedule and a negotiated repayment plan with RepaymentKernel.
//
//   cd examples/swift && swift run LoanExample
//
// Every amount is exact (`Money` counts minor units, `Rate` is an exact
// fraction); nothing here goes through a binary floating-point number.

import RepaymentKernel

/// `text` right-aligned in `width` columns (left-aligned when `left`).
func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - text.count))
    return left ? text + fill : fill + text
}

/// Prints the rows of a schedule or plan as a table.
func printRows(_ schedule: Schedule) {
    print(pad("#", 3), pad("due", 10, left: true), pad("kind", 11, left: true),
          pad("payment", 10), pad("principal", 10), pad("interest", 9), pad("carried", 8), pad("balance", 10))
    for r in schedule.rows {
        print(pad("\(r.period)", 3), pad("\(r.dueDate)", 10, left: true), pad(r.kind.rawValue, 11, left: true),
              pad("\(r.payment)", 10), pad("\(r.principal)", 10), pad("\(r.interest)", 9), pad("\(r.carried)", 8),
              pad("\(r.balance)", 10))
    }
}

func run() throws(KernelError) {
    // 1. A loan: 10,000.00 at 12% a year, 12 equal monthly installments (等额本息) from 2024-01-15.
    let loan = try LoanTerms(principal: Money(parsing: "10000"), rate: Rate(parsing: "12%"), term: 12,
                             method: .annuity, start: CivilDate(parsing: "2024-01-15"))
    let schedule = try loan.schedule()
    print("Loan: \(loan.principal) at 12% over \(loan.term) months from \(loan.start)")
    printRows(schedule)
    print("total payable \(schedule.totalPayable), interest \(schedule.totalInterest)")
    if let apr = schedule.apr {
        print("APR \(apr.nominal) (effective \(apr.effective)) on \(schedule.amountFinanced!) financed")
    }
    print()

    // 2. The borrower paid 3 installments, then stopped. On 2024-06-20 the lender agrees (协商还款):
    //    the penalty is waived, half the interest owed too, 500.00 down, 2 months' deferral,
    //    then 6 installments at 6%.
    let asOf = try CivilDate(parsing: "2024-06-20")
    var terms = PlanTerms(asOf: asOf, arrears: try ArrearsSnapshot(loan: loan, paidThrough: 3, asOf: asOf))
    terms.waivePenalty = .percent(try Rate(parsing: "100%"))
    terms.waiveInterest = .percent(try Rate(parsing: "50%"))
    terms.downPayment = try Money(parsing: "500")
    terms.deferMonths = 2
    terms.installments = 6
    terms.planRate = try Rate(parsing: "6%")
    let plan = try NegotiatedPlan(terms)

    print("Negotiated plan as of \(asOf)")
    let before = plan.debtBeforeWaivers, after = plan.debtAfterWaivers
    let components: [(String, KeyPath<ArrearsSnapshot, Money>)] = [
        ("principal not yet due", \.principal), ("overdue principal", \.overduePrincipal),
        ("overdue interest", \.overdueInterest), ("accrued interest", \.accruedInterest),
        ("penalty", \.penalty), ("fees", \.fees), ("total", \.total),
    ]
    print(pad("debt", 22, left: true), pad("before", 10), pad("waived", 10), pad("after", 10))
    for (name, path) in components {
        let waived = before[keyPath: path] - after[keyPath: path]
        print(pad(name, 22, left: true), pad("\(before[keyPath: path])", 10), pad("\(waived)", 10),
              pad("\(after[keyPath: path])", 10))
    }
    print()
    printRows(plan.schedule)
    print("amount financed \(plan.amountFinanced), total payable \(plan.totalPayable), new interest \(plan.totalNewInterest)")
    print("APR \(plan.apr.nominal) (effective \(plan.apr.effective))")
    print()

    // 3. Bad input is a KernelError naming the field, never a crash.
    do {
        _ = try Money(parsing: "100.005", scale: 2, field: "principal")
    } catch {
        print("rejected: \(error)")
    }
}

do {
    try run()
} catch {
    print("error: \(error)")
}
