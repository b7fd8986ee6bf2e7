/// Why fetching from the académie's SFTP server failed. Messages carry host, port, paths and file names from the
/// configuration or the listing, never personal data.
public struct TransferError: Error, Sendable, CustomStringConvertible {
    /// An extensible code; the command layer maps it to an exit status.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String { case unreachable, hostKey, authentication, keyFile, remote, transfer, local }
        private var wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The server cannot be reached, or did not answer within the timeouts (exit 69).
        public static let unreachable = Code(.unreachable)
        /// The host key is unknown or changed (R17, exit 77).
        public static let hostKey = Code(.hostKey)
        /// The server refused the key (R16, exit 77).
        public static let authentication = Code(.authentication)
        /// The local private key or passphrase cannot be used (mode, size, format; exit 78).
        public static let keyFile = Code(.keyFile)
        /// The remote folder or a remote file is missing or refused (exit 69).
        public static let remote = Code(.remote)
        /// A transfer was cut, stalled, or its size does not match (exit 69; nothing kept under its final name).
        public static let transfer = Code(.transfer)
        /// The spool cannot be written (exit 74).
        public static let local = Code(.local)

        public var description: String { wrapped.rawValue }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
