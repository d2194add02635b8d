/// One row of the batch CSV contract (SPEC §7), parsed and validated: a loan,
/// or a negotiated plan (a row with `as_of`).
public enum BatchRequest: Sendable, Hashable {
    /// A loan as contracted.
    case loan(LoanTerms)
    /// A negotiated plan.
    case plan(PlanTerms)
}

/// A column of the batch CSV contract; the raw value indexes `BatchColumns.all`.
enum Column: Int, CaseIterable {
    case id, principal, rate, daily_rate, fee_rate, term, method, start, first_due, basis, rounding, scale, as_of, paid_through, overdue_principal, overdue_interest, accrued_interest, penalty, fees, markup, compound, waive_penalty, waive_interest, waive_fees, capitalize, down_payment, defer_months, deferral_interest, then, installments, plan_method, plan_rate, max_term

    /// The header name.
    var name: String { BatchColumns.all[rawValue] }
}

/// The columns of the batch CSV contract and the rules for their cells.
///
/// Columns come in any order; an unknown, duplicate or empty header name
/// makes the whole file unusable (typo protection). An empty cell means the
/// default.
public struct BatchColumns: Sendable {
    /// Columns of a loan.
    public static let loanColumns = ["id", "principal", "rate", "daily_rate", "fee_rate", "term", "method", "start",
                                     "first_due", "basis", "rounding", "scale"]
    /// Columns that only a plan row (one with `as_of`) may fill.
    public static let planColumns = ["paid_through", "overdue_principal", "overdue_interest", "accrued_interest",
                                     "penalty", "fees", "markup", "compound", "waive_penalty", "waive_interest",
                                     "waive_fees", "capitalize", "down_payment", "defer_months", "deferral_interest",
                                     "then", "installments", "plan_method", "plan_rate", "max_term"]
    /// Every known column.
    public static let all = loanColumns + ["as_of"] + planColumns

    /// The header as given.
    public let names: [String]
    /// Column index of each known name, or -1.
    let index: [Int]
    let idColumn: Int

    /// Validates a header row.
    ///
    /// - Throws: `KernelError` with code `.unusableFile` for a missing `id`
    ///   column or an unknown, duplicate or empty name.
    public init(header: [String]) throws(KernelError) {
        var index = [Int](repeating: -1, count: BatchColumns.all.count)
        for (i, raw) in header.enumerated() {
            let name = raw
            guard !name.isEmpty else { throw KernelError(.unusableFile, field: "header", "column \(i + 1) has an empty name") }
            guard let k = BatchColumns.all.firstIndex(of: name) else {
                let hint = BatchColumns.suggestion(for: name).map { " (did you mean '\($0)'?)" } ?? ""
                throw KernelError(.unusableFile, field: "header", "unknown column \(KernelError.quoted(name))\(hint); known columns: \(BatchColumns.all.joined(separator: ", "))")
            }
            guard index[k] < 0 else { throw KernelError(.unusableFile, field: "header", "duplicate column \(KernelError.quoted(name))") }
            index[k] = i
        }
        guard index[0] >= 0 else { throw KernelError(.unusableFile, field: "header", "no 'id' column") }
        self.names = header
        self.index = index
        self.idColumn = index[0]
    }

    static func suggestion(for name: String) -> String? {
        // No column name is longer than 17 bytes; a long name is no near miss.
        guard name.utf8.count <= 40 else { return nil }
        func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
            var prev = Array(0...b.count)
            for (i, x) in a.enumerated() {
                var cur = [i + 1]
                for (j, y) in b.enumerated() { cur.append(min(prev[j + 1] + 1, cur[j] + 1, prev[j] + (x == y ? 0 : 1))) }
                prev = cur
            }
            return prev[b.count]
        }
        let best = all.map { ($0, distance(Array(name.utf8), Array($0.utf8))) }.min { $0.1 < $1.1 }
        return best.flatMap { $0.1 <= 2 ? $0.0 : nil }
    }

    /// The cell of `column` in `fields`, nil when the column is absent or the cell empty.
    func cell(_ fields: [String], _ column: Int) -> String? {
        let i = index[column]
        guard i >= 0 else { return nil }
        let v = fields[i]
        return v.isEmpty ? nil : v
    }

    /// The row's id (empty when missing).
    public func id(of fields: [String]) -> String { idColumn < fields.count ? fields[idColumn] : "" }

    /// Parses one data row into a request; errors name the column.
    public func request(from fields: [String]) throws(KernelError) -> BatchRequest {
        guard fields.count == names.count else {
            throw KernelError(field: "row", "has \(fields.count) cells but the header has \(names.count)")
        }
        guard !fields[idColumn].isEmpty else { throw KernelError.required("id") }
        return try RowReader(columns: self, fields: fields).request()
    }
}

/// Cell-level parsing of one row.
private struct RowReader {
    let columns: BatchColumns
    let fields: [String]

