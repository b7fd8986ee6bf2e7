/// The `[sftp]` section: how to reach the académie's server (annexe 4).
public struct SFTPSettings: Sendable, Hashable {
    /// `host`: the server's name or address.
    public var host: String
    /// `port`: 22 by default.
    public var port: Int = 22
    /// `user`: the login the académie gave.
    public var user: String
    /// `private_key`: the RSA-2048 private key (PEM or OpenSSH format), mode 0600 or stricter (R16).
    public var privateKey: String
    /// `passphrase_file`: the key's passphrase, if any (never on the command line). When unset, aafd reads
    /// `$CREDENTIALS_DIRECTORY/sftp-passphrase` if that exists (systemd `LoadCredential`).
    public var passphraseFile: String?
    /// `known_hosts`: the pinned host key (R17); aafd never adds to it.
    public var knownHosts: String
    /// `remote_dir`: where the académie drops the files.
    public var remoteDirectory: String
    /// `delete_after_download`: delete each remote file once its local copy is durable (R10). Default true.
    public var deleteAfterDownload = true
    /// `accepted_key_types`: the private key types aafd uses. Annexe 4 asks for RSA-2048 (R16), so the default is
    /// `["rsa"]`; `ed25519` and `ecdsa` only where the académie agreed to them.
    public var acceptedKeyTypes: Set<String> = ["rsa"]
    /// The values `accepted_key_types` may hold.
    public static let keyTypes: Set<String> = ["rsa", "ed25519", "ecdsa"]
    /// `max_file_mib`: the largest remote file aafd downloads (MiB). A larger one is reported and left alone, its
    /// delivery neither downloaded nor deleted. Default 512: a real ENT1D part is a few tens of MiB.
    public var maxFileMiB = 512
    /// `connect_timeout_seconds`: TCP connect and SSH handshake. Default 30.
    public var connectTimeoutSeconds = 30
    /// `io_timeout_seconds`: the longest wait for any answer once connected. Default 60.
    public var ioTimeoutSeconds = 60

    /// The warning every run and `check-config`/`status` give while `delete_after_download` is false (R10).
    public static let keepRemoteWarning =
        "delete_after_download = false: files stay on the académie's server after download, against annexe 4 (R10); "
        + "allowed only where the académie deletes them itself, or for a diagnosis"

    public init(host: String, user: String, privateKey: String, knownHosts: String, remoteDirectory: String) {
        self.host = host
        self.user = user
        self.privateKey = privateKey
        self.knownHosts = knownHosts
        self.remoteDirectory = remoteDirectory
    }
}
