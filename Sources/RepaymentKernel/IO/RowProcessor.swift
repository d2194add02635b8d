/// Which outputs of `repay batch` the rows are formatted for.
public struct RowOutputs: Sendable, Hashable {
    /// JSON lines (`--format jsonl`) instead of the CSV outputs.
    public var jsonl = false
    /// The schedule CSV (`--schedule`).
    public var schedule = false
    /// The summary CSV (`--summary`); without it no APR is computed for a loan.
    public var summary = false
    /// The ledger CSV of plan rows with payments (`--ledger`).
    public var ledger = false
    /// Ids and error messages in the CSV outputs that a spreadsheet would run as a formula get
    /// a leading `'` (`CSVWriter.formulaSafe`, `--excel-safe`); JSON lines are left as they are.
    public var excelSafe = false

    /// Outputs as given.
    public init(jsonl: Bool = false, schedule: Bool = false, summary: Bool = false, ledger: Bool = false,
                excelSafe: Bool = false) {
        self.jsonl = jsonl
        self.schedule = schedule
        self.summary = summary
        self.ledger = ledger
        self.excelSafe = excelSafe
    }
}

/// Where the lines of rows go: one buffer per output, formatted in place.
public struct RowBuffers {
    /// Schedule lines, or JSON lines with `RowOutputs.jsonl`.
    public let primary: ByteBuffer
    /// Summary lines.
    public let summary: ByteBuffer
    /// Ledger lines.
    public let ledger: ByteBuffer

    /// Buffers to format into.
    public init(primary: ByteBuffer, summary: ByteBuffer, ledger: ByteBuffer) {
        self.primary = primary
        self.summary = summary
        self.ledger = ledger
    }
}

/// Turns batch rows into output lines: parse, compute, format. One per worker
/// thread; it keeps its request and the rows of the last schedule from row to
/// row, so a loan row allocates nothing once the worker is warm (the cells are
/// read as bytes, the schedule is computed into the reused rows, the lines are
/// formatted into the output buffers, and the APR is only computed for a summary).
///
/// Plans, prepaid loans, JSON lines and amounts beyond `Int128` take the general
/// path through `BatchResult`.
public struct RowProcessor {
    /// The header.
    public let columns: BatchColumns
    /// The outputs to format.
    public let outputs: RowOutputs
    private var request = BatchRequest()
    private var rows: [CompactRow] = []
    private var safeID: [UInt8] = []

    /// A processor for rows of `columns`.
    public init(columns: BatchColumns, outputs: RowOutputs) {
        self.columns = columns
        self.outputs = outputs
        rows.reserveCapacity(360)
    }

    /// Parses, computes and formats one row (`line`: where it starts in the input, for JSON
    /// lines). Returns nil when the row was computed, else its error, which is already in
    /// the summary (a `status=error` line) or the JSON lines.
    public mutating func process(_ row: RowCells, line: Int, into out: RowBuffers) -> KernelError? {
        let given = columns.id(of: row)
        guard outputs.excelSafe, CSVWriter.startsFormula(given.first) else {
            return process(row, id: given, csvID: given, line: line, into: out)
        }
        // The CSV outputs get the id with a leading ', the JSON lines the id as given.
        var safe = safeID
        safeID = []
        safe.removeAll(keepingCapacity: true)
        safe.append(UInt8(ascii: "'"))
        safe.append(contentsOf: given)
        defer { safeID = safe }
        return safe.withUnsafeBufferPointer { csvID in process(row, id: given, csvID: csvID, line: line, into: out) }
    }

    /// `process` with the id for the JSON lines (`id`) and for the CSV outputs (`csvID`).
    private mutating func process(_ row: RowCells, id: UnsafeBufferPointer<UInt8>, csvID: UnsafeBufferPointer<UInt8>,
                                  line: Int, into out: RowBuffers) -> KernelError? {
        do {
            try columns.read(row, into: &request)
        } catch {
            failed(id: outputs.jsonl ? id : csvID, line: line, error, into: out)
            return error
        }
        if !outputs.jsonl && !request.isPlan && request.payments == nil && request.loan != nil
            && loanLines(id: csvID, into: out) {
            return nil
        }
        switch BatchResult.compute(request, ledger: outputs.ledger) {
        case .success(let result):
            if outputs.jsonl {
                var text: [UInt8] = []
                JsonlFormatter.appendResult(id: String(decoding: id, as: UTF8.self), line: line, result, to: &text)
                out.primary.append(text)
            } else {
                if outputs.schedule { BatchFormatter.appendSchedule(id: csvID, result.schedule, to: out.primary) }
                if outputs.summary { BatchFormatter.appendSummary(id: csvID, result, to: out.summary) }
            }
            if outputs.ledger, let replay = result.replay {
                var text: [UInt8] = []
                LedgerFormat.append(id: String(decoding: csvID, as: UTF8.self), replay.events, to: &text)
                out.ledger.append(text)
            }
            return nil
        case .failure(let error):
            failed(id: outputs.jsonl ? id : csvID, line: line, error, into: out)
            return error
        }
    }

    /// The lines of a plain loan from the reused rows; false (nothing written) when an amount
    /// does not fit the machine integers, for the general path to take over.
    private mutating func loanLines(id: UnsafeBufferPointer<UInt8>, into out: RowBuffers) -> Bool {
        guard let terms = request.loan, LoanEngine.compactRows(for: LoanEngine.Input(terms), into: &rows) else { return false }
        let outputs = self.outputs
        return rows.withUnsafeBufferPointer { rows in
            var figures: BatchFormatter.SummaryFigures? = nil
            if outputs.summary {
                guard case .small(let principal) = terms.principal.units else { return false }
                var p: Int128 = 0, i: Int128 = 0, overflow = false
                for r in rows {
                    p = p.adding(r.principal, &overflow)
                    i = i.adding(r.interest, &overflow)
                }
                let payable = p.adding(i, &overflow)
                let interest = payable.subtracting(principal, &overflow)
                let apr = AnnualPercentageRate.of(rows, scale: terms.scale, financed: terms.principal.units, from: terms.start,
                                                  accrual: terms.accrual, rateHint: terms.rate)
                guard !overflow, case .small = apr.nominalMillionths, case .small = apr.effectiveMillionths else { return false }
                figures = BatchFormatter.SummaryFigures(count: rows.count, payable: payable, interest: interest, waived: (0, 0, 0),
                                                        lastDue: rows.last?.dueDate, apr: apr, scale: terms.scale)
            }
            if outputs.schedule { BatchFormatter.appendLines(id: id, rows, scale: terms.scale, to: out.primary) }
            if let figures { _ = BatchFormatter.appendSummary(id: id, figures, to: out.summary) }
            return true
        }
    }

    /// The line of a failed row: `status=error` in the summary, or an error JSON line (with
    /// `excelSafe`, the summary's message goes through `CSVWriter.formulaSafe`).
    private func failed(id: UnsafeBufferPointer<UInt8>, line: Int, _ error: KernelError, into out: RowBuffers) {
        var text: [UInt8] = []
        if outputs.jsonl {
            JsonlFormatter.appendError(id: String(decoding: id, as: UTF8.self), line: line, error, to: &text)
            out.primary.append(text)
        } else if outputs.summary {
            BatchFormatter.appendError(id: String(decoding: id, as: UTF8.self), error, excelSafe: outputs.excelSafe, to: &text)
            out.summary.append(text)
        }
    }
}
