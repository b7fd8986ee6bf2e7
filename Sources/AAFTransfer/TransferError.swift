import AAFModel

/// Why fetching from the académie's SFTP server failed. Messages carry host, port, paths and file names from the
/// configuration or the listing, never personal data.
public struct TransferError: MessageError, Sendable {
    /// An extensible code; the command layer maps it to an exit status.
    public typealias Code = ErrorCode<TransferError>

    public var code: Code
    public var message: String
    /// The rule the refusal enforces: R17 for the host key, R16 for the key, R18 for a spool file changed by
    /// someone else; nil when nothing was refused.
    public var rule: Rule?

    /// `message` often quotes the server (its error text, a file's name): escaped here, once, so that it reaches
    /// the journal, a terminal, an incident's reason and an alert's environment on one line, without a control
    /// character (``OutsideText``, issue 20).
    public init(_ code: Code, _ message: String) {
        (self.code, self.message) = (code, OutsideText.escaped(message))
        switch code {
        case .hostKey: rule = .r17
        case .authentication, .keyFile: rule = .r16
        case .tampered: rule = .r18
        default: rule = nil
        }
    }

    /// What this failure makes of a run: the one mapping from transfer failures to outcomes (and so exit statuses).
    public var outcome: Outcome {
        let (kind, cause): (Outcome.Kind, Outcome.Cause) =
            switch code {
            case .hostKey, .authentication: (.denied, .credentials)
            case .keyFile: (.denied, .configuration)
            case .local: (.failed, .storage)
            case .tampered: (.refused, .delivery)
            default: (.unavailable, .server)
            }
        return Outcome(kind, cause: cause, message: message, rule: rule)
    }
}

extension ErrorCode where Domain == TransferError {
    /// The server cannot be reached, or did not answer within the timeouts (exit 69).
    public static var unreachable: Self { Self("unreachable") }
    /// The host key is unknown or changed (R17, exit 77).
    public static var hostKey: Self { Self("hostKey") }
    /// The server refused the key (R16, exit 77).
    public static var authentication: Self { Self("authentication") }
    /// The local private key or passphrase cannot be used (mode, size, format; exit 78).
    public static var keyFile: Self { Self("keyFile") }
    /// The remote folder or a remote file is missing or refused (exit 69).
    public static var remote: Self { Self("remote") }
    /// A transfer was cut, stalled, or its size does not match (exit 69; nothing kept under its final name).
    public static var transfer: Self { Self("transfer") }
    /// The spool cannot be written or read (exit 74).
    public static var local: Self { Self("local") }
    /// A spool file differs from its manifest: changed after download, by someone other than aafd (R18, exit 65);
    /// the delivery is marked refused and never imported.
    public static var tampered: Self { Self("tampered") }
}
