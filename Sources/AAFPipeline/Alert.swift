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
            try? store.incidents.markAlerted(incident.id)
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
            try? store.incidents.markAlerted(incident.id)
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

    /// Runs `/bin/sh -c command` with a fixed environment plus `extra` (escaped: ``OutsideText``), stdin from
    /// /dev/null, stdout and stderr to aafd's stderr (the journal under systemd, never into stdout's answers), no
    /// other descriptor and no controlling terminal, killed after `timeout` seconds (issue 20).
    ///
    /// The environment is fixed, not inherited: a root shell's `PATH`, `USER=root` or an administrator's variables
    /// never reach a command that runs as aafd; nor `CREDENTIALS_DIRECTORY` (the key's passphrase),
    /// `NOTIFY_SOCKET` (it could tell systemd the service is ready or stopping) or `WATCHDOG_USEC`
    /// (Docs/operations.md, "Incidents").
    /// - Returns: the exit status, or nil when it could not start or had to be killed.
    public static func shell(_ command: String, environment extra: [String: String], timeout: Double) -> Int32? {
        var env = fixedEnvironment()
        for (k, v) in extra { env[k] = OutsideText.escaped(v) }
        guard
            let child = try? ChildProcess(
                "/bin/sh",
                ["-c", command],
                environment: env,
                stdout: 2,
                stderr: 2,
                isolated: true
            )
        else {
            return nil
        }
        return child.wait(timeout: timeout)
    }

    /// `PATH` of the system's folders, `HOME`, `USER` and `LOGNAME` of the user aafd runs as (the `aafd` user once
    /// root's command took its identity), `LANG=C.UTF-8`.
    static func fixedEnvironment() -> [String: String] {
        var env = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"]
        if let user = getpwuid(geteuid()) {
            let name = String(cString: user.pointee.pw_name)
            env["USER"] = name
            env["LOGNAME"] = name
            env["HOME"] = user.pointee.pw_dir.map { String(cString: $0) } ?? "/"
        } else {
            env["HOME"] = "/"
        }
        return env
    }
}
