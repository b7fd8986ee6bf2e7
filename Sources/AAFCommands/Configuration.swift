import AAFFileSystem
import AAFModel
import AAFParser
import AAFPipeline
import AAFPolicy
import AAFTransfer
import Foundation
import TOMLKit

/// aafd's configuration, read from TOML (`--config`, default `/etc/aafd/aafd.toml`).
///
/// Every key, its type and default are documented in `Config/aafd.example.toml` and Docs/operations.md.
/// Unknown sections and keys are errors (exit 78), so a typo never silently falls back to a default.
public struct Configuration: Sendable {
    public static let defaultPath = "/etc/aafd/aafd.toml"

    /// `[directory] database`: the SQLite file (required).
    public var databasePath: String
    /// `[directory] state_dir`: lock file and other state; default: the database's folder.
    public var stateDirectory: String
    /// `[directory] spool`: downloaded deliveries; default: `state_dir/spool`.
    public var spoolDirectory: String = ""
    /// `[sftp]`: the académie's server; nil when the section is absent (then only `--from-dir` imports work).
    public var sftp: SFTPSettings?
    /// `[import]` and `[retention]` settings.
    public var importSettings = ImportSettings()
    /// `[convention]`: the parties named on certificates of deletion (R13).
    public var commune = "(commune not configured)"
    public var academy = "Académie de Créteil"
    public var publisher = "(ENT publisher not configured)"
    /// `[convention] academie_alert_address`: the académie's alert chain (art. 12); Créteil's by default.
    public var academieAlertAddress = "alerte-ssi@ac-creteil.fr"
    /// `[convention] ien_address`: the IEN of the circonscription, also told of every incident (art. 12).
    public var ienAddress: String?
    /// `[convention] dpo_contact`: the commune's data protection officer, on the documents it sends.
    public var dpoContact: String?
    /// `[schedule]`: when `aafd run` fetches (R20).
    public var schedule = Schedule()
    /// `[alert] command`: run once per incident (R19), through /bin/sh, with AAFD_* variables; nil: none.
    public var alertCommand: String?
    /// `[ent] published_copy`: the ENT's read-only copy, republished after every change; nil: none (ADR 0012).
    public var publishedCopy: String?
    /// `[ent] reader_group`: the group that may read it (mode 0640); nil: 0600.
    public var readerGroup: gid_t?
    /// `[hooks] after_import`: run after each run that imported, with the change feed's cursor range; nil: none.
    public var afterImportCommand: String?
    /// `[metrics] textfile`: node_exporter textfile written after each run; nil: none.
    public var metricsTextfile: String?
    /// `[metrics] file_mode`: 0600 by default (R18); 0640 or 0644 when node_exporter runs as another user.
    public var metricsFileMode: mode_t = 0o600
    /// `[retention] erasure_wait_seconds`: how long a deletion waits for readers before it is reported incomplete
    /// (R12, exit 75, incident). Default 30.
    public var erasureWaitSeconds = 30
    /// `[log] level`: trace, debug, info, notice, warning, error, critical.
    public var logLevel = "info"

    /// The keys each section accepts (``SettingsTable``).
    static var schema: [String: Set<String>] { SettingsTable.schema }

    /// Reads and validates the file at `path`.
    public static func load(path: String) throws -> Configuration {
        // It holds a command aafd runs ([alert] command): nobody but its owner (aafd's user or root) may write it.
        do {
            try PathTrust.check(path, .configuration, what: "the configuration file")
        } catch let refusal as PathTrust.Refusal {
            throw CommandFailure(.config, refusal.message)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure(
                .config,
                "cannot read the configuration file \(path); pass --config PATH or create it from Config/aafd.example.toml"
            )
        }
        // Relative paths in the file are relative to the file's folder, whatever the working directory (cron runs
        // from $HOME, systemd from /).
        let absolute = URL(fileURLWithPath: path).standardizedFileURL
        return try parse(
            String(decoding: data, as: UTF8.self),
            source: path,
            baseDirectory: absolute.deletingLastPathComponent().path
        )
    }

    /// Resolves a path from the configuration: absolute as given, relative against `base`.
    static func resolve(_ path: String, against base: String) -> String {
        let url =
            path.hasPrefix("/") ? URL(fileURLWithPath: path) : URL(fileURLWithPath: base).appendingPathComponent(path)
        return url.standardizedFileURL.path
    }

