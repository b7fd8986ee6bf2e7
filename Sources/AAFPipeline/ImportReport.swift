import AAFModel

/// What one import did, per category. Counts and names only (R15).
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

/// The report of one import run.
public struct ImportReport: Sendable, Hashable, Codable {
    public enum Outcome: String, Sendable, Hashable, Codable { case imported, refused, failed }

    public var outcome: Outcome
    public var dryRun: Bool
    public var extractDate: ExtractDate?
    public var mode: DeliveryMode?
    /// Counts by category report key (`structures`, `students`, `staff`, `guardians`).
    public var counts: [String: CategoryCounts] = [:]
    /// Attributes dropped by the allow-list, by name (R1).
    public var droppedAttributes: [String: Int] = [:]
    /// Link values that could not be read, by attribute name.
    public var skippedLinks: [String: Int] = [:]
    /// Repeated attributes (a second `<attr>` of a name in one record, a second value of a single-valued one):
    /// the first was kept, these were not; by AAF name.
    public var repeatedAttributes: [String: Int] = [:]
    /// `&apos;` sequences left by double escaping, turned into `'`.
    public var normalisedApostrophes = 0
    public var files = 0
    public var bytes = 0
    /// Names in the folder that are not delivery files.
    public var ignoredFiles: [String] = []
    /// Why the run was refused or failed; never a value.
    public var reason: String?
    /// Which rule refused it (`R21`, `R20`…), when a rule did.
    public var rule: String?
    public var durationMilliseconds = 0
    /// The import is committed, but what it replaced or deleted may still be in the database files: a reader kept
    /// the checkpoint from completing (R12). The next run completes the erasure.
    public var erasurePending = false

    public init(outcome: Outcome, dryRun: Bool) {
        self.outcome = outcome
        self.dryRun = dryRun
    }
}
