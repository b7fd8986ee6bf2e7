import AAFFileSystem
import AAFModel
import AAFPolicy
import AAFStore
import AAFTransfer
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

// After a run: incidents and alerts (R19), the purge (R6–R11), the erasure check (R12), the metrics file.
extension RunCycle {
    /// After a run: the incident opens (R19) or closes, the alert runs once per incident, the purge runs, the
    /// metrics file is written. `gaveUpAfterHours` (the daemon giving up on the day's delivery) opens one for
    /// outcomes that are not incidents by themselves, its reason saying so.
    @discardableResult
    public func finish(_ given: RunOutcome, gaveUpAfterHours: Int? = nil) -> RunOutcome {
        var outcome = given
        do {
            let open = try store.incidents.open()
            let openCause = open.flatMap { Outcome.Cause(rawValue: $0.outcome) }
            if outcome.kind == .imported, open != nil, openCause != .remoteCopiesKept, openCause != .publication {
                try store.incidents.close(at: now)
                logger.notice("incident closed by a successful import", metadata: ["incident.id": "\(open!.id)"])
            }
            if !outcome.owedDeletions.isEmpty {
                // R10: the server keeps copies it should have destroyed; the commune must tell the académie.
                try raise(
                    Outcome.Cause.remoteCopiesKept.rawValue,
                    rule: .r10,
                    extractDate: nil,
                    reason: RunCycle.owedMessage(
                        outcome.owedDeletions,
                        host: settings.sftp?.host ?? "the server",
                        after: "imported"
                    )
                )
            } else if openCause == .remoteCopiesKept, outcome.kind != .stopped,
                outcome.kind != .unavailable,
                outcome.kind != .denied
            {
                // The run reached the server and owes nothing any more.
                try store.incidents.close(at: now)
                logger.notice(
                    "incident closed: every owed remote deletion is done (R10)",
                    metadata: ["incident.id": "\(open!.id)"]
                )
            }
            if outcome.kind != .imported, outcome.isIncident || gaveUpAfterHours != nil {
                try raise(
                    outcome.kind.rawValue,
                    rule: outcome.rule,
                    extractDate: outcome.extractDate,
                    reason: (gaveUpAfterHours.map { "gave up after \($0) h: " } ?? "")
                        + (outcome.message ?? outcome.kind.rawValue)
                )
            }
            deadlineAlerts()
            var erased = true
            if outcome.kind != .stopped, !shouldStop() {
                let spool = try? Spool(root: settings.spoolDirectory)
                // The purge ends with the erasure of everything deleted so far, this run's import included (R12).
                let result = try Purger(
                    store: store,
                    spool: spool,
                    policy: settings.importSettings.retention,
                    logger: logger,
                    answers: settings.answersDirectory
                )
                .run(asOf: settings.today, executedAt: now, dryRun: false)
                if result.total > 0 {
                    output.note("purged \(PurgeText.summary(result))")
                }
                erased = result.erasureComplete
            } else {
                erased = try store.pendingErasures() == 0 && !outcome.reports.contains(where: \.erasurePending)
            }
            outcome = erasureStep(outcome, erased: erased)
        } catch {
            logger.error("after-run steps failed", metadata: ["error": "\(error)"])
        }
        if outcome.kind != .stopped { publicationStep() }
        afterImport(outcome)
        writeMetrics(outcome)
        return outcome
    }

    /// The convention's deadlines (issue 14): a rights request not forwarded to the académie within 8 days (art. 7)
    /// runs the alert command once; so does each security incident deadline (art. 6.1, 12) that passed.
    func deadlineAlerts() {
        let alert = Alert(settings)
        let instant = settings.importSettings.now()
        // One alert per deadline: logged as an error, the command run, marked once the command succeeded.
        func raise(_ id: String, _ outcome: String, rule: String, reason: String, mark: () throws -> Void) {
            logger.error(
                "convention deadline passed",
                metadata: ["deadline.id": "\(id)", "deadline.outcome": "\(outcome)"]
            )
            if alert.raiseDeadline(id: id, outcome: outcome, rule: rule, reason: reason) { try? mark() }
        }
        for request in (try? store.requests.overdueToAlert(today: ExtractDate.day(of: instant))) ?? [] {
            raise(
                "request-\(request.id)",
                "request-overdue",
                rule: "art7",
                reason:
                    "rights request \(request.id) (\(request.kind)) received \(request.receivedOn.iso): forwarding it "
                    + "to the académie was due by \(request.forwardDue.iso) (convention art. 7)"
            ) { try store.requests.markAlerted(request.id) }
        }
        for (incident, deadline) in (try? store.securityIncidents.deadlinesToAlert(now: instant)) ?? [] {
            raise(
                "security-\(incident.id)",
                "security-\(deadline.key)-overdue",
                rule: "art\(deadline.article)",
                reason:
                    "security incident \(incident.id) (\(incident.kind)) known \(incident.knownAt): \(deadline.what) "
                    + "was due by \(deadline.due) (convention art. \(deadline.article))"
            ) { try store.securityIncidents.markDeadlineAlerted(incident.id, deadline.key) }
        }
    }

    /// R12: deleted values still in the database files (a reader held it) open an incident and make the run exit
    /// 75 (unless it already fails for a reason of its own); once erased, that incident closes.
    func erasureStep(_ given: RunOutcome, erased: Bool) -> RunOutcome {
        var outcome = given
        if let pending = erasureStep(erased: erased), ExitStatus(for: outcome.outcome) == .ok {
            outcome.outcome = Outcome(
                outcome.kind,
                cause: pending.cause,
                message: (outcome.kind == .imported ? "imported; but " : "") + (pending.message ?? ""),
                rule: pending.rule,
                extractDate: outcome.extractDate
            )
        }
        return outcome
    }

