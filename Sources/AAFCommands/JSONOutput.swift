import ArgumentParser
import Foundation

/// `--json`, which every command that answers a question takes.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print the answer as JSON (stdout; messages stay on stderr).")
    var json = false
}

/// Pretty, key-sorted JSON on stdout: the form of every `--json` answer. Optional fields are `@NullEncoded`, so
/// each answer keeps its keys whether a value is there or not.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    writeOutput(safeJSON(try encoder.encode(value)) + "\n")
}

/// Who reads personal data through a command that prints values, and why: journaled with the Unix user (`export`,
/// `changes --format ldif`; issue 23).
struct ReaderOptions: ParsableArguments {
    @Option(help: "Who asks (journaled with the Unix user); default: the Unix user alone.")
    var by: String?
    @Option(help: "Why (journaled): a request, a check, the ENT's load.")
    var reason: String?

    /// What the journal's detail ends with: ` reason: …`, or nothing.
    var journalSuffix: String { reason.map { " reason: \($0)" } ?? "" }
}
