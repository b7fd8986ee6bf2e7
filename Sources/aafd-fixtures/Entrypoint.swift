import AAFDigest
import AAFFixtures
import AAFModel
import AAFParser
import AAFPolicy
import ArgumentParser
import Foundation

/// Writes synthetic ENT1D deliveries: the committed fixtures, the demo delivery and the benchmark's.
@main
struct FixturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aafd-fixtures",
        abstract: "Write synthetic ENT1D deliveries (no real person: every name is generated).",
        subcommands: [Delivery.self, ScenarioDays.self, Parse.self]
    )

    struct Delivery: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write one Complet delivery.")

        @Option(help: "Output folder (created).") var out: String
        @Option(help: "Number of pupils.") var pupils = 200
        @Option(help: "Number of schools.") var schools = 4
        @Option(help: "Extract date, YYYYMMDD.") var date = "20250901"
        @Option(name: .customLong("part-size"), help: "Records per part.") var partSize = 20_000
        @Option(help: "Random seed.") var seed: UInt64 = 1
        @Option(help: "File name prefix.") var prefix = "ENT1D"
        @Flag(name: .customLong("no-quirks"), help: "Leave out the parser quirks (HTML entities, &apos;…).")
        var noQuirks = false

        func run() throws {
            guard let extractDate = ExtractDate(compact: date) else { throw ValidationError("--date must be YYYYMMDD") }
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            var writer = DeliveryWriter()
            writer.partSize = partSize
            writer.prefix = prefix
            writer.quirks = !noQuirks
            let names = try writer.write(
                SyntheticDirectory.generate(schools: schools, pupils: pupils, seed: seed),
                date: extractDate,
                to: out
            )
            print("wrote \(names.count) files to \(out)")
        }
    }

    struct ScenarioDays: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "scenario",
            abstract: "Write the three-day fixture scenario."
        )

        @Option(help: "Output folder (one sub-folder per day).") var out: String

        func run() throws {
            try Scenario.write(to: out) {
                try FileManager.default.createDirectory(atPath: $0, withIntermediateDirectories: true)
            }
            print("wrote \(Scenario.dates.count) deliveries to \(out)")
        }
    }

    struct Parse: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Parse delivery files as the import's parser thread does, and store nothing (scripts/bench.sh)."
        )

        @Flag(help: "Also read each record's links, as the parser thread does while the writer is behind.")
        var links = false
        @Flag(
            help:
                "Print a SHA-256 of every record's kind, category, jointure and stored form (a change to the parser keeps it)."
        )
        var digest = false
        @Argument(help: "Delivery files, named as the académie names them.") var files: [String]

        func run() throws {
            var records = 0
            var bytes = 0
            let hasher = digest ? SHA256Hasher() : nil
            for path in files {
                let name = (path as NSString).lastPathComponent
                guard let file = DeliveryFileName(name) else {
                    throw ValidationError("\(name) is not named as a delivery file")
                }
                _ = try AAFDocumentParser.parseFile(
                    atPath: path,
                    expectedCategory: file.category,
                    filter: AllowList()
                ) { record in
                    var record = record
                    if links { record.readLinksAhead() }
                    records += 1
                    bytes += record.encoded.count
                    if let hasher {
                        let header =
                            "\(record.kind.rawValue) \(record.category.rawValue) \(record.jointure) \(record.encoded.count)\n"
                        Array(header.utf8).withUnsafeBytes { hasher.update($0) }
                        record.encoded.withUnsafeBytes { hasher.update($0) }
                    }
                }
            }
            print("\(records) records, \(bytes) bytes kept" + (hasher.map { ", SHA-256 \($0.finalize())" } ?? ""))
        }
    }
}
