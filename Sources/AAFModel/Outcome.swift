/// What happened to a delivery or a run: the one value the importer builds, the run carries, the journal and the
/// incident record, the metrics count and the command turns into an exit status (``ExitStatus/init(for:)``).
/// Built once, where the error is understood; its message is never edited afterwards (issue 22).
public struct Outcome: Sendable, Hashable {
    /// The one word of the metrics, the daemon's decision and the incident.
    public enum Kind: String, Sendable, CaseIterable {
        case imported
        /// Nothing new on the server yet: not an incident before `give_up_after_hours` (daemon).
        case nothingNew = "no-delivery"
        /// The server cannot be reached or stopped answering: retried (daemon).
        case unavailable
        /// A delivery was refused (R18, R20, R21, malformed, incomplete…).
        case refused
        /// The host key or the key was refused (R16, R17), or the configuration or a local path is wrong (R18).
        case denied
        case failed
        /// Stopped by SIGTERM/SIGINT before the commit: nothing imported, not an incident.
        case stopped
    }

    /// Why it is not simply done; decides the exit status. Three causes are incidents of their own, whatever the
    /// run's kind: their raw value is the incident's outcome word.
    public enum Cause: String, Sendable, Hashable, CaseIterable {
        /// The delivery itself (exit 65).
        case delivery
        /// The server: unreachable, nothing new, a transfer cut (exit 69).
        case server
        /// The host key or the key (exit 77).
        case credentials
        /// The configuration, or a local path aafd must not trust (exit 78).
        case configuration
        /// The database, the spool or the disk (exit 74).
        case storage
        /// A bug (exit 1).
        case internalError = "internal"
        /// Another run holds the lock (exit 75).
        case busy
        /// R10: imported, but the server kept copies it should have destroyed (exit 76).
        case remoteCopiesKept = "remote-deletion-refused"
        /// R12: deleted values still in the database files, a reader held them (exit 75).
        case erasurePending = "erasure-pending"
        /// The ENT's copy could not be published (an incident; the run's own exit status is unchanged).
        case publication = "publication-failed"
    }

    public var kind: Kind
    public var cause: Cause?
    /// What went wrong and what to do; never a personal value (R15).
    public var message: String?
    public var rule: Rule?
    public var extractDate: ExtractDate?

    public init(
        _ kind: Kind,
        cause: Cause? = nil,
        message: String? = nil,
        rule: Rule? = nil,
        extractDate: ExtractDate? = nil
    ) {
        (self.kind, self.cause, self.message, self.rule, self.extractDate) = (kind, cause, message, rule, extractDate)
    }

    /// Whether this outcome opens an incident at once (R19). `nothingNew`/`unavailable` only do so when the daemon
    /// gives up on the day.
    public var isIncident: Bool { [.refused, .denied, .failed].contains(kind) }
}

extension ExitStatus {
    /// The one mapping from an outcome to aafd's exit status (Docs/operations.md, "Exit codes").
    public init(for outcome: Outcome) {
        guard let cause = outcome.cause else {
            self = .ok
            return
        }
        switch cause {
        case .delivery: self = .dataError
        case .server: self = .unavailable
        case .credentials: self = .noPermission
        case .configuration: self = .config
        case .storage: self = .ioError
        case .internalError: self = .failure
        case .busy, .erasurePending: self = .tempFail
        case .remoteCopiesKept: self = .remoteNotDeleted
        case .publication: self = .ok
        }
    }
}
