/// Cell-level parsing of one row into a `BatchRequest`: every cell is checked,
/// nothing is computed (a plan's derived arrears are computed by
/// `BatchResult.compute`). Errors name the column; a valid cell costs no `String`.
struct RequestParser {
    let columns: BatchColumns
    let row: RowCells

    /// The bytes of `column`, nil when the column is absent or the cell empty.
    @inline(__always)
    func cell(_ column: Column) -> UnsafeBufferPointer<UInt8>? {
        let i = columns.field(column)
        guard i >= 0 else { return nil }
        let b = row[i]
        return b.isEmpty ? nil : b
    }

    func has(_ column: Column) -> Bool { cell(column) != nil }

    /// The cell as text (for error messages and the rarely used columns).
    func text(_ column: Column) -> String? { cell(column).map { String(decoding: $0, as: UTF8.self) } }

    func whole(_ column: Column, min: Int) throws(KernelError) -> Int? {
        guard let b = cell(column) else { return nil }
        if let v = CellParser.wholeNumber(bytes: b), v >= min { return v }
        let s = String(decoding: b, as: UTF8.self), name = column.name
        if CellParser.wholeNumber(s) == nil, !(s.hasPrefix("-") && CellParser.wholeNumber(String(s.dropFirst())) != nil) {
            if !s.isEmpty, s.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
                throw KernelError(.outOfRange, field: name, "too large (at most 15 digits): \(KernelError.quoted(s))")
            }
            throw KernelError(field: name, "not a whole number: \(KernelError.quoted(s))")
        }
        throw KernelError(field: name, "must be at least \(min): \(KernelError.quoted(s))")
    }

    func rate(_ column: Column) throws(KernelError) -> Rate? {
        guard let b = cell(column) else { return nil }
        return try Rate(bytes: b, field: column.name)
    }

    func money(_ column: Column, scale: Int) throws(KernelError) -> Money? {
        guard let b = cell(column) else { return nil }
        return try Money(bytes: b, scale: scale, field: column.name)
    }

    func date(_ column: Column) throws(KernelError) -> CivilDate? {
        guard let b = cell(column) else { return nil }
        return try CivilDate(bytes: b, field: column.name)
    }

    func keyword<K: KeywordSetting>(_ column: Column, _: K.Type) throws(KernelError) -> K? {
        guard let b = cell(column) else { return nil }
        return try K(bytes: b, field: column.name)
    }

    func boolean(_ column: Column) throws(KernelError) -> Bool? {
        guard let s = text(column) else { return nil }
        return try CellParser.boolean(s, field: column.name)
    }

    func waiver(_ column: Column, scale: Int) throws(KernelError) -> Waiver {
        guard let s = text(column) else { return .none }
        let name = column.name
        if s.hasSuffix("%") {
            let r = try Rate(parsing: s, field: name)
            guard !r.exceedsOne else { throw KernelError(field: name, "more than 100%: \(KernelError.quoted(s))") }
            return .percent(r)
        }
        return .amount(try Money(parsing: s, scale: scale, field: name))
    }

    /// Fills `request` with the row (every part of it set).
    func read(into request: inout BatchRequest) throws(KernelError) {
        // Settings shared by loans and plans.
        let scale = try whole(.scale, min: 0) ?? 2
        guard scale <= 6 else { throw KernelError(field: "scale", "must be at most 6: \(KernelError.quoted(text(.scale)!))") }
        let rounding = try keyword(.rounding, RoundingMode.self) ?? .halfUp
        let basis = try keyword(.basis, DayCountBasis.self) ?? .monthly
        guard let asOf = try date(.asOf) else {
            if columns.hasPlanColumns {
                for column in Column.allCases where column.group == .plan && has(column) {
                    throw KernelError(field: column.name, "only for plans (the row has no as_of)")
                }
            }
            request.loan = try loan(scale: scale, rounding: rounding, basis: basis)
            request.paymentSettings = try paymentSettings()
            request.payments = try payments(scale: scale)
            if request.isPlan { request.plan = nil }
            return
        }
        let fees = try money(.fees, scale: scale)
        request.paymentSettings = try paymentSettings()
        let source: ArrearsSource
        var arrears = ArrearsSnapshot.zero(scale: scale)
        if let history = try payments(scale: scale) {
            for column in [Column.paidThrough, .overduePrincipal, .overdueInterest, .accruedInterest, .penalty] where has(column) {
                throw KernelError(field: "payments", "not allowed with \(column.name) (the arrears come from the payments)")
            }
            request.loan = try loan(scale: scale, rounding: rounding, basis: basis)
            request.payments = history
            source = .payments(markup: try rate(.markup) ?? .defaultPenaltyMarkup, compound: try boolean(.compound) ?? false, fees: fees)
        } else if let paidThrough = try whole(.paidThrough, min: 0) {
            for column in [Column.overduePrincipal, .overdueInterest, .accruedInterest, .penalty] where has(column) {
                throw KernelError(field: column.name, "not allowed with paid_through (the arrears are derived from the loan)")
            }
            request.loan = try loan(scale: scale, rounding: rounding, basis: basis)
            request.payments = nil
            source = .paidThrough(paidThrough, markup: try rate(.markup) ?? .defaultPenaltyMarkup,
                                  compound: try boolean(.compound) ?? false, fees: fees)
        } else {
            // Direct arrears: the loan columns are validated when given, otherwise unused.
            try loanValidatingOnly(scale: scale, basis: basis)
            _ = try rate(.markup)
            _ = try boolean(.compound)
            let zero = Money.zero(scale: scale)
            arrears = try ArrearsSnapshot(
                principal: try money(.principal, scale: scale) ?? zero,
                overduePrincipal: try money(.overduePrincipal, scale: scale) ?? zero,
                overdueInterest: try money(.overdueInterest, scale: scale) ?? zero,
                accruedInterest: try money(.accruedInterest, scale: scale) ?? zero,
                penalty: try money(.penalty, scale: scale) ?? zero,
                fees: fees ?? zero)
            request.loan = nil
            request.payments = nil
            source = .direct
        }
        var plan = PlanTerms(asOf: asOf, arrears: arrears)
        plan.basis = basis
        plan.rounding = rounding
        plan.waivePenalty = try waiver(.waivePenalty, scale: scale)
        plan.waiveInterest = try waiver(.waiveInterest, scale: scale)
        plan.waiveFees = try waiver(.waiveFees, scale: scale)
        plan.capitalize = try keyword(.capitalize, Capitalization.self) ?? .none
        plan.downPayment = try money(.downPayment, scale: scale)
        plan.deferMonths = try whole(.deferMonths, min: 0) ?? 0
        plan.deferralInterest = try keyword(.deferralInterest, DeferralInterest.self) ?? .waived
        plan.ending = try keyword(.then, PlanEnding.self)
        plan.installments = try whole(.installments, min: 1)
        plan.planMethod = try keyword(.planMethod, RepaymentMethod.self) ?? .annuity
        plan.planRate = try rate(.planRate) ?? .zero
        plan.maxTerm = try whole(.maxTerm, min: 1) ?? 60
        request.plan = PlanRequest(source: source, terms: plan)
    }

    /// The `payments` cell as a history at the row's scale, nil when empty.
    func payments(scale: Int) throws(KernelError) -> PaymentHistory? {
        guard let b = cell(.payments) else { return nil }
        return try PaymentHistory(bytes: b, scale: scale, field: Column.payments.name)
    }

    /// `prepayment`, `allocation`, `grace_days`: always format-checked, used only with `payments`.
    func paymentSettings() throws(KernelError) -> PaymentSettings {
        guard columns.hasPaymentColumns else { return PaymentSettings() }
        let mode = try keyword(.prepayment, PrepaymentMode.self) ?? .reducePayment
        let allocation = try keyword(.allocation, AllocationOrder.self) ?? .installment
        let grace = try whole(.graceDays, min: 0) ?? 0
        guard grace <= 36_500 else { throw KernelError(.outOfRange, field: "grace_days", "must be at most 36500: '\(grace)'") }
        return PaymentSettings(prepayment: mode, allocation: allocation, graceDays: grace)
    }

    /// Validates whatever loan columns are present (direct-arrears rows).
    func loanValidatingOnly(scale: Int, basis: DayCountBasis) throws(KernelError) {
        _ = try money(.principal, scale: scale)
        _ = try whole(.term, min: 1)
        let method = try keyword(.method, RepaymentMethod.self)
        _ = try date(.start)
        _ = try date(.firstDue)
        _ = try interestRate(method: method ?? .annuity, basis: basis, required: false)
    }

    /// The loan's rate from exactly one of `rate`, `daily_rate`, `fee_rate`.
    func interestRate(method: RepaymentMethod, basis: DayCountBasis, required: Bool) throws(KernelError) -> Rate? {
        let hasRate = has(.rate), hasDaily = has(.dailyRate), hasFee = has(.feeRate)
        if (hasRate ? 1 : 0) + (hasDaily ? 1 : 0) + (hasFee ? 1 : 0) > 1 {
            let given = [Column.rate, .dailyRate, .feeRate].filter { has($0) }.map(\.name)
            throw KernelError(field: given[1], "give only one of rate, daily_rate, fee_rate (also \(given[0]))")
        }
        let r = try rate(.rate), d = try rate(.dailyRate), f = try rate(.feeRate)
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
        let method = try keyword(.method, RepaymentMethod.self) ?? .annuity
        guard let start = try date(.start) else { throw KernelError.required("start") }
        let firstDue = try date(.firstDue)
        guard let rate = try interestRate(method: method, basis: basis, required: true) else { throw KernelError.required("rate") }
        return try LoanTerms(principal: principal, rate: rate, term: term, method: method, start: start,
                             firstDue: firstDue, basis: basis, rounding: rounding)
    }
}

/// Parsing of the plain cell syntaxes of SPEC §7.
public enum CellParser {
    /// Plain digits as an `Int`; nil for anything else or a value of 10^15 or more.
    /// Leading zeros are not counted: `012` and `0000000000000000000012` are both 12.
    public static func wholeNumber(_ s: String) -> Int? {
        let u = s.utf8
        guard !u.isEmpty, u.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        let significant = u.drop { $0 == 48 }
        guard significant.count <= 15 else { return nil }
        return significant.reduce(0) { $0 * 10 + Int($1 - 48) }
    }

    /// `wholeNumber(_:)` on UTF-8 bytes.
    @inline(__always)
    public static func wholeNumber(bytes all: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !all.isEmpty else { return nil }
        var start = 0
        while start < all.count - 1 && all[start] == 48 { start += 1 }
        let b = UnsafeBufferPointer(rebasing: all[start...])
        guard b.count <= 15 else { return nil }
        var v = 0
        for c in b {
            let d = c &- 48
            if d > 9 { return nil }
            v = v &* 10 &+ Int(d)
        }
        return v
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
