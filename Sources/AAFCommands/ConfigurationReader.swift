import AAFFileSystem
import AAFModel
import AAFParser
import AAFPipeline
import AAFPolicy
import AAFTransfer
import Foundation
import TOMLKit

#if canImport(Glibc)
import Glibc
#endif

/// Reads aafd's configuration, one settings type at a time, from a parsed TOML table; every error names the file,
/// the section and the key (exit 78).
struct ConfigurationReader {
    let table: TOMLTable
    let source: String
    /// The configuration file's folder: relative paths are resolved against it.
    let base: String

    func checkKeys() throws {
        for key in table.keys {
            guard let allowed = Configuration.schema[key] else {
                throw CommandFailure(.config, "\(source): unknown section [\(key)]; see Config/aafd.example.toml")
            }
            guard let section = table[key]?.table else {
                throw CommandFailure(.config, "\(source): \(key) must be a section ([\(key)])")
            }
            for sub in section.keys where !allowed.contains(sub) {
                throw CommandFailure(
                    .config,
                    "\(source): unknown key \(sub) in [\(key)]; see Config/aafd.example.toml"
                )
            }
        }
    }

    /// `[directory]`: the database (required), the state folder and the spool, resolved.
    func directory() throws -> Configuration {
        guard let database = try string("directory", "database"), !database.isEmpty else {
            throw CommandFailure(
                .config,
                "\(source): [directory] database is required (the SQLite file, e.g. /var/lib/aafd/aafd.sqlite3)"
            )
        }
        // systemd's StateDirectory= under DynamicUser= is a root-owned link (/var/lib/aafd-x → private/aafd-x):
        // such links are followed here, once; any other link stays for the R18 checks to refuse (issue 15).
        let databaseURL = URL(
            fileURLWithPath: PathTrust.resolvingRootLinks(Configuration.resolve(database, against: base))
        )
        var config = Configuration(
            databasePath: databaseURL.path,
            stateDirectory: try path("directory", "state_dir").map(PathTrust.resolvingRootLinks)
                ?? databaseURL.deletingLastPathComponent().path
        )
        config.spoolDirectory =
            try path("directory", "spool").map(PathTrust.resolvingRootLinks)
            ?? (config.stateDirectory as NSString).appendingPathComponent("spool")
        return config
    }

    /// `[import]` and `[retention]`: the departure guard (R21), the parser's limits, the retention delays, which may
    /// be shortened, never lengthened beyond the convention's (R6, R9–R11).
    func importSettings() throws -> ImportSettings {
        var settings = ImportSettings()
        if let percent = try double("import", "departure_guard_percent") {
            guard (0...100).contains(percent) else {
                throw CommandFailure(.config, "\(source): [import] departure_guard_percent must be between 0 and 100")
            }
            settings.departureGuard.maximumPercent = percent
        }
        if let people = try int("import", "departure_guard_minimum") {
            settings.departureGuard.maximumPeople = people
        }
        if let kib = try int("import", "chunk_size_kib") {
            settings.chunkSize = kib * 1024
        }
        if let bytes = try int("import", "max_value_bytes") {
            settings.limits.maxValueBytes = bytes
        }
        if let days = try int(
            "retention",
            "pupil_days_after_departure",
            note: " (unset: end of the civil year)"
        ) {
            settings.retention.pupilDaysAfterDeparture = days
        }
        if let days = try int("ent", "feed_retention_days") { settings.retention.feedRetentionDays = days }
        for (key, path, rule) in [
            ("record_max_age_years", \RetentionPolicy.recordMaxAgeYears, "R9"),
            ("journal_previous_years", \.journalPreviousYears, "R11"),
            ("refused_delivery_working_days", \.refusedDeliveryWorkingDays, "R10"),
            ("requests_previous_years", \.requestsPreviousYears, "art. 7 register, kept as the journal"),
            ("security_incident_years", \.securityIncidentYears, "art. 12 register, 5 years at most"),
        ] {
            let maximum = SettingsTable.range("retention", key)?.upperBound ?? 0
            if let value = try int(
                "retention",
                key,
                note: " (at most \(maximum), the convention's limit (\(rule)); shorter is allowed)"
            ) {
                settings.retention[keyPath: path] = value
            }
        }
        return settings
    }

