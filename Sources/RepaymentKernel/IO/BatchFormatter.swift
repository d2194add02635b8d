/// Writes the CSV outputs of SPEC §7 as bytes: LF line ends, RFC 4180
/// quoting only where needed, amounts with exactly `scale` decimals.
public enum BatchFormatter {
    /// `id,period,due_date,kind,payment,principal,interest,carried,balance`
    public static let scheduleHeader = "id,period,due_date,kind,payment,principal,interest,carried,balance\n"
    /// `id,status,payments,total_payable,total_interest,waived_penalty,waived_interest,waived_fees,last_due,apr,effective_apr,error`
    public static let summaryHeader = "id,status,payments,total_payable,total_interest,waived_penalty,waived_interest,waived_fees,last_due,apr,effective_apr,error\n"

    /// Appends one schedule line per row.
    public static func appendSchedule(id: String, _ schedule: Schedule, to out: inout [UInt8]) {
        let scratch = ThreadCache.current.formatBuffer
        scratch.removeAll()
        appendSchedule(id: id, schedule, to: scratch)
        scratch.withUnsafeBytes { out.append(contentsOf: $0) }
    }

    /// Appends one schedule line per row to `out`, formatted in place.
    public static func appendSchedule(id: String, _ schedule: Schedule, to out: ByteBuffer) {
        var id = id
        id.withUTF8 { appendSchedule(id: $0, schedule, to: out) }
    }

    /// Appends one schedule line per row; `id` is the raw id (quoted here when needed).
    static func appendSchedule(id: UnsafeBufferPointer<UInt8>, _ schedule: Schedule, to out: ByteBuffer) {
        switch schedule.storage {
        case .compact(let rows):
            rows.withUnsafeBufferPointer { appendLines(id: id, $0, scale: schedule.scale, to: out) }
        case .wide(let rows):
            var quotedID: [UInt8] = []
            CSVWriter.appendField(id, to: &quotedID)
            var tmp: [UInt8] = []
            for r in rows {
                tmp.append(contentsOf: quotedID)
                tmp.append(44)
                appendInt(r.period, to: &tmp)
                tmp.append(44)
                r.dueDate.append(to: &tmp)
                tmp.append(44)
                appendKind(r.kind, to: &tmp)
                tmp.append(44)
                MoneyFormat.append(r.principal.units + r.interest.units + r.carried.units, scale: schedule.scale, to: &tmp)
                tmp.append(44)
                MoneyFormat.append(r.principal.units, scale: schedule.scale, to: &tmp)
                tmp.append(44)
                MoneyFormat.append(r.interest.units, scale: schedule.scale, to: &tmp)
                tmp.append(44)
                MoneyFormat.append(r.carried.units, scale: schedule.scale, to: &tmp)
                tmp.append(44)
                MoneyFormat.append(r.balance.units, scale: schedule.scale, to: &tmp)
                tmp.append(10)
            }
            out.append(tmp)
        }
    }

    /// The schedule lines of compact rows, written in place.
    ///
    /// What is the same on every line is prepared once: the id with its comma, the text of
    /// the regular payment (an annuity's installment, checked against each row's payment)
    /// and of a zero `carried`; those are copied with word stores.
    static func appendLines(id: UnsafeBufferPointer<UInt8>, _ rows: UnsafeBufferPointer<CompactRow>, scale: Int,
                            to out: ByteBuffer) {
        if scale == 2 {
            appendLines(id: id, rows, scale: scale, Cents(), to: out)
        } else {
            appendLines(id: id, rows, scale: scale, Scaled(scale: scale), to: out)
        }
    }

    @_specialize(where F == Cents)
    @_specialize(where F == Scaled)
    static func appendLines<F: AmountFormat>(id: UnsafeBufferPointer<UInt8>, _ rows: UnsafeBufferPointer<CompactRow>,
                                             scale: Int, _ format: F, to out: ByteBuffer) {
        guard !rows.isEmpty else { return }
        let idBytes = ByteWriter.fieldBytes(id)
        let idSnippet = idBytes < 32 ? ByteWriter.Snippet { w in w.field(id); w.byte(44) } : nil
        let regular = rows[rows.count / 2]
        let (regularSum, o1) = regular.principal.addingReportingOverflow(regular.interest)
        let (regularPayment, o2) = regularSum.addingReportingOverflow(regular.carried)
        let paymentSnippet = o1 || o2 ? nil : ByteWriter.Snippet { w in format.write(regularPayment, then: 44, to: &w) }
        let zeroSnippet = ByteWriter.Snippet { w in format.write(0, then: 44, to: &w) }!
        // id, period (up to 20 digits), date, kind, 5 amounts, 8 commas and the line end.
        let lineRoom = idBytes + 20 + 10 + 11 + 5 * ByteWriter.maxAmountBytes + 9
        var w = ByteWriter(p: out.reserve(lineRoom * rows.count))
        for r in rows {
            if let idSnippet { w.snippet(idSnippet) } else { w.field(id); w.byte(44) }
            w.period(r.period)
            w.dateAndComma(r.dueDate)
            w.kindAndComma(r.kind)
            let (pi, o1) = r.principal.addingReportingOverflow(r.interest)
            let (payment, o2) = pi.addingReportingOverflow(r.carried)
            if o1 || o2 {
                overflowingPayment(r, scale: scale, to: &w)
            } else if let paymentSnippet, payment == regularPayment {
                w.snippet(paymentSnippet)
            } else {
                format.write(payment, then: 44, to: &w)
            }
            format.write(r.principal, then: 44, to: &w)
            format.write(r.interest, then: 44, to: &w)
            if r.carried == 0 {
                w.snippet(zeroSnippet)
            } else {
                format.write(r.carried, then: 44, to: &w)
            }
            format.write(r.balance, then: 10, to: &w)
        }
        out.commit(w.count)
    }