    func cell(_ column: Column) -> String? {
        columns.cell(fields, column.rawValue)
    }

    func whole(_ column: Column, min: Int) throws(KernelError) -> Int? {
        let name = column.name
        guard let s = cell(column) else { return nil }
        guard let v = CellParser.wholeNumber(s) else {
            if s.hasPrefix("-"), CellParser.wholeNumber(String(s.dropFirst())) != nil {
                throw KernelError(field: name, "must be at least \(min): \(KernelError.quoted(s))")
            }
            throw KernelError(field: name, "not a whole number: \(KernelError.quoted(s))")
        }
        guard v >= min else { throw KernelError(field: name, "must be at least \(min): \(KernelError.quoted(s))") }
        return v
    }

    func rate(_ column: Column) throws(KernelError) -> Rate? {
        let name = column.name
        guard let s = cell(column) else { return nil }
        return try Rate(parsing: s, field: name)
    }

    func money(_ column: Column, scale: Int) throws(KernelError) -> Money? {
        let name = column.name
        guard let s = cell(column) else { return nil }
        return try Money(parsing: s, scale: scale, field: name)
    }

    func date(_ column: Column) throws(KernelError) -> CivilDate? {
        let name = column.name
        guard let s = cell(column) else { return nil }
        return try CivilDate(parsing: s, field: name)
    }

    func waiver(_ column: Column, scale: Int) throws(KernelError) -> Waiver {
        let name = column.name
        guard let s = cell(column) else { return .none }
        if s.hasSuffix("%") {
            let r = try Rate(parsing: s, field: name)
            guard !r.exceedsOne else { throw KernelError(field: name, "more than 100%: \(KernelError.quoted(s))") }
            return .percent(r)
        }
        return .amount(try Money(parsing: s, scale: scale, field: name))
    }

    func choice<T>(_ column: Column, _ parse: (String, String) throws(KernelError) -> T) throws(KernelError) -> T? {
        let name = column.name
        guard let s = cell(column) else { return nil }
        return try parse(s, name)
    }

    func request() throws(KernelError) -> BatchRequest {
        // Settings shared by loans and plans.
        let scale = try whole(.scale, min: 0) ?? 2
        guard scale <= 6 else { throw KernelError(field: "scale", "must be at most 6: \(KernelError.quoted(cell(.scale)!))") }
        let rounding = try choice(.rounding) { (s, f) throws(KernelError) in try RoundingMode(parsing: s, field: f) } ?? .halfUp
        let basis = try choice(.basis) { (s, f) throws(KernelError) in try DayCountBasis(parsing: s, field: f) } ?? .monthly
        let asOf = try date(.as_of)
        guard let asOf else {
            for column in Column.allCases[Column.paid_through.rawValue...] where cell(column) != nil {
                throw KernelError(field: column.name, "only for plans (the row has no as_of)")
            }
            return .loan(try loan(scale: scale, rounding: rounding, basis: basis))
        }
        var arrears: ArrearsSnapshot
        let fees = try money(.fees, scale: scale)
        if let paidThrough = try whole(.paid_through, min: 0) {
            for column in [Column.overdue_principal, .overdue_interest, .accrued_interest, .penalty] where cell(column) != nil {
                throw KernelError(field: column.name, "not allowed with paid_through (the arrears are derived from the loan)")
            }
            let loan = try loan(scale: scale, rounding: rounding, basis: basis)
            let markup = try rate(.markup) ?? .defaultPenaltyMarkup
            let compound = try choice(.compound) { (s, f) throws(KernelError) in try CellParser.boolean(s, field: f) } ?? false
            arrears = try ArrearsSnapshot(loan: loan, paidThrough: paidThrough, asOf: asOf, markup: markup,
                                          compound: compound, fees: fees)
        } else {
            // Direct arrears: the loan columns are validated when given, otherwise unused.
            _ = try loanValidatingOnly(scale: scale, rounding: rounding, basis: basis)
            _ = try rate(.markup)
            _ = try choice(.compound) { (s, f) throws(KernelError) in try CellParser.boolean(s, field: f) }
            let zero = Money.zero(scale: scale)
            arrears = try ArrearsSnapshot(
                principal: try money(.principal, scale: scale) ?? zero,
                overduePrincipal: try money(.overdue_principal, scale: scale) ?? zero,
                overdueInterest: try money(.overdue_interest, scale: scale) ?? zero,
                accruedInterest: try money(.accrued_interest, scale: scale) ?? zero,
                penalty: try money(.penalty, scale: scale) ?? zero,
                fees: fees ?? zero)
        }
        var plan = PlanTerms(asOf: asOf, arrears: arrears)
        plan.basis = basis
        plan.rounding = rounding
        plan.waivePenalty = try waiver(.waive_penalty, scale: scale)
        plan.waiveInterest = try waiver(.waive_interest, scale: scale)
        plan.waiveFees = try waiver(.waive_fees, scale: scale)
        plan.capitalize = try choice(.capitalize) { (s, f) throws(KernelError) in
            guard let c = Capitalization(rawValue: s) else {
                throw KernelError.unknownValue(field: f, value: s, expected: Capitalization.allCases.map(\.rawValue))
            }
            return c
        } ?? .none
        plan.downPayment = try money(.down_payment, scale: scale)
        plan.deferMonths = try whole(.defer_months, min: 0) ?? 0
        plan.deferralInterest = try choice(.deferral_interest) { (s, f) throws(KernelError) in
            guard let d = DeferralInterest(rawValue: s) else {
                throw KernelError.unknownValue(field: f, value: s, expected: DeferralInterest.allCases.map(\.rawValue))
            }
            return d
        } ?? .waived
        plan.ending = try choice(.then) { (s, f) throws(KernelError) in
            guard let e = PlanEnding(rawValue: s) else {
                throw KernelError.unknownValue(field: f, value: s, expected: PlanEnding.allCases.map(\.rawValue))
            }
            return e
        }
        plan.installments = try whole(.installments, min: 1)
        plan.planMethod = try choice(.plan_method) { (s, f) throws(KernelError) in try RepaymentMethod(parsing: s, field: f) } ?? .annuity
        plan.planRate = try rate(.plan_rate) ?? .zero
        plan.maxTerm = try whole(.max_term, min: 1) ?? 60
        return .plan(plan)
    }