    /// Parses TOML text; `source` names it in errors; relative paths are resolved against `baseDirectory`
    /// (default: the working directory, for configurations built in memory).
    public static func parse(
        _ text: String,
        source: String,
        baseDirectory: String = FileManager.default.currentDirectoryPath
    ) throws -> Configuration {
        try precheck(text, source: source)
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw CommandFailure(
                .config,
                "\(source):\(error.source.begin.line):\(error.source.begin.column): invalid TOML: \(error.description)"
            )
        } catch {
            throw CommandFailure(.config, "\(source): invalid TOML")
        }
        // The file the Debian package installs is all comments until an administrator edits it.
        guard !table.isEmpty else {
            throw CommandFailure(
                .config,
                "\(source) configures nothing yet (no setting, only comments): [directory] database is required (the "
                    + "SQLite file, e.g. /var/lib/aafd/aafd.sqlite3); to fetch over SFTP set [sftp] host, user, "
                    + "private_key, known_hosts and remote_dir, and [convention] commune and publisher (each is "
                    + "explained in the file), then run aafd check-config again"
            )
        }
        let reader = ConfigurationReader(table: table, source: source, base: baseDirectory)
        try reader.checkKeys()
        var config = try reader.directory()
        if table["sftp"] != nil {
            config.sftp = try reader.sftp()
        }
        config.importSettings = try reader.importSettings()
        config.erasureWaitSeconds =
            try reader.int("retention", "erasure_wait_seconds") ?? config.erasureWaitSeconds
        config.schedule = try reader.schedule()
        // The spread's offset follows the instance: its configuration file (one per commune on a host) and its
        // login at the académie's server.
        config.schedule.offsetSeconds = Schedule.stableOffset(
            of: source + (config.sftp.map { " \($0.user)@\($0.host)" } ?? ""),
            withinMinutes: config.schedule.spreadMinutes
        )
        config.alertCommand = try reader.string("alert", "command").flatMap { $0.isEmpty ? nil : $0 }
        config.afterImportCommand = try reader.string("hooks", "after_import").flatMap { $0.isEmpty ? nil : $0 }
        (config.publishedCopy, config.readerGroup) = try reader.entCopy()
        config.metricsTextfile = try reader.path("metrics", "textfile")
        config.metricsFileMode = try reader.metricsFileMode() ?? config.metricsFileMode
        config.commune = try reader.string("convention", "commune") ?? config.commune
        config.academy = try reader.string("convention", "academy") ?? config.academy
        config.publisher = try reader.string("convention", "publisher") ?? config.publisher
        config.academieAlertAddress =
            try reader.string("convention", "academie_alert_address") ?? config.academieAlertAddress
        config.ienAddress = try reader.string("convention", "ien_address").flatMap { $0.isEmpty ? nil : $0 }
        config.dpoContact = try reader.string("convention", "dpo_contact").flatMap { $0.isEmpty ? nil : $0 }
        config.logLevel = try reader.logLevel() ?? config.logLevel
        return config
    }

    /// Today's date where aafd runs (the machine's time zone), from the import settings' clock.
    public var today: ExtractDate {
        ExtractDate.day(of: importSettings.now())
    }

    /// What a run (fetch, import, incident, alert, purge, metrics) needs from this configuration.
    public var run: RunSettings {
        RunSettings(
            sftp: sftp,
            spoolDirectory: spoolDirectory,
            importSettings: importSettings,
            alertCommand: alertCommand,
            afterImportCommand: afterImportCommand,
            publishedCopy: publishedCopy.map { ($0, readerGroup) },
            commune: commune,
            metricsTextfile: metricsTextfile,
            metricsFileMode: metricsFileMode,
            answersDirectory: answersDirectory
        )
    }

    /// Where `person show --for-request` writes access answers by default: `state_dir/answers` (0700). Purged with
    /// the request they answer (issue 14).
    public var answersDirectory: String { (stateDirectory as NSString).appendingPathComponent("answers") }

    /// The lock file every aafd run takes before it writes.
    public var lockPath: String { (stateDirectory as NSString).appendingPathComponent("aafd.lock") }
}