    /// `[schedule]`: when `aafd run` fetches (R20).
    func schedule() throws -> Schedule {
        var schedule = Schedule()
        if let time = try string("schedule", "time") {
            let parts = time.split(separator: ":")
            guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0...23).contains(h),
                (0...59).contains(m)
            else {
                throw CommandFailure(.config, "\(source): [schedule] time must be HH:MM, e.g. \"06:30\"")
            }
            schedule.hour = h
            schedule.minute = m
        }
        if let zone = try string("schedule", "timezone") {
            guard let tz = TimeZone(identifier: zone) else {
                throw CommandFailure(
                    .config,
                    "\(source): [schedule] timezone \(zone) is not a known time zone (e.g. Europe/Paris)"
                )
            }
            schedule.timeZone = tz
        }
        schedule.retryMinutes = try int("schedule", "retry_minutes") ?? schedule.retryMinutes
        schedule.giveUpAfterHours = try int("schedule", "give_up_after_hours") ?? schedule.giveUpAfterHours
        schedule.spreadMinutes = try int("schedule", "spread_minutes") ?? 0
        return schedule
    }

    /// `[metrics] file_mode`: 0600, 0640 or 0644.
    func metricsFileMode() throws -> mode_t? {
        guard let mode = try string("metrics", "file_mode") else { return nil }
        guard let m = mode_t(mode, radix: 8), [0o600, 0o640, 0o644].contains(m) else {
            throw CommandFailure(.config, "\(source): [metrics] file_mode must be \"0600\", \"0640\" or \"0644\"")
        }
        return m
    }

    /// `[ent]`: the read-only copy's path (its folder must exist) and the group that may read it (it must exist).
    func entCopy() throws -> (path: String?, group: gid_t?) {
        let copy = try path("ent", "published_copy")
        var gid: gid_t?
        if let name = try string("ent", "reader_group") {
            guard copy != nil else {
                throw CommandFailure(.config, "\(source): [ent] reader_group needs [ent] published_copy")
            }
            guard let group = getgrnam(name) else {
                throw CommandFailure(.config, "\(source): [ent] reader_group \(name) is not a group on this machine")
            }
            gid = group.pointee.gr_gid
        }
        return (copy, gid)
    }

    /// `[log] level`.
    func logLevel() throws -> String? {
        guard let level = try string("log", "level") else { return nil }
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(level) else {
            throw CommandFailure(
                .config,
                "\(source): [log] level must be one of trace, debug, info, notice, warning, error, critical"
            )
        }
        return level
    }

    /// An integer that must lie in its declared range (``SettingsTable``): "must be between A and B" (or "A or
    /// more") otherwise.
    func int(_ section: String, _ key: String, note: String = "") throws -> Int? {
        guard let value = try integer(section, key) else { return nil }
        guard let range = SettingsTable.range(section, key) else { return value }
        guard range.contains(value) else {
            let bounds =
                range.upperBound == Int.max
                ? "\(range.lowerBound) or more" : "between \(range.lowerBound) and \(range.upperBound)"
            throw CommandFailure(.config, "\(source): [\(section)] \(key) must be \(bounds)\(note)")
        }
        return value
    }

    /// The `[sftp]` section; every key but `passphrase_file` and the defaults is required.
    func sftp() throws -> SFTPSettings {
        func required(_ key: String) throws -> String {
            guard let v = try string("sftp", key), !v.isEmpty else {
                throw CommandFailure(.config, "\(source): [sftp] \(key) is required; see Config/aafd.example.toml")
            }
            return v
        }
        var s = SFTPSettings(
            host: try required("host"),
            user: try required("user"),
            privateKey: Configuration.resolve(try required("private_key"), against: base),
            knownHosts: Configuration.resolve(try required("known_hosts"), against: base),
            remoteDirectory: try required("remote_dir")
        )
        s.port = try int("sftp", "port") ?? s.port
        s.passphraseFile = try path("sftp", "passphrase_file")
        if let v = value("sftp", "delete_after_download") {
            guard let b = v.bool else { throw typeError("sftp", "delete_after_download", "true or false") }
            s.deleteAfterDownload = b
        }
        if let v = value("sftp", "accepted_key_types") {
            guard let array = v.array else { throw typeError("sftp", "accepted_key_types", "a list of strings") }
            var types: Set<String> = []
            for item in array {
                guard let t = item.string, SFTPSettings.keyTypes.contains(t) else {
                    throw CommandFailure(
                        .config,
                        "\(source): [sftp] accepted_key_types may hold \(SFTPSettings.keyTypes.sorted().map { "\"\($0)\"" }.joined(separator: ", ")) only"
                    )
                }
                types.insert(t)
            }
            guard !types.isEmpty else {
                throw CommandFailure(.config, "\(source): [sftp] accepted_key_types must not be empty")
            }
            s.acceptedKeyTypes = types
        }
        s.maxFileMiB = try int("sftp", "max_file_mib") ?? s.maxFileMiB
        for (key, path) in [
            ("connect_timeout_seconds", \SFTPSettings.connectTimeoutSeconds),
            ("io_timeout_seconds", \.ioTimeoutSeconds),
        ] {
            s[keyPath: path] = try int("sftp", key) ?? s[keyPath: path]
        }
        return s
    }

    private func value(_ section: String, _ key: String) -> (any TOMLValueConvertible)? {
        table[section]?.table?[key]
    }

    /// A path value, resolved against the configuration file's folder.
    func path(_ section: String, _ key: String) throws -> String? {
        try string(section, key).map { Configuration.resolve($0, against: base) }
    }

    func string(_ section: String, _ key: String) throws -> String? {
        guard let v = value(section, key) else { return nil }
        guard let s = v.string else { throw typeError(section, key, "a string") }
        return s
    }

    func integer(_ section: String, _ key: String) throws -> Int? {
        guard let v = value(section, key) else { return nil }
        guard let i = v.int else { throw typeError(section, key, "an integer") }
        return i
    }

    func double(_ section: String, _ key: String) throws -> Double? {
        guard let v = value(section, key) else { return nil }
        if let d = v.double { return d }
        if let i = v.int { return Double(i) }
        throw typeError(section, key, "a number")
    }

    private func typeError(_ section: String, _ key: String, _ what: String) -> CommandFailure {
        CommandFailure(.config, "\(source): [\(section)] \(key) must be \(what)")
    }
}
