import AAFFileSystem
import AAFModel
import AAFTransfer
import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `aafd setup`: the SFTP link with the académie, guided (issue 25). Each step writes only after its check passed,
/// and nothing it writes trusts what the server said without the académie's fingerprint (R17: no TOFU).
struct SetupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Set up the SFTP link with the académie: the key pair, then the server's host key.",
        discussion: """
            The steps, in order (operations.md, "Setting up the SFTP link", in /usr/share/doc/aafd):
              1. aafd setup key            creates the RSA-2048 key pair at [sftp] private_key (default \
            /etc/aafd/aafd_rsa), owned by the aafd user, 0600, and prints the request to send to the académie \
            (in French: the commune, the public key, its fingerprint, the source address).
              2. aafd setup host-key --fingerprint SHA256:…   once the académie has given the server's name, port, \
            login and, by another channel (phone, signed mail), its host key's fingerprint: connects, shows every \
            host key the server offers and pins the one whose fingerprint matches in [sftp] known_hosts. No \
            fingerprint, no pinning: a mismatch exits 77 and writes nothing.
              3. aafd check-config --connect   logs in and lists what a run would download.
              4. systemctl enable --now aafd.service (or aafd-import.timer).
            Or all at once, from answers given as options (Ansible, a fleet of communes): aafd setup --non-interactive \
            --host … --user … --remote-dir … --fingerprint SHA256:… [--port …] [--commune …]: the host key is \
            checked first (77, nothing written, on a mismatch), then [sftp] is written in the configuration (its \
            comments kept; 78 and nothing written if the result does not load), the key pair made if there is none, \
            the host key pinned and the link checked as check-config --connect does.
            Run them as root on an installed aafd: /etc/aafd is root's, and the files are given to the aafd user.
            """,
        subcommands: [SetupGuidedCommand.self, SetupKeyCommand.self, SetupHostKeyCommand.self],
        defaultSubcommand: SetupGuidedCommand.self
    )
}

/// `aafd setup [--non-interactive …]`: every step in order (the default subcommand, so that its options never meet
/// the steps' own).
struct SetupGuidedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract:
            "Every step in order: the host key checked, the configuration written, the key pair, the pin, the link."
    )

    @OptionGroup var options: SetupOptions

    @Flag(
        name: .customLong("non-interactive"),
        help:
            "Take every answer from the options below (Ansible, a fleet of communes): all four SFTP ones are required."
    )
    var nonInteractive = false

    @Option(name: .long, help: "The académie's SFTP server.") var host: String?
    @Option(name: .long, help: "Its port (default 22).") var port: Int?
    @Option(name: .long, help: "The login the académie gave.") var user: String?
    @Option(name: .customLong("remote-dir"), help: "The folder the files are dropped in, as the server shows it.")
    var remoteDir: String?
    @Option(name: .long, help: "The host key's fingerprint the académie gave by another channel (SHA256:…).")
    var fingerprint: String?
    @Option(name: .long, help: "The commune ([convention] commune).") var commune: String?
    @Option(name: .long, help: "The private key (default: [sftp] private_key, else /etc/aafd/aafd_rsa).") var key:
        String?
    @Option(
        name: .customLong("known-hosts"),
        help: "The pinned host key (default: [sftp] known_hosts, else /etc/aafd/known_hosts)."
    )
    var knownHosts: String?

    /// `aafd setup` (questions on a terminal) or `aafd setup --non-interactive …`: checks the server's host key against the fingerprint first (nothing written
    /// if it does not match: 77), writes the configuration's keys in place (comments kept; refused with 78 and
    /// nothing written if the result does not load), creates the key pair if there is none (and prints the request
    /// for the académie), pins the host key, then checks the link as `check-config --connect` does.
    func run() throws {
        let before = try options.load()
        var answers = Answers(
            host: host,
            port: port,
            user: user,
            remoteDir: remoteDir,
            fingerprint: fingerprint,
            commune: commune,
            key: key,
            knownHosts: knownHosts
        )
        if !nonInteractive {
            guard isatty(0) == 1, isatty(1) == 1 else {
                throw ValidationError(
                    "not a terminal: answer with options instead, aafd setup --non-interactive --host … --user … "
                        + "--remote-dir … --fingerprint …"
                )
            }
            answers = try SetupQuestions(configuration: before).ask(starting: answers)
        }
        try apply(answers, before: before)
    }

    /// The answers of a set-up, from options or from the questions.
    struct Answers {
        var host: String?
        var port: Int?
        var user: String?
        var remoteDir: String?
        var fingerprint: String?
        var commune: String?
        var key: String?
        var knownHosts: String?
    }

    private func apply(_ answers: Answers, before: Configuration) throws {
        guard let host = answers.host, let user = answers.user, let remoteDir = answers.remoteDir,
            let fingerprint = answers.fingerprint
        else {
            throw ValidationError("--non-interactive needs --host, --user, --remote-dir and --fingerprint")
        }
        let commune = answers.commune
        let port = answers.port ?? before.sftp?.port ?? 22
        let keyPath = answers.key ?? before.sftp?.privateKey ?? SetupKeyCommand.defaultKeyPath
        let pinnedPath = answers.knownHosts ?? before.sftp?.knownHosts ?? "/etc/aafd/known_hosts"

        // 1. The host key, before anything is written.
        let match = try SetupFiles.matchingKey(fingerprint, host: host, port: port, configuration: before)

        // 2. The configuration, checked before it replaces the file.
        guard let original = FileManager.default.contents(atPath: options.config) else {
            throw CommandFailure(.config, "cannot read \(options.config)")
        }
        var text = ConfigurationText(String(decoding: original, as: UTF8.self))
        text.set("sftp", "host", ConfigurationText.quoted(host))
        text.set("sftp", "port", String(port))
        text.set("sftp", "user", ConfigurationText.quoted(user))
        text.set("sftp", "remote_dir", ConfigurationText.quoted(remoteDir))
        text.set("sftp", "private_key", ConfigurationText.quoted(keyPath))
        text.set("sftp", "known_hosts", ConfigurationText.quoted(pinnedPath))
        if let commune { text.set("convention", "commune", ConfigurationText.quoted(commune)) }
        let folder = PathTrust.folder(of: URL(fileURLWithPath: options.config).standardizedFileURL.path)
        let configuration: Configuration
        do {
            configuration = try Configuration.parse(text.text, source: options.config, baseDirectory: folder)
        } catch let failure as CommandFailure {
            throw CommandFailure(
                .config,
                "the configuration with these answers does not load: \(failure.message); nothing was written"
            )
        }
        try SetupFiles.checkFolder(of: keyPath, what: "private key")
        try SetupFiles.checkFolder(of: pinnedPath, what: "known_hosts file")
        var info = stat()
        guard stat(options.config, &info) == 0 else { throw CommandFailure(.config, "cannot read \(options.config)") }
        do {
            let file = try AtomicFile(options.config, suffix: ".setup-tmp")
            if let code = Array(text.text.utf8).withUnsafeBytes({ FileDescriptor.writeAll(file.fd, $0) }) {
                file.abandon()
                throw CommandFailure(.cantCreate, "cannot write \(options.config) (errno \(code))")
            }
            // The file keeps its owner, group and mode (0640 root:aafd on an installed aafd).
            if geteuid() == 0 { _ = fchown(file.fd, info.st_uid, info.st_gid) }
            try file.commit(mode: info.st_mode & 0o777)
        } catch let failure as AtomicFile.Failure {
            throw CommandFailure(.cantCreate, "\(failure)")
        }
        print(
            "Wrote [sftp] host, port, user, remote_dir, private_key, known_hosts\(commune == nil ? "" : " and [convention] commune") in \(options.config)."
        )

        // 3. The key pair, if there is none yet.
        var keyIsNew = false
        if !SetupFiles.exists(keyPath) {
            let command = try SetupKeyCommand.parse(["--key", keyPath, "--config", options.config])
            try command.run()
            keyIsNew = true
        }

        // 4. The host key.
        if !SetupFiles.exists(pinnedPath)
            || (try? String(contentsOfFile: pinnedPath, encoding: .utf8))?.contains(match.blob) != true
        {
            try SetupFiles.write(match.knownHostsLine(host: host, port: port) + "\n", to: pinnedPath, mode: 0o644)
        }
        print("Pinned \(match.type) \(match.fingerprint) in \(pinnedPath).")
        _ = configuration

        // 5. The link, as check-config --connect checks it.
        if keyIsNew {
            print("Send the request above to the académie; once it installed the key: aafd check-config --connect")
            return
        }
        let check = try CheckConfigCommand.parse(["--connect", "--config", options.config])
        try check.run()
        print("Next: systemctl enable --now aafd.service   (or aafd-import.timer; aafd setup --help)")
    }
}

