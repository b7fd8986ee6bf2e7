import AAFModel
import AAFStore
import Foundation

/// The certificate of deletion (convention art. 6.3, R13), in French (issue 26): the parties, the period, what was
/// deleted under which rule and when (counts only, R15), the chain's head, and what it does not cover.
enum CertificateText {
    struct Pruning {
        var marker: PurgeRecord
        var through: ExtractDate
    }

    static func french(
        _ report: CertificateReport,
        pruning: Pruning?,
        today: ExtractDate,
        timeZone: TimeZone
    ) -> String {
        var out: [String] = []
        let parties = report.parties
        out.append("CERTIFICAT DE SUPPRESSION DE DONNÉES À CARACTÈRE PERSONNEL")
        out.append("Convention ENT du premier degré, article 6.3")
        out.append("")
        out.append(
            "Parties : la commune, \(OutsideText.escaped(parties.commune)) ; l'académie, "
                + "\(OutsideText.escaped(parties.academy)) ; l'éditeur de l'ENT, \(OutsideText.escaped(parties.publisher))."
        )
        let end = FrenchLabels.day(report.period.to ?? today)
        let span =
            report.period.from.map { "du \(FrenchLabels.day($0)) au \(end)" }
            ?? "depuis le premier enregistrement jusqu'au \(end)"
        out.append("Période : suppressions exécutées \(span).")
        out.append("Établi par aafd le \(FrenchLabels.day(today)).")
        out.append("")
        out.append(
            "Données supprimées en application des règles de conservation de la convention (nombres seulement, "
                + "aucune donnée personnelle) :"
        )
        if let pruning, report.period.from.map({ $0 <= pruning.through }) ?? true {
            // The marker's totals are keyed "R8 staff": the rule, then what was counted.
            let kept = pruning.marker.counts.filter { $0.key != "pruned_through" }.sorted { $0.key < $1.key }
                .map { key, value in
                    let parts = key.split(separator: " ", maxSplits: 1).map(String.init)
                    guard parts.count == 2 else { return "\(OutsideText.escaped(key)) : \(value)" }
                    return "\(OutsideText.escaped(parts[0])), \(FrenchLabels.counts([parts[1]: value]))"
                }
                .joined(separator: " ; ")
            out.append(
                "  Les enregistrements des suppressions exécutées jusqu'au \(FrenchLabels.day(pruning.through)) ont "
                    + "été supprimés à leur tour (règle R11) le \(FrenchLabels.dayOf(pruning.marker.executedAt, in: timeZone)) ; "
                    + "la chaîne en garde les totaux (enregistrement n° \(pruning.marker.id)) : \(kept)."
            )
        }
        let records = report.records.filter { $0.rule != DirectoryStore.pruningRule }
        if records.isEmpty { out.append("  Aucun enregistrement de suppression conservé pour cette période.") }
        for record in records {
            out.append(
                "  Le \(FrenchLabels.dayOf(record.executedAt, in: timeZone)), règle \(OutsideText.escaped(record.rule)) "
                    + "(\(FrenchLabels.rule(record.rule))) — \(FrenchLabels.counts(record.counts)). "
                    + "Enregistrement n° \(record.id), empreinte \(record.hash.prefix(16))…"
                    + (record.erased
                        ? ""
                        : " SUPPRESSION EN ATTENTE : un lecteur tenait la base ; achevée à l'exécution suivante (R12).")
            )
        }
        if !report.totals.isEmpty {
            out.append("")
            out.append("Totaux par règle :")
            for (rule, counts) in report.totals.sorted(by: { FrenchLabels.ruleOrder($0.key, $1.key) })
            where rule != DirectoryStore.pruningRule {
                out.append(
                    "  \(OutsideText.escaped(rule)) (\(FrenchLabels.rule(rule))) — \(FrenchLabels.counts(counts))."
                )
            }
        }
        out.append("")
        let chain = report.chain
        out.append(
            "Chaîne des enregistrements de suppression : "
                + (chain.verified ? "vérifiée (\(chain.records) enregistrements)." : "NON VÉRIFIÉE.")
        )
        for problem in chain.problems { out.append("  \(OutsideText.escaped(problem))") }
        out.append("Tête de la chaîne : \(chain.head)")
        out.append(
            "  À conserver : le certificat suivant la vérifie (aafd certificate --check-head), ce qui prouve qu'aucun "
                + "enregistrement n'a été retiré depuis."
        )
        out.append("")
        out.append(
            "Ce certificat ne couvre pas les copies faites hors d'aafd : exports remis à des tiers, sauvegardes de "
                + "la machine, données de l'ENT chez l'éditeur. Chacune est supprimée sous la responsabilité de qui "
                + "la détient."
        )
        return out.joined(separator: "\n") + "\n"
    }
}
