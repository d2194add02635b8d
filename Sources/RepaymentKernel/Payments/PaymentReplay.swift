/// One line of a payment ledger (SPEC §9.2): what happened on a date and
/// where things stood after it.
public struct LedgerEvent: Sendable, Hashable {
    /// What the event is.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// An installment falls due: `amount` is its payment, split into `interest` and `principal`.
        case due
        /// Penalty (罚息) on an installment becomes owed: `amount` and `penalty` are the penalty.
        case penalty
        /// Credit is applied to what fell due: `amount` is the credit used, split by the allocation.
        case credit
        /// A payment: `amount` received, split by the allocation; the rest becomes credit.
        case payment
        /// A prepayment (提前还款): what is due, then accrued interest and principal; the rest becomes credit.
        case prepayment
        /// The position at `as_of` (nothing paid): `penalty`, `interest`, `principal` are what is overdue.
        case asOf = "as_of"
    }

    /// The date.
    public var date: CivilDate
    /// What happened.
    public var kind: Kind
    /// The installment (period) concerned, for `due` and `penalty`; nil otherwise.
    public var installment: Int?
    /// The amount of the event (see ``Kind``).
    public var amount: Money
    /// Penalty paid (or, for `penalty` and `as_of`, owed).
    public var penalty: Money
    /// Interest paid (or, for `due` and `as_of`, owed).
    public var interest: Money
    /// Principal paid (or, for `due` and `as_of`, owed).
    public var principal: Money
    /// Credit held after the event.
    public var credit: Money
    /// Penalty, interest and principal due and unpaid after the event.
    public var overdue: Money
    /// Principal not yet due after the event.
    public var balance: Money
    /// Days past due (逾期天数) after the event: days since the oldest installment not paid in full fell due; 0 when none.
    public var daysPastDue: Int
}

/// A loan's payment history replayed against its contract up to `asOf`
/// (SPEC §9.2): the arrears that feed a negotiated plan, the credit, the days
/// past due, and the ledger of every event.
///
/// ```swift
/// let loan = try LoanTerms(principal: Money(parsing: "10000"), rate: Rate(parsing: "8%"), term: 10,
///                          start: CivilDate(parsing: "2024-03-15"))
/// let replay = try PaymentReplay(loan: loan,
///                                history: PaymentHistory(parsing: "2024-04-15 1037.03; 2024-05-20 500"),
///                                asOf: CivilDate(parsing: "2024-06-25"))
/// replay.arrears.daysPastDue   // 41: installment 2 (due 05-15) is still partly unpaid
/// ```
///
/// Installments falling due on a date come first, then that date's items in
/// their order. A payment pays what is due (``AllocationOrder``) and the rest
/// becomes credit, applied as later installments fall due. A prepayment pays
/// what is due, then accrued interest and principal (re-amortizing per
/// ``PrepaymentMode``). Penalty runs per installment from its due date over
/// spans cut at every item date, each span rounded on its own; with
/// `graceDays` an installment paid in full by `due + graceDays` owes none.
/// An installment due on `asOf` itself is not overdue yet (as in SPEC §4):
/// what of it is unpaid counts as principal not yet due and accrued interest.
public struct PaymentReplay: Sendable, Hashable {
    /// The arrears at `asOf`, with the credit and the days past due.
    public let arrears: ArrearsSnapshot
    /// Every event in order, ending with the `as_of` position (empty when not recorded).
    public let events: [LedgerEvent]

    /// Credit left at `asOf` (it enters a plan as part of its down payment).
    public var credit: Money { arrears.credit }
    /// Days past due at `asOf`.
    public var daysPastDue: Int { arrears.daysPastDue ?? 0 }

