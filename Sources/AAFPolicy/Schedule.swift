import Foundation

/// When the daemon fetches: every day at `hour:minute` in `timeZone` (R20), correct across daylight-saving changes,
/// retrying every `retryMinutes` while no delivery is there, giving up `giveUpAfterHours` after the scheduled time.
public struct Schedule: Sendable, Hashable {
    public var hour = 6
    public var minute = 30
    public var timeZone = TimeZone(identifier: "Europe/Paris")!
    public var retryMinutes = 30
    public var giveUpAfterHours = 6
    /// `spread_minutes`: several instances on one host (one per commune) must not all reach the académie's server
    /// in the same second. Each runs `offsetSeconds` after `hour:minute`, a stable offset within the spread.
    public var spreadMinutes = 0
    /// This instance's offset, ``stableOffset(of:withinMinutes:)`` of its configuration file's path and login; 0
    /// without a spread.
    public var offsetSeconds = 0

    public init() {}

    /// A stable offset in `0..<minutes*60` seconds for `key` (FNV-1a: the same instance always runs at the same
    /// second, different ones spread evenly; no randomness, so the offset survives restarts).
    public static func stableOffset(of key: String, withinMinutes minutes: Int) -> Int {
        guard minutes > 0 else { return 0 }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return Int(hash % UInt64(minutes * 60))
    }

    private var calendar: Calendar {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = timeZone
        return c
    }

    /// The first scheduled instant strictly after `date`: `hour:minute` plus this instance's offset. A wall-clock
    /// time that does not exist that day (a spring-forward gap) runs at the next existing minute.
    public func next(after date: Date) -> Date {
        let offset = Double(offsetSeconds)
        let base =
            calendar.nextDate(
                after: date.addingTimeInterval(-offset),
                matching: DateComponents(hour: hour, minute: minute, second: 0),
                matchingPolicy: .nextTime
            ) ?? date.addingTimeInterval(86_400 - offset)
        return base.addingTimeInterval(offset)
    }

    /// The last scheduled instant at or before `date`.
    public func last(atOrBefore date: Date) -> Date {
        let candidate = next(after: date.addingTimeInterval(-86_400 - 3_600 * 2))
        var last = candidate
        var probe = candidate
        while probe <= date {
            last = probe
            probe = next(after: probe)
        }
        return last
    }
}
