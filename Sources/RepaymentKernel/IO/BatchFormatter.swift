/// The computed answer to one batch row: a schedule and its summary figures.
public struct BatchResult: Sendable, Hashable {
    /// The payments.
    public var schedule: Schedule
    /// Sum of all payments.
    public var totalPayable: Money
    /// `total_payable - amount_financed`.
    public var totalInterest: Money
    /// Waived penalty, interest, fees (zero for a loan).
    public var waivedPenalty: Money, waivedInterest: Money, waivedFees: Money
    /// The APR.
    public var apr: AnnualPercentageRate

    /// The APR of a loan's schedule: amount financed `P`, times from `start`.
    public static func apr(of schedule: Schedule, terms: LoanTerms) -> AnnualPercentageRate {
        AnnualPercentageRate.of(schedule, financed: terms.principal.units, from: terms.start, accrual: terms.accrual)
    }

    /// Computes a request.
    public init(_ request: BatchRequest) throws(KernelError) {
        switch request {
        case .loan(let terms):
            let s = try terms.schedule()
            let zero = Money.zero(scale: terms.scale)
            self.schedule = s
            self.totalPayable = s.totalPayable
            self.totalInterest = s.totalPayable - terms.principal
            self.waivedPenalty = zero; self.waivedInterest = zero; self.waivedFees = zero
            self.apr = BatchResult.apr(of: s, terms: terms)
        case .plan(let terms):
            let p = try NegotiatedPlan(terms)
            self.schedule = p.schedule
            self.totalPayable = p.totalPayable
            self.totalInterest = p.totalNewInterest
            self.waivedPenalty = p.waivedPenalty; self.waivedInterest = p.waivedInterest; self.waivedFees = p.waivedFees
            self.apr = p.apr
        }
    }
}

/// Writes the CSV outputs of SPEC §7 as bytes: LF line ends, RFC 4180
/// quoting only where needed, amounts with exactly `scale` decimals.
public enum BatchFormatter {
    /// `id,period,due_date,kind,payment,principal,interest,carried,balance`
    public static let scheduleHeader = "id,period,due_date,kind,payment,principal,interest,carried,balance\n"
    /// `id,status,payments,total_payable,total_interest,waived_penalty,waived_interest,waived_fees,last_due,apr,effective_apr,error`
    public static let summaryHeader = "id,status,payments,total_payable,total_interest,waived_penalty,waived_interest,waived_fees,last_due,apr,effective_apr,error\n"

