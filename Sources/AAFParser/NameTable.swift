import AAFModel

#if canImport(Glibc)
import Glibc
#endif

/// Attribute names seen in a file, interned by their bytes.
///
/// A real file repeats the same few dozen names millions of times: the table turns each `attr/@name` into
/// its String and cached filter decision with one byte hash and one `memcmp`, and counts drops per name
/// without hashing a String. It holds at most ``capacity`` names; a file with more distinct names (hostile)
/// is served without caching.
struct NameTable {
    struct Entry {
        var bytes: [UInt8]
        var name: String
        /// Decision per category (by `AAFCategory.ordinal`), computed on first use.
        var decisions: (AttributeDecision?, AttributeDecision?, AttributeDecision?, AttributeDecision?) = (
            nil, nil, nil, nil
        )
        var dropped = 0
        /// Whether the name is the category's jointure attribute (`ENTPersonJointure` / `ENTStructureJointure`).
        var isPersonJointure: Bool
        var isStructureJointure: Bool
        /// Whether the attribute may hold several values (AttributeCatalog.multiValued).
        var isMultiValued: Bool
        /// The entry that followed this one last time: records repeat their attributes in the same order,
        /// so the next name is usually predicted with one `memcmp` and no hashing.
        var next: Int32 = -1
    }

    static let capacity = 2048
    private(set) var entries: [Entry] = []
    private var slots = [Int32](repeating: -1, count: 4096)
    /// The previous name's entry in the current record, -1 at a record's start.
    private var previous: Int32 = -1
    /// The first name of the last record.
    private var firstOfRecord: Int32 = -1

    /// Call at each record's start: the prediction restarts from the first name.
    mutating func startRecord() {
        previous = -1
    }

    /// The entry index for `count` bytes at `bytes`, or nil when the table is full and the name is new.
    mutating func index(of bytes: UnsafePointer<UInt8>, count: Int) -> Int? {
        let predicted = previous < 0 ? firstOfRecord : entries[Int(previous)].next
        if predicted >= 0 {
            let hit = entries[Int(predicted)].bytes.withUnsafeBufferPointer { stored in
                stored.count == count && memcmp(stored.baseAddress!, bytes, count) == 0
            }
            if hit {
                previous = predicted
                return Int(predicted)
            }
        }
        guard let found = lookup(bytes, count: count) else { return nil }
        if previous < 0 {
            firstOfRecord = Int32(found)
        } else {
            entries[Int(previous)].next = Int32(found)
        }
        previous = Int32(found)
        return found
    }

    private mutating func lookup(_ bytes: UnsafePointer<UInt8>, count: Int) -> Int? {
        var hash: UInt32 = 2_166_136_261
        for i in 0..<count { hash = (hash ^ UInt32(bytes[i])) &* 16_777_619 }
        var slot = Int(hash) & (slots.count - 1)
        while true {
            let existing = slots[slot]
            if existing < 0 { break }
            let found = entries[Int(existing)].bytes.withUnsafeBufferPointer { stored in
                stored.count == count && memcmp(stored.baseAddress!, bytes, count) == 0
            }
            if found { return Int(existing) }
            slot = (slot + 1) & (slots.count - 1)
        }
        guard entries.count < NameTable.capacity else { return nil }
        let buffer = UnsafeBufferPointer(start: bytes, count: count)
        let name = String(decoding: buffer, as: UTF8.self)
        entries.append(
            Entry(
                bytes: Array(buffer),
                name: name,
                isPersonJointure: name == AAFCategory.pupil.jointureAttribute,
                isStructureJointure: name == AAFCategory.structure.jointureAttribute,
                isMultiValued: AttributeCatalog.multiValued.contains(name)
            )
        )
        slots[slot] = Int32(entries.count - 1)
        return entries.count - 1
    }

    /// The cached decision for entry `index` in `category`, or nil before the first ``store(_:_:category:)``.
    func cachedDecision(_ index: Int, category: AAFCategory) -> AttributeDecision? {
        switch category.ordinal {
        case 0: entries[index].decisions.0
        case 1: entries[index].decisions.1
        case 2: entries[index].decisions.2
        default: entries[index].decisions.3
        }
    }

    mutating func store(_ decision: AttributeDecision, _ index: Int, category: AAFCategory) {
        switch category.ordinal {
        case 0: entries[index].decisions.0 = decision
        case 1: entries[index].decisions.1 = decision
        case 2: entries[index].decisions.2 = decision
        default: entries[index].decisions.3 = decision
        }
    }

    mutating func countDrop(_ index: Int) {
        entries[index].dropped += 1
    }

    /// Drops by name.
    var droppedByName: [String: Int] {
        var result: [String: Int] = [:]
        for e in entries where e.dropped > 0 { result[e.name, default: 0] += e.dropped }
        return result
    }
}
