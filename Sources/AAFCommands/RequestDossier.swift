import AAFModel
import AAFPipeline
import AAFPolicy
import AAFStore
import ArgumentParser
import Foundation

/// The dossier the commune sends the académie with a rights request (convention art. 7, issue 26), in French and
/// in words the académie can pass on to the person as it is: the request, the controller, for an access request the
/// data held in sections (the AAF names only in the annex), the source, purposes, recipients, how long each part is
/// kept with this person's own dates, consents, and who read the record, by role only.
enum RequestDossier {
    struct Context {
        var request: RightsRequest
        var people: [PersonDetails]
        var consents: [Consent]
        var restricted: Bool
        /// The journal's rows about this person (`admin_journal`), for the reads.
        var journal: [[String: String?]]
        /// Linked people's names ("Prénom Nom"), by jointure.
        var names: [String: String]
        var commune: String
        var academy: String
        var publisher: String
        var dpoContact: String?
        var today: ExtractDate
    }

    static func attribute(_ person: PersonDetails, _ name: String) -> [String] {
        person.attributes.first { $0.name == name }?.values.filter { !$0.isEmpty } ?? []
    }

    static func text(_ c: Context) -> String {
        var out: [String] = []
        let r = c.request
        let kind = FrenchLabels.requestKinds[r.kind] ?? OutsideText.escaped(r.kind)
        out.append("DOSSIER D'UNE DEMANDE D'EXERCICE DES DROITS")
        out.append("Transmis à l'académie au titre de la convention ENT du premier degré, article 7")
        out.append("")
        out.append("1. La demande")
        out.append("   Demande n° \(r.id) : \(kind).")
        out.append("   Reçue par la commune le \(FrenchLabels.day(r.receivedOn)).")
        if let publisher = r.publisherReceivedOn {
            out.append("   Reçue d'abord par l'éditeur de l'ENT le \(FrenchLabels.day(publisher)).")
        }
        out.append(
            "   À transmettre à l'académie au plus tard le \(FrenchLabels.day(r.forwardDue)) (8 jours après sa "
                + "réception, art. 7)."
        )
        out.append(
            r.forwardedOn.map { "   Transmise à l'académie le \(FrenchLabels.day($0))." }
                ?? "   Pas encore transmise : ce dossier l'accompagne."
        )
        out.append("")
        out.append("2. Le responsable du traitement")
        out.append(
            "   La commune (\(OutsideText.escaped(c.commune))), avec l'académie (\(OutsideText.escaped(c.academy))), "
                + "qui répond à la personne."
        )
        out.append(
            "   Délégué à la protection des données de la commune : "
                + (c.dpoContact.map(OutsideText.escaped) ?? "(à compléter : [convention] dpo_contact)")
        )
        out.append("")
        if c.people.isEmpty {
            out.append("3. Les données détenues")
            out.append("   L'annuaire de la commune ne contient plus de données sur cette personne.")
        }
        for (index, person) in c.people.enumerated() {
            out.append(contentsOf: held(person, number: index + 3, c))
        }
        var n = 3 + max(c.people.count, 1)
        out.append("\(n). D'où viennent ces données")
        out.append(
            "   De l'extraction quotidienne de l'annuaire fédérateur (AAF) de l'académie, transmise à la commune au "
                + "titre de la convention (annexes 3 et 4). La commune ne les modifie pas : une rectification se fait "
                + "dans les applications de l'académie, et l'annuaire de la commune la reprend le lendemain."
        )
        n += 1
        out.append("")
        out.append("\(n). Pourquoi elles sont traitées")
        out.append(
            "   Pour alimenter les comptes de l'environnement numérique de travail (ENT) des écoles de la commune : "
                + "accès des élèves, de leurs responsables et des personnels, et organisation des activités "
                + "périscolaires (annexe 3)."
        )
        n += 1
        out.append("")
        out.append("\(n). Qui les reçoit")
        out.append(
            "   L'éditeur de l'ENT (\(OutsideText.escaped(c.publisher))), sous-traitant, qui ouvre les comptes ; les "
                + "utilisateurs de l'ENT selon leurs droits (enseignants, personnels de l'école, responsables). "
                + "Les exports de l'annuaire faits par la commune sont journalisés."
        )
        n += 1
        out.append("")
        out.append("\(n). Combien de temps elles sont conservées")
        out.append(contentsOf: retention(c))
        n += 1
        out.append("")
        out.append("\(n). Consentements")
        if c.consents.isEmpty {
            out.append("   Aucun consentement enregistré.")
        }
        for consent in c.consents {
            out.append(
                "   Conservation de l'adresse personnelle (personnels, art. 5) : consentement enregistré le "
                    + "\(FrenchLabels.dayOf(consent.grantedAt, in: TimeZone(identifier: "Europe/Paris")!))."
            )
        }
        n += 1
        out.append("")
        out.append("\(n). Qui a consulté ces données")
        out.append(contentsOf: reads(c))
        if r.kind != RightsRequestKind.access.rawValue {
            n += 1
            out.append("")
            out.append("\(n). Ce que la commune a fait")
            out.append(contentsOf: done(c))
        }
        out.append("")
        out.append(contentsOf: annex(c))
        return out.joined(separator: "\n") + "\n"
    }

