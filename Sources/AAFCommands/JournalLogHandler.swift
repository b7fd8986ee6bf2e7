import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Whether stderr is systemd's journal stream: `JOURNAL_STREAM` names its device and inode (systemd.exec(5)). Then
/// each line aafd writes there starts with `<N>`, the syslog priority journald reads (sd-daemon(3)), so that
/// `journalctl -p err` and monitoring that filters by priority see aafd's errors (issue 15, item 8).
enum JournalStream {
    static let isStderr: Bool = {
        guard let value = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(STDERR_FILENO, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }()

    /// The prefix of a line at `level`: empty unless stderr is the journal.
    static func prefix(_ level: Logger.Level) -> String {
        guard isStderr else { return "" }
        switch level {
        case .trace, .debug: return "<7>"
        case .info: return "<6>"
        case .notice: return "<5>"
        case .warning: return "<4>"
        case .error: return "<3>"
        case .critical: return "<2>"
        }
    }

    /// A message for the operator on stderr (a command's failure), at priority `level`.
    static func write(_ message: String, level: Logger.Level) {
        FileHandle.standardError.write(Data("\(prefix(level))\(message)\n".utf8))
    }
}

/// swift-log's stream handler, with the journal's priority prefix when stderr is the journal (the timestamp is then
/// journald's own: the line says level, label, metadata and message).
struct JournalLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    let label: String

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        JournalStream.write(
            "\(event.level) \(label): \(fields.isEmpty ? "" : fields + " ")\(event.message)",
            level: event.level
        )
    }
}
