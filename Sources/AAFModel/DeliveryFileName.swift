/// A parsed ENT1D file name: `<PREFIX>_<Complet|Delta>_<YYYYMMDD>_<Category>_<NNNN>.xml` (aaf-format.md §1).
///
/// The name is matched from the right, so prefixes holding underscores or dashes (`clean-FULL_ENTTSSERVICES`)
/// are accepted. Names with a path separator, a NUL, a control character or anything outside printable ASCII
/// are refused (R20): they never reach the file system.
public struct DeliveryFileName: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let fileName: String
    public let prefix: String
    public let mode: DeliveryMode
    public let date: ExtractDate
    public let category: AAFCategory
    public let part: Int

    /// Parses a bare file name (no directory); nil when it does not follow the pattern.
    public init?(_ name: String) {
        guard DeliveryFileName.isSafe(name), name.hasSuffix(".xml") else { return nil }
        let stem = name.dropLast(4)
        let fields = stem.split(separator: "_", omittingEmptySubsequences: false)
        guard fields.count >= 5 else { return nil }
        let n = fields.count
        let partText = fields[n - 1]
        guard partText.count == 4, partText.allSatisfy({ $0.isASCII && $0.isNumber }), let part = Int(partText),
            let category = AAFCategory(rawValue: String(fields[n - 2])),
            let date = ExtractDate(compact: fields[n - 3]),
            let mode = DeliveryMode(rawValue: String(fields[n - 4]))
        else { return nil }
        let prefix = fields[0..<(n - 4)].joined(separator: "_")
        guard !prefix.isEmpty else { return nil }
        self.fileName = name
        self.prefix = prefix
        self.mode = mode
        self.date = date
        self.category = category
        self.part = part
    }

    /// Whether a remote or local name may be used as a file name at all: printable ASCII, no `/`, no `..`.
    public static func isSafe(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 255, name != ".", name != "..", !name.hasPrefix(".") else { return false }
        return name.utf8.allSatisfy { b in
            b > 0x20 && b < 0x7F && b != UInt8(ascii: "/") && b != UInt8(ascii: "\\")
        }
    }

    public var description: String { fileName }

    public static func < (lhs: DeliveryFileName, rhs: DeliveryFileName) -> Bool {
        (lhs.date, lhs.category, lhs.part) < (rhs.date, rhs.category, rhs.part)
    }
}