    /// Replays `history` on `loan` up to `asOf`.
    ///
    /// - Parameters:
    ///   - allocation: how a payment settles what is due; oldest installment first by default.
    ///   - prepayment: how a prepayment re-amortizes the contract.
    ///   - graceDays: days after a due date within which full payment owes no penalty.
    ///   - markup: the penalty markup over the contract rate (50% by default).
    ///   - compound: penalty also on unpaid interest (复利).
    ///   - fees: fees owed, given directly.
    ///   - recordLedger: false skips building `events` (batch rows without a ledger output).
    /// - Throws: `KernelError` naming `payments` (an item after `asOf` or before
    ///   the start, a flat loan), `as_of`, `grace_days` or `fees`.
    public init(loan: LoanTerms, history: PaymentHistory, asOf: CivilDate,
                allocation: AllocationOrder = .installment, prepayment: PrepaymentMode = .reducePayment,
                graceDays: Int = 0, markup: Rate = .defaultPenaltyMarkup, compound: Bool = false,
                fees: Money? = nil, recordLedger: Bool = true) throws(KernelError) {
        guard asOf >= loan.start else {
            throw KernelError(field: "as_of", "\(asOf) is before the loan's start \(loan.start)")
        }
        guard graceDays >= 0 else { throw KernelError(field: "grace_days", "must not be negative: '\(graceDays)'") }
        guard graceDays <= 36_500 else { throw KernelError(.outOfRange, field: "grace_days", "must be at most 36500: '\(graceDays)'") }
        if let fees, fees.units.signum < 0 { throw KernelError(field: "fees", "must not be negative: '\(fees)'") }
        let scale = loan.scale
        for (n, item) in history.items.enumerated() {
            func bad(_ problem: String) -> KernelError { KernelError(field: "payments", "item \(n + 1): \"\(item)\": \(problem)") }
            guard item.date <= asOf else { throw bad("after as_of \(asOf)") }
            guard item.date >= loan.start else { throw bad("before the loan's start \(loan.start)") }
            guard item.amount.scale == scale else { throw bad("amount at scale \(item.amount.scale), the loan's is \(scale)") }
        }
        var engine = try ReplayEngine(loan: loan, mode: prepayment, allocation: allocation, graceDays: graceDays,
                                      markup: markup, compound: compound, recordLedger: recordLedger)
        engine.run(history.items, asOf: asOf)
        let result = engine.position(at: asOf)
        arrears = ArrearsSnapshot(replayed: result, fees: fees ?? .zero(scale: scale), scale: scale)
        events = engine.events
    }
}

/// What the replay leaves at `as_of`, in minor units.
struct ReplayPosition {
    var principal: WideInteger
    var overduePrincipal: WideInteger
    var overdueInterest: WideInteger
    var accruedInterest: WideInteger
    var penalty: WideInteger
    var credit: WideInteger
    var daysPastDue: Int
}

/// The event-by-event replay of SPEC §9.2 over one loan's contract.
struct ReplayEngine {
    /// An installment that has fallen due, with what of it is unpaid.
    struct Open {
        var period: Int
        var due: CivilDate
        var principal: WideInteger
        var interest: WideInteger
        /// Penalty owed and unpaid.
        var penalty: WideInteger
        /// Penalty of spans within the grace period, owed only once `due + grace` has passed.
        var pending: WideInteger
        /// Start of the running penalty span.
        var spanStart: CivilDate
        /// The last day on which full payment owes no penalty.
        var graceEnd: Int
        var isPaid: Bool { principal.signum == 0 && interest.signum == 0 && penalty.signum == 0 }
    }

    var cursor: ContractCursor
    let allocation: AllocationOrder
    let graceDays: Int
    let compound: Bool
    let penaltyNumerator: WideInteger
    let penaltyDenominator: WideInteger
    let rounding: RoundingMode
    let scale: Int
    let recordLedger: Bool
    /// Installments fallen due; those before `head` are paid in full.
    var installments: [Open] = []
    var head = 0
    var credit = WideInteger.small(0)
    var events: [LedgerEvent] = []

    init(loan: LoanTerms, mode: PrepaymentMode, allocation: AllocationOrder, graceDays: Int, markup: Rate,
         compound: Bool, recordLedger: Bool) throws(KernelError) {
        cursor = try ContractCursor(loan: loan, mode: mode)
        self.allocation = allocation
        self.graceDays = graceDays
        self.compound = compound
        // Penalty per day: rate * (1 + markup) / yearDays = rn (md + mn) / (rd md yearDays).
        penaltyNumerator = loan.rate.numerator * (markup.denominator + markup.numerator)
        penaltyDenominator = loan.rate.denominator * markup.denominator * .small(Int128(loan.basis.yearDays))
        rounding = loan.rounding
        scale = loan.scale
        self.recordLedger = recordLedger
        installments.reserveCapacity(cursor.dueCount)
    }

