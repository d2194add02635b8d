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

    /// The most events a recorded ledger holds (about 300 MB): a history of
    /// 10,000 payment dates against 1,200 overdue installments would make 12
    /// million penalty events. A replay that would record more fails with
    /// `.outOfRange` on `payments`; without the ledger it has no such limit.
    public static let maximumLedgerEvents = 1_000_000

    /// Credit left at `asOf` (it enters a plan as part of its down payment).
    public var credit: Money { arrears.credit }
    /// Days past due at `asOf`.
    public var daysPastDue: Int { arrears.daysPastDue ?? 0 }

    /// Replays `history` on `loan` up to `asOf`.
    ///
    /// - Parameters:
    ///   - loan: the loan as contracted; its schedule is what falls due.
    ///   - history: what was actually paid, every date on or before `asOf`.
    ///   - asOf: the date of the arrears.
    ///   - allocation: how a payment settles what is due; oldest installment first by default.
    ///   - prepayment: how a prepayment re-amortizes the contract.
    ///   - graceDays: days after a due date within which full payment owes no penalty.
    ///   - markup: the penalty markup over the contract rate (50% by default).
    ///   - compound: penalty also on unpaid interest (复利).
    ///   - fees: fees owed, given directly.
    ///   - recordLedger: false skips building `events` (batch rows without a ledger output).
    /// - Throws: `KernelError` naming `payments` (an item after `asOf` or before
    ///   the start, a flat loan, a ledger beyond `maximumLedgerEvents`), `as_of`,
    ///   `grace_days` or `fees`.
    public init(loan: LoanTerms, history: PaymentHistory, asOf: CivilDate,
                allocation: AllocationOrder = .installment, prepayment: PrepaymentMode = .reducePayment,
                graceDays: Int = 0, markup: Rate = .defaultPenaltyMarkup, compound: Bool = false,
                fees: Money? = nil, recordLedger: Bool = true) throws(KernelError) {
        try self.init(loan: loan, history: history, asOf: asOf, allocation: allocation, prepayment: prepayment,
                      graceDays: graceDays, markup: markup, compound: compound, fees: fees,
                      recordLedger: recordLedger, ledgerLimit: PaymentReplay.maximumLedgerEvents)
    }

    /// As the public initializer, with the ledger limited to `ledgerLimit` events (tests).
    init(loan: LoanTerms, history: PaymentHistory, asOf: CivilDate, allocation: AllocationOrder,
         prepayment: PrepaymentMode, graceDays: Int, markup: Rate, compound: Bool, fees: Money?,
         recordLedger: Bool, ledgerLimit: Int) throws(KernelError) {
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
        let settings = ReplaySettings(mode: prepayment, allocation: allocation, graceDays: graceDays, markup: markup,
                                      compound: compound, recordLedger: recordLedger, ledgerLimit: ledgerLimit)
        var result = try PaymentReplay.run(Int128.self, loan, history.items, asOf, settings)
        if result == nil { result = try PaymentReplay.run(BigInt.self, loan, history.items, asOf, settings) }
        guard let (position, events) = result else { throw KernelError.internalFailure("the replay did not fit even on GMP") }
        arrears = ArrearsSnapshot(replayed: position, fees: fees ?? .zero(scale: scale), scale: scale)
        self.events = events
    }

    /// The replay computed in `N`; nil when a value did not fit.
    private static func run<N: ExactInteger>(_: N.Type, _ loan: LoanTerms, _ items: [Payment], _ asOf: CivilDate,
                                             _ settings: ReplaySettings) throws(KernelError) -> (ReplayPosition, [LedgerEvent])? {
        var engine = try ReplayEngine<N>(loan: loan, settings: settings)
        defer { engine.release() }
        let completed = engine.run(items, asOf: asOf)
        if engine.ledgerFull {
            throw KernelError(.outOfRange, field: "payments",
                              "the ledger would have more than \(settings.ledgerLimit) events (penalty events for each overdue installment on each payment date); replay without the ledger")
        }
        guard completed else { return nil }
        let position = engine.position(at: asOf)
        return engine.overflow ? nil : (position, engine.events)
    }
}

