import AAFModel
import AAFPolicy
import Foundation

/// The daemon's schedule-and-retry decision as a pure function of the facts and the clock (issue 22): `aafd run`
/// carries it out; `DaemonPlanTests` check it with fixed dates, without running the binary.
public enum DaemonPlan {
    /// What the daemon does after one attempt.
    public struct Decision: Sendable, Equatable {
        /// How the run is closed (``RunCycle/finish(_:gaveUpAfterHours:)``).
        public enum Finish: Sendable, Equatable {
            /// Nothing: the run was stopped (SIGTERM); the next start catches up.
            case none
            /// The ordinary end: incident opened or closed, alert, purge, metrics.
            case normal
            /// Gave up on the day's delivery after `give_up_after_hours`: an incident whatever the outcome (R19, R20).
            case giveUp
        }

        public var next: Date
        public var finish: Finish
        /// Since when the day's delivery has been awaited (nil: not retrying).
        public var retryingSince: Date?

        public init(next: Date, finish: Finish, retryingSince: Date?) {
            (self.next, self.finish, self.retryingSince) = (next, finish, retryingSince)
        }
    }

    /// Catch-up (R20): when the last successful import ended before the last scheduled time (or never), run at
    /// once, or after this instance's offset when several share the host (`spread_minutes`: fifty instances
    /// started together at boot do not all connect in the same second); otherwise at the next scheduled time.
    public static func firstRun(now: Date, schedule: Schedule, lastSuccess: Date?) -> (at: Date, catchingUp: Bool) {
        if lastSuccess.map({ $0 < schedule.last(atOrBefore: now) }) ?? true {
            return (now.addingTimeInterval(Double(schedule.offsetSeconds)), true)
        }
        return (schedule.next(after: now), false)
    }

    /// After an attempt that ended with `kind` at `now`: imported, refused, denied or failed → the next scheduled
    /// time; nothing new or the server unreachable → again every `retry_minutes` until `give_up_after_hours` after
    /// the scheduled time, then an incident and the next scheduled time; stopped → at once (the loop then ends).
    public static func afterRun(
        _ kind: Outcome.Kind,
        now: Date,
        schedule: Schedule,
        retryingSince: Date?
    ) -> Decision {
        switch kind {
        case .stopped:
            return Decision(next: now, finish: .none, retryingSince: retryingSince)
        case .imported, .refused, .denied, .failed:
            return Decision(next: schedule.next(after: now), finish: .normal, retryingSince: nil)
        case .nothingNew, .unavailable:
            let since = retryingSince ?? min(now, schedule.last(atOrBefore: now))
            let giveUp = since.addingTimeInterval(Double(schedule.giveUpAfterHours) * 3600)
            let retry = now.addingTimeInterval(Double(schedule.retryMinutes) * 60)
            if retry <= giveUp { return Decision(next: retry, finish: .normal, retryingSince: since) }
            return Decision(next: schedule.next(after: now), finish: .giveUp, retryingSince: nil)
        }
    }
}
