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
    /// `[schedule]`: when `aafd run` fetches (R20).
    public var schedule = Schedule()
    /// `[alert] command`: run once per incident (R19), through /bin/sh, with AAFD_* variables; nil: none.
    public var alertCommand: String?
    /// `[metrics] textfile`: node_exporter textfile written after each run; nil: none.
    public var metricsTextfile: String?
    /// `[metrics] file_mode`: 0600 by default (R18); 0640 or 0644 when node_exporter runs as another user.
    public var metricsFileMode: mode_t = 0o600
    /// `[retention] erasure_wait_seconds`: how long a deletion waits for readers before it is reported incomplete
    /// (R12, exit 75, incident). Default 30.
    public var erasureWaitSeconds = 30
    /// `[log] level`: trace, debug, info, notice, warning, error, critical.
    public var logLevel = "info"

    /// The keys each section accepts.
    static let schema: [String: Set<String>] = [
        "directory": ["database", "state_dir", "spool"],
        "sftp": [
            "host", "port", "user", "private_key", "passphrase_file", "known_hosts", "remote_dir",
            "delete_after_download",
            "accepted_key_types", "max_file_mib",
            "connect_timeout_seconds", "io_timeout_seconds",
        ],
        "import": ["departure_guard_percent", "departure_guard_minimum", "chunk_size_kib", "max_value_bytes"],
        "retention": [
            "pupil_days_after_departure", "record_max_age_years", "journal_previous_years",
            "refused_delivery_working_days",
            "erasure_wait_seconds",
        ],
        "log": ["level"],
        "convention": ["commune", "academy", "publisher"],
        "schedule": ["time", "timezone", "retry_minutes", "give_up_after_hours"],
        "alert": ["command"],
        "metrics": ["textfile", "file_mode"],
    ]

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

    /// Refuses, with exit 78 and the line, the table headers that make TOMLKit's parser (toml++) abort the process
    /// on an assertion instead of reporting an error: a `[` or `[[` followed by anything but a key, a quote, `[` or
    /// `]` (`[.`, `[#`, `[=`, `[[[`; found by fuzzing, scripts/fuzz.sh). Lines inside multi-line strings are skipped.
    static func precheck(_ text: String, source: String) throws {
        // On bytes, not Characters: a combining mark after `[` would otherwise hide the bracket in one grapheme.
        var inMultiline = false
        let space = UInt8(ascii: " ")
        let tab = UInt8(ascii: "\t")
        let open = UInt8(ascii: "[")
        let hash = UInt8(ascii: "#")
        let dq = UInt8(ascii: "\"")
        let sq = UInt8(ascii: "'")
        for (index, raw) in Array(text.utf8).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .enumerated()
        {
            let line = raw.drop(while: { $0 == space || $0 == tab })
            // Only the code before a comment can open or close a multi-line string (`# """` does not).
            var code = line[...]
            if !inMultiline {
                var quote: UInt8?
                for i in line.indices {
                    let c = line[i]
                    if let q = quote {
                        if c == q { quote = nil }
                    } else if c == dq || c == sq {
                        quote = c
                    } else if c == hash {
                        code = line[..<i]
                        break
                    }
                }
            }
            var triples = 0
            var i = code.startIndex
            while code.endIndex - i >= 3 {
                if code[i] == dq || code[i] == sq, code[i + 1] == code[i], code[i + 2] == code[i] {
                    triples += 1
                    i += 3
                } else {
                    i += 1
                }
            }
            defer { if triples % 2 == 1 { inMultiline.toggle() } }
            guard !inMultiline, line.first == open else { continue }
            var rest = line.dropFirst()
            if rest.first == open { rest = rest.dropFirst() }
            rest = rest.drop(while: { $0 == space || $0 == tab })
            guard let next = rest.first else {
                throw CommandFailure(
                    .config,
                    "\(source):\(index + 1): a table header is not closed; see Config/aafd.example.toml"
                )
            }
            let bare =
                (next >= 0x30 && next <= 0x39) || (next >= 0x41 && next <= 0x5A) || (next >= 0x61 && next <= 0x7A)
            guard
                bare || next == UInt8(ascii: "_") || next == UInt8(ascii: "-") || next == dq || next == sq
                    || next == UInt8(ascii: "]")
            else {
                throw CommandFailure(
                    .config,
                    "\(source):\(index + 1): a table name must start with a letter, a digit, '_', '-' or a quote; see Config/aafd.example.toml"
                )
            }
        }
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
        let reader = Reader(table: table, source: source, base: baseDirectory)
        try reader.checkKeys()
        guard let database = try reader.string("directory", "database"), !database.isEmpty else {
            throw CommandFailure(
                .config,
                "\(source): [directory] database is required (the SQLite file, e.g. /var/lib/aafd/aafd.sqlite3)"
            )
        }
        let databaseURL = URL(fileURLWithPath: resolve(database, against: baseDirectory))
        var config = Configuration(
            databasePath: databaseURL.path,
            stateDirectory: try reader.path("directory", "state_dir") ?? databaseURL.deletingLastPathComponent().path
        )
        config.spoolDirectory =
            try reader.path("directory", "spool")
            ?? (config.stateDirectory as NSString).appendingPathComponent("spool")
        if table["sftp"] != nil {
            config.sftp = try reader.sftp()
        }
        if let percent = try reader.double("import", "departure_guard_percent") {
            guard (0...100).contains(percent) else {
                throw CommandFailure(.config, "\(source): [import] departure_guard_percent must be between 0 and 100")
            }
            config.importSettings.departureGuard.maximumPercent = percent
        }
        if let people = try reader.int("import", "departure_guard_minimum") {
            guard people >= 0 else {
                throw CommandFailure(.config, "\(source): [import] departure_guard_minimum must be 0 or more")
            }
            config.importSettings.departureGuard.maximumPeople = people
        }
        if let kib = try reader.int("import", "chunk_size_kib") {
            guard (4...1024).contains(kib) else {
                throw CommandFailure(.config, "\(source): [import] chunk_size_kib must be between 4 and 1024")
            }
            config.importSettings.chunkSize = kib * 1024
        }
        if let bytes = try reader.int("import", "max_value_bytes") {
            guard (256...1_000_000).contains(bytes) else {
                throw CommandFailure(.config, "\(source): [import] max_value_bytes must be between 256 and 1000000")
            }
            config.importSettings.limits.maxValueBytes = bytes
        }
        // Retention delays may be shortened, never lengthened beyond the convention's.
        if let days = try reader.int("retention", "pupil_days_after_departure") {
            guard (0...365).contains(days) else {
                throw CommandFailure(
                    .config,
                    "\(source): [retention] pupil_days_after_departure must be between 0 and 365 (unset: end of the civil year)"
                )
            }
            config.importSettings.retention.pupilDaysAfterDeparture = days
        }
        if let seconds = try reader.int("retention", "erasure_wait_seconds") {
            guard (1...600).contains(seconds) else {
                throw CommandFailure(.config, "\(source): [retention] erasure_wait_seconds must be between 1 and 600")
            }
            config.erasureWaitSeconds = seconds
        }
        for (key, path, maximum, rule) in [
            ("record_max_age_years", \RetentionPolicy.recordMaxAgeYears, 2, "R9"),
            ("journal_previous_years", \.journalPreviousYears, 1, "R11"),
            ("refused_delivery_working_days", \.refusedDeliveryWorkingDays, 5, "R10"),
        ] {
            if let value = try reader.int("retention", key) {
                guard (key == "record_max_age_years" ? 1 : 0)...maximum ~= value else {
                    throw CommandFailure(
                        .config,
                        "\(source): [retention] \(key) must be at most \(maximum), the convention's limit (\(rule)); shorter is allowed"
                    )
                }
                config.importSettings.retention[keyPath: path] = value
            }
        }
        if let time = try reader.string("schedule", "time") {
            let parts = time.split(separator: ":")
            guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0...23).contains(h),
                (0...59).contains(m)
            else {
                throw CommandFailure(.config, "\(source): [schedule] time must be HH:MM, e.g. \"06:30\"")
            }
            config.schedule.hour = h
            config.schedule.minute = m
        }
        if let zone = try reader.string("schedule", "timezone") {
            guard let tz = TimeZone(identifier: zone) else {
                throw CommandFailure(
                    .config,
                    "\(source): [schedule] timezone \(zone) is not a known time zone (e.g. Europe/Paris)"
                )
            }
            config.schedule.timeZone = tz
        }
        if let minutes = try reader.int("schedule", "retry_minutes") {
            guard (1...720).contains(minutes) else {
                throw CommandFailure(.config, "\(source): [schedule] retry_minutes must be between 1 and 720")
            }
            config.schedule.retryMinutes = minutes
        }
        if let hours = try reader.int("schedule", "give_up_after_hours") {
            guard (1...23).contains(hours) else {
                throw CommandFailure(.config, "\(source): [schedule] give_up_after_hours must be between 1 and 23")
            }
            config.schedule.giveUpAfterHours = hours
        }
        config.alertCommand = try reader.string("alert", "command").flatMap { $0.isEmpty ? nil : $0 }
        config.metricsTextfile = try reader.path("metrics", "textfile")
        if let mode = try reader.string("metrics", "file_mode") {
            guard let m = mode_t(mode, radix: 8), [0o600, 0o640, 0o644].contains(m) else {
                throw CommandFailure(.config, "\(source): [metrics] file_mode must be \"0600\", \"0640\" or \"0644\"")
            }
            config.metricsFileMode = m
        }
        config.commune = try reader.string("convention", "commune") ?? config.commune
        config.academy = try reader.string("convention", "academy") ?? config.academy
        config.publisher = try reader.string("convention", "publisher") ?? config.publisher
        if let level = try reader.string("log", "level") {
            guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(level) else {
                throw CommandFailure(
                    .config,
                    "\(source): [log] level must be one of trace, debug, info, notice, warning, error, critical"
                )
            }
            config.logLevel = level
        }
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
            commune: commune,
            metricsTextfile: metricsTextfile,
            metricsFileMode: metricsFileMode
        )
    }

    /// The lock file every aafd run takes before it writes.
    public var lockPath: String { (stateDirectory as NSString).appendingPathComponent("aafd.lock") }

    private struct Reader {
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
            if let port = try int("sftp", "port") {
                guard (1...65535).contains(port) else {
                    throw CommandFailure(.config, "\(source): [sftp] port must be between 1 and 65535")
                }
                s.port = port
            }
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
            if let mib = try int("sftp", "max_file_mib") {
                guard (1...16384).contains(mib) else {
                    throw CommandFailure(.config, "\(source): [sftp] max_file_mib must be between 1 and 16384")
                }
                s.maxFileMiB = mib
            }
            for (key, path) in [
                ("connect_timeout_seconds", \SFTPSettings.connectTimeoutSeconds),
                ("io_timeout_seconds", \.ioTimeoutSeconds),
            ] {
                if let t = try int("sftp", key) {
                    guard (1...3600).contains(t) else {
                        throw CommandFailure(.config, "\(source): [sftp] \(key) must be between 1 and 3600")
                    }
                    s[keyPath: path] = t
                }
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

        func int(_ section: String, _ key: String) throws -> Int? {
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
}
