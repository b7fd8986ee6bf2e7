import AAFModel
import AAFParser
import AAFPipeline
import AAFPolicy
import AAFTransfer
import Foundation

/// One setting of the configuration file, declared once (issue 22): its section and key as an administrator types
/// them, the rule it serves, and its effective value (defaults included) as the settings record keeps it.
struct Setting: Sendable {
    let section: String
    let key: String
    /// The rule or article it governs ("R9", "art. 7"); nil: none in particular.
    let rule: String?
    /// For an integer setting: the values accepted (the reader refuses any other, exit 78).
    let range: ClosedRange<Int>?
    let value: @Sendable (Configuration) -> String

    init(
        _ section: String,
        _ key: String,
        _ rule: String? = nil,
        range: ClosedRange<Int>? = nil,
        _ value: @escaping @Sendable (Configuration) -> String
    ) {
        (self.section, self.key, self.rule, self.range, self.value) = (section, key, rule, range, value)
    }

    /// `[section] key`, as the file, the messages and the settings record name it.
    var name: String { "[\(section)] \(key)" }
}

/// Every setting aafd reads. The unknown-key check (`Configuration.schema`), the settings record (by TOML key,
/// never a Swift property path: art. 6.1's evidence must say what an administrator changed) and the key list of
/// Docs/operations.md and Config/aafd.example.toml (checked by `CommandLineTests.exampleConfig`) come from here.
/// An integer's accepted range is declared here too, and `ConfigurationReader.int` reads it from here.
enum SettingsTable {
    static let all: [Setting] = [
        Setting("directory", "database") { $0.databasePath },
        Setting("directory", "state_dir") { $0.stateDirectory },
        Setting("directory", "spool") { $0.spoolDirectory },
        Setting("sftp", "host") { $0.sftp?.host ?? "unset" },
        Setting("sftp", "port", range: 1...65535) { $0.sftp.map { String($0.port) } ?? "unset" },
        Setting("sftp", "user") { $0.sftp?.user ?? "unset" },
        Setting("sftp", "private_key", "R16") { $0.sftp?.privateKey ?? "unset" },
        Setting("sftp", "passphrase_file", "R16") { $0.sftp?.passphraseFile ?? "unset" },
        Setting("sftp", "known_hosts", "R17") { $0.sftp?.knownHosts ?? "unset" },
        Setting("sftp", "remote_dir") { $0.sftp?.remoteDirectory ?? "unset" },
        Setting("sftp", "delete_after_download", "R10") { $0.sftp.map { String($0.deleteAfterDownload) } ?? "unset" },
        Setting("sftp", "accepted_key_types", "R17") {
            $0.sftp.map { $0.acceptedKeyTypes.sorted().joined(separator: ",") } ?? "unset"
        },
        Setting("sftp", "max_file_mib", range: 1...16384) { $0.sftp.map { String($0.maxFileMiB) } ?? "unset" },
        Setting("sftp", "connect_timeout_seconds", range: 1...3600) {
            $0.sftp.map { String($0.connectTimeoutSeconds) } ?? "unset"
        },
        Setting("sftp", "io_timeout_seconds", range: 1...3600) {
            $0.sftp.map { String($0.ioTimeoutSeconds) } ?? "unset"
        },
        Setting("import", "departure_guard_percent", "R21") {
            String($0.importSettings.departureGuard.maximumPercent)
        },
        Setting("import", "departure_guard_minimum", "R21", range: 0...Int.max) {
            String($0.importSettings.departureGuard.maximumPeople)
        },
        Setting("import", "chunk_size_kib", range: 4...1024) { String($0.importSettings.chunkSize / 1024) },
        Setting("import", "max_value_bytes", range: 256...1_000_000) { String($0.importSettings.limits.maxValueBytes) },
        Setting("retention", "pupil_days_after_departure", "R6", range: 0...365) {
            $0.importSettings.retention.pupilDaysAfterDeparture.map(String.init) ?? "end of the civil year"
        },
        Setting("retention", "record_max_age_years", "R9", range: 1...2) {
            String($0.importSettings.retention.recordMaxAgeYears)
        },
        Setting("retention", "journal_previous_years", "R11", range: 0...1) {
            String($0.importSettings.retention.journalPreviousYears)
        },
        Setting("retention", "refused_delivery_working_days", "R10", range: 0...5) {
            String($0.importSettings.retention.refusedDeliveryWorkingDays)
        },
        Setting("retention", "erasure_wait_seconds", "R12", range: 1...600) { String($0.erasureWaitSeconds) },
        Setting("retention", "requests_previous_years", "art. 7", range: 0...1) {
            String($0.importSettings.retention.requestsPreviousYears)
        },
        Setting("retention", "security_incident_years", "art. 12", range: 1...5) {
            String($0.importSettings.retention.securityIncidentYears)
        },
        Setting("log", "level") { $0.logLevel },
        Setting("convention", "commune", "R13") { $0.commune },
        Setting("convention", "academy", "R13") { $0.academy },
        Setting("convention", "publisher", "R13") { $0.publisher },
        Setting("convention", "academie_alert_address", "R19") { $0.academieAlertAddress },
        Setting("convention", "ien_address", "R19") { $0.ienAddress ?? "unset" },
        Setting("convention", "dpo_contact") { $0.dpoContact ?? "unset" },
        Setting("schedule", "time", "R20") { String(format: "%02d:%02d", $0.schedule.hour, $0.schedule.minute) },
        // The zone's name, never its current abbreviation or offset: those change twice a year by themselves.
        Setting("schedule", "timezone", "R20") { $0.schedule.timeZone.identifier },
        Setting("schedule", "retry_minutes", "R20", range: 1...720) { String($0.schedule.retryMinutes) },
        Setting("schedule", "give_up_after_hours", "R20", range: 1...23) { String($0.schedule.giveUpAfterHours) },
        Setting("schedule", "spread_minutes", "R20", range: 0...180) { String($0.schedule.spreadMinutes) },
        Setting("alert", "command", "R19") { $0.alertCommand ?? "unset" },
        Setting("hooks", "after_import") { $0.afterImportCommand ?? "unset" },
        Setting("ent", "published_copy", "R18") { $0.publishedCopy ?? "unset" },
        Setting("ent", "reader_group", "R18") { $0.readerGroup.map { String($0) } ?? "unset" },
        Setting("ent", "feed_retention_days", "R8", range: 1...RetentionPolicy.maximumFeedRetentionDays) {
            String($0.importSettings.retention.feedRetentionDays)
        },
        Setting("metrics", "textfile") { $0.metricsTextfile ?? "unset" },
        Setting("metrics", "file_mode", "R18") { "0" + String($0.metricsFileMode, radix: 8) },
    ]

    /// The keys each section accepts.
    static let schema: [String: Set<String>] = Dictionary(grouping: all, by: \.section).mapValues {
        Set($0.map(\.key))
    }

    /// The accepted range of an integer setting.
    static func range(_ section: String, _ key: String) -> ClosedRange<Int>? {
        all.first { $0.section == section && $0.key == key }?.range
    }

    /// Every effective setting, `[section] key` → value.
    static func effective(_ configuration: Configuration) -> [String: String] {
        Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0.value(configuration)) })
    }
}
