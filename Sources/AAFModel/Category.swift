/// One of the four ENT1D file categories (aaf-format.md §1, §3).
public enum AAFCategory: String, Sendable, CaseIterable, Hashable, Codable, Comparable {
    /// Schools: `EtabEducNat` files, `categorieStructure`.
    case structure = "EtabEducNat"
    /// Pupils: `Eleve` files.
    case pupil = "Eleve"
    /// Education staff: `PersEducNat` files.
    case staff = "PersEducNat"
    /// Guardians (persons related to a pupil): `PersRelEleve` files.
    case guardian = "PersRelEleve"

    /// The order in which a delivery's categories are applied: schools first (people point to them),
    /// pupils before guardians (R4: a guardian is stored only when a pupil references it).
    public static let importOrder: [AAFCategory] = [.structure, .pupil, .staff, .guardian]

    /// Position in ``importOrder`` (0…3), for tables indexed by category.
    public var ordinal: Int {
        switch self {
        case .structure: 0
        case .pupil: 1
        case .staff: 2
        case .guardian: 3
        }
    }

    /// The word used in reports, status and the database (`structures`, `students`, …).
    public var reportKey: String {
        switch self {
        case .structure: "structures"
        case .pupil: "students"
        case .staff: "staff"
        case .guardian: "guardians"
        }
    }

    /// The word the ENT reads (the views' and exports' `category`, the change feed's): `structure`, `pupil`,
    /// `staff`, `guardian`. Defined here once; SQL that names it is built by ``entNameSQL(_:)``.
    public var entName: String {
        switch self {
        case .structure: "structure"
        case .pupil: "pupil"
        case .staff: "staff"
        case .guardian: "guardian"
        }
    }

    /// The category of an ENT word (``entName``); nil for another word.
    public init?(entName: String) {
        guard let category = AAFCategory.allCases.first(where: { $0.entName == entName }) else { return nil }
        self = category
    }

    /// A SQL expression turning a column holding the stored category (`Eleve`…) into its ``entName``. (The shipped
    /// migrations 7–11 spell the same `CASE` out: a shipped migration is never edited.)
    public static func entNameSQL(_ column: String) -> String {
        "CASE \(column) "
            + allCases.map { "WHEN '\($0.rawValue)' THEN '\($0.entName)'" }.joined(separator: " ") + " END"
    }

    /// The name of the jointure attribute that must equal `identifier/id`.
    public var jointureAttribute: String {
        self == .structure ? "ENTStructureJointure" : "ENTPersonJointure"
    }

    public static func < (lhs: AAFCategory, rhs: AAFCategory) -> Bool {
        importOrder.firstIndex(of: lhs)! < importOrder.firstIndex(of: rhs)!
    }
}

/// Complete snapshot or incremental delivery (aaf-format.md §8).
public enum DeliveryMode: String, Sendable, Hashable, Codable {
    case complet = "Complet"
    case delta = "Delta"
}
