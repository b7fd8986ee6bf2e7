/// What aafd knows of AAF attribute names, independent of any policy.
public enum AttributeCatalog {
    /// Attributes that are lists by nature: `person show` prints them as arrays even with one value.
    public static let multiValued: Set<String> = [
        "ENTPersonAutresPrenoms", "ENTPersonStructRattach", "ENTEleveAutoriteParentale", "ENTPersonClasses",
        "ENTPersonGroupes", "ENTPersonFonctions", "ENTEnsFonctionDir", "ENTEnsSpecialites",
    ]

    /// A staff member's home address in PersEducNat (R2).
    public static let homeAddress: Set<String> = [
        "ENTPersonAdresse", "ENTPersonCodePostal", "ENTPersonVille", "ENTPersonPays",
    ]
}
