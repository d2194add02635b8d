/// A column of the batch CSV contract (SPEC §7): the one list of every known
/// column, in contract order, with the rows it belongs to.
///
/// ```swift
/// Column.dailyRate.name                 // "daily_rate"
/// Column(name: "as_of")                 // .asOf
/// Column.allCases.filter { $0.group == .plan }.map(\.name)   // paid_through ... max_term
/// ```
public enum Column: Int, CaseIterable, Sendable, Hashable {
    case id, principal, rate, dailyRate, feeRate, term, method, start, firstDue, basis, rounding, scale
    case asOf
    case paidThrough, overduePrincipal, overdueInterest, accruedInterest, penalty, fees, markup, compound
    case waivePenalty, waiveInterest, waiveFees, capitalize, downPayment, deferMonths, deferralInterest
    case then, installments, planMethod, planRate, maxTerm
    case payments, prepayment, allocation, graceDays

    /// Which rows a column belongs to.
    public enum Group: Sendable, Hashable {
        /// The loan's columns (every row may give them).
        case loan
        /// `as_of`: the column that makes a row a negotiated plan.
        case asOf
        /// Columns only a plan row may fill.
        case plan
        /// A payment history (SPEC §9), on a loan or a plan row.
        case payments
    }

    /// The header name.
    public var name: String { Column.names[rawValue] }

    /// The column named `name` exactly (case included), nil for an unknown name.
    public init?(name: String) {
        guard let k = Column.names.firstIndex(of: name) else { return nil }
        self.init(rawValue: k)
    }

    /// The rows the column belongs to.
    public var group: Group {
        switch self {
        case .id, .principal, .rate, .dailyRate, .feeRate, .term, .method, .start, .firstDue, .basis, .rounding, .scale:
            return .loan
        case .asOf:
            return .asOf
        case .payments, .prepayment, .allocation, .graceDays:
            return .payments
        default:
            return .plan
        }
    }

    /// The header names, in contract order (the raw values index it).
    static let names = ["id", "principal", "rate", "daily_rate", "fee_rate", "term", "method", "start", "first_due",
                        "basis", "rounding", "scale", "as_of", "paid_through", "overdue_principal", "overdue_interest",
                        "accrued_interest", "penalty", "fees", "markup", "compound", "waive_penalty", "waive_interest",
                        "waive_fees", "capitalize", "down_payment", "defer_months", "deferral_interest", "then",
                        "installments", "plan_method", "plan_rate", "max_term", "payments", "prepayment", "allocation",
                        "grace_days"]

    /// The length of the longest header name.
    public static let longestName = names.map(\.utf8.count).max() ?? 0
}
