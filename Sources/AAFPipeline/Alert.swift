import AAFFileSystem
import AAFModel
import AAFStore
import Foundation
import Logging

/// `[alert] command`: run once per incident (R19) with a clean environment that holds no personal data (R15):
/// the incident's number, date, outcome, rule, extract date, reason (file names, rules, counts), and the commune.
public struct Alert {
    let command: String?
    let commune: String
    let now: () -> Date

    public init(_ settings: RunSettings) {
        command = settings.alertCommand
        commune = settings.commune
        now = settings.importSettings.now
    }

    /// The variables the command sees (Docs/operations.md, "Alerts").
    func environment(
        id: String,
        openedAt: String,
        outcome: String,
        rule: String?,
        extractDate: ExtractDate?,
        reason: String
    ) -> [String: String] {
        [
            "AAFD_INCIDENT_ID": id, "AAFD_INCIDENT_OPENED_AT": openedAt, "AAFD_OUTCOME": outcome,
            "AAFD_RULE": rule ?? "",
            "AAFD_EXTRACT_DATE": extractDate?.iso ?? "", "AAFD_REASON": reason, "AAFD_COMMUNE": commune,
        ]
    }

    /// Runs the command for an incident recorded in the directory, and marks it alerted when the command succeeds
    /// (without a command, the incident counts as alerted: there is nobody to tell but the logs).
    func raise(_ incident: Incident, store: DirectoryStore, logger: Logger) {
        guard let command else {
            try? store.markAlerted(incident.id)
            return
        }
        let env = environment(
            id: String(incident.id),
            openedAt: incident.openedAt,
            outcome: incident.outcome,
            rule: incident.rule,
            extractDate: incident.extractDate,
            reason: incident.reason
        )
        let status = Alert.shell(command, environment: env, timeout: 60)
        if status == 0 {
            try? store.markAlerted(incident.id)
            logger.notice("alert command ran", metadata: ["incident.id": "\(incident.id)"])
        } else {
            // Not marked: the next run tries the alert again (the incident is still open).
            logger.error(
                "alert command failed",
                metadata: ["incident.id": "\(incident.id)", "alert.status": "\(status.map(String.init) ?? "killed")"]
            )
        }
    }

    /// A deadline of the convention passed (an overdue rights request, a security incident's notification): the
    /// command runs with `AAFD_OUTCOME` naming it and `AAFD_INCIDENT_ID` the register's entry (`request-3`,
    /// `security-2`). No personal data in `reason` (R15).
    /// - Returns: whether the command ran and succeeded, or there is none.
    public func raiseDeadline(id: String, outcome: String, rule: String, reason: String) -> Bool {
        guard let command else { return true }
        let env = environment(
            id: id,
            openedAt: Timestamp.string(now()),
            outcome: outcome,
            rule: rule,
            extractDate: nil,
            reason: reason
        )
        return Alert.shell(command, environment: env, timeout: 60) == 0
    }

    /// An incident that cannot be recorded (the database is damaged): the command runs on every attempt.
    public func raiseUnrecorded(outcome: String, reason: String) {
        guard let command else { return }
        _ = Alert.shell(
            command,
            environment: environment(
                id: "",
                openedAt: Timestamp.string(now()),
                outcome: outcome,
                rule: nil,
                extractDate: nil,
                reason: reason
            ),
            timeout: 60
        )
    }

    /// What the command inherits from aafd's environment: nothing else. In particular not `CREDENTIALS_DIRECTORY`
    /// (the key's passphrase), `NOTIFY_SOCKET` (it could tell systemd the service is ready or stopping) or
    /// `WATCHDOG_USEC` (Docs/operations.md, "Incidents").
    static let inherited = ["PATH", "LANG", "LC_ALL", "TZ", "HOME", "USER", "LOGNAME"]

    /// Runs `/bin/sh -c command` in that clean environment plus `extra`, stdin from /dev/null, stdout and stderr to
    /// aafd's stderr (the journal under systemd, never into stdout's answers), killed after `timeout` seconds.
    /// - Returns: the exit status, or nil when it could not start or had to be killed.
    static func shell(_ command: String, environment extra: [String: String], timeout: Double) -> Int32? {
        let mine = ProcessInfo.processInfo.environment
        var env: [String: String] = ["PATH": "/usr/local/bin:/usr/bin:/bin"]
        for key in inherited { if let v = mine[key] { env[key] = v } }
        for (k, v) in extra { env[k] = v }
        guard let child = try? ChildProcess("/bin/sh", ["-c", command], environment: env, stdout: 2, stderr: 2) else {
            return nil
        }
        return child.wait(timeout: timeout)
    }
}
