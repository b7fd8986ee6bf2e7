import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A `NOTIFY_SOCKET` as systemd provides one: a Unix datagram socket the daemon writes `READY=1`, `WATCHDOG=1`…
/// to. Collects every datagram.
public final class NotifyListener: @unchecked Sendable {
    // @unchecked Sendable: `messages` is guarded by `lock`; the reader thread is the only writer.
    public let path: String
    private let fd: Int32
    private let lock = NSLock()
    private var messages: [String] = []

    public init(in folder: TemporaryDirectory) throws {
        path = folder.file("notify.sock")
        let socketFD = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        fd = socketFD
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw SSHServerError("cannot bind \(path)") }
        let thread = Thread { [self] in
            let fd = socketFD
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { return }
                let text = String(decoding: buffer[0..<n], as: UTF8.self)
                self.lock.lock()
                self.messages.append(text)
                self.lock.unlock()
            }
        }
        thread.start()
    }

    deinit {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    /// Every datagram received so far.
    public var received: [String] {
        lock.lock()
        defer { lock.unlock() }
        return messages
    }

    /// Waits until a datagram contains `text`; returns whether it came within `timeout` seconds.
    public func waitFor(_ text: String, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if received.contains(where: { $0.contains(text) }) { return true }
            usleep(20_000)
        }
        return false
    }
}
