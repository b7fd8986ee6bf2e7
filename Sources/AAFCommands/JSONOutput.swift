import Foundation

/// Pretty, key-sorted JSON on stdout: the form of every `--json` answer. Optional fields are `@NullEncoded`, so
/// each answer keeps its keys whether a value is there or not.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    FileHandle.standardOutput.write(try encoder.encode(value))
    FileHandle.standardOutput.write(Data("\n".utf8))
}
