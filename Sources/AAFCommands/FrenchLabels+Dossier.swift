import AAFModel
import Foundation

extension FrenchLabels {
    /// Every attribute Annexe 3 lets aafd store (AllowList.annex3, and a staff member's home address with consent,
    /// R2), in the convention's own words where it gives them.
    static let attributes: [String: String] = [
        "ENTPersonJointure": "identifiant dans l'annuaire académique",
        "ENTPersonDateNaissance": "date de naissance",
        "ENTPersonNomPatro": "nom de naissance",
        "ENTPersonNom": "nom d'usage",
        "ENTPersonPrenom": "prénom",
        "ENTPersonAutresPrenoms": "autres prénoms",
        "ENTPersonCivilite": "civilité",
        "ENTPersonStructRattach": "école(s) de rattachement",
        "ENTEleveAutoriteParentale": "personnes ayant l'autorité parentale",
        "ENTEleveRestaurantScolaire": "restauration scolaire",
        "ENTEleveTransport": "transport scolaire",
        "ENTEleveGarderieMatin": "garderie du matin",
        "ENTEleveGarderieSoir": "garderie du soir",
        "ENTEleveEtudesSurveillees": "études surveillées",
        "ENTEleveNiveau": "niveau",
        "ENTEleveCycle": "cycle",
        "ENTEleveTypeClasse": "type de classe",
        "ENTPersonClasses": "école et classe(s)",
        "ENTPersonGroupes": "école et groupe(s)",
        "ENTPersonMail": "adresse électronique",
        "ENTPersonFonctions": "fonction(s) dans l'école",
        "ENTEnsFonctionDir": "direction d'école",
        "ENTEnsSpecialites": "spécialités",
        "ENTPersonAdresse": "adresse",
        "ENTPersonCodePostal": "code postal",
        "ENTPersonVille": "commune de résidence",
        "ENTPersonPays": "pays",
        "ENTPersonTelPerso": "téléphone personnel",
        "ENTPersRelEleveTelMobile": "téléphone mobile",
        "ENTPersRelEleveTelPro": "téléphone professionnel",
        "ENTStructureJointure": "identifiant de l'établissement",
        "ENTStructureUAI": "code RNE (UAI) de l'établissement",
        "ENTStructureSIREN": "numéro SIREN de l'établissement",
        "ENTStructureNomCourant": "nom courant de l'établissement",
        "ENTStructureTypeStruct": "type d'établissement",
        "ENTEcoleMinistereTutelle": "ministère de tutelle",
        "ENTEcoleSecteur": "secteur",
        "ENTEcoleCirconscription": "circonscription",
        "ENTEcoleCommune": "commune de l'école",
        "ENTEcoleRPI": "regroupement pédagogique intercommunal",
        "ENTServAcAcademie": "académie",
        "ENTStructureAdresse": "adresse de l'établissement",
        "ENTStructureBoitePostale": "boîte postale de l'établissement",
        "ENTStructureCodePostal": "code postal de l'établissement",
        "ENTStructureVille": "commune de l'établissement",
        "ENTStructureTelephone": "téléphone de l'établissement",
        "ENTStructureFax": "télécopie de l'établissement",
        "ENTStructureEmail": "adresse électronique de l'établissement",
    ]

    /// The periscolaire flags Annexe 3 lists, stored as O or N.
    static let activityAttributes = [
        "ENTEleveRestaurantScolaire", "ENTEleveTransport", "ENTEleveGarderieMatin", "ENTEleveGarderieSoir",
        "ENTEleveEtudesSurveillees",
    ]

    static let requestKinds: [String: String] = [
        RightsRequestKind.access.rawValue: "droit d'accès (RGPD art. 15)",
        RightsRequestKind.rectification.rawValue: "droit de rectification (RGPD art. 16)",
        RightsRequestKind.erasure.rawValue: "droit à l'effacement (RGPD art. 17)",
        RightsRequestKind.opposition.rawValue: "droit d'opposition (RGPD art. 21)",
        RightsRequestKind.restriction.rawValue: "droit à la limitation du traitement (RGPD art. 18)",
        RightsRequestKind.postMortem.rawValue: "directives relatives aux données après le décès (loi Informatique et "
            + "Libertés, art. 85)",
    ]

    static let categories: [AAFCategory: String] = [
        .pupil: "élève", .guardian: "responsable légal", .staff: "personnel de l'Éducation nationale",
        .structure: "école",
    ]

    /// A stored value in plain words: O/N flags as oui/non, a birth date written out; other values as stored.
    static func value(_ name: String, _ raw: String) -> String {
        if activityAttributes.contains(name) {
            switch raw.uppercased() {
            case "O": return "oui"
            case "N": return "non"
            default: return OutsideText.escaped(raw)
            }
        }
        if name == "ENTPersonAdresse" || name == "ENTStructureAdresse" {
            // The AAF separates an address's lines with $.
            return raw.split(separator: "$").map { OutsideText.escaped(String($0)) }.joined(separator: ", ")
        }
        if name == "ENTPersonDateNaissance" {
            let parts = raw.split(separator: "/").compactMap { Int($0) }
            if parts.count == 3,
                let date = ExtractDate(iso: String(format: "%04d-%02d-%02d", parts[2], parts[1], parts[0]))
            {
                return day(date)
            }
        }
        return OutsideText.escaped(raw)
    }
}
