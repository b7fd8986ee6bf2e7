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