    func money(_ v: WideInteger) -> Money { Money(units: v, scale: scale) }

    /// Replays the items, and every due date up to `asOf`.
    mutating func run(_ items: [Payment], asOf: CivilDate) {
        var i = 0
        while true {
            let itemDate = i < items.count ? items[i].date : nil
            if let due = cursor.nextDue, due <= asOf, itemDate == nil || due <= itemDate! {
                fallDue()
                continue
            }
            guard let date = itemDate else { break }
            cutSpans(at: date)
            while i < items.count && items[i].date == date {
                settle(items[i])
                i += 1
            }
        }
    }

    /// The next installment falls due; credit, if any, settles it.
    mutating func fallDue() {
        let (due, principal, interest) = cursor.fallDue()
        installments.append(Open(period: installments.count + 1, due: due, principal: principal, interest: interest,
                                 penalty: .small(0), pending: .small(0), spanStart: due,
                                 graceEnd: due.dayNumber + graceDays))
        record(due, .due, installment: installments.count, amount: principal + interest,
               split: (.small(0), interest, principal))
        if credit.signum > 0 {
            var available = credit
            let split = allocate(&available)
            let used = credit - available
            credit = available
            if used.signum > 0 { record(due, .credit, installment: nil, amount: used, split: split) }
        }
    }

    /// The penalty of one span of `days` on what of `o` is unpaid: principal, and
    /// with `compound` interest too, each term rounded on its own (SPEC §4, §9.2).
    func spanPenalty(_ o: Open, days: Int) -> WideInteger {
        let d = WideInteger.small(Int128(days))
        // The denominator is positive (a rate's denominator, 1 + markup and yearDays are), so division never fails.
        var span = (o.principal * penaltyNumerator * d).divided(by: penaltyDenominator, rounding: rounding) ?? .small(0)
        if compound {
            span = span + ((o.interest * penaltyNumerator * d).divided(by: penaltyDenominator, rounding: rounding) ?? .small(0))
        }
        return span
    }

    /// Penalty of the spans ending at `date` becomes owed (or pending within grace), before that date's items.
    mutating func cutSpans(at date: CivilDate) {
        let day = date.dayNumber
        for k in head..<installments.count {
            var o = installments[k]
            guard o.due < date, o.principal.signum > 0 || (compound && o.interest.signum > 0) else { continue }
            let span = spanPenalty(o, days: day - o.spanStart.dayNumber)
            o.spanStart = date
            if day > o.graceEnd {
                let owed = o.pending + span
                o.penalty = o.penalty + owed
                o.pending = .small(0)
                installments[k] = o
                if owed.signum > 0 {
                    record(date, .penalty, installment: o.period, amount: owed, split: (owed, .small(0), .small(0)))
                }
            } else {
                o.pending = o.pending + span
                installments[k] = o
            }
        }
    }

    /// Settles one payment or prepayment item.
    mutating func settle(_ item: Payment) {
        var left = item.amount.units
        var (penalty, interest, principal) = allocate(&left)
        if item.isPrepayment && left.signum > 0 {
            let accrued = cursor.accruedInterest(to: item.date)
            if WideInteger.compare(left, accrued) > 0 && cursor.balance.signum > 0 {
                let rest = left - accrued
                let prepaid = WideInteger.compare(rest, cursor.balance) <= 0 ? rest : cursor.balance
                cursor.prepay(principal: prepaid, at: item.date)
                interest = interest + accrued
                principal = principal + prepaid
                left = rest - prepaid
            }
        }
        credit = credit + left
        record(item.date, item.isPrepayment ? .prepayment : .payment, installment: nil, amount: item.amount.units,
               split: (penalty, interest, principal))
    }

