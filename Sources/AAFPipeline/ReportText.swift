import AAFModel
import AAFStore
import AAFTransfer
import Foundation

public enum FetchText {
    public static func render(_ r: FetchReport) -> String {
        var lines: [String]
        if r.dryRun {
            lines = [
                "Would fetch \(r.downloaded.count) deliveries (\(r.files) files, \(r.bytes) bytes); nothing downloaded or deleted"
            ]
            for d in r.downloaded { lines.append("  would download \(d)") }
        } else {
            lines = [
                "Fetched \(r.downloaded.count) deliveries (\(r.files) files, \(r.bytes) bytes, \(String(format: "%.1f", r.seconds)) s); "
                    + "\(r.remoteDeleted) remote files deleted"
            ]
            for d in r.downloaded { lines.append("  downloaded \(d)") }
        }
        if r.owedSettled > 0 { lines.append("  \(r.owedSettled) remote deletions owed by earlier runs done (R10)") }
        if !r.owedDeletions.isEmpty {
            lines.append(
                "  remote deletions still owed (R10), retried every run: " + r.owedDeletions.joined(separator: ", ")
            )
        }
        for s in r.skipped { lines.append("  skipped \(s)") }
        if !r.ignored.isEmpty { lines.append("  ignored (not delivery files): " + r.ignored.joined(separator: ", ")) }
        return lines.joined(separator: "\n")
    }
}

/// Human rendering of an import report: counts and names only (R15).
public enum ReportText {
    public static func render(_ report: ImportReport) -> String {
        var lines: [String] = []
        let what = report.dryRun ? "Dry run (nothing committed) of" : "Imported"
        lines.append(
            "\(what) the \(report.mode?.rawValue ?? "?") delivery of \(report.extractDate?.iso ?? "?"): "
                + "\(report.files) files, \(report.bytes) bytes, \(report.durationMilliseconds) ms"
        )
        lines.append("  category     records   added updated unchanged departed reactivated")
        for category in AAFCategory.importOrder {
            let c = report.counts[category] ?? CategoryCounts()
            lines.append(
                "  "
                    + [
                        category.reportKey.padded(10), "\(c.records)".leftPadded(9), "\(c.added)".leftPadded(7),
                        "\(c.updated)".leftPadded(7), "\(c.unchanged)".leftPadded(9), "\(c.departed)".leftPadded(8),
                        "\(c.reactivated)".leftPadded(11),
                    ].joined(separator: " ")
            )
        }
        if let g = report.counts[.guardian], g.notStoredUnreferenced + g.deletedUnreferenced > 0 {
            lines.append(
                "  guardians no pupil references (R4): \(g.notStoredUnreferenced) not stored, \(g.deletedUnreferenced) deleted"
            )
        }
        if !report.droppedAttributes.isEmpty {
            lines.append(
                "  attributes dropped (R1): "
                    + report.droppedAttributes.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(
                        separator: ", "
                    )
            )
        }
        if !report.skippedLinks.isEmpty {
            lines.append(
                "  unreadable link values: "
                    + report.skippedLinks.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(
                        separator: ", "
                    )
            )
        }
        if !report.repeatedAttributes.isEmpty {
            lines.append(
                "  repeated attributes, first kept: "
                    + report.repeatedAttributes.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(
                        separator: ", "
                    )
            )
        }
        if report.normalisedApostrophes > 0 {
            lines.append("  literal &apos; turned into ': \(report.normalisedApostrophes)")
        }
        if !report.ignoredFiles.isEmpty {
            lines.append("  files ignored (not ENT1D delivery files): " + report.ignoredFiles.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func padded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

/// A purge's counts in one line: `R6 3 students; R8 2 staff`.
public enum PurgeText {
    public static func summary(_ result: PurgeResult) -> String {
        result.counts.sorted { $0.key < $1.key }.map { rule, counts in
            "\(rule) " + counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: " ")
        }.joined(separator: "; ")
    }
}
