/// One item of a loan's payment history (SPEC §9): money received on a date.
///
/// A plain item is a **payment**: it pays what is due and the rest becomes
/// credit. A `prepay` item is an explicit **prepayment** (提前还款): it pays
/// what is due, then interest accrued to its date and principal, and the rest
/// of the contract is re-amortized (see ``PrepaymentMode``).
public struct Payment: Sendable, Hashable, CustomStringConvertible {
    /// The date the money was received.
    public var date: CivilDate
    /// The amount, more than 0, at the loan's scale.
    public var amount: Money
    /// Whether the item is a prepayment request (`prepay`) rather than a plain payment.
    public var isPrepayment: Bool

    /// An item; `amount` must be more than 0 (checked when a history is built).
    public init(date: CivilDate, amount: Money, isPrepayment: Bool = false) {
        self.date = date
        self.amount = amount
        self.isPrepayment = isPrepayment
    }

    /// `DATE AMOUNT` or `DATE AMOUNT prepay`, the item syntax of SPEC §9.
    public var description: String { "\(date) \(amount)\(isPrepayment ? " prepay" : "")" }
}

/// How the contract is re-amortized after a prepayment (SPEC §9.1).
public enum PrepaymentMode: String, Sendable, CaseIterable, Hashable {
    /// Keep the remaining due dates and lower the installment (the default):
    /// annuity `A' = round(B' * i / (1 - (1+i)^-r))` over the `r` due dates
    /// left, equal principal `round(B'/r)`.
    case reducePayment = "reduce-payment"
    /// Keep the installment (annuity `A`, equal principal `round(P/n)`) and end
    /// the schedule early, once the balance reaches 0.
    case reduceTerm = "reduce-term"

}

/// In which order a payment settles what is due (SPEC §9.2).
public enum AllocationOrder: String, Sendable, CaseIterable, Hashable {
    /// Oldest installment first; within it penalty, interest, principal (the default).
    case installment
    /// All penalty (oldest first), then all interest, then all principal.
    case component

}

/// A loan's payments in date order (SPEC §9): the `payments` column, the
/// CLI's repeated `--payment`, or the C API's array.
///
/// ```swift
/// let history = try PaymentHistory(parsing: "2024-02-15 1037.03; 2024-03-20 500; 2024-04-01 2000 prepay")
/// history.items.count          // 3
/// history.items[2].isPrepayment // true
/// ```
///
/// Dates never go backwards (items on one date keep their order) and every
/// amount is more than 0 at the loan's scale. Errors name the item:
/// `payments: item 3: "2024-13-01 500": no such date`.
public struct PaymentHistory: Sendable, Hashable {
    /// The most items one history may hold (a server's protection against unbounded input).
    public static let maximumItems = 10_000

    /// The items, dates non-decreasing.
    public private(set) var items: [Payment]

    /// A history of `items`; throws when a date goes backwards or an amount is not positive.
    public init(_ items: [Payment], field: String = "payments") throws(KernelError) {
        guard items.count <= PaymentHistory.maximumItems else {
            throw KernelError(.outOfRange, field: field, "\(items.count) items; at most \(PaymentHistory.maximumItems)")
        }
        for (n, item) in items.enumerated() {
            guard item.amount.units.signum > 0 else {
                throw KernelError(field: field, "item \(n + 1): \"\(item)\": the amount must be more than 0")
            }
            if n > 0 && item.date < items[n - 1].date {
                throw KernelError(field: field, "item \(n + 1): \"\(item)\": dated before item \(n) (\(items[n - 1].date)); dates must not go backwards")
            }
        }
        self.items = items
    }

    /// Parses `DATE AMOUNT[ prepay]` items separated by `;` (spaces around
    /// items and between their parts are ignored; a trailing `;` is allowed),
    /// amounts at `scale`.
    public init(parsing text: some StringProtocol, scale: Int = 2, field: String = "payments") throws(KernelError) {
        var s = String(text)
        let parsed = s.withUTF8 { b -> Result<PaymentHistory, KernelError> in
            do throws(KernelError) { return .success(try PaymentHistory(bytes: b, scale: scale, field: field)) } catch { return .failure(error) }
        }
        self = try parsed.get()
    }

    /// `init(parsing:scale:field:)` on the cell's UTF-8 bytes (the batch reads cells as bytes):
    /// no string is made per item, only for an error message.
    public init(bytes u: UnsafeBufferPointer<UInt8>, scale: Int = 2, field: String = "payments") throws(KernelError) {
        let space = UInt8(ascii: " "), semicolon = UInt8(ascii: ";")
        func text(_ from: Int, _ to: Int) -> String { String(decoding: UnsafeBufferPointer(rebasing: u[from..<to]), as: UTF8.self) }
        var items: [Payment] = []
        var separators = 0
        for c in u where c == semicolon { separators += 1 }
        items.reserveCapacity(min(separators + 1, PaymentHistory.maximumItems))
        var n = 0
        var i = 0
        while true {
            var end = i
            while end != u.count && u[end] != semicolon { end += 1 }
            n += 1
            func bad(_ problem: String) -> KernelError {
                KernelError(field: field, "item \(n): \(KernelError.quoted(text(i, end).split(separator: " ").joined(separator: " "), quote: "\"")): \(problem)")
            }
            // Up to three space-separated words: DATE AMOUNT [prepay].
            var words: ((Int, Int), (Int, Int), (Int, Int)) = ((0, 0), (0, 0), (0, 0))
            var count = 0
            var w = i
            while w != end {
                if u[w] == space { w += 1; continue }
                var e = w
                while e != end && u[e] != space { e += 1 }
                switch count {
                case 0: words.0 = (w, e)
                case 1: words.1 = (w, e)
                case 2: words.2 = (w, e)
                default: break
                }
                count += 1
                w = e
            }
            if count == 0 {
                // A trailing ';' is harmless; an empty item elsewhere is a typo.
                if end == u.count && n > 1 { break }
                throw bad("empty (expected DATE AMOUNT or DATE AMOUNT prepay)")
            }
            // Counted once the item is known not to be the harmless trailing ';'.
            guard n <= PaymentHistory.maximumItems else {
                throw KernelError(.outOfRange, field: field, "more than \(PaymentHistory.maximumItems) items")
            }
            guard count == 2 || count == 3 else { throw bad("expected DATE AMOUNT or DATE AMOUNT prepay") }
            let date: CivilDate
            do { date = try CivilDate(bytes: UnsafeBufferPointer(rebasing: u[words.0.0..<words.0.1])) } catch { throw bad(error.problem) }
            let amount: Money
            do {
                amount = try Money(bytes: UnsafeBufferPointer(rebasing: u[words.1.0..<words.1.1]), scale: scale)
            } catch {
                throw bad(error.problem)
            }
            guard amount.units.signum > 0 else { throw bad("the amount must be more than 0") }
            if count == 3 && !u[words.2.0..<words.2.1].elementsEqual("prepay".utf8) {
                throw bad("unknown word \(KernelError.quoted(text(words.2.0, words.2.1))) (expected prepay)")
            }
            if let last = items.last, date < last.date {
                throw bad("dated before item \(n - 1) (\(last.date)); dates must not go backwards")
            }
            items.append(Payment(date: date, amount: amount, isPrepayment: count == 3))
            if end == u.count { break }
            i = end + 1
        }
        self.items = items
    }

    /// Whether the history has no items.
    public var isEmpty: Bool { items.isEmpty }
}
