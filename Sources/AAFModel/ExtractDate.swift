/// A calendar date with no time zone: the extract date of a delivery, a departure date, a purge date.
///
/// Stored and printed as `YYYY-MM-DD`; parsed from `YYYYMMDD` (file names), `YYYY-MM-DD` (database, CLI)
/// and `dd/MM/yyyy` (AAF values, aaf-format.md §4). Every parser checks the calendar (`31/02/2020` is invalid).
public struct ExtractDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Creates a date, or returns nil when it is not a real calendar day.
    public init?(year: Int, month: Int, day: Int) {
        guard (1900...9999).contains(year), (1...12).contains(month), day >= 1,
            day <= ExtractDate.daysIn(month: month, year: year)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYYMMDD`.
    public init?(compact text: some StringProtocol) {
        let digits = Array(text.utf8)
        guard digits.count == 8, let y = ExtractDate.number(digits[0..<4]), let m = ExtractDate.number(digits[4..<6]),
            let d = ExtractDate.number(digits[6..<8])
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// Parses `YYYY-MM-DD`.
    public init?(iso text: some StringProtocol) {
        let b = Array(text.utf8)
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
            let y = ExtractDate.number(b[0..<4]), let m = ExtractDate.number(b[5..<7]),
            let d = ExtractDate.number(b[8..<10])
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// Parses the AAF `dd/MM/yyyy` form; surrounding spaces are trimmed.
    public init?(aaf text: some StringProtocol) {
        let b = Array(text.utf8).drop(while: { $0 == 0x20 })
        let t = Array(b.reversed().drop(while: { $0 == 0x20 }).reversed())
        guard t.count == 10, t[2] == UInt8(ascii: "/"), t[5] == UInt8(ascii: "/"),
            let d = ExtractDate.number(t[0..<2]), let m = ExtractDate.number(t[3..<5]),
            let y = ExtractDate.number(t[6..<10])
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// `YYYY-MM-DD`.
    public var iso: String {
        "\(ExtractDate.pad(year, 4))-\(ExtractDate.pad(month, 2))-\(ExtractDate.pad(day, 2))"
    }

    /// `YYYYMMDD`.
    public var compact: String {
        "\(ExtractDate.pad(year, 4))\(ExtractDate.pad(month, 2))\(ExtractDate.pad(day, 2))"
    }

    public var description: String { iso }

    /// Days since 1970-01-01 (proleptic Gregorian), for arithmetic.
    public var dayNumber: Int {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The date `dayNumber` days after 1970-01-01.
    public init(dayNumber z0: Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self.year = y
        self.month = m
        self.day = d
    }

    /// This date moved by `days` days.
    public func adding(days: Int) -> ExtractDate { ExtractDate(dayNumber: dayNumber + days) }

    /// A date computed from a valid one (arithmetic): never checked against the 1900–9999 range that parsing
    /// enforces, so that no arithmetic on an accepted date can trap (a delivery dated 9999-12-31 used to crash every
    /// run on `year + 1`). The day is clamped to the month's length.
    private init(computedYear year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = min(max(day, 1), ExtractDate.daysIn(month: month, year: year))
    }

    /// 1 January of `year` (any year: arithmetic, not parsing).
    public static func firstOfJanuary(_ year: Int) -> ExtractDate { ExtractDate(computedYear: year, month: 1, day: 1) }

    /// 1 January of the year after this date.
    public var firstDayOfNextYear: ExtractDate { ExtractDate.firstOfJanuary(year + 1) }

    /// The same day `years` years later (29 February becomes 28 February in a common year).
    public func addingYears(_ years: Int) -> ExtractDate {
        ExtractDate(computedYear: year + years, month: month, day: day)
    }

    public static func < (lhs: ExtractDate, rhs: ExtractDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = ExtractDate(iso: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not a YYYY-MM-DD date")
            )
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func number(_ bytes: some Collection<UInt8>) -> Int? {
        var value = 0
        for b in bytes {
            guard b >= 0x30, b <= 0x39 else { return nil }
            value = value * 10 + Int(b - 0x30)
        }
        return value
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let s = String(value)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