    /// The data held, in sections and plain words.
    static func held(_ p: PersonDetails, number: Int, _ c: Context) -> [String] {
        var out: [String] = []
        out.append(
            "\(number). Les données détenues sur cette personne (\(FrenchLabels.categories[p.category] ?? "personne"))"
        )
        func line(_ name: String) {
            let values = attribute(p, name)
            guard !values.isEmpty else { return }
            let label = FrenchLabels.attributes[name] ?? OutsideText.escaped(name)
            out.append(
                "     \(label.prefix(1).uppercased() + label.dropFirst()) : "
                    + values.map { FrenchLabels.value(name, $0) }.joined(separator: ", ")
            )
        }
        out.append("   Identité")
        for name in [
            "ENTPersonCivilite", "ENTPersonNom", "ENTPersonNomPatro", "ENTPersonPrenom", "ENTPersonAutresPrenoms",
            "ENTPersonDateNaissance",
        ] {
            line(name)
        }
        if !p.structures.isEmpty || !p.classes.isEmpty || !p.groups.isEmpty || p.category == .pupil {
            out.append("   École et classe")
            for school in p.structures {
                out.append(
                    "     École : " + (school.uai.map { "UAI \(OutsideText.escaped($0))" } ?? "hors de l'annuaire")
                )
            }
            for membership in p.classes {
                out.append("     Classe : \(OutsideText.escaped(membership.label))")
            }
            for membership in p.groups {
                out.append("     Groupe : \(OutsideText.escaped(membership.label))")
            }
            for name in ["ENTEleveNiveau", "ENTEleveCycle", "ENTEleveTypeClasse"] { line(name) }
        }
        if p.category == .pupil {
            out.append("   Responsables légaux (autorité parentale)")
            if p.guardians.isEmpty { out.append("     Aucun dans l'annuaire.") }
            for link in p.guardians {
                out.append(
                    "     " + (c.names[link.jointure].map(OutsideText.escaped) ?? "une personne hors de l'annuaire")
                )
            }
            out.append("   Activités périscolaires")
            for name in FrenchLabels.activityAttributes { line(name) }
        }
        if p.category == .guardian {
            out.append("   Enfants rattachés")
            for link in p.pupils {
                out.append("     " + (c.names[link.jointure].map(OutsideText.escaped) ?? "un élève hors de l'annuaire"))
            }
        }
        if p.category == .staff, !p.functions.isEmpty {
            out.append("   Fonctions")
            for function in p.functions {
                let what = [function.functionLabel, function.positionLabel].compactMap { $0 }
                    .filter { $0 != "-" && $0 != "SANS OBJET" }
                out.append(
                    "     "
                        + (what.isEmpty
                            ? "fonction sans libellé" : what.map(OutsideText.escaped).joined(separator: ", "))
                )
            }
        }
        let contact = [
            "ENTPersonMail", "ENTPersonAdresse", "ENTPersonCodePostal", "ENTPersonVille", "ENTPersonPays",
            "ENTPersonTelPerso", "ENTPersRelEleveTelMobile", "ENTPersRelEleveTelPro",
        ]
        if contact.contains(where: { !attribute(p, $0).isEmpty }) {
            out.append("   Coordonnées")
            for name in contact { line(name) }
        }
        if let first = p.firstSeen {
            out.append("   Dans l'annuaire de la commune depuis le \(FrenchLabels.day(first)).")
        }
        if let updated = p.updatedOn {
            out.append("   Dernière transmission par l'académie : le \(FrenchLabels.day(updated)).")
        }
        if let departed = p.departedOn {
            out.append("   N'est plus transmise par l'académie depuis le \(FrenchLabels.day(departed)).")
        }
        if c.restricted {
            out.append("   Traitement limité : ces données sont retirées de tout ce que l'ENT lit (art. 18 du RGPD).")
        }
        out.append("")
        return out
    }

