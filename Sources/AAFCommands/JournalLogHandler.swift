import AAFModel
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

    /// A message for the operator on stderr (a command's failure), at priority `level`. Every control character but
    /// aafd's own line breaks is escaped (``OutsideText``: text from outside inside it was escaped, line breaks
    /// included, where it came in), and under the journal every line starts with the priority, so no line can
    /// carry a forged `<0>` and no escape sequence reaches a terminal (issue 20).
    static func write(_ message: String, level: Logger.Level) {
        let tag = prefix(level)
        let lines = OutsideText.escapedKeepingLines(message).split(separator: "\n", omittingEmptySubsequences: false)
        FileHandle.standardError.write(Data(lines.map { "\(tag)\($0)\n" }.joined().utf8))
    }
}

/// aafd's one log handler, on stderr: a line per event, its metadata values and message escaped (``OutsideText``).
/// Under the journal each line starts with its priority (the timestamp is journald's own); elsewhere with the time,
/// as swift-log's stream handler writes it.
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
        // One event, one line: metadata values and the message may quote a server or a delivery.
        let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\(OutsideText.escaped("\($0.value)"))" }.joined(
            separator: " "
        )
        let time = JournalStream.isStderr ? "" : JournalLogHandler.timestamp() + " "
        JournalStream.write(
            "\(time)\(event.level) \(label): \(fields.isEmpty ? "" : fields + " ")\(OutsideText.escaped("\(event.message)"))",
            level: event.level
        )
    }
}

extension JournalLogHandler {
    /// Local time as swift-log's stream handler writes it (`2026-12-02T14:12:55+0100`).
    static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        var buffer = [Int8](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
