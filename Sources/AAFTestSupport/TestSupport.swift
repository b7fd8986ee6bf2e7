import AAFFixtures
import AAFModel
import Foundation

/// Where things are, from the test's point of view.
public enum Paths {
    /// The package root (found from this file's path).
    public static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `../shared` beside the clone (CI lays a copy there), or `$AAFD_SHARED`.
    public static var shared: URL {
        if let env = ProcessInfo.processInfo.environment["AAFD_SHARED"] { return URL(fileURLWithPath: env) }
        return root.deletingLastPathComponent().appendingPathComponent("shared")
    }

    /// The public AAF samples.
    public static var samples: URL { shared.appendingPathComponent("aaf-samples") }

    /// `Fixtures/` in the repository.
    public static var fixtures: URL { root.appendingPathComponent("Fixtures") }

    /// A sample file by its path under aaf-samples.
    public static func sample(_ relative: String) -> String {
        samples.appendingPathComponent(relative).path
    }

    /// The built `aafd` executable: beside the test bundle, or `$AAFD_BIN`.
    public static var aafdBinary: String {
        if let env = ProcessInfo.processInfo.environment["AAFD_BIN"] { return env }
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [beside, beside.deletingLastPathComponent(), root.appendingPathComponent(".build/debug")] {
            let path = candidate.appendingPathComponent("aafd").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return root.appendingPathComponent(".build/debug/aafd").path
    }
}

/// A temporary folder (mode 0700), removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    // @unchecked Sendable: `url` is immutable; the folder is only removed in deinit.
    public let url: URL
    public var path: String { url.path }

    public init(_ label: String = "aafd-test") {
        let base = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("\(label)-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(
            at: base,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        url = base
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// A path inside the folder.
    public func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Creates a sub-folder and returns its path.
    @discardableResult
    public func folder(_ name: String) -> String {
        let path = file(name)
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Writes `text` to `name` and returns the path.
    @discardableResult
    public func write(_ name: String, _ text: String) -> String {
        write(name, Data(text.utf8))
    }

    @discardableResult
    public func write(_ name: String, _ data: Data) -> String {
        let path = file(name)
        try! FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        try! data.write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// The result of running a program.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs a program to completion, `timeout` seconds at most (posix_spawn; see ``ChildProcess``).
public func runProgram(
    _ path: String,
    _ arguments: [String],
    environment: [String: String]? = nil,
    timeout: Double = 300
) throws -> ProcessResult {
    try ChildProcess.run(
        path,
        arguments,
        environment: environment.map { $0.merging(sanitizerOptions) { mine, _ in mine } },
        timeout: timeout
    )
}

/// The sanitizers' options of the test process (scripts/sanitizers.sh sets them), carried into the programs a test
/// runs with an environment of its own, so that a sanitized aafd reads them too.
public var sanitizerOptions: [String: String] {
    ProcessInfo.processInfo.environment.filter { ["ASAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"].contains($0.key) }
}

/// Whether `needle` occurs anywhere in the file's bytes (the `strings`/grep check of R1, R5, R12).
public func fileContains(_ path: String, _ needle: String) -> Bool {
    guard let data = FileManager.default.contents(atPath: path) else { return false }
    return data.range(of: Data(needle.utf8)) != nil
}

/// Writes a synthetic Complet delivery of `pupils` pupils for `date` into `folder` (which must exist).
public func writeSyntheticDelivery(
    pupils: Int,
    schools: Int,
    seed: UInt64,
    date: ExtractDate,
    partSize: Int,
    to folder: String
) throws {
    var writer = DeliveryWriter()
    writer.partSize = partSize
    try writer.write(SyntheticDirectory.generate(schools: schools, pupils: pupils, seed: seed), date: date, to: folder)
}
