import AAFFileSystem
import AAFModel
import AAFTransfer
import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

struct SetupKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Create the RSA-2048 key pair for the académie's SFTP server and print the request to send it.",
        discussion: """
            The private key goes to [sftp] private_key (default /etc/aafd/aafd_rsa; --key another path), 0600, owned \
            by the aafd user; the public key beside it (.pub). An existing key is never overwritten: --replace keeps \
            it as .old (and its .pub as .pub.old) until the académie confirms the new one; remove the .old files then. \
            Exit 0 created; 73 a key is already there (or an .old one, with --replace); 78 the folder is not root's.
            """
    )

    @OptionGroup var options: SetupOptions

    @Option(name: .long, help: "Where to write the private key (default: [sftp] private_key, else /etc/aafd/aafd_rsa).")
    var key: String?

    @Flag(name: .long, help: "Keep the existing key as .old and create a new one.")
    var replace = false

    @Option(name: .long, help: "The commune's contact for the académie (name, role, phone or mail).")
    var contact: String?

    @Option(
        name: .customLong("source-address"),
        help: "The one public IP address the connection will come from (the académie's firewall lets it through)."
    )
    var sourceAddress: String?

    @Option(name: .customLong("convention-ref"), help: "The convention's reference, as signed.")
    var conventionReference: String?

    /// The commune as `aafd setup` was told it, before it is in the configuration.
    @Option(name: .long, help: .hidden) var commune: String?

    /// Run by `aafd setup`, which pins the host key itself next: no "Next" line.
    @Flag(name: .customLong("within-setup"), help: .hidden) var withinSetup = false

    static let defaultKeyPath = "/etc/aafd/aafd_rsa"

    func run() throws {
        let configuration = try options.load()
        let path = key ?? configuration.sftp?.privateKey ?? options.defaultKey
        let publicPath = path + ".pub"
        try SetupFiles.checkFolder(of: path, what: "private key")
        if SetupFiles.exists(path) || SetupFiles.exists(publicPath) {
            guard replace else {
                throw CommandFailure(
                    .cantCreate,
                    "\(path) already exists: nothing was written. The académie knows that key; to make a new one "
                        + "(the old one compromised, or at the académie's request), run again with --replace, which "
                        + "keeps the old key as \(path).old until the académie confirms the new one"
                )
            }
            for old in [path + ".old", publicPath + ".old"] where SetupFiles.exists(old) {
                throw CommandFailure(
                    .cantCreate,
                    "\(old) exists (a previous replacement): once the académie has confirmed the key in use, remove it, "
                        + "then run again"
                )
            }
        }
        let commune = self.commune ?? configuration.commune
        let generated = try GeneratedKey.rsa(bits: 2048, comment: "aafd ENT1D \(OutsideText.escaped(commune))")
        if replace {
            for (from, to) in [(path, path + ".old"), (publicPath, publicPath + ".old")] where SetupFiles.exists(from) {
                guard rename(from, to) == 0 else {
                    throw CommandFailure(
                        .cantCreate,
                        "cannot keep \(from) as \(to) (errno \(errno)); nothing was written"
                    )
                }
            }
        }
        try SetupFiles.write(generated.privatePEM, to: path, mode: 0o600, owner: options.fileOwner)
        try SetupFiles.write(generated.publicLine + "\n", to: publicPath, mode: 0o644, owner: options.fileOwner)
        print(
            "Created the private key \(path) (RSA \(generated.bits) bits, 0600, owned by \(options.fileOwner == nil ? (geteuid() == 0 ? "root; its unit reads it through LoadCredential" : "you") : "aafd"))"
        )
        print("and the public key \(publicPath).")
        print("Fingerprint: \(generated.fingerprint)")
        if replace { print("The previous key is kept as \(path).old until the académie confirms the new one.") }
        if configuration.sftp?.privateKey != path {
            print("Set it in \(options.config): [sftp] private_key = \"\(path)\"")
        }
        print("")
        print("----- the request to send to the académie (paste it into a mail) -----")
        print(
            SetupRequest.text(
                commune: commune,
                academy: configuration.academy,
                contact: contact,
                sourceAddress: sourceAddress,
                routeHint: configuration.sftp.flatMap { SetupRequest.localAddress(towards: $0.host, port: $0.port) },
                conventionReference: conventionReference,
                publicLine: generated.publicLine,
                fingerprint: generated.fingerprint
            )
        )
        print("----- end -----")
        guard !withinSetup else { return }
        print("")
        print("Next: when the académie answers with the server, the login and the host key's fingerprint,")
        print("  aafd setup host-key --fingerprint SHA256:…")
    }
}

