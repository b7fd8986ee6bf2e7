import Foundation

/// One entry of an export (Docs/ent-interface.md, "Exports"): an active structure or person, as the store reads it
/// from plain columns; CSV, LDIF and the LDIF change records are written from this type (JSON Lines from the store's
/// own JSON text).
public struct ExportRecord: Sendable, Hashable {
    /// A staff function as CSV prints it: each part nil when the académie left it out.
    public struct Function: Sendable, Hashable {
        public var structure: String?
        public var functionCode: String?
        public var positionCode: String?

        public init(structure: String?, functionCode: String?, positionCode: String?) {
            (self.structure, self.functionCode, self.positionCode) = (structure, functionCode, positionCode)
        }
    }

    public var jointure: String
    public var category: AAFCategory
    // Structures.
    public var uai: String?
    public var name: String?
    public var type: String?
    public var city: String?
    public var postalCode: String?
    public var mail: String?
    // People.
    public var surname: String?
    public var birthSurname: String?
    public var firstName: String?
    public var civility: String?
    /// ISO 8601 (`YYYY-MM-DD`), when the stored date was well formed.
    public var birthDate: String?
    /// Each school's UAI, or its jointure when it has none or is closed.
    public var schools: [String]
    /// Class and group codes.
    public var classes: [String]
    public var groups: [String]
    /// Guardians' jointures, in the pupil's order.
    public var guardians: [String]
    public var functions: [Function]

    public init(
        jointure: String,
        category: AAFCategory,
        uai: String? = nil,
        name: String? = nil,
        type: String? = nil,
        city: String? = nil,
        postalCode: String? = nil,
        mail: String? = nil,
        surname: String? = nil,
        birthSurname: String? = nil,
        firstName: String? = nil,
        civility: String? = nil,
        birthDate: String? = nil,
        schools: [String] = [],
        classes: [String] = [],
        groups: [String] = [],
        guardians: [String] = [],
        functions: [Function] = []
    ) {
        (self.jointure, self.category, self.uai, self.name, self.type) = (jointure, category, uai, name, type)
        (self.city, self.postalCode, self.mail, self.surname, self.birthSurname) = (
            city, postalCode, mail, surname, birthSurname
        )
        (self.firstName, self.civility, self.birthDate) = (firstName, civility, birthDate)
        (self.schools, self.classes, self.groups, self.guardians) = (schools, classes, groups, guardians)
        self.functions = functions
    }
}

/// A class or a group with its active members' jointures (LDIF `groupOfNames`).
public struct ExportGroup: Decodable, Sendable, Hashable {
    /// `class` or `group`.
    public var kind: String
    public var structure: String
    /// The structure's UAI, even closed.
    public var uai: String?
    public var code: String
    public var label: String?
    public var members: [String]
}

extension ExportGroup {
    /// One group object's JSON text (the store's), decoded by key name.
    public init(json: String) throws {
        self = try JSONDecoder().decode(ExportGroup.self, from: Data(json.utf8))
    }
}
