import AAFModel
import AAFPolicy
import AAFTransfer
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What a run needs to know: built from the configuration file (`Configuration.run`), or in memory by tests.
public struct RunSettings: Sendable {
    /// `[sftp]`; nil when only `--from-dir` imports are possible.
    public var sftp: SFTPSettings?
    /// `[directory] spool`.
    public var spoolDirectory: String
    /// `[import]` and `[retention]`, and the clock (`importSettings.now`).
    public var importSettings: ImportSettings
    /// `[alert] command`; nil: none.
    public var alertCommand: String?
    /// `[hooks] after_import`; nil: none.
    public var afterImportCommand: String?
    /// `[ent] published_copy` and `reader_group`; nil: no copy.
    public var publishedCopy: (path: String, group: gid_t?)?
    /// `[convention] commune`, given to the alert command.
    public var commune: String
    /// `[metrics] textfile`; nil: none.
    public var metricsTextfile: String?
    /// `[metrics] file_mode`.
    public var metricsFileMode: mode_t
    /// Where access answers are written (`state_dir/answers`); erased with the request they answer.
    public var answersDirectory: String?

    public init(
        sftp: SFTPSettings?,
        spoolDirectory: String,
        importSettings: ImportSettings,
        alertCommand: String? = nil,
        afterImportCommand: String? = nil,
        publishedCopy: (path: String, group: gid_t?)? = nil,
        commune: String,
        metricsTextfile: String? = nil,
        metricsFileMode: mode_t = 0o600,
        answersDirectory: String? = nil
    ) {
        self.answersDirectory = answersDirectory
        self.sftp = sftp
        self.spoolDirectory = spoolDirectory
        self.importSettings = importSettings
        self.alertCommand = alertCommand
        self.afterImportCommand = afterImportCommand
        self.publishedCopy = publishedCopy
        self.commune = commune
        self.metricsTextfile = metricsTextfile
        self.metricsFileMode = metricsFileMode
    }

    /// Today, by the run's clock.
    public var today: ExtractDate { ExtractDate.day(of: importSettings.now()) }
}

/// Where a run writes for people: results and summaries, notes for the operator, and a transient progress line.
/// The commands give it stdout, stderr and the terminal; tests give it closures that record.
public struct RunOutput: Sendable {
    /// Results and summaries (stdout; stderr when stdout carries JSON).
    public var result: @Sendable (String) -> Void
    /// Short notes for the operator ("aafd: purged …", stderr).
    public var note: @Sendable (String) -> Void
    /// A transient progress line; nil clears it.
    public var progress: @Sendable (String?) -> Void

    public init(
        result: @escaping @Sendable (String) -> Void,
        note: @escaping @Sendable (String) -> Void,
        progress: @escaping @Sendable (String?) -> Void = { _ in }
    ) {
        self.result = result
        self.note = note
        self.progress = progress
    }

    /// stdout for results, stderr for notes, no progress line; each escaped (``OutsideText``: a reason may quote
    /// a server's message).
    public static var standard: RunOutput {
        RunOutput(
            result: { Swift.print(OutsideText.escapedKeepingLines($0)) },
            note: { FileHandle.standardError.write(Data("aafd: \(OutsideText.escaped($0))\n".utf8)) }
        )
    }
}
