import AAFModel
import Foundation

/// Every `print` of this module: what a command says on stdout passes through ``OutsideText`` (issue 20), so that
/// no value read from the database, a delivery or a server can put a control sequence on an administrator's
/// terminal. aafd's own line breaks and tabs stay; values from outside that must stay on one line are escaped with
/// ``OutsideText/escaped(_:)`` where the line is composed.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    Swift.print(
        OutsideText.escapedKeepingLines(items.map { "\($0)" }.joined(separator: separator)),
        terminator: terminator
    )
}

/// Writes `text` to stdout unbuffered, every control character escaped but aafd's own line breaks and tabs.
func writeOutput(_ text: String) {
    FileHandle.standardOutput.write(Data(OutsideText.escapedKeepingLines(text).utf8))
}

/// `value` encoded as JSON, with DEL, C1 controls and bidi overrides written as `\uXXXX` (JSONEncoder leaves them
/// raw): the same JSON value, nothing a terminal acts on.
func safeJSON(_ data: Data) -> String {
    OutsideText.escapedKeepingLines(String(decoding: data, as: UTF8.self))
}
