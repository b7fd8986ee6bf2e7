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
    /// The rights request register (convention art. 7): a closed request is kept the year it was closed and this
    /// many previous calendar years, like the journal (R11's wording: "l'année en cours, et l'année précédente").
    public var requestsPreviousYears = 1
    /// The security incident register (art. 12): a closed incident is kept this many years after its closure. Five:
    /// the convention's longest intermediate archive ("5 années maximum"), long enough to show the CNIL what was
    /// done about a breach (GDPR art. 33(5) asks the register to be kept, without a duration).
    public var securityIncidentYears = 5
    /// The change feed's window (issue 23): rows older than this many days go, with the jointures they name; a
    /// consumer whose cursor is older resyncs from the views (exit 66). At most ``maximumFeedRetentionDays``.
    public var feedRetentionDays = 35
    /// The longest feed window allowed: a summer break (early July to early September, about 62 days) with a margin
    /// for the ENT's own maintenance; beyond, a consumer resyncs anyway, and a departed person's jointure would
    /// outlive R8's "pas au-delà du départ" for nothing (Docs/data-protection.md, R8).
    public static let maximumFeedRetentionDays = 90

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
            journalBefore: ExtractDate.firstOfJanuary(asOf.year - journalPreviousYears),
            requestsClosedBefore: ExtractDate.firstOfJanuary(asOf.year - requestsPreviousYears),
            securityIncidentsClosedBefore: asOf.addingYears(-securityIncidentYears),
            feedBefore: asOf.adding(days: -feedRetentionDays)
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

    /// The date `count` working days (jours ouvrés: Monday to Friday, French public holidays excluded) after this
    /// one: R10's spool delay, the publisher's 3 working days to forward a rights request (convention art. 6.3).
    public func addingWorkingDays(_ count: Int) -> ExtractDate {
        var date = self
        var left = count
        while left > 0 {
            date = date.adding(days: 1)
            if date.isWorkingDay { left -= 1 }
        }
        return date
    }

    /// Monday to Friday and not a French public holiday.
    public var isWorkingDay: Bool { weekday < 5 && !isPublicHoliday }

    /// The last working day on or before this date: a deadline of "at the latest N days" that falls on a weekend
    /// or a public holiday is met only on the working day before it (the town hall is closed then).
    public var workingDayOnOrBefore: ExtractDate {
        var date = self
        while !date.isWorkingDay { date = date.adding(days: -1) }
        return date
    }

    /// The eleven public holidays of metropolitan France (Code du travail, art. L3133-1): 1 January, Easter Monday,
    /// 1 May, 8 May, Ascension Thursday, Whit Monday, 14 July, 15 August, 1 November, 11 November, 25 December.
    public var isPublicHoliday: Bool {
        let fixed: Set<Int> = [101, 501, 508, 714, 815, 1101, 1111, 1225]
        if fixed.contains(month * 100 + day) { return true }
        let easter = ExtractDate.easterSunday(year).dayNumber
        return [easter + 1, easter + 39, easter + 50].contains(dayNumber)
    }

    /// Easter Sunday of the Gregorian calendar (the anonymous Gregorian algorithm, Meeus/Jones/Butcher).
    public static func easterSunday(_ year: Int) -> ExtractDate {
        let a = year % 19
        let b = year / 100
        let c = year % 100
        let d = b / 4
        let e = b % 4
        let f = (b + 8) / 25
        let g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4
        let k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return ExtractDate(year: year, month: month, day: day) ?? firstOfJanuary(year)
    }
}
