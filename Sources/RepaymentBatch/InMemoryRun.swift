import RepaymentKernel

/// A whole batch CSV document computed in memory on the calling thread, exactly as
/// `repay batch` computes it (the same reader, row processor and formatters): the C API's
/// `rk_run_csv`.
public struct InMemoryBatch: Sendable {
    /// The schedule CSV, header included (empty when not asked for).
    public var schedule: [UInt8] = []
    /// The summary CSV, header included.
    public var summary: [UInt8] = []
    /// Rows that got `status=error`.
    public var failedRows = 0

    /// Computes `bytes` (a batch CSV document).
    ///
    /// - Throws: a `KernelError` with `.unusableFile` for an unusable document, with the
    ///   messages of `repay batch`. A syntax error after some rows makes the whole document
    ///   unusable, as in `repay batch` (which then commits nothing): every record is read
    ///   before any is computed.
    public init(_ bytes: [UInt8], wantSchedule: Bool) throws(KernelError) {
        let reader = CSVReader(bytes: bytes)
        var header = CSVChunk()
        do {
            try reader.nextChunk(into: &header, max: 1)
        } catch {
            throw KernelError(.unusableFile, field: "input", "line \(error.line): \(error.message)")
        }
        guard !header.isEmpty else { throw KernelError(.unusableFile, field: "header", "the input is empty (no header row)") }
        let columns = try BatchColumns(header: header.fields(0))
        var rows = CSVChunk()
        do {
            try reader.nextChunk(into: &rows, max: Int.max)
        } catch {
            throw KernelError(.unusableFile, field: "input", "line \(error.line): \(error.message)")
        }
        var processor = RowProcessor(columns: columns, outputs: RowOutputs(schedule: wantSchedule, summary: true))
        let out = RowBuffers(primary: ByteBuffer(), summary: ByteBuffer(), ledger: ByteBuffer(capacity: 64))
        var failed = 0
        rows.forEachRow { _, row, line in
            if processor.process(row, line: line, into: out) != nil { failed += 1 }
        }
        failedRows = failed
        if wantSchedule { schedule = Array(BatchFormatter.scheduleHeader.utf8) + out.primary.bytes }
        summary = Array(BatchFormatter.summaryHeader.utf8) + out.summary.bytes
    }
}
