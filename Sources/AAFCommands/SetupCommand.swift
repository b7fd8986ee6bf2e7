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
        abstract: "Set up the SFTP link with the académie: questions, the host key checked, the key pair, the link.",
        discussion: """
            aafd setup (as root, on a terminal) asks, in order: the commune; a contact for the académie (when there \
            is no key yet); the SFTP server and port; the host key's fingerprint the académie gave by another channel \
            (phone, signed mail), checked at once against every key the server offers (none matches: exit 77, \
            nothing written); the login; the private key and pinned host key files; the remote folder, chosen from \
            the folders the server lists once the académie has installed the key (one that does not exist is asked \
            again); the time of the daily fetch; whether to start the service. Each question shows its default in \
            brackets (Enter keeps it) and explains itself on ?. Nothing is written before the last answer: Ctrl-C \
            leaves every file as it was.

            Then: the configuration written in place, its comments kept (78 and nothing written if the result does \
            not load); the RSA-2048 key pair made if there is none (0600, owned by aafd) and the request to mail to \
            the académie printed, in French; the host key pinned; the link checked as check-config --connect does; \
            systemctl enable --now aafd.service run if asked, or printed. On the first run the académie does not \
            know the key yet: send the request, and run aafd setup again once it has installed it. Before the \
            académie has answered at all, Enter at the server (or at the fingerprint) makes only the key pair and \
            the request, and writes nothing else.

            Without questions (Ansible, a fleet of communes): aafd setup --non-interactive --host … --user … \
            --remote-dir … --fingerprint SHA256:… [--port --commune --contact --time --start].

            One more commune on this host: --instance NAME (/etc/aafd/NAME.toml, made from aafd.toml's text; \
            /etc/aafd/NAME_rsa and NAME.known_hosts, root's; the database in /var/lib/aafd-NAME; [schedule] \
            spread_minutes = 30; the aafd@NAME unit).

            The steps one at a time: aafd setup key, aafd setup host-key --fingerprint SHA256:…, aafd check-config \
            --connect, systemctl enable --now aafd.service (or aafd-import.timer). Details: operations.md, "Setting \
            up the SFTP link", in /usr/share/doc/aafd.

            Exit 0 set up; 64 a wrong option; 69 the server cannot be reached; 73 a file is in the way; 77 no host \
            key matches the fingerprint, or the key was refused; 78 the configuration or a folder is wrong.
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

    @Option(name: .long, help: "The commune's contact for the académie, printed in the key request.") var contact:
        String?
    @Option(
        name: .customLong("source-address"),
        help: "The public IP address the connection comes from, for the key request (the académie's firewall)."
    )
    var sourceAddress: String?
    @Option(name: .long, help: "When to fetch each day, HH:MM ([schedule] time; default 06:30).") var time: String?
    @Flag(name: .long, help: "Start the service at the end (systemctl enable --now), once the link works.")
    var start = false

    /// `aafd setup` (questions on a terminal) or `aafd setup --non-interactive …`: checks the server's host key
    /// against the fingerprint first (nothing written if it does not match: 77), writes the configuration's keys
    /// in place (comments kept; refused with 78 and nothing written if the result does not load), creates the key
    /// pair if there is none (and prints the request for the académie), pins the host key, checks the link as
    /// `check-config --connect` does, and starts the unit if asked.
    func run() throws {
        let before = try options.load()
        var answers = Answers(
            host: host,
            port: port,
            user: user,
            remoteDir: remoteDir,
            fingerprint: fingerprint,
            commune: commune,
            contact: contact,
            sourceAddress: sourceAddress,
            key: key,
            knownHosts: knownHosts,
            time: time,
            start: start ? true : nil
        )
        if !nonInteractive {
            guard isatty(0) == 1, isatty(1) == 1 else {
                throw ValidationError(
                    "not a terminal: answer with options instead, aafd setup --non-interactive --host … --user … "
                        + "--remote-dir … --fingerprint …"
                )
            }
            answers = try SetupQuestions(configuration: before, options: options).ask(starting: answers)
        }
        if answers.keyOnly {
            try requestOnly(answers, before: before)
            return
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
        var contact: String?
        var sourceAddress: String?
        var key: String?
        var knownHosts: String?
        var time: String?
        /// Start the unit at the end; nil: not asked (no).
        var start: Bool?
        /// The académie has not answered yet: make only the key pair and the request, write nothing else.
        var keyOnly = false
    }

    /// First contact: the key pair and the request to send; the configuration is left as it is (the server, the
    /// login and the fingerprint come with the académie's answer).
    private func requestOnly(_ answers: Answers, before: Configuration) throws {
        try makeKey(at: answers.key ?? before.sftp?.privateKey ?? options.defaultKey, answers)
        print(
            "Nothing else was written. Send the request above to the académie; when it answers with the server, the "
                + "login and, by another channel, the host key's fingerprint, run aafd setup again."
        )
    }

    /// `aafd setup key` for `keyPath`, with the answers the request names (commune, contact, source address).
    private func makeKey(at keyPath: String, _ answers: Answers) throws {
        var arguments = ["--key", keyPath, "--config", options.config, "--within-setup"]
        if let instance = options.instance { arguments += ["--instance", instance] }
        if let commune = answers.commune { arguments += ["--commune", commune] }
        if let contact = answers.contact { arguments += ["--contact", contact] }
        if let address = answers.sourceAddress { arguments += ["--source-address", address] }
        try SetupKeyCommand.parse(arguments).run()
    }

    private func apply(_ answers: Answers, before: Configuration) throws {
        guard let host = answers.host, let user = answers.user, let remoteDir = answers.remoteDir,
            let fingerprint = answers.fingerprint
        else {
            throw ValidationError("--non-interactive needs --host, --user, --remote-dir and --fingerprint")
        }
        let commune = answers.commune
        let port = answers.port ?? before.sftp?.port ?? 22
        let keyPath = answers.key ?? before.sftp?.privateKey ?? options.defaultKey
        let pinnedPath = answers.knownHosts ?? before.sftp?.knownHosts ?? options.defaultKnownHosts

        // 1. The host key, before anything is written.
        let match = try SetupFiles.matchingKey(fingerprint, host: host, port: port, configuration: before)

        // 2. The configuration, checked before it replaces the file.
        var (text, exists) = try options.startingText()
        text.set("sftp", "host", ConfigurationText.quoted(host))
        text.set("sftp", "port", String(port))
        text.set("sftp", "user", ConfigurationText.quoted(user))
        text.set("sftp", "remote_dir", ConfigurationText.quoted(remoteDir))
        text.set("sftp", "private_key", ConfigurationText.quoted(keyPath))
        text.set("sftp", "known_hosts", ConfigurationText.quoted(pinnedPath))
        if let commune { text.set("convention", "commune", ConfigurationText.quoted(commune)) }
        if let time = answers.time { text.set("schedule", "time", ConfigurationText.quoted(time)) }
        _ = try options.parse(text)  // it must load, with every trust check, before anything is written
        try SetupFiles.checkFolder(of: options.config, what: "configuration")
        try SetupFiles.checkFolder(of: keyPath, what: "private key")
        try SetupFiles.checkFolder(of: pinnedPath, what: "known_hosts file")
        if exists {
            var info = stat()
            guard stat(options.config, &info) == 0 else {
                throw CommandFailure(.config, "cannot read \(options.config)")
            }
            // The file keeps its owner, group and mode (0640 root:aafd on an installed aafd).
            try SetupFiles.write(
                text.text,
                to: options.config,
                mode: info.st_mode & 0o777,
                owner: geteuid() == 0 ? (info.st_uid, info.st_gid) : nil
            )
        } else {
            // A new instance's: root's, readable by its unit's dynamic user (it holds no secret).
            try SetupFiles.write(text.text, to: options.config, mode: 0o644, owner: nil)
        }
        print(
            "Wrote [sftp] host, port, user, remote_dir, private_key, known_hosts\(commune == nil ? "" : ", [convention] commune")\(answers.time == nil ? "" : ", [schedule] time") in \(options.config)."
        )

        // 3. The key pair, if there is none yet.
        var keyIsNew = false
        if !SetupFiles.exists(keyPath) {
            try makeKey(at: keyPath, answers)
            keyIsNew = true
        }

        // 4. The host key, unless it is pinned there already.
        if (try? String(contentsOfFile: pinnedPath, encoding: .utf8))?.contains(match.blob) == true {
            print("Pinned \(match.type) \(match.fingerprint) in \(pinnedPath).")
        } else {
            try SetupFiles.pin(match, host: host, port: port, at: pinnedPath, owner: options.fileOwner)
        }

        // 5. The link, as check-config --connect checks it; then the unit.
        let startCommand = "systemctl enable --now \(options.unit)"
        if keyIsNew {
            print(
                "Send the request above to the académie; once it installed the key: aafd check-config --connect "
                    + "--config \(options.config), then \(startCommand)"
                    + (answers.start == true ? " (not started now: the académie does not know the key yet)" : "")
            )
            return
        }
        let check = try CheckConfigCommand.parse(["--connect", "--config", options.config])
        try check.run()
        guard answers.start == true else {
            print("Next: \(startCommand)")
            return
        }
        print("Starting: \(startCommand)")
        let status = try ChildProcess("/usr/bin/systemctl", ["enable", "--now", options.unit], stdout: 1, stderr: 2)
            .wait()
        guard status == 0 else {
            throw CommandFailure(
                .unavailable,
                "\(startCommand) failed (exit \(status)); see systemctl status \(options.unit)"
            )
        }
        print(
            "Started. Tomorrow morning: aafd status\(options.instance.map { " --config /etc/aafd/\($0).toml" } ?? "")"
        )
    }
}

/// What `setup` needs from the configuration: read as the user who runs it (root on an installed aafd, which
/// must write into /etc/aafd), with the same trust checks as every command. The configuration may still be the
/// package's inactive one (every setting commented out) or, for `--instance NAME`, not exist yet: setup then
/// starts from it (or from /etc/aafd/aafd.toml, comments and all) with the folders filled in, and writes it only
/// at the end of `aafd setup`.
struct SetupOptions: ParsableArguments {
    @Option(
        name: .customLong("config"),
        help: "Configuration file (TOML; default /etc/aafd/aafd.toml, or /etc/aafd/NAME.toml)."
    )
    var configOption: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "One commune among several on this host: /etc/aafd/NAME.toml, /etc/aafd/NAME_rsa, the aafd@NAME unit.",
            valueName: "name"
        )
    )
    var instance: String?

    var config: String { configOption ?? instance.map { "/etc/aafd/\($0).toml" } ?? Configuration.defaultPath }

    func validate() throws {
        if let instance {
            guard (1...32).contains(instance.count),
                instance.allSatisfy({ ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }),
                !instance.hasPrefix("-")
            else {
                throw ValidationError(
                    "--instance: 1 to 32 lower-case letters, digits and dashes (a systemd instance name)"
                )
            }
        }
    }

    /// The defaults that depend on the instance.
    var defaultKey: String { instance.map { "/etc/aafd/\($0)_rsa" } ?? SetupKeyCommand.defaultKeyPath }
    var defaultKnownHosts: String { instance.map { "/etc/aafd/\($0).known_hosts" } ?? "/etc/aafd/known_hosts" }
    /// The state folder of the unit that reads this configuration (`StateDirectory=` of aafd.service, aafd@.service).
    var defaultStateDirectory: String { instance.map { "/var/lib/aafd-\($0)" } ?? "/var/lib/aafd" }
    /// The unit that runs it.
    var unit: String { instance.map { "aafd@\($0).service" } ?? "aafd.service" }

    /// Who the written files go to: the `aafd` user for the main instance (its unit runs as aafd); root for an
    /// `aafd@NAME` instance, whose unit runs as a dynamic user and gets the key through `LoadCredential=` (so one
    /// commune's daemon can never read another's key).
    var fileOwner: (uid: uid_t, gid: gid_t)? { instance == nil ? SetupFiles.owner : nil }

    /// The configuration's text as setup starts from it, and whether the file exists.
    func startingText() throws -> (text: ConfigurationText, exists: Bool) {
        if SetupFiles.exists(config) {
            do {
                try PathTrust.check(config, .configuration, what: "the configuration file")
            } catch let refusal as PathTrust.Refusal {
                throw CommandFailure(.config, refusal.message)
            }
            guard let data = FileManager.default.contents(atPath: config) else {
                throw CommandFailure(.config, "cannot read \(config)")
            }
            return (prepared(ConfigurationText(String(decoding: data, as: UTF8.self))), true)
        }
        guard instance != nil else {
            throw CommandFailure(.config, "cannot read the configuration file \(config); pass --config PATH")
        }
        // A new instance: the main configuration's text (its comments explain every key), else a bare one.
        let template =
            SetupFiles.exists(Configuration.defaultPath)
            ? (try? PathTrust.check(Configuration.defaultPath, .configuration, what: "the configuration file"))
                .flatMap { FileManager.default.contents(atPath: Configuration.defaultPath) }
            : nil
        var text = ConfigurationText(
            template.map { String(decoding: $0, as: UTF8.self) } ?? "# aafd: \(instance!), aafd setup --instance\n"
        )
        // Another commune's values are not this one's.
        for key in ["host", "port", "user", "remote_dir", "private_key", "known_hosts", "passphrase_file"] {
            text.comment("sftp", key)
        }
        text.comment("convention", "commune")
        text.set("directory", "database", ConfigurationText.quoted(defaultStateDirectory + "/aafd.sqlite3"))
        text.set("directory", "state_dir", ConfigurationText.quoted(defaultStateDirectory))
        text.comment("directory", "spool")
        text.set("schedule", "spread_minutes", "30")
        return (prepared(text), false)
    }

    /// An inactive configuration made loadable: the database in the unit's state folder.
    private func prepared(_ text: ConfigurationText) -> ConfigurationText {
        var text = text
        if !text.isSet("directory", "database") {
            text.set("directory", "database", ConfigurationText.quoted(defaultStateDirectory + "/aafd.sqlite3"))
        }
        return text
    }

    /// The configuration setup works from (``startingText()``, parsed), with the trust checks of every command.
    func load() throws -> Configuration {
        try parse(startingText().text)
    }

    func parse(_ text: ConfigurationText) throws -> Configuration {
        let folder = PathTrust.folder(of: URL(fileURLWithPath: config).standardizedFileURL.path)
        let configuration: Configuration
        do {
            configuration = try Configuration.parse(text.text, source: config, baseDirectory: folder)
        } catch let failure as CommandFailure {
            throw CommandFailure(.config, "\(failure.message); nothing was written")
        }
        let untrusted = configuration.untrustedFiles()
        guard untrusted.isEmpty else {
            throw CommandFailure(.config, "\(config): " + untrusted.joined(separator: "\n  "))
        }
        return configuration
    }
}
