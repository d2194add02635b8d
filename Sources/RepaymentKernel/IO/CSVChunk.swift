/// Records of a CSV input as byte ranges: the cells' bytes (unquoted, `""`
/// unescaped) one after the other in one buffer, a span per cell, and per
/// record its first cell, its number of cells and its line. A batch worker
/// reads its rows from a chunk (`RowCells`) without a `String` per cell, and a
/// chunk's arrays keep their capacity when it is emptied and refilled.
public struct CSVChunk: Sendable {
    /// One record: cells `firstCell ..< firstCell + cellCount`, starting on `line`.
    public struct Record: Sendable, Hashable {
        /// Index of the record's first span.
        public var firstCell: Int
        /// Number of cells.
        public var cellCount: Int
        /// 1-based physical line on which the record starts.
        public var line: Int
    }

    /// The cells' bytes.
    public private(set) var bytes: [UInt8] = []
    /// One span per cell, into `bytes`.
    public private(set) var spans: [CellSpan] = []
    /// The records, in input order.
    public private(set) var records: [Record] = []

    /// An empty chunk.
    public init() {}

    /// The number of records.
    public var count: Int { records.count }

    /// Whether the chunk holds no record.
    public var isEmpty: Bool { records.isEmpty }

    /// Appends a record given as strings.
    public mutating func append(fields: [String], line: Int) {
        records.append(Record(firstCell: spans.count, cellCount: fields.count, line: line))
        for f in fields {
            spans.append(CellSpan(start: bytes.count, count: f.utf8.count))
            bytes.append(contentsOf: f.utf8)
        }
    }

    /// Starts a record on `line`; add its cells with `appendCell`.
    public mutating func beginRecord(line: Int) {
        records.append(Record(firstCell: spans.count, cellCount: 0, line: line))
    }

    /// Appends a cell to the record begun last.
    public mutating func appendCell(_ cell: UnsafeBufferPointer<UInt8>) {
        spans.append(CellSpan(start: bytes.count, count: cell.count))
        bytes.append(contentsOf: cell)
        records[records.count - 1].cellCount += 1
    }

    /// Drops the record begun last, with its cells.
    public mutating func dropLastRecord() {
        guard let r = records.popLast() else { return }
        if r.firstCell < spans.count {
            bytes.removeSubrange(spans[r.firstCell].start...)
            spans.removeSubrange(r.firstCell...)
        }
    }

    /// Moves the record begun last, with its cells, to the end of `other` (the reader parks a
    /// record still incomplete there between two calls).
    mutating func moveLastRecord(to other: inout CSVChunk) {
        guard let r = records.last else { return }
        other.beginRecord(line: r.line)
        bytes.withUnsafeBufferPointer { b in
            for s in spans[r.firstCell..<(r.firstCell + r.cellCount)] {
                other.appendCell(UnsafeBufferPointer(rebasing: b[s.start..<(s.start + s.count)]))
            }
        }
        dropLastRecord()
    }

    /// Empties the chunk, keeping its capacity.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        spans.removeAll(keepingCapacity: true)
        records.removeAll(keepingCapacity: true)
    }

    /// Calls `body` with each record's index, cells and line, in order.
    public func forEachRow(_ body: (Int, RowCells, Int) throws -> Void) rethrows {
        try bytes.withUnsafeBufferPointer { b in
            try spans.withUnsafeBufferPointer { s in
                for (k, r) in records.enumerated() {
                    let cells = UnsafeBufferPointer(rebasing: s[r.firstCell..<(r.firstCell + r.cellCount)])
                    try body(k, RowCells(base: b.baseAddress, spans: cells), r.line)
                }
            }
        }
    }

    /// Record `k`'s cells as strings (for the rare paths that need them).
    public func fields(_ k: Int) -> [String] {
        let r = records[k]
        return (r.firstCell..<(r.firstCell + r.cellCount)).map { i in
            let s = spans[i]
            return String(decoding: bytes[s.start..<(s.start + s.count)], as: UTF8.self)
        }
    }
}
