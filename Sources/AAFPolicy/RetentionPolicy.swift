import AAFModel

/// What happens to a person on departure (R6–R8). Every delay is a setting; the defaults are the convention's.
public struct RetentionPolicy: Sendable, Hashable {
    /// Extra days before a departed pupil or guardian is purged, counted from 1 January of the year after
    /// the departure. 0 is the convention's wording: "le terme de l'année civile" (R6, R7).
    public var pupilGraceDays: Int

    public init(pupilGraceDays: Int = 0) {
        self.pupilGraceDays = pupilGraceDays
    }

    /// What a departure does to a person of `category`.
    public enum Departure: Sendable, Hashable {
        /// Marked departed on the extract date; purged on `purgeDue` (R6 pupils, R7 guardians).
        case markDeparted(purgeDue: ExtractDate)
        /// Deleted by the same import (R8 staff).
        case delete
    }

    public func departure(of category: AAFCategory, on date: ExtractDate) -> Departure {
        switch category {
        case .staff:
            .delete
        case .pupil, .guardian, .structure:
            .markDeparted(purgeDue: date.firstDayOfNextYear.adding(days: pupilGraceDays))
        }
    }
}
