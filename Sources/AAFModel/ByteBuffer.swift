/// Where ``AttributeCoding`` writes a stored form: an array, or the parser's ``ByteBuffer``.
public protocol ByteSink: ~Copyable {
    var isEmpty: Bool { get }
    mutating func append(_ byte: UInt8)
    mutating func appendBytes(_ bytes: UnsafeBufferPointer<UInt8>)
}

extension Array: ByteSink where Element == UInt8 {
    @inlinable
    public mutating func appendBytes(_ bytes: UnsafeBufferPointer<UInt8>) { append(contentsOf: bytes) }
}

/// Bytes written at the end, with one owner: the parser's text of the current value and the stored form of the
/// current record, each reused from record to record.
///
/// An array checks, at every append, that its storage is not shared and has room, through its generic path: in
/// the parser, a third of its own instructions went there (issue 24). This checks room only, and its storage is
/// never shared, so clearing it keeps it (an array shared with the record it was handed to allocated anew at every
/// record). Not copyable: the storage is freed once, with its owner.
public struct ByteBuffer: ByteSink, ~Copyable {
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @usableFromInline var capacity: Int
    @usableFromInline var used = 0

    /// Bytes written so far.
    public var count: Int { used }

    public init(capacity: Int) {
        self.capacity = max(16, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    public var isEmpty: Bool { used == 0 }

    /// Forgets the bytes, keeps the storage.
    public mutating func removeAll() { used = 0 }

    @inlinable @inline(__always)
    public mutating func append(_ byte: UInt8) {
        if used == capacity { grow(toHold: 1) }
        base[used] = byte
        used += 1
    }

    @inlinable @inline(__always)
    public mutating func appendBytes(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        if capacity - used < bytes.count { grow(toHold: bytes.count) }
        (base + used).initialize(from: source, count: bytes.count)
        used += bytes.count
    }

    /// At least doubles the storage, to hold `more` bytes beyond those written.
    @usableFromInline
    mutating func grow(toHold more: Int) {
        let larger = max(capacity * 2, used + more)
        let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: larger)
        moved.moveInitialize(from: base, count: used)
        base.deallocate()
        base = moved
        capacity = larger
    }

    /// Keeps the first `newCount` bytes.
    public mutating func truncate(to newCount: Int) {
        precondition(newCount >= 0 && newCount <= used, "ByteBuffer.truncate beyond its bytes")
        used = newCount
    }

    /// The bytes written, for the duration of `body`.
    @inlinable
    public func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: used))
    }

    /// The bytes written, for the duration of `body`, to be rewritten in place (no more than `count` of them).
    public mutating func withMutableBytes<R>(_ body: (UnsafeMutableBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: base, count: used))
    }

    /// A copy of the bytes written, in an array of just their size.
    public var array: [UInt8] { withBytes { Array($0) } }
}
