import AAFModel

/// What the change feed needs of a person's attributes that an import replaces (ADR 0020): the names that changed,
/// computed from the stored and the new bytes, or the old bytes for SQLite to compare when they are not in the
/// shape ``AttributeCoding/changedNames(from:to:)`` reads.
enum AttributeUpdate {
    case none
    case names([UInt8])
    case askSQLite(old: [UInt8])

    init(from stored: UnsafeRawBufferPointer, to new: [UInt8]) {
        if let names = new.withUnsafeBytes({ AttributeCoding.changedNames(from: stored, to: $0) }) {
            self = .names(names)
        } else {
            self = .askSQLite(old: Array(stored))
        }
    }
}

extension ImportSession {
    /// Writes the change feed's `updated` row of a person this session just updated, where migration 11's trigger
    /// wrote it (migration 16 leaves an import's to the import): the same columns, the same order of rows.
    func recordUpdate(_ update: AttributeUpdate, of record: AAFRecord, wasActive: Bool) throws {
        let names: [UInt8]
        switch update {
        case .none:
            return
        case .names(let computed):
            names = computed
        case .askSQLite(let old):
            let query = statement(.changedNames)
            query.reset()
            try old.withUnsafeBytes { try query.bindTextBytes($0, at: 1) }
            try encoded.withUnsafeBytes { try query.bindTextBytes($0, at: 2) }
            guard try query.step() else {
                throw StoreError("the changed attribute names of a person were not computed")
            }
            names = query.withBlob(0) { Array($0) }
            query.reset()
        }
        let insert = statement(.recordPersonUpdate)
        insert.reset()
        try insert.bindText(record.category.entName, at: 1)
        try insert.bindText(record.jointure, at: 2)
        try names.withUnsafeBytes { try insert.bindTextBytes($0, at: 3) }
        try insert.bind(.int(wasActive ? 1 : 0), at: 4)
        try insert.step()
    }
}
