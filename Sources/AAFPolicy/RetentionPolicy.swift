import AAFModel
import Foundation

/// How long each kind of data lives (annexe 3, article 5): pure rules on dates, with an injected "today".
///
/// Every delay is a setting; the defaults are the convention's own wording. The DPO may ask for shorter delays.
public struct RetentionPolicy: Sendable, Hashable {
    /// R6, R7: when set, departed pupils and guardians are purged this many days after departure, or at the end of
    /// the civil year if that comes first. Unset: the end of the civil year ("le terme de l'année civile").
    public var pupilDaysAfterDeparture: Int?
    /// R9: years after the académie last sent a record before it is purged whatever else happens ("deux ans").
    public var recordMaxAgeYears: Int
    /// R11: aafd's journal keeps the current year and this many previous calendar years (1 = "l'année précédente").
    public var journalPreviousYears: Int
    /// R10: working days a refused delivery stays in the spool for diagnosis.
    public var refusedDeliveryWorkingDays: Int

    public init(
        pupilDaysAfterDeparture: Int? = nil,
        recordMaxAgeYears: Int = 2,
        journalPreviousYears: Int = 1,
        refusedDeliveryWorkingDays: Int = 5
    ) {
        self.pupilDaysAfterDeparture = pupilDaysAfterDeparture
        self.recordMaxAgeYears = recordMaxAgeYears
        self.journalPreviousYears = journalPreviousYears
        self.refusedDeliveryWorkingDays = refusedDeliveryWorkingDays
    }

    /// What a departure on `date` does to a member of `category`.
    public func departure(of category: AAFCategory, on date: ExtractDate) -> Departure {
        switch category {
        case .staff:
            .delete
        case .pupil, .guardian, .structure:
            .markDeparted(purgeDue: purgeDue(departedOn: date))
        }
    }

    /// R6, R7: the first day a person departed on `date` may no longer be kept.
    public func purgeDue(departedOn date: ExtractDate) -> ExtractDate {
        let endOfYear = date.firstDayOfNextYear
        guard let days = pupilDaysAfterDeparture else { return endOfYear }
        return min(endOfYear, date.adding(days: days))
    }

    /// What a purge run on `asOf` removes.
    public func plan(asOf: ExtractDate) -> PurgePlan {
        // purgeDue(d) <= asOf  ⟺  d < 1 January of asOf's year, or d + days <= asOf.
        let cap = asOf.addingYears(-recordMaxAgeYears)
        return PurgePlan(
            asOf: asOf,
            departedBefore: ExtractDate.firstOfJanuary(asOf.year),
            departedOnOrBefore: pupilDaysAfterDeparture.map { asOf.adding(days: -$0) },
            receivedOnOrBefore: cap,
            journalBefore: ExtractDate.firstOfJanuary(asOf.year - journalPreviousYears)
        )
    }

    /// R10: whether a delivery refused on `refusedOn` must leave the spool on `asOf`.
    public func refusedDeliveryExpired(refusedOn: ExtractDate, asOf: ExtractDate) -> Bool {
        asOf >= refusedOn.addingWorkingDays(refusedDeliveryWorkingDays)
    }
}

extension ExtractDate {
    /// The local calendar day of an instant (the machine's time zone): "today" for every rule and check.
    public static func day(of instant: Date) -> ExtractDate {
        let parts = Calendar.current.dateComponents([.year, .month, .day], from: instant)
        return ExtractDate(year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1)
            ?? ExtractDate(dayNumber: 0)
    }

    /// Monday = 0 … Sunday = 6.
    public var weekday: Int { ((dayNumber % 7) + 7 + 3) % 7 }

    /// The date `count` working days (Monday to Friday) after this one. Public holidays are not counted out.
    public func addingWorkingDays(_ count: Int) -> ExtractDate {
        var date = self
        var left = count
        while left > 0 {
            date = date.adding(days: 1)
            if date.weekday < 5 { left -= 1 }
        }
        return date
    }
}
