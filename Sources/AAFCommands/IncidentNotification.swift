import AAFModel
import AAFStore
import Foundation

/// The notification of a security incident (convention art. 12), in French, as the commune sends it to the
/// académie's alert chain (issue 26): every field article 12 asks for, the recipients from the configuration
/// (`[convention] academie_alert_address`, `ien_address`), never hard-coded. Free text typed by administrators is
/// escaped (issue 20); no staff name appears (the declarant's role only when it was typed as one).
enum IncidentNotification {
    struct Parties {
        var commune: String
        var academy: String
        var alertAddress: String
        var ienAddress: String?
        var dpoContact: String?
        var timeZone: TimeZone
    }

    static let kindLabels: [String: String] = [
        SecurityIncidentKind.breach.rawValue: "violation de données à caractère personnel",
        SecurityIncidentKind.suspectedBreach.rawValue: "violation de données à caractère personnel suspectée",
        SecurityIncidentKind.other.rawValue: "autre incident de sécurité des systèmes d'information",
    ]
    static let riskLabels: [String: String] = [
        RiskLevel.unknown.rawValue: "non encore évalué",
        RiskLevel.unlikely.rawValue: "peu probable",
        RiskLevel.likely.rawValue: "probable",
        RiskLevel.high.rawValue: "élevé",
    ]
    static let deadlineLabels: [String: String] = [
        "academy": "signaler l'incident à la chaîne d'alerte de l'académie (art. 12)",
        "cnil": "notification à la CNIL par le DPD de l'académie, 72 heures au plus tard (RGPD art. 33)",
    ]

    static func text(_ draft: IncidentCommand.Show.Draft, parties: Parties) -> String {
        let incident = draft.incident
        var out: [String] = []
        func field(_ number: Int, _ label: String, _ value: String?) {
            out.append("\(number). \(label)")
            let text = value.flatMap { $0.isEmpty ? nil : OutsideText.escaped($0) } ?? "(à compléter)"
            out.append("   " + text)
            out.append("")
        }
        out.append("NOTIFICATION D'UN INCIDENT DE SÉCURITÉ")
        out.append("Convention ENT du premier degré, article 12 (chaîne d'alerte)")
        out.append("")
        out.append("Commune : \(OutsideText.escaped(parties.commune))")
        out.append("Académie : \(OutsideText.escaped(parties.academy))")
        out.append(
            "Destinataires : \(OutsideText.escaped(parties.alertAddress)) ; l'IEN de la circonscription : "
                + (parties.ienAddress.map(OutsideText.escaped) ?? "(à compléter : [convention] ien_address)")
        )
        out.append(
            "Si la violation concerne plusieurs académies, aussi : le RSSI et le DPD du ministère "
                + "(rssi@education.gouv.fr, dpd@education.gouv.fr)."
        )
        if let dpo = parties.dpoContact {
            out.append("Délégué à la protection des données de la commune : \(OutsideText.escaped(dpo))")
        }
        out.append("")
        out.append(
            "Incident n° \(incident.id) : \(kindLabels[incident.kind] ?? OutsideText.escaped(incident.kind)), "
                + "connu le \(FrenchLabels.instant(incident.knownAt, in: parties.timeZone))."
        )
        out.append("")
        field(1, "Nature de l'incident", incident.nature)
        field(2, "Conséquences probables", incident.consequences)
        field(3, "Mesures de remédiation prises ou proposées", incident.measures)
        field(4, "Personnes auprès desquelles des informations supplémentaires peuvent être obtenues", incident.contact)
        out.append("5. Estimation du nombre de personnes susceptibles d'être concernées")
        if let asOf = draft.estimate.directoryAsOf {
            func counts(_ values: [String: Int]) -> String { FrenchLabels.counts(values) }
            out.append(
                "   L'annuaire tel qu'il était quand l'incident a été connu (import du "
                    + "\(FrenchLabels.instant(asOf, in: parties.timeZone))) : \(counts(draft.estimate.totals))."
            )
            for (school, values) in draft.estimate.bySchool.sorted(by: { $0.key < $1.key }) {
                out.append("   École \(OutsideText.escaped(school)) : \(counts(values))")
            }
        } else {
            out.append(
                "   Aucun import n'était terminé quand l'incident a été connu : aucune personne dans l'annuaire."
            )
        }
        out.append("")
        out.append(
            "Risque pour les droits et libertés des personnes : \(riskLabels[incident.risk] ?? OutsideText.escaped(incident.risk))"
                + (incident.riskReason.map { " (\(OutsideText.escaped($0)))" } ?? "")
        )
        out.append(
            "Chaîne d'alerte de l'académie prévenue : "
                + (incident.academyAlertedAt.map { "le " + FrenchLabels.instant($0, in: parties.timeZone) }
                    ?? "pas encore")
        )
        out.append(
            "CNIL notifiée : "
                + (incident.cnilNotifiedAt.map { "le " + FrenchLabels.instant($0, in: parties.timeZone) }
                    ?? "pas encore")
        )
        for deadline in draft.deadlines {
            out.append(
                "Échéance : \(deadlineLabels[deadline.key] ?? OutsideText.escaped(deadline.what)), au plus tard le "
                    + FrenchLabels.instant(deadline.due, in: parties.timeZone)
            )
        }
        out.append("")
        out.append(
            "Les informations qui ne sont pas encore connues seront communiquées de manière échelonnée, sans retard "
                + "indu (art. 12)."
        )
        return out.joined(separator: "\n") + "\n"
    }
}