    /// R12 after any deletion (a run's, an administrator's purge or revocation): values still in the database files
    /// open an incident; once erased, that incident closes.
    /// - Returns: the pending erasure's outcome (exit 75), or nil when everything deleted is erased.
    public func erasureStep(erased: Bool) -> Outcome? {
        let pending = Outcome(.imported, cause: .erasurePending, message: RunCycle.erasureMessage, rule: .r12)
        do {
            let open = try store.incidents.open()
            if !erased {
                try raise(Outcome.Cause.erasurePending.rawValue, rule: .r12, extractDate: nil, reason: pending.message!)
            } else if let open, open.outcome == Outcome.Cause.erasurePending.rawValue {
                try store.incidents.close(at: now)
                logger.notice(
                    "incident closed: the pending erasure is complete (R12)",
                    metadata: ["incident.id": "\(open.id)"]
                )
            }
        } catch {
            logger.error("erasure check failed", metadata: ["error": "\(error)"])
        }
        return erased ? nil : pending
    }

    public static let erasureMessage =
        "another process held the database open for reading past erasure_wait_seconds, so deleted values are still in "
        + "the database files (R12); the deletions are committed and aafd completes the erasure on its next run. "
        + "Find the reader (fuser or lsof on the database) if this repeats"

    /// `[ent] published_copy`: republished after every run that may have changed the directory (ADR 0012); a
    /// failure is logged, and the next run publishes again.
    /// - Returns: nil when published (or nothing to publish), else why not.
    @discardableResult
    public func publishCopy() -> String? {
        guard let copy = settings.publishedCopy else { return nil }
        do {
            try store.copyPublisher.publish(to: copy.path, group: copy.group)
            return nil
        } catch {
            logger.error("cannot publish the ENT's copy", metadata: ["ent.copy": "\(copy.path)", "error": "\(error)"])
            return "\(error)"
        }
    }

    /// After a run: the copy published; a failure is an incident (R19: alerted once, shown by `status`, counted in
    /// the metrics), never "imported, incident: none" while the ENT reads a stale directory (issue 21); the next
    /// publication that succeeds closes it.
    public func publicationStep() {
        guard settings.publishedCopy != nil else { return }
        let failure = publishCopy()
        do {
            let open = try store.incidents.open()
            if let failure {
                try raise(
                    Outcome.Cause.publication.rawValue,
                    rule: nil,
                    extractDate: nil,
                    reason: "the ENT's copy was not published, the ENT reads a stale directory: \(failure)"
                )
            } else if let open, open.outcome == Outcome.Cause.publication.rawValue {
                try store.incidents.close(at: now)
                logger.notice("incident closed: the ENT's copy is published", metadata: ["incident.id": "\(open.id)"])
            }
        } catch {
            logger.error("after-run steps failed", metadata: ["error": "\(error)"])
        }
    }

    /// `[hooks] after_import`: after a run that imported, the command learns which changes to read (the change
    /// feed's cursors), under the alert command's rules: clean environment, 60 s, output to stderr. A failure is
    /// logged; the consumer catches up with `aafd changes --since` anyway.
    func afterImport(_ outcome: RunOutcome) {
        guard let command = settings.afterImportCommand, let before = outcome.changeCursorBefore,
            let last = outcome.reports.last(where: { !$0.dryRun })
        else { return }
        do {
            let after = try store.changeFeed.window().current
            let env = [
                "AAFD_CURSOR_FROM": String(before), "AAFD_CURSOR_TO": String(after),
                "AAFD_EXTRACT_DATE": last.extractDate?.iso ?? "",
                "AAFD_DELIVERIES": String(outcome.reports.filter { !$0.dryRun }.count),
                "AAFD_COMMUNE": settings.commune,
            ]
            let status = Alert.shell(command, environment: env, timeout: 60)
            if status == 0 {
                logger.notice(
                    "after_import hook ran",
                    metadata: ["changes.from": "\(before)", "changes.to": "\(after)"]
                )
            } else {
                logger.error(
                    "after_import hook failed",
                    metadata: ["hook.status": "\(status.map(String.init) ?? "killed")"]
                )
            }
        } catch {
            logger.error("after_import hook not run", metadata: ["error": "\(error)"])
        }
    }

    /// Opens an incident, or finds the open one (R19), logs an opening, and runs the alert until it succeeds once.
    private func raise(_ outcome: String, rule: Rule?, extractDate: ExtractDate?, reason: String) throws {
        let (incident, isNew) = try store.incidents.raise(
            outcome: outcome,
            rule: rule?.rawValue,
            extractDate: extractDate,
            reason: reason,
            at: now
        )
        if isNew {
            logger.error(
                "incident opened",
                metadata: ["incident.id": "\(incident.id)", "incident.outcome": "\(incident.outcome)"]
            )
        }
        if !incident.alerted { alert(incident) }
    }

    /// Runs `[alert] command` once for this incident (R19); not marked alerted when it fails, so the next run
    /// tries again.
    private func alert(_ incident: Incident) {
        Alert(settings).raise(incident, store: store, logger: logger)
    }

    /// The node_exporter textfile (counts only, R15).
    public func writeMetrics(_ outcome: RunOutcome) {
        guard let path = settings.metricsTextfile else { return }
        do {
            try MetricsFile(path: path, mode: settings.metricsFileMode)
                .replace(outcome, store: store, now: settings.importSettings.now())
        } catch {
            logger.error("cannot write the metrics file", metadata: ["metrics.path": "\(path)"])
        }
    }
}
