/// A growable byte buffer that the CSV writers format into in place: `reserve`
/// room, write through a `ByteWriter`, `commit` what was written. Capacity is
/// kept when the buffer is emptied, so a buffer reused for every chunk of a
/// batch allocates only while it grows.
///
/// Every reservation also leaves `ByteWriter.slack` writable bytes past the
/// room asked for, for the writer's whole-word stores.
///
/// ```swift
/// let out = ByteBuffer()
/// out.append("id,period\n".utf8)
/// out.count   // 10
/// ```
public final class ByteBuffer {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// The bytes written so far.
    public private(set) var count = 0

    /// An empty buffer with room for `capacity` bytes before it first grows.
    public init(capacity: Int = 1 << 16) {
        self.capacity = max(64, capacity)
        base = .allocate(capacity: self.capacity + ByteWriter.slack)
    }

    deinit { base.deallocate() }

    /// Whether nothing was written.
    public var isEmpty: Bool { count == 0 }

    /// Room for `n` more bytes (plus the slack), at the returned address; `commit`
    /// the bytes actually written. The address is valid until the next call that grows
    /// the buffer.
    @inline(__always)
    func reserve(_ n: Int) -> UnsafeMutablePointer<UInt8> {
        if count + n > capacity { grow(to: count + n) }
        return base + count
    }

    /// Counts `n` bytes written at the address `reserve` returned.
    @inline(__always)
    func commit(_ n: Int) { count += n }

    private func grow(to needed: Int) {
        var c = capacity
        while c < needed { c *= 2 }
        let b = UnsafeMutablePointer<UInt8>.allocate(capacity: c + ByteWriter.slack)
        b.update(from: base, count: count)
        base.deallocate()
        base = b
        capacity = c
    }

    /// Appends bytes.
    public func append(_ bytes: UnsafeRawBufferPointer) {
        guard let src = bytes.baseAddress, bytes.count > 0 else { return }
        let p = reserve(bytes.count)
        UnsafeMutableRawPointer(p).copyMemory(from: src, byteCount: bytes.count)
        count += bytes.count
    }

    /// Appends a collection of bytes (a `String`'s `utf8`, an array).
    public func append(_ bytes: some Collection<UInt8>) {
        if let done = bytes.withContiguousStorageIfAvailable({ append(UnsafeRawBufferPointer($0)) }) { return done }
        append(Array(bytes))
    }

    /// Empties the buffer, keeping its capacity.
    public func removeAll() { count = 0 }

    /// The bytes written, for the duration of `body`.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// A copy of the bytes written.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }
}

// A buffer is used by one thread at a time; the batch pipeline hands it from a worker to the
// writer (and back) under its lock.
extension ByteBuffer: @unchecked Sendable {}