    /// Pays what is due from `amount` in the allocation order; returns the split, leaves the rest in `amount`.
    mutating func allocate(_ amount: inout WideInteger) -> (WideInteger, WideInteger, WideInteger) {
        var paid = (WideInteger.small(0), WideInteger.small(0), WideInteger.small(0))
        @inline(__always) func take(_ owed: inout WideInteger, _ total: inout WideInteger) {
            guard owed.signum > 0, amount.signum > 0 else { return }
            let x = WideInteger.compare(owed, amount) <= 0 ? owed : amount
            owed = owed - x
            amount = amount - x
            total = total + x
        }
        switch allocation {
        case .installment:
            for k in head..<installments.count where amount.signum > 0 {
                take(&installments[k].penalty, &paid.0)
                take(&installments[k].interest, &paid.1)
                take(&installments[k].principal, &paid.2)
            }
        case .component:
            for k in head..<installments.count where amount.signum > 0 { take(&installments[k].penalty, &paid.0) }
            for k in head..<installments.count where amount.signum > 0 { take(&installments[k].interest, &paid.1) }
            for k in head..<installments.count where amount.signum > 0 { take(&installments[k].principal, &paid.2) }
        }
        while head < installments.count && installments[head].isPaid {
            installments[head].pending = .small(0)   // paid in full: a penalty still in grace is never owed
            head += 1
        }
        return paid
    }

    /// Days since the oldest installment not paid in full fell due, up to `date`.
    func daysPastDue(at date: CivilDate, dueBefore limit: CivilDate? = nil) -> Int {
        for k in head..<installments.count where !installments[k].isPaid {
            if let limit, installments[k].due >= limit { return 0 }
            return installments[k].due.days(to: date)
        }
        return 0
    }

    /// Overdue penalty, interest and principal, all installments.
    var overdue: WideInteger {
        var total = WideInteger.small(0)
        for k in head..<installments.count {
            total = total + installments[k].penalty + installments[k].interest + installments[k].principal
        }
        return total
    }

    mutating func record(_ date: CivilDate, _ kind: LedgerEvent.Kind, installment: Int?, amount: WideInteger,
                         split: (WideInteger, WideInteger, WideInteger)) {
        guard recordLedger else { return }
        events.append(LedgerEvent(date: date, kind: kind, installment: installment, amount: money(amount),
                                  penalty: money(split.0), interest: money(split.1), principal: money(split.2),
                                  credit: money(credit), overdue: money(overdue), balance: money(cursor.balance),
                                  daysPastDue: daysPastDue(at: date)))
    }

    /// The arrears at `asOf`: the last spans are cut there (owed only past grace), and an
    /// installment due on `asOf` itself is not overdue: its unpaid part counts as principal
    /// not yet due and accrued interest.
    mutating func position(at asOf: CivilDate) -> ReplayPosition {
        let day = asOf.dayNumber
        var p = ReplayPosition(principal: cursor.balance, overduePrincipal: .small(0), overdueInterest: .small(0),
                               accruedInterest: .small(0), penalty: .small(0), credit: credit, daysPastDue: 0)
        if cursor.balance.signum > 0 { p.accruedInterest = cursor.accruedInterest(to: asOf) }
        for k in head..<installments.count {
            var o = installments[k]
            if o.due == asOf {
                p.principal = p.principal + o.principal
                p.accruedInterest = p.accruedInterest + o.interest
                continue
            }
            if o.principal.signum > 0 || (compound && o.interest.signum > 0) {
                let span = spanPenalty(o, days: day - o.spanStart.dayNumber)
                if day > o.graceEnd { o.penalty = o.penalty + o.pending + span }
            }
            p.overduePrincipal = p.overduePrincipal + o.principal
            p.overdueInterest = p.overdueInterest + o.interest
            p.penalty = p.penalty + o.penalty
            installments[k] = o
        }
        p.daysPastDue = daysPastDue(at: asOf, dueBefore: asOf)
        if recordLedger {
            events.append(LedgerEvent(date: asOf, kind: .asOf, installment: nil, amount: money(.small(0)),
                                      penalty: money(p.penalty), interest: money(p.overdueInterest),
                                      principal: money(p.overduePrincipal), credit: money(credit),
                                      overdue: money(p.penalty + p.overdueInterest + p.overduePrincipal),
                                      balance: money(p.principal), daysPastDue: p.daysPastDue))
        }
        return p
    }
}
