import AAFModel
import AAFPipeline
import AAFPolicy
import Foundation
import Testing

/// The daemon's decisions with fixed dates (issue 22): catch-up, the next scheduled run, retries until the give-up
/// hour, the forced incident, a stop.
@Suite("Daemon plan: schedule and retries, in-process")
struct DaemonPlanTests {
    /// 06:30 Europe/Paris, retry every 30 min, give up after 6 h.
    let schedule = Schedule()

    func at(_ iso: String) -> Date { ISO8601DateFormatter().date(from: iso)! }

    @Test("first run: catch up when the last success is older than the last scheduled time, or there is none")
    func firstRun() {
        let now = at("2026-03-10T12:00:00Z")  // 13:00 in Paris: today's 06:30 has passed
        #expect(DaemonPlan.firstRun(now: now, schedule: schedule, lastSuccess: nil) == (now, true))
        #expect(DaemonPlan.firstRun(now: now, schedule: schedule, lastSuccess: at("2026-03-09T05:40:00Z")).catchingUp)
        let done = DaemonPlan.firstRun(now: now, schedule: schedule, lastSuccess: at("2026-03-10T05:40:00Z"))
        #expect(!done.catchingUp && done.at == at("2026-03-11T05:30:00Z"))
    }

    @Test("spread_minutes: a stable offset per login, the same for the scheduled run, the catch-up and last-run")
    func spread() {
        var spread = schedule
        spread.spreadMinutes = 20
        spread.offsetSeconds = Schedule.stableOffset(of: "ent1d-vitry@sftp.ac-creteil.example", withinMinutes: 20)
        #expect(
            spread.offsetSeconds == Schedule.stableOffset(of: "ent1d-vitry@sftp.ac-creteil.example", withinMinutes: 20)
        )
        #expect((0..<1200).contains(spread.offsetSeconds))
        let offset = Double(spread.offsetSeconds)
        let now = at("2026-03-10T12:00:00Z")
        #expect(spread.next(after: now) == at("2026-03-11T05:30:00Z").addingTimeInterval(offset))
        // Just after 06:30 but before this instance's turn: today's run is still to come.
        let early = at("2026-03-10T05:30:00Z").addingTimeInterval(offset / 2)
        #expect(spread.next(after: early) == at("2026-03-10T05:30:00Z").addingTimeInterval(offset))
        #expect(spread.last(atOrBefore: now) == at("2026-03-10T05:30:00Z").addingTimeInterval(offset))
        #expect(
            DaemonPlan.firstRun(now: now, schedule: spread, lastSuccess: nil) == (now.addingTimeInterval(offset), true)
        )
        // Fifty communes' logins: spread over the 20 minutes, no two in the same second more than a few times.
        let offsets = (1...50).map {
            Schedule.stableOffset(of: "ent1d-\($0)@sftp.ac-creteil.example", withinMinutes: 20)
        }
        #expect(offsets.allSatisfy { (0..<1200).contains($0) })
        #expect(Set(offsets).count >= 48)
        #expect(offsets.max()! - offsets.min()! > 900)
        #expect(Schedule.stableOffset(of: "x", withinMinutes: 0) == 0)
    }

    @Test("imported, refused, denied, failed: the next scheduled time, no retry")
    func settled() {
        let now = at("2026-03-10T05:35:00Z")
        for kind: Outcome.Kind in [.imported, .refused, .denied, .failed] {
            let d = DaemonPlan.afterRun(kind, now: now, schedule: schedule, retryingSince: at("2026-03-10T05:30:00Z"))
            #expect(d == .init(next: at("2026-03-11T05:30:00Z"), finish: .normal, retryingSince: nil), "\(kind)")
        }
    }

    @Test("nothing new or unreachable: every 30 min from the scheduled time, then give up after 6 h with an incident")
    func retries() {
        let first = DaemonPlan.afterRun(
            .unavailable,
            now: at("2026-03-10T05:31:00Z"),
            schedule: schedule,
            retryingSince: nil
        )
        #expect(
            first == .init(next: at("2026-03-10T06:01:00Z"), finish: .normal, retryingSince: at("2026-03-10T05:30:00Z"))
        )
        let last = DaemonPlan.afterRun(
            .nothingNew,
            now: at("2026-03-10T11:00:00Z"),
            schedule: schedule,
            retryingSince: first.retryingSince
        )
        #expect(last.next == at("2026-03-10T11:30:00Z") && last.finish == .normal)
        let gaveUp = DaemonPlan.afterRun(
            .nothingNew,
            now: at("2026-03-10T11:01:00Z"),
            schedule: schedule,
            retryingSince: first.retryingSince
        )
        #expect(gaveUp == .init(next: at("2026-03-11T05:30:00Z"), finish: .giveUp, retryingSince: nil))
    }

    @Test("stopped: no finish, at once, the retry window kept for the next start")
    func stopped() {
        let since = at("2026-03-10T05:30:00Z")
        let d = DaemonPlan.afterRun(.stopped, now: at("2026-03-10T06:00:00Z"), schedule: schedule, retryingSince: since)
        #expect(d == .init(next: at("2026-03-10T06:00:00Z"), finish: .none, retryingSince: since))
    }
}
