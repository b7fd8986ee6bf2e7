internal import CLibSSH

/// One public-key attempt during authentication, for the error message.
public struct AuthenticationAttempt: Sendable, Hashable, CustomStringConvertible {
    public enum Result: Sendable, Hashable {
        /// The server answered the signed request with a failure.
        case refusedByServer
        /// libssh refused locally: the server had not announced this algorithm; nothing was sent.
        case notAnnounced
        /// The connection failed during the attempt.
        case error(String)
    }

    public var algorithm: String
    public var result: Result

    /// The names of the methods in a `ssh_userauth_list` mask.
    static func methodNames(_ mask: Int32) -> String {
        let names: [(UInt32, String)] = [
            (SSH_AUTH_METHOD_PASSWORD, "password"), (SSH_AUTH_METHOD_PUBLICKEY, "publickey"),
            (SSH_AUTH_METHOD_HOSTBASED, "hostbased"), (SSH_AUTH_METHOD_INTERACTIVE, "keyboard-interactive"),
            (SSH_AUTH_METHOD_GSSAPI_MIC, "gssapi-with-mic"),
        ]
        let offered = names.filter { UInt32(bitPattern: mask) & $0.0 != 0 }.map(\.1)
        return offered.isEmpty ? "nothing" : offered.joined(separator: ", ")
    }

    public var description: String {
        switch result {
        case .refusedByServer: "\(algorithm): refused by the server"
        case .notAnnounced: "\(algorithm): not announced by the server (server-sig-algs), not sent"
        case .error(let why): "\(algorithm): \(why)"
        }
    }
}