/// What `setup` needs from the configuration: read as the user who runs it (root on an installed aafd, which
/// must write into /etc/aafd), with the same trust checks as every command.
struct SetupOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (TOML).")
    var config: String = Configuration.defaultPath

    func load() throws -> Configuration {
        let configuration = try Configuration.load(path: config)
        let untrusted = configuration.untrustedFiles()
        guard untrusted.isEmpty else {
            throw CommandFailure(.config, "\(config): " + untrusted.joined(separator: "\n  "))
        }
        return configuration
    }
}

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

    static let defaultKeyPath = "/etc/aafd/aafd_rsa"

    func run() throws {
        let configuration = try options.load()
        let path = key ?? configuration.sftp?.privateKey ?? Self.defaultKeyPath
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
        let commune = configuration.commune
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
        try SetupFiles.write(generated.privatePEM, to: path, mode: 0o600)
        try SetupFiles.write(generated.publicLine + "\n", to: publicPath, mode: 0o644)
        print(
            "Created the private key \(path) (RSA \(generated.bits) bits, 0600\(SetupFiles.owner == nil ? "" : ", owned by aafd"))"
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
        let path = knownHosts ?? configuration.sftp?.knownHosts ?? "/etc/aafd/known_hosts"
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
        guard let match = offered.first(where: { $0.fingerprint == wanted }) else {
            throw CommandFailure(
                .noPermission,
                "no host key of \(host):\(port) has the fingerprint \(wanted): nothing was written. Check the "
                    + "fingerprint with the académie (read it again, by phone); a server showing another key may not be "
                    + "the académie's (R17)"
            )
        }
        try SetupFiles.write(match.knownHostsLine(host: host, port: port) + "\n", to: path, mode: 0o644)
        print("Pinned \(match.type) \(match.fingerprint) in \(path).")
        if configuration.sftp?.knownHosts != path {
            print("Set it in \(options.config): [sftp] known_hosts = \"\(path)\"")
        }
        print("Next: aafd check-config --connect --config \(options.config)")
    }
}
