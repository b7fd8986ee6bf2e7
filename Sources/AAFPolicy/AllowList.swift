import AAFModel

/// The per-category allow-list of Annexe 3 (R1), applied while parsing.
///
/// Anything not listed is dropped before its value is decoded: `ENTEleveINE`, `ENTPersonMail` of a pupil,
/// a guardian's birth date, any attribute a future AAF version adds. Mobile and other phone numbers are
/// listed for guardians only (R3). A staff member's home address is kept only for the jointures given in
/// `homeAddressConsents` (R2: the consent register feeds this set).
public struct AllowList: AttributeFilter {
    /// Annexe 3 of the convention, field by field.
    public static let annex3: [AAFCategory: Set<String>] = [
        .pupil: [
            "ENTPersonJointure", "ENTPersonDateNaissance", "ENTPersonNomPatro", "ENTPersonNom", "ENTPersonPrenom",
            "ENTPersonAutresPrenoms", "ENTPersonCivilite", "ENTPersonStructRattach", "ENTEleveAutoriteParentale",
            "ENTEleveRestaurantScolaire", "ENTEleveTransport", "ENTEleveGarderieMatin", "ENTEleveGarderieSoir",
            "ENTEleveEtudesSurveillees", "ENTEleveNiveau", "ENTEleveCycle", "ENTEleveTypeClasse", "ENTPersonClasses",
            "ENTPersonGroupes",
        ],
        .structure: [
            "ENTStructureJointure", "ENTStructureUAI", "ENTStructureSIREN", "ENTStructureNomCourant",
            "ENTStructureTypeStruct", "ENTEcoleMinistereTutelle", "ENTEcoleSecteur", "ENTEcoleCirconscription",
            "ENTEcoleCommune", "ENTEcoleRPI", "ENTServAcAcademie", "ENTStructureAdresse", "ENTStructureBoitePostale",
            "ENTStructureCodePostal", "ENTStructureVille", "ENTStructureTelephone", "ENTStructureFax",
            "ENTStructureEmail",
        ],
        .staff: [
            "ENTPersonJointure", "ENTPersonDateNaissance", "ENTPersonNomPatro", "ENTPersonNom", "ENTPersonPrenom",
            "ENTPersonAutresPrenoms", "ENTPersonCivilite", "ENTPersonMail", "ENTPersonStructRattach",
            "ENTPersonFonctions", "ENTEnsFonctionDir", "ENTEnsSpecialites",
        ],
        .guardian: [
            "ENTPersonJointure", "ENTPersonNomPatro", "ENTPersonNom", "ENTPersonPrenom", "ENTPersonAutresPrenoms",
            "ENTPersonCivilite", "ENTPersonAdresse", "ENTPersonCodePostal", "ENTPersonVille", "ENTPersonPays",
            "ENTPersonTelPerso", "ENTPersRelEleveTelMobile", "ENTPersonMail", "ENTPersRelEleveTelPro",
        ],
    ]

    private let allowed: [AAFCategory: Set<String>]
    /// Staff jointures whose home address may be stored (R2).
    public let homeAddressConsents: Set<String>

    /// - Parameter homeAddressConsents: staff jointures with a recorded consent (R2); empty by default.
    public init(homeAddressConsents: Set<String> = []) {
        self.allowed = AllowList.annex3
        self.homeAddressConsents = homeAddressConsents
    }

    public func decision(for name: String, category: AAFCategory) -> AttributeDecision {
        if allowed[category]?.contains(name) == true {
            return .keep
        }
        if category == .staff, AttributeCatalog.homeAddress.contains(name), !homeAddressConsents.isEmpty {
            return .perRecord
        }
        return .drop
    }

    public func keeps(_ name: String, category: AAFCategory, jointure: String) -> Bool {
        if allowed[category]?.contains(name) == true {
            return true
        }
        // R2: staff home address only with that person's consent.
        if category == .staff, AttributeCatalog.homeAddress.contains(name) {
            return homeAddressConsents.contains(jointure)
        }
        return false
    }
}
