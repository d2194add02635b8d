// The `payments` cell of SPEC §9 and what is computed from it:
// - PaymentHistory(parsing:) accepts exactly what a reference reading of the
//   item grammar accepts, and the history printed item by item re-parses to
//   the same items;
// - the history replayed against a loan (§9.2) conserves money: the sum of
//   the payments received equals what they and the credit paid (penalty,
//   interest, principal) plus the credit left; no ledger amount is negative;
// - a history of prepayments (§9.1) gives a schedule that repays exactly the
//   principal.
// Input: byte 0 the scale, bytes 1-4 the loan and replay settings, the rest the cell.

import FuzzSupport
import RepaymentKernel

enum PaymentProperties {
    /// The reference reading: items split at `;`, words at spaces; nil when refused.
    static func reference(_ u: [UInt8], scale: Int) -> [(date: String, amount: String, prepay: Bool)]? {
        var items: [(date: String, amount: String, prepay: Bool)] = []
        let parts = u.split(separator: 59, omittingEmptySubsequences: false)
        var lastDate: CivilDate? = nil
        for (n, part) in parts.enumerated() {
            let words = part.split(separator: 32).map { String(decoding: $0, as: UTF8.self) }
            if words.isEmpty {
                if n == parts.count - 1 && n > 0 { break }   // a trailing ';'
                return nil
            }
            guard words.count == 2 || (words.count == 3 && words[2] == "prepay") else { return nil }
            guard let date = try? CivilDate(parsing: words[0]), let amount = try? Money(parsing: words[1], scale: scale),
                  !amount.isZero else { return nil }
            if let lastDate, date < lastDate { return nil }
            lastDate = date
            items.append((words[0], words[1], words.count == 3))
        }
        return items.count <= PaymentHistory.maximumItems ? items : nil
    }

    static func check(_ bytes: [UInt8]) {
        guard bytes.count >= 5 else { return }
        let scale = Int(bytes[0]) % 7
        let cell = Array(bytes.dropFirst(5))
        let text = String(decoding: cell, as: UTF8.self)
        let history = try? PaymentHistory(parsing: text, scale: scale)
        let expected = reference(Array(text.utf8), scale: scale)
        require((history != nil) == (expected != nil), "'\(text.prefix(200))': kernel \(history == nil ? "refused" : "accepted"), reference \(expected == nil ? "refused" : "accepted")")
        guard let history, let expected else { return }
        require(history.items.count == expected.count, "\(history.items.count) items, reference \(expected.count)")
        for (item, want) in zip(history.items, expected) {
            require(item.date.description == want.date && item.isPrepayment == want.prepay &&
                    item.amount == (try? Money(parsing: want.amount, scale: scale)), "item \(item) vs \(want)")
        }
        let printed = history.items.map(\.description).joined(separator: "; ")
        let again = try? PaymentHistory(parsing: printed, scale: scale)
        require(again == history, "the printed history '\(printed.prefix(200))' does not re-parse to itself")
        guard !history.isEmpty else { return }

        // A loan to replay it against: settings from bytes 1-4.
        let methods: [RepaymentMethod] = [.annuity, .equalPrincipal, .interestOnly, .bullet]
        let rates = ["12%", "0", "36.5%", "0.0123456789", "250%", "7%"]
        let principals = ["10000", "500", "1", "123456.78", "99999999999999999999999999999999999999999"]
        let b1 = Int(bytes[1]), b2 = Int(bytes[2]), b3 = Int(bytes[3]), b4 = Int(bytes[4])
        guard let start = history.items.first.map({ $0.date.adding(months: -(b2 % 4)) ?? $0.date }),
              let principal = try? Money(parsing: principals[b3 % principals.count], scale: scale),
              let rate = try? Rate(parsing: rates[b1 / 4 % rates.count]),
              let loan = try? LoanTerms(principal: principal, rate: rate, term: 1 + b2 % 24, method: methods[b1 % 4],
                                        start: start, basis: [.monthly, .actual360, .actual365, .thirty360][b4 % 4])
        else { return }
        let asOf = history.items.last!.date.adding(months: b4 / 4 % 3) ?? history.items.last!.date
        if let replay = try? PaymentReplay(loan: loan, history: history, asOf: asOf,
                                           allocation: b3 & 1 == 0 ? .installment : .component,
                                           prepayment: b3 & 2 == 0 ? .reducePayment : .reduceTerm,
                                           graceDays: b3 / 4 % 8, compound: b4 & 128 != 0) {
            conservation(replay, history: history, scale: scale)
        }
        if history.items.allSatisfy(\.isPrepayment),
           let prepaid = try? PrepaidSchedule(loan: loan, prepayments: history, mode: b3 & 2 == 0 ? .reducePayment : .reduceTerm) {
            Invariants.loan(prepaid.schedule, principal: principal, "prepaid schedule")
            require(prepaid.schedule.rows.filter { $0.kind == .prepay }.count == history.items.count, "prepay rows")
        }
    }

    static func conservation(_ replay: PaymentReplay, history: PaymentHistory, scale: Int) {
        let zero = Money.zero(scale: scale)
        var received = zero, allocated = zero
        for e in replay.events {
            for m in [e.amount, e.penalty, e.interest, e.principal, e.credit, e.overdue, e.balance] {
                require(!(m < zero), "ledger: a negative amount in \(e)")
            }
            switch e.kind {
            case .payment, .prepayment:
                received = received + e.amount
                allocated = allocated + e.penalty + e.interest + e.principal
            case .credit:
                require(e.amount == e.penalty + e.interest + e.principal, "ledger: credit \(e.amount) split differently")
                allocated = allocated + e.penalty + e.interest + e.principal
            case .due, .penalty, .asOf:
                break
            }
        }
        var paid = zero
        for item in history.items { paid = paid + item.amount }
        require(received == paid, "ledger: received \(received), the history pays \(paid)")
        require(received == allocated + replay.credit, "conservation: received \(received) != allocated \(allocated) + credit \(replay.credit)")
        require(replay.events.last?.kind == .asOf, "the ledger ends with the as_of position")
        let a = replay.arrears
        for m in [a.principal, a.overduePrincipal, a.overdueInterest, a.accruedInterest, a.penalty, a.credit] {
            require(!(m < zero), "arrears: a negative component")
        }
    }
}
