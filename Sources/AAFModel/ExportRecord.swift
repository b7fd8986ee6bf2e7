import Foundation

/// One entry of an export (Docs/ent-interface.md, "Exports"): an active structure or person as the store builds it,
/// decoded by key name; CSV and LDIF are written from this type, JSON Lines from the same object's text.
public struct ExportRecord: Decodable, Sendable, Hashable {
    public struct School: Decodable, Sendable, Hashable {
        public var jointure: String
        public var uai: String?
        public init(jointure: String, uai: String?) { (self.jointure, self.uai) = (jointure, uai) }
    }

    public struct Membership: Decodable, Sendable, Hashable {
        public var structure: String
        public var code: String
        public var label: String?
        public init(structure: String, code: String, label: String?) {
            (self.structure, self.code, self.label) = (structure, code, label)
        }
    }

    public struct Function: Decodable, Sendable, Hashable {
        public var structure: String?
        public var functionCode: String?
        public var functionLabel: String?
        public var positionCode: String?
        public var positionLabel: String?

        public init(structure: String?, functionCode: String?, positionCode: String?) {
            (self.structure, self.functionCode, self.positionCode) = (structure, functionCode, positionCode)
        }

        enum CodingKeys: String, CodingKey {
            case structure
            case functionCode = "function_code"
            case functionLabel = "function_label"
            case positionCode = "position_code"
            case positionLabel = "position_label"
        }
    }

    public var jointure: String
    /// ``AAFCategory/entName``.
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
    public var schools: [School]
    public var classes: [Membership]
    public var groups: [Membership]
    /// Guardians' jointures, in the pupil's order.
    public var guardians: [String]
    public var functions: [Function]
    public var directs: [String]

    enum CodingKeys: String, CodingKey {
        case jointure, category, uai, name, type, city, mail, surname, civility, schools, classes, groups, guardians
        case functions, directs
        case postalCode = "postal_code"
        case birthSurname = "birth_surname"
        case firstName = "first_name"
        case birthDate = "birth_date"
    }

    /// A record built by the store from plain columns (the typed export of CSV and LDIF, issue 24).
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
        schools: [School] = [],
        classes: [Membership] = [],
        groups: [Membership] = [],
        guardians: [String] = [],
        functions: [Function] = [],
        directs: [String] = []
    ) {
        (self.jointure, self.category, self.uai, self.name, self.type) = (jointure, category, uai, name, type)
        (self.city, self.postalCode, self.mail, self.surname, self.birthSurname) = (
            city, postalCode, mail, surname, birthSurname
        )
        (self.firstName, self.civility, self.birthDate) = (firstName, civility, birthDate)
        (self.schools, self.classes, self.groups, self.guardians) = (schools, classes, groups, guardians)
        (self.functions, self.directs) = (functions, directs)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        jointure = try c.decode(String.self, forKey: .jointure)
        let word = try c.decode(String.self, forKey: .category)
        guard let category = AAFCategory(entName: word) else {
            throw DecodingError.dataCorruptedError(forKey: .category, in: c, debugDescription: "unknown category")
        }
        self.category = category
        uai = try c.decodeIfPresent(String.self, forKey: .uai)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        type = try c.decodeIfPresent(String.self, forKey: .type)
        city = try c.decodeIfPresent(String.self, forKey: .city)
        postalCode = try c.decodeIfPresent(String.self, forKey: .postalCode)
        mail = try c.decodeIfPresent(String.self, forKey: .mail)
        surname = try c.decodeIfPresent(String.self, forKey: .surname)
        birthSurname = try c.decodeIfPresent(String.self, forKey: .birthSurname)
        firstName = try c.decodeIfPresent(String.self, forKey: .firstName)
        civility = try c.decodeIfPresent(String.self, forKey: .civility)
        birthDate = try c.decodeIfPresent(String.self, forKey: .birthDate)
        schools = try c.decodeIfPresent([School].self, forKey: .schools) ?? []
        classes = try c.decodeIfPresent([Membership].self, forKey: .classes) ?? []
        groups = try c.decodeIfPresent([Membership].self, forKey: .groups) ?? []
        guardians = try c.decodeIfPresent([String].self, forKey: .guardians) ?? []
        functions = try c.decodeIfPresent([Function].self, forKey: .functions) ?? []
        directs = try c.decodeIfPresent([String].self, forKey: .directs) ?? []
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

extension ExportRecord {
    /// One export object's JSON text (the store's), decoded by key name; a missing key or a wrong type is an error.
    public init(json: String) throws {
        self = try JSONDecoder().decode(ExportRecord.self, from: Data(json.utf8))
    }
}

extension ExportGroup {
    /// One group object's JSON text (the store's), decoded by key name.
    public init(json: String) throws {
        self = try JSONDecoder().decode(ExportGroup.self, from: Data(json.utf8))
    }
}
