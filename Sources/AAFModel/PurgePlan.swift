/// The boundaries of one purge run: computed by the retention policy (AAFPolicy, `RetentionPolicy.plan`),
/// executed by the store (AAFStore, `DirectoryStore.purge`).
public struct PurgePlan: Sendable, Hashable {
    public var asOf: ExtractDate
    /// R6 (pupils), R7 (guardians): departed before this date (1 January of the current year) → purged.
    public var departedBefore: ExtractDate
    /// R6, R7 with `pupil_days_after_departure`: departed on or before this date → purged too.
    public var departedOnOrBefore: ExtractDate?
    /// R9: anyone whose record was last listed by a delivery on or before this date → purged (per record:
    /// `persons.listed_on` and the last Complet, DirectoryStore.purge).
    public var receivedOnOrBefore: ExtractDate
    /// R11: journal entries from before this date → purged.
    public var journalBefore: ExtractDate
    /// The rights request register (art. 7): requests closed before this date → purged.
    public var requestsClosedBefore: ExtractDate
    /// The security incident register (art. 12): incidents closed before this date → purged.
    public var securityIncidentsClosedBefore: ExtractDate
    /// The change feed (issue 23): rows recorded before this date → purged, whoever they name.
    public var feedBefore: ExtractDate

    public init(
        asOf: ExtractDate,
        departedBefore: ExtractDate,
        departedOnOrBefore: ExtractDate?,
        receivedOnOrBefore: ExtractDate,
        journalBefore: ExtractDate,
        requestsClosedBefore: ExtractDate,
        securityIncidentsClosedBefore: ExtractDate,
        feedBefore: ExtractDate
    ) {
        self.feedBefore = feedBefore
        self.requestsClosedBefore = requestsClosedBefore
        self.securityIncidentsClosedBefore = securityIncidentsClosedBefore
        self.asOf = asOf
        self.departedBefore = departedBefore
        self.departedOnOrBefore = departedOnOrBefore
        self.receivedOnOrBefore = receivedOnOrBefore
        self.journalBefore = journalBefore
    }
}
