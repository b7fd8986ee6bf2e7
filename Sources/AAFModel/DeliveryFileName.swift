/// A parsed ENT1D file name: `<PREFIX>_<Complet|Delta>_<YYYYMMDD>_<Category>_<NNNN>.xml` (aaf-format.md §1).
///
/// The name is matched from the right, so prefixes holding underscores or dashes (`clean-FULL_ENTTSSERVICES`)
/// are accepted. Names with anything outside `[A-Za-z0-9._-]`, or longer than 200 bytes, are refused (R20):
/// they never reach the file system.
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

    /// Whether a remote or local name may be used as a file name at all: `[A-Za-z0-9._-]` only, at most
    /// ``maximumLength`` bytes (so that the spool's temporary `.NAME.part` stays within NAME_MAX), not starting with
    /// a dot. Anything else (shell metacharacters, spaces, non-ASCII) is reported as ignored and never reaches the
    /// file system, a message or an alert's environment (R15, R20).
    public static func isSafe(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= maximumLength, !name.hasPrefix(".") else { return false }
        return name.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x5F
                || b == 0x2D
        }
    }

    /// The longest delivery file name accepted.
    public static let maximumLength = 200

    public var description: String { fileName }

    public static func < (lhs: DeliveryFileName, rhs: DeliveryFileName) -> Bool {
        (lhs.date, lhs.category, lhs.part) < (rhs.date, rhs.category, rhs.part)
    }
}