/// How a replay runs: the options of ``PaymentReplay``.
struct ReplaySettings {
    var mode: PrepaymentMode
    var allocation: AllocationOrder
    var graceDays: Int
    var markup: Rate
    var compound: Bool
    var recordLedger: Bool
    /// The most events the ledger may hold.
    var ledgerLimit = PaymentReplay.maximumLedgerEvents
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

/// The event-by-event replay of SPEC §9.2 over one loan's contract, in `N`
/// (`Int128` with overflow flags first, `BigInt` when a value does not fit).
struct ReplayEngine<N: ExactInteger> {
    /// An installment that has fallen due, with what of it is unpaid.
    struct Open {
        var period: Int
        /// The due date as a day number.
        var due: Int
        var principal: N
        var interest: N
        /// Penalty owed and unpaid.
        var penalty: N
        /// Penalty of spans within the grace period, owed only once `due + grace` has passed.
        var pending: N
        /// Start of the running penalty span (a day number).
        var spanStart: Int
        /// The last day on which full payment owes no penalty (a day number).
        var graceEnd: Int
        var isPaid: Bool { principal.signum == 0 && interest.signum == 0 && penalty.signum == 0 }
        /// Whether penalty runs on it: unpaid principal, or with compound unpaid interest.
        func accrues(_ compound: Bool) -> Bool { principal.signum > 0 || (compound && interest.signum > 0) }
    }

    var cursor: ContractCursor<N>
    let settings: ReplaySettings
    /// Penalty per day is `penaltyNumerator / penaltyDenominator` = rate (1 + markup) / yearDays.
    let penaltyNumerator: N
    let penaltyDenominator: N
    let rounding: RoundingMode
    let scale: Int
    /// Installments fallen due (`openCount` of them, room for every due date);
    /// those before `head` are paid in full. One allocation per replay, released by `release()`.
    let installments: UnsafeMutablePointer<Open>
    var openCount = 0
    var head = 0
    var credit = N.zero
    var events: [LedgerEvent] = []
    /// Penalty, interest and principal due and unpaid, kept up to date for the ledger.
    var owed = N.zero
    /// The ledger reached `PaymentReplay.maximumLedgerEvents`.
    var ledgerFull = false
    var overflow: Bool { cursor.overflow || ledgerFull }

    init(loan: LoanTerms, settings: ReplaySettings) throws(KernelError) {
        cursor = try ContractCursor<N>(loan: loan, mode: settings.mode)
        self.settings = settings
        let markup = settings.markup
        // rate (1 + markup) / yearDays = rn (md + mn) / (rd md yearDays).
        let num = loan.rate.numerator * (markup.denominator + markup.numerator)
        let den = loan.rate.denominator * markup.denominator * .small(Int128(loan.basis.yearDays))
        let fitted: (N, N)? = { () -> (N, N)? in
            do { return (try num.exact(N.self), try den.exact(N.self)) } catch { return nil }
        }()
        if fitted == nil { cursor.overflow = true }
        penaltyNumerator = fitted?.0 ?? .zero
        penaltyDenominator = fitted?.1 ?? N(1)
        rounding = loan.rounding
        scale = loan.scale
        installments = .allocate(capacity: max(1, cursor.dueCount))
        if settings.recordLedger { events.reserveCapacity(2 * cursor.dueCount + 8) }
    }

    /// Frees the installments (call once, when done).
    func release() {
        installments.deinitialize(count: openCount)
        installments.deallocate()
    }

    func money(_ v: N) -> Money { Money(units: v.wide, scale: scale) }

    /// One item in `N`, read once before the replay.
    struct Item {
        var date: CivilDate
        var day: Int
        var amount: N
        var prepay: Bool
    }

    /// Replays the items, and every due date up to `asOf`; false on overflow.
    mutating func run(_ payments: [Payment], asOf: CivilDate) -> Bool {
        var items: [Item] = []
        items.reserveCapacity(payments.count)
        for p in payments {
            guard let amount = try? p.amount.units.exact(N.self) else { return false }
            items.append(Item(date: p.date, day: p.date.dayNumber, amount: amount, prepay: p.isPrepayment))
        }
        return items.withUnsafeBufferPointer { items in
            var i = 0
            while !overflow {
                let itemDate = i < items.count ? items[i].date : nil
                if let due = cursor.nextDue, due <= asOf, itemDate == nil || due <= itemDate! {
                    fallDue()
                    continue
                }
                guard let date = itemDate else { break }
                if head < openCount { cutSpans(at: date, day: items[i].day) }
                while i < items.count && items[i].date == date {
                    settle(items[i].amount, on: date, prepay: items[i].prepay)
                    i += 1
                }
            }
            return !overflow
        }
    }

