import AAFModel
import AAFPipeline
import AAFTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 20: what an alert or a hook inherits, and the text it is given.
@Suite("Alert and hook environment")
struct AlertEnvironmentTests {
    @Test(
        "alert environment: a server's text in AAFD_REASON arrives escaped; the environment is fixed, nothing inherited"
    )
    func escapedAndFixed() throws {
        let folder = TemporaryDirectory("alert-env")
        let out = folder.file("env.txt")
        setenv("AAFD_TEST_LEAK", "leaked", 1)
        defer { unsetenv("AAFD_TEST_LEAK") }
        let hostile = "boom\n<0>aafd: FORGED\u{1B}]0;pwned\u{07}\u{1B}[2J\r\u{9B}\u{202E}"
        let status = Alert.shell("env > \(out)", environment: ["AAFD_REASON": hostile], timeout: 10)
        #expect(status == 0)
        let env = try String(contentsOfFile: out, encoding: .utf8)
        let reason = env.split(separator: "\n").first { $0.hasPrefix("AAFD_REASON=") }.map(String.init)
        #expect(reason == "AAFD_REASON=boom\\n<0>aafd: FORGED\\x1b]0;pwned\\x07\\x1b[2J\\r\\u009b\\u202e")
        #expect(!env.contains("AAFD_TEST_LEAK"))
        #expect(env.contains("PATH=/usr/sbin:/usr/bin:/sbin:/bin\n") && env.contains("LANG=C.UTF-8\n"))
    }

    @Test("OutsideText: controls, DEL, C1 and bidi become visible escapes; plain text is unchanged")
    func outsideText() {
        #expect(OutsideText.escaped("Émile Zola, 12 rue d'Ulm") == "Émile Zola, 12 rue d'Ulm")
        #expect(OutsideText.escaped("a\u{1B}[2Jb\u{07}c\r\nd\te") == "a\\x1b[2Jb\\x07c\\r\\nd\\te")
        #expect(
            OutsideText.escaped("\u{7F}\u{9B}\u{202E}\u{2066}\u{200F}\u{2028}")
                == "\\u007f\\u009b\\u202e\\u2066\\u200f\\u2028"
        )
        #expect(OutsideText.escapedKeepingLines("one\ntwo\tthree\u{1B}") == "one\ntwo\tthree\\x1b")
        // Inside JSON, the escapes of DEL, C1 and bidi decode to the same characters: JSON stays exact.
        let json = OutsideText.escapedKeepingLines("{\"v\":\"a\u{9B}\u{202E}\u{7F}\"}")
        let decoded = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String]
        #expect(decoded?["v"] == "a\u{9B}\u{202E}\u{7F}")
    }
}