    /// How long each part is kept, from the rules, with this person's own dates.
    static func retention(_ c: Context) -> [String] {
        var out: [String] = []
        for p in c.people {
            switch p.category {
            case .pupil:
                out.append(
                    "   Élève : jusqu'au terme de l'année civile au cours de laquelle il n'est plus scolarisé (annexe 3)."
                )
            case .guardian:
                out.append(
                    "   Responsable légal : tant qu'un élève scolarisé lui est rattaché, puis jusqu'au même terme (annexe 3)."
                )
            case .staff:
                out.append("   Personnel : jusqu'à son départ (annexe 3).")
            case .structure: break
            }
            if let updated = p.updatedOn {
                out.append(
                    "   Au plus deux ans après la dernière transmission par l'académie (art. 5) : au plus tard le "
                        + "\(FrenchLabels.day(updated.adding(days: 730)))."
                )
            }
            if let due = p.purgeDue {
                out.append("   Pour cette personne : supprimées au plus tard le \(FrenchLabels.day(due)).")
            }
        }
        out.append(
            "   Le journal des consultations : l'année en cours et l'année précédente. La demande elle-même : l'année de "
                + "sa clôture et l'année suivante."
        )
        return out
    }

    /// The reads of this person's record, by role and purpose, never by name.
    static func reads(_ c: Context) -> [String] {
        let reads = c.journal.filter { ($0["action"] ?? nil).map { $0.hasPrefix("read") } ?? false }
            .sorted { (($0["at"] ?? nil) ?? "") < (($1["at"] ?? nil) ?? "") }
        guard !reads.isEmpty else { return ["   Aucune consultation journalisée."] }
        let zone = TimeZone(identifier: "Europe/Paris")!
        return reads.map { row in
            let at = (row["at"] ?? nil).map { FrenchLabels.instant($0, in: zone) } ?? "date inconnue"
            let detail = (row["detail"] ?? nil) ?? ""
            let purpose =
                detail.hasPrefix("request ")
                ? "pour une demande d'exercice des droits"
                : detail.contains("reason:")
                    ? "par un administrateur habilité, pour un motif journalisé" : "par un administrateur habilité"
            return "   Le \(at), par la commune, \(purpose)."
        }
    }

    /// For the other kinds: what aafd holds that the request concerns, and what was done.
    static func done(_ c: Context) -> [String] {
        switch c.request.kind {
        case RightsRequestKind.restriction.rawValue, RightsRequestKind.opposition.rawValue:
            return [
                "   Dès l'enregistrement de la demande (\(FrenchLabels.dayOf(c.request.openedAt, in: TimeZone(identifier: "Europe/Paris")!))), "
                    + "la personne a été retirée de tout ce que l'ENT lit (vues, exports, copie publiée), jusqu'à la "
                    + "clôture de la demande."
                    + (c.restricted ? " La limitation est en cours." : " La limitation est levée.")
            ]
        case RightsRequestKind.rectification.rawValue:
            return [
                "   La commune ne modifie pas ces données : la rectification se fait dans les applications de "
                    + "l'académie ; l'annuaire de la commune la reprend à la transmission suivante."
            ]
        case RightsRequestKind.erasure.rawValue:
            return [
                "   La commune ne peut effacer seule des données que l'académie transmet chaque matin : l'effacement se "
                    + "fait à la source, et l'annuaire de la commune le reprend à la transmission suivante ; les "
                    + "règles de conservation ci-dessus s'appliquent dans tous les cas."
            ]
        default:
            return ["   Les données détenues sont décrites ci-dessus."]
        }
    }

    /// For the académie: every stored value under its AAF name.
    static func annex(_ c: Context) -> [String] {
        var out = ["ANNEXE POUR L'ACADÉMIE : les valeurs enregistrées, sous leur nom dans l'AAF"]
        for p in c.people {
            out.append("   Fiche \(p.category.rawValue), jointure \(OutsideText.escaped(p.jointure))")
            for attribute in p.attributes.sorted(by: { $0.name < $1.name }) where !attribute.values.isEmpty {
                out.append(
                    "   \(OutsideText.escaped(attribute.name)) (\(FrenchLabels.attributes[attribute.name] ?? "?")) : "
                        + attribute.values.map(OutsideText.escaped).joined(separator: " | ")
                )
            }
        }
        return out
    }
}