    /// The next installment falls due; credit, if any, settles it.
    mutating func fallDue() {
        let (due, principal, interest) = cursor.fallDue()
        let day = due.dayNumber
        (installments + openCount).initialize(to: Open(period: openCount + 1, due: day, principal: principal, interest: interest,
                                                       penalty: .zero, pending: .zero, spanStart: day, graceEnd: day + settings.graceDays))
        openCount += 1
        if settings.recordLedger { owed = owed.adding(principal, &cursor.overflow).adding(interest, &cursor.overflow) }
        record(due, .due, installment: openCount, amount: principal.adding(interest, &cursor.overflow),
               split: (.zero, interest, principal))
        if credit.signum > 0 {
            var available = credit
            let split = allocate(&available)
            let used = credit.subtracting(available, &cursor.overflow)
            credit = available
            if used.signum > 0 { record(due, .credit, installment: nil, amount: used, split: split) }
        }
    }

    /// The penalty of one span of `days` on what of `o` is unpaid: principal, and
    /// with `compound` interest too, each term rounded on its own (SPEC §4, §9.2).
    mutating func spanPenalty(_ o: Open, days: Int) -> N {
        let d = N(days)
        var span = o.principal.multiplying(penaltyNumerator, &cursor.overflow).multiplying(d, &cursor.overflow)
            .dividing(by: penaltyDenominator, rounding, &cursor.overflow)
        if settings.compound && o.interest.signum > 0 {
            let onInterest = o.interest.multiplying(penaltyNumerator, &cursor.overflow).multiplying(d, &cursor.overflow)
                .dividing(by: penaltyDenominator, rounding, &cursor.overflow)
            span = span.adding(onInterest, &cursor.overflow)
        }
        return span
    }

    /// Penalty of the spans ending at `date` becomes owed (or pending within grace), before that date's items.
    mutating func cutSpans(at date: CivilDate, day: Int) {
        guard penaltyNumerator.signum > 0 else { return }
        for k in head..<openCount {
            var o = installments[k]
            guard o.spanStart < day, o.accrues(settings.compound) else { continue }
            let span = spanPenalty(o, days: day - o.spanStart)
            o.spanStart = day
            if day > o.graceEnd {
                let owed = o.pending.adding(span, &cursor.overflow)
                o.penalty = o.penalty.adding(owed, &cursor.overflow)
                o.pending = .zero
                installments[k] = o
                if settings.recordLedger { self.owed = self.owed.adding(owed, &cursor.overflow) }
                if owed.signum > 0 {
                    record(date, .penalty, installment: o.period, amount: owed, split: (owed, .zero, .zero))
                }
            } else {
                o.pending = o.pending.adding(span, &cursor.overflow)
                installments[k] = o
            }
        }
    }

    /// Settles one payment or prepayment of `amount` on `date`.
    mutating func settle(_ amount: N, on date: CivilDate, prepay: Bool) {
        var left = amount
        var (penalty, interest, principal) = allocate(&left)
        if prepay && left.signum > 0 && cursor.balance.signum > 0 {
            let accrued = cursor.accruedInterest(to: date)
            if left > accrued {
                let rest = left.subtracting(accrued, &cursor.overflow)
                let prepaid = N.minimum(rest, cursor.balance)
                cursor.prepay(principal: prepaid, at: date)
                interest = interest.adding(accrued, &cursor.overflow)
                principal = principal.adding(prepaid, &cursor.overflow)
                left = rest.subtracting(prepaid, &cursor.overflow)
            }
        }
        credit = credit.adding(left, &cursor.overflow)
        record(date, prepay ? .prepayment : .payment, installment: nil, amount: amount, split: (penalty, interest, principal))
    }

    /// Pays what is due from `amount` in the allocation order; returns the split, leaves the rest in `amount`.
    mutating func allocate(_ amount: inout N) -> (N, N, N) {
        var paid = (N.zero, N.zero, N.zero)
        var overflow = false
        // The common case: one installment open, paid in full or in part.
        if settings.allocation == .installment || openCount - head == 1 {
            for k in head..<openCount where amount.signum > 0 {
                ReplayEngine.take(&installments[k].penalty, from: &amount, into: &paid.0, &overflow)
                ReplayEngine.take(&installments[k].interest, from: &amount, into: &paid.1, &overflow)
                ReplayEngine.take(&installments[k].principal, from: &amount, into: &paid.2, &overflow)
            }
        } else {
            for k in head..<openCount where amount.signum > 0 { ReplayEngine.take(&installments[k].penalty, from: &amount, into: &paid.0, &overflow) }
            for k in head..<openCount where amount.signum > 0 { ReplayEngine.take(&installments[k].interest, from: &amount, into: &paid.1, &overflow) }
            for k in head..<openCount where amount.signum > 0 { ReplayEngine.take(&installments[k].principal, from: &amount, into: &paid.2, &overflow) }
        }
        if overflow { cursor.overflow = true }
        if settings.recordLedger {
            owed = owed.subtracting(paid.0, &cursor.overflow).subtracting(paid.1, &cursor.overflow)
                .subtracting(paid.2, &cursor.overflow)
        }
        while head < openCount && installments[head].isPaid {
            installments[head].pending = .zero   // paid in full: a penalty still in grace is never owed
            head += 1
        }
        return paid
    }

