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
    /// `connect_timeout_seconds`: TCP connect and SSH handshake. Default 30.
    public var connectTimeoutSeconds = 30
    /// `io_timeout_seconds`: the longest wait for any answer once connected. Default 60.
    public var ioTimeoutSeconds = 60

    public init(host: String, user: String, privateKey: String, knownHosts: String, remoteDirectory: String) {
        self.host = host
        self.user = user
        self.privateKey = privateKey
        self.knownHosts = knownHosts
        self.remoteDirectory = remoteDirectory
    }
}
