import Foundation

/// When the daemon fetches: every day at `hour:minute` in `timeZone` (R20), correct across daylight-saving changes,
/// retrying every `retryMinutes` while no delivery is there, giving up `giveUpAfterHours` after the scheduled time.
public struct Schedule: Sendable, Hashable {
    public var hour = 6
    public var minute = 30
    public var timeZone = TimeZone(identifier: "Europe/Paris")!
    public var retryMinutes = 30
    public var giveUpAfterHours = 6

    public init() {}

    private var calendar: Calendar {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = timeZone
        return c
    }

    /// The first scheduled instant strictly after `date`. A wall-clock time that does not exist that day (a
    /// spring-forward gap) runs at the next existing minute.
    public func next(after date: Date) -> Date {
        calendar.nextDate(
            after: date,
            matching: DateComponents(hour: hour, minute: minute, second: 0),
            matchingPolicy: .nextTime
        ) ?? date.addingTimeInterval(86_400)
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
