import AAFModel
import Foundation

/// The one table of French labels the documents the convention asks for share (issue 26): the certificate of
/// deletion, the incident notification. An unknown key is printed as it is (escaped), never dropped.
enum FrenchLabels {
    /// What each rule deletes, as the certificate of deletion says it (Docs/data-protection-rules.md).
    static let rules: [String: String] = [
        "R2": "adresses personnelles de personnels dont le consentement a été retiré",
        "R4": "responsables légaux qui ne sont plus rattachés à aucun élève",
        "R6": "élèves qui ne sont plus scolarisés, au terme de l'année civile de leur départ",
        "R7": "responsables légaux sans élève scolarisé, au même terme",
        "R8": "personnels, à leur départ",
        "R9": "personnes dont l'académie n'a plus transmis les données depuis deux ans",
        "R10": "livraisons refusées, cinq jours ouvrés au plus après leur réception",
        "R11": "traces d'aafd au-delà de l'année civile précédente : journal, recensements, flux de l'ENT",
        "R14": "réponses aux demandes d'accès, à la fin de leur délai de conservation",
        "art7-register": "demandes d'exercice des droits (art. 7), à la fin de leur délai de conservation",
        "art12-register": "incidents de sécurité (art. 12), à la fin de leur délai de conservation",
    ]

    /// What a count counts.
    static let counts: [String: String] = [
        AAFCategory.pupil.reportKey: "élèves",
        AAFCategory.guardian.reportKey: "responsables légaux",
        AAFCategory.staff.reportKey: "personnels",
        AAFCategory.structure.reportKey: "écoles",
        "consents": "consentements",
        "census": "recensements",
        "changes": "changements du flux de l'ENT",
        "journal": "entrées de journal",
        "requests": "demandes",
        "security incidents": "incidents de sécurité",
        "access answers": "réponses à des demandes d'accès",
        "refused deliveries": "fichiers de livraisons refusées",
    ]

    static func rule(_ id: String) -> String { rules[id] ?? OutsideText.escaped(id) }

    /// Rules in their order (R2 before R11), then the registers.
    static func ruleOrder(_ a: String, _ b: String) -> Bool {
        func number(_ id: String) -> Int { id.hasPrefix("R") ? Int(id.dropFirst().prefix { $0.isNumber }) ?? 99 : 100 }
        return number(a) != number(b) ? number(a) < number(b) : a < b
    }

    /// "élèves : 12, responsables légaux : 3", in a fixed order (people first), zero counts left out.
    static func counts(_ values: [String: Int]) -> String {
        let order = AAFCategory.importOrder.map(\.reportKey)
        let keys = values.keys.sorted { a, b in
            let (i, j) = (order.firstIndex(of: a) ?? order.count, order.firstIndex(of: b) ?? order.count)
            return i != j ? i < j : a < b
        }
        return keys.compactMap { key in
            guard let n = values[key], n != 0 else { return nil }
            return "\(counts[key] ?? OutsideText.escaped(key)) : \(n)"
        }.joined(separator: ", ")
    }

    static let months = [
        "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre",
        "décembre",
    ]

    /// "1er janvier 2028".
    static func day(_ date: ExtractDate) -> String { written(date.day, date.month, date.year) }

    /// "10 mars 2026 à 09 h 00 (Europe/Paris)" for an ISO 8601 UTC timestamp; the text itself if it is not one.
    static func instant(_ iso: String, in zone: TimeZone) -> String {
        guard let c = components(iso, in: zone) else { return OutsideText.escaped(iso) }
        return written(c.day ?? 0, c.month ?? 1, c.year ?? 0) + " à "
            + String(format: "%02d h %02d", c.hour ?? 0, c.minute ?? 0) + " (\(zone.identifier))"
    }

    /// The calendar day of an ISO 8601 UTC timestamp in `zone`: "2 septembre 2025".
    static func dayOf(_ iso: String, in zone: TimeZone) -> String {
        guard let c = components(iso, in: zone) else { return OutsideText.escaped(String(iso.prefix(10))) }
        return written(c.day ?? 0, c.month ?? 1, c.year ?? 0)
    }

    private static func components(_ iso: String, in zone: TimeZone) -> DateComponents? {
        guard let date = Timestamp.date(iso) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
    }

    private static func written(_ day: Int, _ month: Int, _ year: Int) -> String {
        "\(day == 1 ? "1er" : String(day)) \(months[month - 1]) \(year)"
    }
}
