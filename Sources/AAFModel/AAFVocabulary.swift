/// The names aafd knows from the AAF format (docs/aaf-format.md, the académies' published samples): attribute
/// names, element names and category values. Outputs (errors, reports, journal, status, alerts) name only these;
/// any other name read from a delivery is printed as ``unknownName`` (R15: nothing copied from a delivery, not even
/// a name, reaches an output, and a flood of invented names cannot grow a report).
public enum AAFVocabulary {
    /// What an output says instead of a name aafd does not know.
    public static let unknownName = "(a name outside the AAF vocabulary)"

    public static let attributeNames: Set<String> = [
        // LDAP-style names of the AAF.
        "categoriePersonne", "categorieStructure", "categorieMef", "categorieMatiere", "sn", "givenName",
        "personalTitle",
        "mail", "telephoneNumber", "homePhone", "mobile", "street", "postalCode", "postOfficeBox", "l",
        "facsimileTelephoneNumber", "PersEducNatPresenceDevantEleves",
        // ENT* names, first and second degree.
        "ENTAuxEnsCategoDiscipline", "ENTAuxEnsClasses", "ENTAuxEnsClassesMatieres", "ENTAuxEnsClassesPrincipal",
        "ENTAuxEnsDisciplinesPoste", "ENTAuxEnsGroupes", "ENTAuxEnsGroupesMatieres", "ENTAuxEnsMEF",
        "ENTAuxEnsMatiereEnseignEtab", "ENTEcoleCirconscription", "ENTEcoleCodeMinistereTutelle", "ENTEcoleCommune",
        "ENTEcoleMinistereTutelle", "ENTEcoleRPI", "ENTEcoleSecteur", "ENTEleveAdresseRel", "ENTEleveAutoriteParentale",
        "ENTEleveBoursier", "ENTEleveClasses", "ENTEleveCodeEnseignements", "ENTEleveCycle",
        "ENTEleveDateEntreeClasses",
        "ENTEleveDateEntreeStructRattach", "ENTEleveDateSortieClasses", "ENTEleveDateSortieStructRattach",
        "ENTEleveEnseignements", "ENTEleveEtudesSurveillees", "ENTEleveFiliere", "ENTEleveGarderieMatin",
        "ENTEleveGarderieSoir", "ENTEleveGroupes", "ENTEleveINE", "ENTEleveLibelleMEF", "ENTEleveMEF", "ENTEleveMere",
        "ENTEleveNivFormation", "ENTEleveNiveau", "ENTEleveParents", "ENTElevePere", "ENTElevePersRelEleve",
        "ENTElevePersRelEleve1", "ENTElevePersRelEleve2", "ENTEleveQualitePersRelEleve1",
        "ENTEleveQualitePersRelEleve2",
        "ENTEleveRegime", "ENTEleveRestaurantScolaire", "ENTEleveStatutEleve", "ENTEleveStructRattachId",
        "ENTEleveTransport", "ENTEleveTypeClasse", "ENTEnsFonctionDir", "ENTEnsFonctionDirDate", "ENTEnsSpecialites",
        "ENTEtablissementBassin", "ENTEtablissementCodeMinistereTutelle", "ENTEtablissementContrat",
        "ENTEtablissementMinistereTutelle", "ENTEtablissementStructRattachFctl", "ENTEtablissementUAI",
        "ENTLibelleMatiere",
        "ENTLibelleMef", "ENTMEFRattach", "ENTMEFSTAT11", "ENTMatJointure", "ENTMefJointure", "ENTPersRelEleveEleve",
        "ENTPersRelEleveTelMobile", "ENTPersRelEleveTelPro", "ENTPersonAdresse", "ENTPersonAdresseDiffusion",
        "ENTPersonAutresPrenoms", "ENTPersonCategorieEnseignant", "ENTPersonCategorieEnseignantDate",
        "ENTPersonCivilite",
        "ENTPersonClasses", "ENTPersonCodePostal", "ENTPersonDateNaissance", "ENTPersonFonctions",
        "ENTPersonFonctionsDate",
        "ENTPersonGroupes", "ENTPersonJointure", "ENTPersonMail", "ENTPersonMobileSMS", "ENTPersonNom",
        "ENTPersonNomPatro",
        "ENTPersonPays", "ENTPersonPrenom", "ENTPersonStructRattach", "ENTPersonStructRattachDate", "ENTPersonTelPerso",
        "ENTPersonVille", "ENTServAcAcademie", "ENTServAcCodeAcademie", "ENTStructureAdresse", "ENTStructureClasses",
        "ENTStructureCodeTypeStruct", "ENTStructureGroupes", "ENTStructureJointure", "ENTStructureMailSI",
        "ENTStructureNomCourant", "ENTStructureSIREN", "ENTStructureTypeStruct", "ENTStructureUAI",
    ]

    public static let elementNames: Set<String> = [
        "ficAlimMENESR", "addRequest", "modifyRequest", "deleteRequest", "identifier", "id", "attributes", "attr",
        "value",
        "modifications", "modification", "operationalAttributes",
    ]

    public static let categoryValues: Set<String> = [
        "Eleve", "PersEducNat", "PersRelEleve", "EtabEducNat", "Structure", "Etablissement", "Ecole", "Mef", "Matiere",
    ]

    /// `name` if aafd knows it, else ``unknownName``.
    public static func reportable(_ name: String) -> String {
        attributeNames.contains(name) || elementNames.contains(name) || categoryValues.contains(name)
            ? name : unknownName
    }
}
