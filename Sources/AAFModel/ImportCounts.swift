import Foundation

/// How one import ended: the one vocabulary of the import report, the journal and `history` (R13).
public enum ImportOutcome: String, Sendable, Hashable, Codable, CaseIterable {
    case imported, refused, failed
}

/// What one import did to one category. Counts only (R15).
public struct CategoryCounts: Sendable, Hashable, Codable {
    /// Records read from the files.
    public var records = 0
    public var added = 0
    public var updated = 0
    public var unchanged = 0
    /// Departed or deleted by this import (absent from a Complet, deleted by a Delta, R7 guardians).
    public var departed = 0
    /// Departed people present again.
    public var reactivated = 0
    /// Guardians in the file that no active pupil references: not stored (R4).
    public var notStoredUnreferenced = 0
    /// Stored guardians no pupil references any more: deleted (R4).
    public var deletedUnreferenced = 0
    /// Delete requests for unknown or already departed jointures.
    public var unknownDeletes = 0

    public init() {}
}

/// An import's counts by category. Encoded as an object keyed by each category's report key (`structures`,
/// `students`, `staff`, `guardians`): the form of `import --json`, the journal's `counts` column and `history`.
public struct DeliveryCounts: Sendable, Hashable, Codable {
    public private(set) var byCategory: [AAFCategory: CategoryCounts] = [:]

    public init(_ byCategory: [AAFCategory: CategoryCounts] = [:]) {
        self.byCategory = byCategory
    }

    public subscript(category: AAFCategory) -> CategoryCounts? {
        get { byCategory[category] }
        set { byCategory[category] = newValue }
    }

    public var isEmpty: Bool { byCategory.isEmpty }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        for category in AAFCategory.importOrder {
            if let counts = try container.decodeIfPresent(
                CategoryCounts.self,
                forKey: Key(stringValue: category.reportKey)
            ) {
                byCategory[category] = counts
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for (category, counts) in byCategory {
            try container.encode(counts, forKey: Key(stringValue: category.reportKey))
        }
    }
}

/// The project's one timestamp form: ISO 8601 in UTC with seconds (`2025-09-01T06:12:00Z`), in the journal,
/// incidents, status and certificates.
public enum Timestamp {
    public static func string(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    /// A timestamp aafd wrote (`2026-12-01T10:00:00Z`).
    public static func date(_ text: String) -> Date? {
        try? Date(text, strategy: .iso8601)
    }

    /// A date and time an administrator typed: `2026-12-01T09:30:00Z`, with an offset (`+01:00`), or without one
    /// (`2026-12-01T09:30`, `2026-12-01 09:30`: the machine's time zone, as everything else aafd reads).
    public static func parse(_ text: String) -> Date? {
        let t = text.replacingOccurrences(of: " ", with: "T")
        if let d = try? Date(t, strategy: .iso8601) { return d }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone.current
        for format in [
            "yyyy-MM-dd'T'HH:mm:ssXXXXX", "yyyy-MM-dd'T'HH:mmXXXXX", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm",
        ] {
            formatter.dateFormat = format
            if let d = formatter.date(from: t) { return d }
        }
        return nil
    }
}