    /// Validates whatever loan columns are present (direct-arrears rows).
    func loanValidatingOnly(scale: Int, rounding: RoundingMode, basis: DayCountBasis) throws(KernelError) {
        _ = try money(.principal, scale: scale)
        _ = try whole(.term, min: 1)
        let method = try choice(.method) { (s, f) throws(KernelError) in try RepaymentMethod(parsing: s, field: f) }
        _ = try date(.start)
        _ = try date(.first_due)
        _ = try interestRate(method: method ?? .annuity, basis: basis, required: false)
    }

    /// The loan's rate from exactly one of `rate`, `daily_rate`, `fee_rate`.
    func interestRate(method: RepaymentMethod, basis: DayCountBasis, required: Bool) throws(KernelError) -> Rate? {
        let hasRate = cell(.rate) != nil, hasDaily = cell(.daily_rate) != nil, hasFee = cell(.fee_rate) != nil
        if (hasRate ? 1 : 0) + (hasDaily ? 1 : 0) + (hasFee ? 1 : 0) > 1 {
            let given = [Column.rate, .daily_rate, .fee_rate].filter { cell($0) != nil }.map(\.name)
            throw KernelError(field: given[1], "give only one of rate, daily_rate, fee_rate (also \(given[0]))")
        }
        let r = try rate(.rate), d = try rate(.daily_rate), f = try rate(.fee_rate)
        if method == .flat {
            guard let f else {
                if required || r != nil || d != nil { throw KernelError(field: "fee_rate", "required for method flat (instead of rate)") }
                return nil
            }
            return f
        }
        if f != nil { throw KernelError(field: "fee_rate", "only for method flat, not \(method.rawValue)") }
        if let r { return r }
        if let d { return d.scaled(by: basis.yearDays) }
        if required { throw KernelError.required("rate") }
        return nil
    }

    func loan(scale: Int, rounding: RoundingMode, basis: DayCountBasis) throws(KernelError) -> LoanTerms {
        guard let principal = try money(.principal, scale: scale) else { throw KernelError.required("principal") }
        guard let term = try whole(.term, min: 1) else { throw KernelError.required("term") }
        let method = try choice(.method) { (s, f) throws(KernelError) in try RepaymentMethod(parsing: s, field: f) } ?? .annuity
        guard let start = try date(.start) else { throw KernelError.required("start") }
        let firstDue = try date(.first_due)
        guard let rate = try interestRate(method: method, basis: basis, required: true) else { throw KernelError.required("rate") }
        return try LoanTerms(principal: principal, rate: rate, term: term, method: method, start: start,
                             firstDue: firstDue, basis: basis, rounding: rounding)
    }
}

/// Parsing of the plain cell syntaxes of SPEC §7.
public enum CellParser {
    /// Plain digits as an `Int`; nil for anything else or a value above 10^15.
    public static func wholeNumber(_ s: String) -> Int? {
        let u = s.utf8
        guard !u.isEmpty, u.count <= 15, u.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return u.reduce(0) { $0 * 10 + Int($1 - 48) }
    }

    /// `true/false`, `yes/no`, `on/off`, `1/0`.
    public static func boolean(_ s: String, field: String) throws(KernelError) -> Bool {
        switch s {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw KernelError(field: field, "not a boolean: \(KernelError.quoted(s)) (expected true/false, yes/no, on/off or 1/0)")
        }
    }
}
