/// The header of a batch CSV (SPEC §7): which column each field of a row holds.
///
/// Columns come in any order; an unknown, duplicate or empty header name
/// makes the whole file unusable (typo protection). An empty cell means the
/// default.
public struct BatchColumns: Sendable {
    /// The header as given.
    public let names: [String]
    /// The field index of each `Column` (by raw value), or -1.
    let index: [Int]
    let idColumn: Int
    /// Whether the header has any column that only a plan row may fill.
    let hasPlanColumns: Bool
    /// Whether the header has any column of a payment history.
    let hasPaymentColumns: Bool

    /// Validates a header row.
    ///
    /// - Throws: `KernelError` with code `.unusableFile` for a missing `id`
    ///   column or an unknown, duplicate or empty name.
    public init(header: [String]) throws(KernelError) {
        var columns: [Column] = []
        for (i, name) in header.enumerated() {
            guard !name.isEmpty else { throw KernelError(.unusableFile, field: "header", "column \(i + 1) has an empty name") }
            guard let c = Column(name: name) else {
                let hint = BatchColumns.suggestion(for: name).map { " (did you mean '\($0)'?)" } ?? ""
                throw KernelError(.unusableFile, field: "header", "unknown column \(KernelError.quoted(name))\(hint); known columns: \(Column.names.joined(separator: ", "))")
            }
            guard !columns.contains(c) else { throw KernelError(.unusableFile, field: "header", "duplicate column \(KernelError.quoted(name))") }
            columns.append(c)
        }
        guard columns.contains(.id) else { throw KernelError(.unusableFile, field: "header", "no 'id' column") }
        self.init(columns: columns)
    }

    /// Rows whose fields are exactly `columns`, in this order (the C API passes the cells of
    /// a request this way, by column). `columns` must not repeat a column.
    public init(columns: [Column]) {
        var index = [Int](repeating: -1, count: Column.allCases.count)
        for (i, c) in columns.enumerated() { index[c.rawValue] = i }
        self.names = columns.map(\.name)
        self.index = index
        self.idColumn = index[Column.id.rawValue]
        self.hasPlanColumns = columns.contains { $0.group == .plan }
        self.hasPaymentColumns = columns.contains { $0.group == .payments }
    }

    /// Whether the header has `column`.
    public func contains(_ column: Column) -> Bool { index[column.rawValue] >= 0 }

    /// The field index of `column`, or -1.
    @inline(__always) func field(_ column: Column) -> Int { index[column.rawValue] }

    /// A known column within two edits of `name`, for the "did you mean" hint.
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
        let best = Column.names.map { ($0, distance(Array(name.utf8), Array($0.utf8))) }.min { $0.1 < $1.1 }
        return best.flatMap { $0.1 <= 2 ? $0.0 : nil }
    }

    /// The row's id (empty when missing).
    public func id(of fields: [String]) -> String { idColumn >= 0 && idColumn < fields.count ? fields[idColumn] : "" }

    /// The bytes of the row's id (empty when missing).
    public func id(of row: RowCells) -> UnsafeBufferPointer<UInt8> {
        idColumn >= 0 && idColumn < row.count ? row[idColumn] : UnsafeBufferPointer(start: nil, count: 0)
    }

    /// Parses one data row into a request; errors name the column.
    public func request(from fields: [String]) throws(KernelError) -> BatchRequest {
        var request = BatchRequest()
        try RowCells.withCells(fields) { row throws(KernelError) in try self.read(row, into: &request) }
        return request
    }

    /// Parses the row's cells into `request` (every part of it is set): the batch path, with
    /// no `String` per cell and no copy of the request.
    public func read(_ row: RowCells, into request: inout BatchRequest) throws(KernelError) {
        guard row.count == names.count else {
            throw KernelError(field: "row", "has \(row.count) cells but the header has \(names.count)")
        }
        guard idColumn >= 0, !row[idColumn].isEmpty else { throw KernelError.required("id") }
        try RequestParser(columns: self, row: row).read(into: &request)
    }
}