    /// Appends one schedule line per row.
    public static func appendSchedule(id: String, _ schedule: Schedule, to out: inout [UInt8]) {
        var quotedID: [UInt8] = []
        CSVWriter.appendField(id, to: &quotedID)
        let scale = schedule.scale
        switch schedule.storage {
        case .compact(let rows):
            // All lines of the schedule into one scratch buffer, appended once.
            let room = quotedID.count + 5 * ByteWriter.maxAmountBytes + 48
            quotedID.withUnsafeBufferPointer { id in
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: room * max(1, rows.count)) { buffer in
                    var w = ByteWriter(p: buffer.baseAddress!)
                    for r in rows {
                        w.bytes(id)
                        w.byte(44)
                        w.unsigned(UInt64(r.period))
                        w.byte(44)
                        w.date(r.dueDate)
                        w.byte(44)
                        w.kind(r.kind)
                        w.byte(44)
                        let (pi, o1) = r.principal.addingReportingOverflow(r.interest)
                        let (payment, o2) = pi.addingReportingOverflow(r.carried)
                        if o1 || o2 {
                            var tmp: [UInt8] = []
                            MoneyFormat.append(WideInteger.small(r.principal) + .small(r.interest) + .small(r.carried), scale: scale, to: &tmp)
                            tmp.withUnsafeBufferPointer { w.bytes($0) }
                        } else {
                            w.amount(payment, scale: scale)
                        }
                        w.byte(44)
                        w.amount(r.principal, scale: scale)
                        w.byte(44)
                        w.amount(r.interest, scale: scale)
                        w.byte(44)
                        w.amount(r.carried, scale: scale)
                        w.byte(44)
                        w.amount(r.balance, scale: scale)
                        w.byte(10)
                    }
                    out.append(contentsOf: UnsafeBufferPointer(start: buffer.baseAddress!, count: w.count))
                }
            }
        case .wide(let rows):
            for r in rows {
                out.append(contentsOf: quotedID)
                out.append(44)
                appendInt(r.period, to: &out)
                out.append(44)
                r.dueDate.append(to: &out)
                out.append(44)
                appendKind(r.kind, to: &out)
                out.append(44)
                MoneyFormat.append(r.principal.units + r.interest.units + r.carried.units, scale: scale, to: &out)
                out.append(44)
                MoneyFormat.append(r.principal.units, scale: scale, to: &out)
                out.append(44)
                MoneyFormat.append(r.interest.units, scale: scale, to: &out)
                out.append(44)
                MoneyFormat.append(r.carried.units, scale: scale, to: &out)
                out.append(44)
                MoneyFormat.append(r.balance.units, scale: scale, to: &out)
                out.append(10)
            }
        }
    }

    static func appendKind(_ kind: RowKind, to out: inout [UInt8]) {
        out.append(contentsOf: kindBytes(kind))
    }

    private static let kindInstallment = Array("installment".utf8), kindDown = Array("down".utf8),
                       kindDeferral = Array("deferral".utf8), kindLump = Array("lump".utf8)

    static func kindBytes(_ kind: RowKind) -> [UInt8] {
        switch kind {
        case .installment: return kindInstallment
        case .down: return kindDown
        case .deferral: return kindDeferral
        case .lump: return kindLump
        }
    }

    /// Appends the summary line of a computed row.
    public static func appendSummary(id: String, _ result: BatchResult, to out: inout [UInt8]) {
        CSVWriter.appendField(id, to: &out)
        if case .small(let nominal) = result.apr.nominalMillionths, case .small(let effective) = result.apr.effectiveMillionths,
           case .small(let payable) = result.totalPayable.units, case .small(let interest) = result.totalInterest.units,
           case .small(let wp) = result.waivedPenalty.units, case .small(let wi) = result.waivedInterest.units,
           case .small(let wf) = result.waivedFees.units {
            let scale = result.totalPayable.scale
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 8 * ByteWriter.maxAmountBytes + 40) { buffer in
                var w = ByteWriter(p: buffer.baseAddress!)
                for b in ",ok,".utf8 { w.byte(b) }
                w.unsigned(UInt64(result.schedule.count))
                w.byte(44); w.amount(payable, scale: scale)
                w.byte(44); w.amount(interest, scale: scale)
                w.byte(44); w.amount(wp, scale: scale)
                w.byte(44); w.amount(wi, scale: scale)
                w.byte(44); w.amount(wf, scale: scale)
                w.byte(44)
                if let last = result.schedule.lastDue { w.date(last) }
                w.byte(44)
                w.amount(nominal, scale: 6)
                w.byte(44)
                w.amount(effective, scale: 6)
                w.byte(44)
                w.byte(10)
                out.append(contentsOf: UnsafeBufferPointer(start: buffer.baseAddress!, count: w.count))
            }
            return
        }
        out.append(contentsOf: ",ok,".utf8)
        appendInt(result.schedule.count, to: &out)
        for m in [result.totalPayable, result.totalInterest, result.waivedPenalty, result.waivedInterest, result.waivedFees] {
            out.append(44)
            MoneyFormat.append(m.units, scale: m.scale, to: &out)
        }
        out.append(44)
        result.schedule.lastDue?.append(to: &out)
        out.append(44)
        out.append(contentsOf: result.apr.nominal.utf8)
        out.append(44)
        out.append(contentsOf: result.apr.effective.utf8)
        out.append(contentsOf: ",\n".utf8)
    }

    /// Appends the summary line of a failed row: `id,error,` then empty cells, the message last
    /// (through `CSVWriter.formulaSafe` with `excelSafe`; the id is written as given).
    public static func appendError(id: String, _ error: KernelError, excelSafe: Bool = false, to out: inout [UInt8]) {
        CSVWriter.appendField(id, to: &out)
        out.append(contentsOf: ",error,,,,,,,,,,".utf8)
        CSVWriter.appendField(excelSafe ? CSVWriter.formulaSafe(error.description) : error.description, to: &out)
        out.append(10)
    }

    /// Computes one data row and appends its outputs; false when the row failed.
    /// With `writeSchedule` false the schedule lines are not formatted at all. With `excelSafe`
    /// the id and the error message go through `CSVWriter.formulaSafe`.
    @discardableResult
    public static func process(fields: [String], columns: BatchColumns, schedule: inout [UInt8], summary: inout [UInt8],
                               writeSchedule: Bool = true, excelSafe: Bool = false) -> Bool {
        let given = columns.id(of: fields)
        let id = excelSafe ? CSVWriter.formulaSafe(given) : given
        do {
            let result = try BatchResult(columns.request(from: fields))
            if writeSchedule { appendSchedule(id: id, result.schedule, to: &schedule) }
            appendSummary(id: id, result, to: &summary)
            return true
        } catch {
            appendError(id: id, error, excelSafe: excelSafe, to: &summary)
            return false
        }
    }

    static func appendInt(_ v: Int, to out: inout [UInt8]) {
        MoneyFormat.append(Int128(v), scale: 0, to: &out)
    }
}
