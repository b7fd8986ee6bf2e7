import Foundation
import Testing

@testable import AAFCommands

/// The escaping of LDIF exports (RFC 4514 for DNs, RFC 2849 for values), read as bytes since issue 24: the same
/// output as the character-wise rules, value by value.
@Suite("LDIF escaping")
struct ExportEscapingTests {
    @Test(
        "RFC 4514: , + \" \\ < > ; = escaped anywhere, # and space first, space last; other values unchanged",
        arguments: [
            ("1234567", "1234567"),
            ("a,b+c", "a\\,b\\+c"),
            ("\"q\"\\<x>;y=z", "\\\"q\\\"\\\\\\<x\\>\\;y\\=z"),
            ("#1", "\\#1"),
            ("a#1", "a#1"),
            (" lead", "\\ lead"),
            ("trail ", "trail\\ "),
            (" ", "\\ "),
            ("mid dle", "mid dle"),
            ("Éloïse,Ñ", "Éloïse\\,Ñ"),
            ("", ""),
        ]
    )
    func rdn(value: String, expected: String) {
        #expect(ExportWriter.rdn(value) == expected)
    }

    @Test(
        "RFC 2849: plain ASCII as is; non-ASCII, control characters, a leading space, colon or <, a trailing space in base64",
        arguments: [
            ("Martin", false),
            ("a: b", false),
            ("Éloïse", true),
            ("tab\there", true),
            (" x", true),
            (":x", true),
            ("<x", true),
            ("x ", true),
            ("", false),
        ]
    )
    func ldifLine(value: String, base64: Bool) {
        let line = ExportWriter.ldifLine("cn", value)
        if base64 {
            #expect(line == "cn:: \(Data(value.utf8).base64EncodedString())\n")
        } else {
            #expect(line == "cn: \(value)\n")
        }
    }
}