    /// Moves `min(owed, amount)` from `amount` to `total`, off `owed`.
    @inline(__always)
    static func take(_ owed: inout N, from amount: inout N, into total: inout N, _ overflow: inout Bool) {
        guard owed.signum > 0, amount.signum > 0 else { return }
        let x = N.minimum(owed, amount)
        owed = owed.subtracting(x, &overflow)
        amount = amount.subtracting(x, &overflow)
        total = total.adding(x, &overflow)
    }

    /// Days since the oldest installment not paid in full fell due, up to `date`;
    /// installments due on or after `limit` do not count.
    func daysPastDue(at date: CivilDate, dueBefore limit: CivilDate? = nil) -> Int {
        for k in head..<openCount where !installments[k].isPaid {
            if let limit, installments[k].due >= limit.dayNumber { return 0 }
            return date.dayNumber - installments[k].due
        }
        return 0
    }

    mutating func record(_ date: CivilDate, _ kind: LedgerEvent.Kind, installment: Int?, amount: N, split: (N, N, N)) {
        guard settings.recordLedger else { return }
        guard events.count < settings.ledgerLimit else { ledgerFull = true; return }
        events.append(LedgerEvent(date: date, kind: kind, installment: installment, amount: money(amount),
                                  penalty: money(split.0), interest: money(split.1), principal: money(split.2),
                                  credit: money(credit), overdue: money(owed), balance: money(cursor.balance),
                                  daysPastDue: daysPastDue(at: date)))
    }

    /// The arrears at `asOf`: the last spans are cut there (owed only past grace), and an
    /// installment due on `asOf` itself is not overdue: its unpaid part counts as principal
    /// not yet due and accrued interest.
    mutating func position(at asOf: CivilDate) -> ReplayPosition {
        let day = asOf.dayNumber
        var principal = cursor.balance, accrued = N.zero
        var overduePrincipal = N.zero, overdueInterest = N.zero, penalty = N.zero
        if cursor.balance.signum > 0 { accrued = cursor.accruedInterest(to: asOf) }
        for k in head..<openCount {
            var o = installments[k]
            if o.due == day {
                principal = principal.adding(o.principal, &cursor.overflow)
                accrued = accrued.adding(o.interest, &cursor.overflow)
                continue
            }
            if penaltyNumerator.signum > 0 && o.spanStart < day && o.accrues(settings.compound) && day > o.graceEnd {
                let span = spanPenalty(o, days: day - o.spanStart)
                o.penalty = o.penalty.adding(o.pending, &cursor.overflow).adding(span, &cursor.overflow)
            }
            overduePrincipal = overduePrincipal.adding(o.principal, &cursor.overflow)
            overdueInterest = overdueInterest.adding(o.interest, &cursor.overflow)
            penalty = penalty.adding(o.penalty, &cursor.overflow)
        }
        let p = ReplayPosition(principal: principal.wide, overduePrincipal: overduePrincipal.wide,
                               overdueInterest: overdueInterest.wide, accruedInterest: accrued.wide,
                               penalty: penalty.wide, credit: credit.wide,
                               daysPastDue: daysPastDue(at: asOf, dueBefore: asOf))
        if settings.recordLedger {
            events.append(LedgerEvent(date: asOf, kind: .asOf, installment: nil, amount: money(.zero),
                                      penalty: money(penalty), interest: money(overdueInterest),
                                      principal: money(overduePrincipal), credit: money(credit),
                                      overdue: Money(units: p.penalty + p.overdueInterest + p.overduePrincipal, scale: scale),
                                      balance: money(principal), daysPastDue: p.daysPastDue))
        }
        return p
    }
}
