/// The report of one import run.
public struct ImportReport: Sendable, Hashable, Codable {
    public var outcome: ImportOutcome
    public var dryRun: Bool
    public var extractDate: ExtractDate?
    public var mode: DeliveryMode?
    /// Counts by category.
    public var counts = DeliveryCounts()
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
    public var rule: Rule?
    public var durationMilliseconds = 0
    /// The import is committed, but what it replaced or deleted may still be in the database files: a reader kept
    /// the checkpoint from completing (R12). The next run completes the erasure.
    public var erasurePending = false

    public init(outcome: ImportOutcome, dryRun: Bool) {
        self.outcome = outcome
        self.dryRun = dryRun
    }
}