    /// A payment above `Int128` (its parts fit, their sum does not), and its comma.
    @inline(never)
    static func overflowingPayment(_ r: CompactRow, scale: Int, to w: inout ByteWriter) {
        var tmp: [UInt8] = []
        MoneyFormat.append(WideInteger.small(r.principal) + .small(r.interest) + .small(r.carried), scale: scale, to: &tmp)
        tmp.withUnsafeBufferPointer { w.bytes($0) }
        w.byte(44)
    }

    static func appendKind(_ kind: RowKind, to out: inout [UInt8]) {
        out.append(contentsOf: kindBytes(kind))
    }

    private static let kindInstallment = Array("installment".utf8), kindDown = Array("down".utf8),
                       kindDeferral = Array("deferral".utf8), kindLump = Array("lump".utf8),
                       kindPrepay = Array("prepay".utf8)

    static func kindBytes(_ kind: RowKind) -> [UInt8] {
        switch kind {
        case .installment: return kindInstallment
        case .down: return kindDown
        case .deferral: return kindDeferral
        case .lump: return kindLump
        case .prepay: return kindPrepay
        }
    }

    /// Appends the summary line of a computed row.
    public static func appendSummary(id: String, _ result: BatchResult, to out: inout [UInt8]) {
        let scratch = ThreadCache.current.formatBuffer
        scratch.removeAll()
        var id = id
        id.withUTF8 { appendSummary(id: $0, result, to: scratch) }
        scratch.withUnsafeBytes { out.append(contentsOf: $0) }
    }

    /// Appends the summary line of a computed row; `id` is the raw id.
    static func appendSummary(id: UnsafeBufferPointer<UInt8>, _ result: BatchResult, to out: ByteBuffer) {
        if case .small(let payable) = result.totalPayable.units, case .small(let interest) = result.totalInterest.units,
           case .small(let wp) = result.waivedPenalty.units, case .small(let wi) = result.waivedInterest.units,
           case .small(let wf) = result.waivedFees.units,
           appendSummary(id: id, SummaryFigures(count: result.schedule.count, payable: payable, interest: interest,
                                                waived: (wp, wi, wf), lastDue: result.schedule.lastDue, apr: result.apr,
                                                scale: result.totalPayable.scale), to: out) {
            return
        }
        var line: [UInt8] = []
        CSVWriter.appendField(id, to: &line)
        line.append(contentsOf: ",ok,".utf8)
        appendInt(result.schedule.count, to: &line)
        for m in [result.totalPayable, result.totalInterest, result.waivedPenalty, result.waivedInterest, result.waivedFees] {
            line.append(44)
            MoneyFormat.append(m.units, scale: m.scale, to: &line)
        }
        line.append(44)
        result.schedule.lastDue?.append(to: &line)
        line.append(44)
        line.append(contentsOf: result.apr.nominal.utf8)
        line.append(44)
        line.append(contentsOf: result.apr.effective.utf8)
        line.append(contentsOf: ",\n".utf8)
        out.append(line)
    }

    /// What a summary line says of a computed row, when every amount fits `Int128`.
    struct SummaryFigures {
        var count: Int
        var payable: Int128
        var interest: Int128
        var waived: (penalty: Int128, interest: Int128, fees: Int128)
        var lastDue: CivilDate?
        var apr: AnnualPercentageRate
        var scale: Int
    }

    /// Writes a summary line in place; false (nothing written) when the APR does not fit `Int128`.
    static func appendSummary(id: UnsafeBufferPointer<UInt8>, _ f: SummaryFigures, to out: ByteBuffer) -> Bool {
        guard case .small(let nominal) = f.apr.nominalMillionths, case .small(let effective) = f.apr.effectiveMillionths else {
            return false
        }
        let scale = f.scale
        var w = ByteWriter(p: out.reserve(ByteWriter.fieldBytes(id) + 8 * ByteWriter.maxAmountBytes + 60))
        w.field(id)
        w.word(0x2C_6B_6F_2C, keep: 4)   // ",ok,"
        w.unsigned(UInt64(f.count))
        w.byte(44); w.amount(f.payable, scale: scale, then: 44)
        w.amount(f.interest, scale: scale, then: 44)
        w.amount(f.waived.penalty, scale: scale, then: 44)
        w.amount(f.waived.interest, scale: scale, then: 44)
        w.amount(f.waived.fees, scale: scale, then: 44)
        if let last = f.lastDue { w.dateAndComma(last) } else { w.byte(44) }
        w.amount(nominal, scale: 6, then: 44)
        w.amount(effective, scale: 6, then: 44)
        w.byte(10)
        out.commit(w.count)
        return true
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
