/// What leaving the directory does to a person or a structure: decided by the retention policy (AAFPolicy,
/// R6–R8), carried out by the import session (AAFStore).
public enum Departure: Sendable, Hashable {
    /// Marked departed on the extract date; purged on `purgeDue` (R6 pupils, R7 guardians).
    case markDeparted(purgeDue: ExtractDate)
    /// Deleted by the same import (R8 staff).
    case delete
}
