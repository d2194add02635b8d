/// Where one cell's bytes lie in a row's storage.
public struct CellSpan: Sendable, Hashable {
    /// Offset of the first byte from the storage's base address.
    public var start: Int
    /// Number of bytes (0 for an empty cell).
    public var count: Int

    /// A span of `count` bytes from `start`.
    public init(start: Int, count: Int) {
        self.start = start
        self.count = count
    }
}

/// The cells of one row as byte ranges in memory someone else owns: a chunk of
/// the CSV reader (`CSVChunk`) or the C API's request. Reading a row costs no
/// `String` per cell; a cell becomes a `String` only for an error message.
///
/// A `RowCells` is valid while the storage it points into is: use it inside
/// the closure that lent the storage.
public struct RowCells {
    let base: UnsafePointer<UInt8>?
    let spans: UnsafeBufferPointer<CellSpan>

    /// Cells `spans` of the bytes at `base`.
    public init(base: UnsafePointer<UInt8>?, spans: UnsafeBufferPointer<CellSpan>) {
        self.base = base
        self.spans = spans
    }

    /// The number of cells.
    public var count: Int { spans.count }

    /// The bytes of cell `i` (0-based).
    @inline(__always)
    public subscript(i: Int) -> UnsafeBufferPointer<UInt8> {
        let s = spans[i]
        return UnsafeBufferPointer(start: base.map { $0 + s.start }, count: s.count)
    }

    /// Cell `i` as text (invalid UTF-8 becomes U+FFFD).
    public func string(_ i: Int) -> String { String(decoding: self[i], as: UTF8.self) }

    /// Lends the cells of `fields` (for callers that hold strings: the C API, the command
    /// line, tests).
    public static func withCells<R, E: Error>(_ fields: [String], _ body: (RowCells) throws(E) -> R) throws(E) -> R {
        let total = fields.reduce(0) { $0 + $1.utf8.count }
        let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, total))
        let spans = UnsafeMutablePointer<CellSpan>.allocate(capacity: max(1, fields.count))
        defer {
            bytes.deallocate()
            spans.deallocate()
        }
        var at = 0
        for (i, f) in fields.enumerated() {
            let n = UnsafeMutableBufferPointer(start: bytes + at, count: f.utf8.count).initialize(from: f.utf8).1
            (spans + i).initialize(to: CellSpan(start: at, count: n))
            at += n
        }
        return try body(RowCells(base: bytes, spans: UnsafeBufferPointer(start: spans, count: fields.count)))
    }
}
