import AAFModel

/// Why an AAF file could not be read.
///
/// The message names the file, the line and column, and the problem; it never quotes a value from the
/// file (R15): libxml2's own text can quote input bytes, so only its numeric code is kept.
public struct ParseError: Error, Sendable, CustomStringConvertible {
    /// An extensible code: new cases break nobody.
    public typealias Code = ErrorCode<ParseError>

    public var code: Code
    /// The file's name (no directory).
    public var file: String
    public var line: Int
    public var column: Int
    /// What went wrong and what to do; never a value from the file.
    public var message: String
    /// libxml2's `xmlParserErrors` code when the error came from libxml2.
    public var xmlCode: Int?

    public init(code: Code, file: String, line: Int, column: Int, message: String, xmlCode: Int? = nil) {
        self.code = code
        self.file = file
        self.line = line
        self.column = column
        self.message = message
        self.xmlCode = xmlCode
    }

    public var description: String {
        "\(file):\(line):\(column): \(message)"
    }
}

extension ErrorCode where Domain == ParseError {
    /// Not well-formed XML (mismatched tags, truncated file…).
    public static var malformed: Self { Self("malformed") }
    /// An entity declaration or an undeclared entity.
    public static var entity: Self { Self("entity") }
    /// Bytes that are not in the declared (or default UTF-8) encoding.
    public static var encoding: Self { Self("encoding") }
    /// A configured limit (value size, depth, attribute count) exceeded.
    public static var limit: Self { Self("limit") }
    /// Well-formed XML that is not an AAF document (unknown element, missing id…).
    public static var structure: Self { Self("structure") }
    /// A record of another category than the file's.
    public static var category: Self { Self("category") }
    /// The file could not be read.
    public static var io: Self { Self("io") }
}
