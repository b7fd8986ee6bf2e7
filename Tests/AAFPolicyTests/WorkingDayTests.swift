import AAFModel
import AAFPolicy
import Testing

/// Working days (jours ouvrés) over French public holidays: R10's spool delay, the publisher's 3 working days
/// (art. 6.3), the commune's 8 days to forward a request, moved back to a working day (art. 7; issue 14).
@Suite("Working days and French public holidays")
struct WorkingDayTests {
    func d(_ iso: String) -> ExtractDate { ExtractDate(iso: iso)! }

    @Test(
        "Easter Sunday, from the Gregorian computus",
        arguments: [
            ("2024", "2024-03-31"), ("2025", "2025-04-20"), ("2026", "2026-04-05"), ("2027", "2027-03-28"),
            ("2038", "2038-04-25"), ("2285", "2285-03-22"),
        ]
    )
    func easter(year: String, sunday: String) {
        #expect(ExtractDate.easterSunday(Int(year)!) == d(sunday))
    }

    @Test(
        "the eleven public holidays of 2026, and only them",
        arguments: [
            "2026-01-01", "2026-04-06", "2026-05-01", "2026-05-08", "2026-05-14", "2026-05-25", "2026-07-14",
            "2026-08-15", "2026-11-01", "2026-11-11", "2026-12-25",
        ]
    )
    func holidays2026(day: String) {
        #expect(d(day).isPublicHoliday)
        #expect(!d(day).isWorkingDay)
    }

    @Test("a year has eleven holidays; ordinary weekdays are working days")
    func count() {
        var holidays = 0
        var day = d("2026-01-01")
        while day < d("2027-01-01") {
            if day.isPublicHoliday { holidays += 1 }
            day = day.adding(days: 1)
        }
        #expect(holidays == 11)
        #expect(d("2026-12-01").isWorkingDay)  // a Tuesday
        #expect(!d("2026-12-05").isWorkingDay)  // a Saturday
    }

    @Test(
        "adding working days skips weekends and holidays",
        arguments: [
            // Thursday 30 April + 3: 1 May (holiday), the weekend → Mon 4, Tue 5, Wed 6 May.
            ("2026-04-30", 3, "2026-05-06"),
            // Wednesday 13 May + 1: Ascension Thursday 14 May → Friday 15.
            ("2026-05-13", 1, "2026-05-15"),
            // Thursday 24 December + 3: Christmas Friday, the weekend → Mon 28, Tue 29, Wed 30.
            ("2026-12-24", 3, "2026-12-30"),
            // R10's five days from a Friday before Easter Monday 2026: Tue 7 … Mon 13 April.
            ("2026-04-03", 5, "2026-04-13"),
        ]
    )
    func adding(from: String, count: Int, expected: String) {
        #expect(d(from).addingWorkingDays(count) == d(expected))
    }

    @Test(
        "a deadline on a weekend or a holiday moves back to the working day before",
        arguments: [
            ("2026-11-28", "2026-11-27"),  // Saturday → Friday
            ("2026-12-25", "2026-12-24"),  // Christmas → Thursday
            ("2026-05-25", "2026-05-22"),  // Whit Monday → the Friday before
            ("2026-12-01", "2026-12-01"),  // a working day stays
        ]
    )
    func onOrBefore(day: String, expected: String) {
        #expect(d(day).workingDayOnOrBefore == d(expected))
    }
}
