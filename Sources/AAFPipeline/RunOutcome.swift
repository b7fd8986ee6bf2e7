import AAFFileSystem
import AAFModel
import AAFStore
import AAFTransfer
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// What one run (fetch + import, or one folder) came to.
public struct RunOutcome: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case imported
        /// Nothing new on the server yet: not an incident before `give_up_after_hours` (daemon).
        case nothingNew = "no-delivery"
        /// The server cannot be reached or stopped answering: retried (daemon).
        case unavailable
        /// A delivery was refused (R21, malformed, incomplete…).
        case refused
        /// The host key or the key was refused (R16, R17), or the configuration is wrong.
        case denied
        case failed
        /// Stopped by SIGTERM/SIGINT before the commit: nothing imported, not an incident.
        case stopped
    }

    public var kind: Kind
    public var status: ExitStatus
    public var message: String?
    public var rule: String?
    public var extractDate: ExtractDate?
    public var reports: [ImportReport] = []
    /// Remote files still owed a deletion after this run (R10); file names only.
    public var owedDeletions: [String] = []
    /// Owed deletions from earlier runs that this run completed.
    public var owedSettled = 0
    public var bytesDownloaded = 0
    public var duration = 0.0
    /// The change feed's cursor when the run began (for `[hooks] after_import`).
    public var changeCursorBefore: Int?

    /// The incident outcome of a run whose remote deletions the server refused (R10).
    public static let remoteDeletionOutcome = "remote-deletion-refused"
    /// The incident of an ENT's copy that could not be published (issue 21): the ENT keeps reading a stale
    /// directory. Closed by the next publication that succeeds, not by an import.
    public static let publicationOutcome = "publication-failed"
    /// The incident outcome of a deletion whose values a reader kept in the database files (R12).
    public static let erasurePendingOutcome = "erasure-pending"

    /// Whether this outcome opens an incident at once (R19). `nothingNew`/`unavailable` only do so when the daemon
    /// gives up on the day.
    public init(
        kind: Kind,
        status: ExitStatus,
        message: String? = nil,
        rule: String? = nil,
        extractDate: ExtractDate? = nil
    ) {
        self.kind = kind
        self.status = status
        self.message = message
        self.rule = rule
        self.extractDate = extractDate
    }

    public var isIncident: Bool { [.refused, .denied, .failed].contains(kind) }
}
