import AAFModel
import AAFPipeline
import AAFPolicy
import AAFStore
import ArgumentParser
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

extension RequestCommand {
    /// `aafd request dossier ID`: the dossier to send the académie with the request (art. 7), written where access
    /// answers go (`state_dir/answers/request-N-dossier.txt|pdf`, 0600), so that it is erased with its person or its
    /// request like them (issue 23); the read is journaled first.
    struct Dossier: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the dossier to send the académie with a request (art. 7), in French.",
            discussion: """
                The request, the controller and the commune's DPO ([convention] dpo_contact), for an access request \
                the data held in sections and plain words (the AAF names only in an annex for the académie), the \
                source, purposes, recipients, how long each part is kept with the person's own dates, consents, and \
                the reads of the record by role; for the other kinds, what the commune did. Written to \
                state_dir/answers/request-N-dossier.txt (or .pdf with --format pdf), 0600, erased with its person or \
                its request, or after 92 days, like access answers. Exit 0; 66 no such request; 69 groff missing; \
                73 the dossier exists already.
                """
        )
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The request's number.") var id: Int
        @OptionGroup var reader: ReaderOptions
        @Option(help: "text, or pdf (A4 by groff).") var format: DocumentOptions.Format = .text

        func run() throws {
            let configuration = try options.load()
            guard let store = try openStoreForReading(configuration, readOnly: false) else {
                throw CommandFailure(.noInput, noDatabaseYet(configuration))
            }
            guard let request = try store.requests.list(id: id).first else {
                throw CommandFailure(.noInput, "no request \(id) in the register")
            }
            let people = try store.persons(jointure: request.jointure)
            var names: [String: String] = [:]
            for link in people.flatMap({ $0.guardians + $0.pupils }) {
                guard let other = try store.persons(jointure: link.jointure).first else { continue }
                let name = ["ENTPersonPrenom", "ENTPersonNom"].flatMap { RequestDossier.attribute(other, $0) }
                if !name.isEmpty { names[link.jointure] = name.joined(separator: " ") }
            }
            let rows = try store.storedRows(jointure: request.jointure)
            let at = Timestamp.string(configuration.importSettings.now())
            do {
                try store.adminJournal.recordRead(
                    "read-person",
                    jointure: request.jointure,
                    by: AdminIdentity.current(by: reader.by),
                    at: at,
                    detail: "request \(id) dossier"
                )
            } catch {
                throw CommandFailure(.tempFail, "cannot journal this read (\(error)); nothing written, try again")
            }
            let text = RequestDossier.text(
                .init(
                    request: request,
                    people: people,
                    consents: try store.consents(jointure: request.jointure),
                    restricted: try store.requests.isRestricted(jointure: request.jointure),
                    journal: rows.tables["admin_journal"] ?? [],
                    names: names,
                    commune: configuration.commune,
                    academy: configuration.academy,
                    publisher: configuration.publisher,
                    dpoContact: configuration.dpoContact,
                    today: configuration.today
                )
            )
            let folder = URL(fileURLWithPath: configuration.answersDirectory).standardizedFileURL.path
            let path = (folder as NSString).appendingPathComponent(
                "request-\(id)-dossier.\(format == .pdf ? "pdf" : "txt")"
            )
            let bytes =
                format == .pdf
                ? try DocumentPDF.render(text, title: "Demande n° \(id)", header: configuration.commune)
                : Array(text.utf8)
            try AnswerFile.write(bytes, to: path, hint: "it is erased with its request; remove it to write it again")
            print("the dossier of request \(id) is in \(path) (0600); send it to the académie with the request")
        }
    }
}