struct SetupHostKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "host-key",
        abstract: "Pin the SFTP server's host key, only if its fingerprint is the one the académie gave.",
        discussion: """
            Connects to [sftp] host and port (or --host, --port), shows every host key the server offers with its \
            SHA256 fingerprint, and writes [sftp] known_hosts (or --known-hosts) with the one matching --fingerprint, \
            given by the académie through another channel than this connection (phone, signed mail). Nothing is \
            authenticated or sent. Exit 0 pinned; 77 no offered key matches (nothing written); 69 the server cannot \
            be reached; 78 the folder is not root's. An existing known_hosts is replaced only with --replace.
            """
    )

    @OptionGroup var options: SetupOptions

    @Option(
        name: .long,
        help: "The host key's fingerprint from the académie (SHA256:…). Required: aafd never pins unseen."
    )
    var fingerprint: String

    @Option(name: .long, help: "The server (default: [sftp] host).")
    var host: String?

    @Option(name: .long, help: "The port (default: [sftp] port, else 22).")
    var port: Int?

    @Option(
        name: .customLong("known-hosts"),
        help: "Where to pin (default: [sftp] known_hosts, else /etc/aafd/known_hosts)."
    )
    var knownHosts: String?

    @Flag(name: .long, help: "Replace an existing known_hosts (the académie changed its host key).")
    var replace = false

    func run() throws {
        let configuration = try options.load()
        guard let host = host ?? configuration.sftp?.host else {
            throw CommandFailure(.config, "no server: pass --host, or set [sftp] host in \(options.config)")
        }
        let port = port ?? configuration.sftp?.port ?? 22
        let path = knownHosts ?? configuration.sftp?.knownHosts ?? options.defaultKnownHosts
        let wanted = HostKeyProbe.normalised(fingerprint)
        guard wanted.count > "SHA256:".count + 20 else {
            throw CommandFailure(
                .config,
                "--fingerprint: expected SHA256:… (43 base64 characters), as the académie gives it"
            )
        }
        try SetupFiles.checkFolder(of: path, what: "known_hosts file")
        if SetupFiles.exists(path), !replace {
            throw CommandFailure(
                .cantCreate,
                "\(path) already exists: nothing was written (run again with --replace if the académie changed its key)"
            )
        }
        let offered = try SetupFiles.offeredKeys(host: host, port: port, configuration: configuration)
        print("\(OutsideText.escaped(host)):\(port) offers \(offered.count) host key\(offered.count == 1 ? "" : "s"):")
        for key in offered {
            print(
                "  \(key.type.padding(toLength: 22, withPad: " ", startingAt: 0)) \(key.fingerprint)\(key.fingerprint == wanted ? "   <- matches" : "")"
            )
        }
        let match = try SetupFiles.matching(wanted, in: offered, host: host, port: port)
        try SetupFiles.pin(match, host: host, port: port, at: path, owner: options.fileOwner)
        if configuration.sftp?.knownHosts != path {
            print("Set it in \(options.config): [sftp] known_hosts = \"\(path)\"")
        }
        print("Next: aafd check-config --connect --config \(options.config)")
    }
}
