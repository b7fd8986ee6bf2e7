import Foundation

/// The `sqlite3` command-line shell as a second reader of aafd's files (a real process, as the ENT would read), the one
/// helper the tests share (issue 22): `-bail`, optionally `-readonly`, the answer trimmed; a failing statement throws
/// with the shell's own message.
public enum SQLiteShell {
    public struct Failure: Error, CustomStringConvertible {
        public var query: String
        public var message: String
        public var description: String { "sqlite3: \(message) (\(query))" }
    }

    /// Runs `query` on `database`; returns stdout without its surrounding blank space.
    @discardableResult
    public static func run(_ database: String, _ query: String, readOnly: Bool = false) throws -> String {
        try raw(database, query, readOnly: readOnly).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The answer's rows, one per line.
    public static func lines(_ database: String, _ query: String, readOnly: Bool = false) throws -> [String] {
        try raw(database, query, readOnly: readOnly).split(separator: "\n").map(String.init)
    }

    /// The answer's rows and columns (tab-separated; empty fields kept).
    public static func rows(_ database: String, _ query: String, readOnly: Bool = true) throws -> [[String]] {
        try raw(database, query, readOnly: readOnly, separator: "\t")
            .split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    }

    private static func raw(
        _ database: String,
        _ query: String,
        readOnly: Bool,
        separator: String? = nil
    ) throws
        -> String
    {
        var arguments = ["-bail"]
        if readOnly { arguments.append("-readonly") }
        if let separator { arguments += ["-separator", separator] }
        let result = try runProgram("/usr/bin/sqlite3", arguments + [database, query])
        guard result.status == 0 else { throw Failure(query: query, message: result.stderr) }
        return result.stdout
    }
}
