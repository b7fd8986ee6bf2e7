import AAFModel
import AAFPolicy
import AAFTransfer
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The questions of `aafd setup` on a terminal (issue 25): each with a default in brackets (Enter keeps it) and `?`
/// for help. Nothing is written while they are asked: Ctrl-C or end of input leaves every file as it was; the
/// answers then go through the same steps as `--non-interactive`.
struct SetupQuestions {
    let configuration: Configuration
    let options: SetupOptions

    struct Question {
        var label: String
        var help: String
        var current: String?
        /// Enter with no default answers nothing (the question is skipped).
        var optional = false
    }

    func ask(starting given: SetupGuidedCommand.Answers) throws -> SetupGuidedCommand.Answers {
        var a = given
        let sftp = configuration.sftp
        var needsRequest = false
        // Ctrl-C must stop the questions even when the parent left SIGINT blocked or ignored (a test harness, a
        // wrapper): nothing is written before the last answer, so the default action is the right one.
        signal(SIGINT, SIG_DFL)
        var interrupt = sigset_t()
        sigemptyset(&interrupt)
        sigaddset(&interrupt, SIGINT)
        sigprocmask(SIG_UNBLOCK, &interrupt, nil)
        print(
            "aafd setup: the SFTP link with the académie. Enter keeps the value in brackets; ? explains; Ctrl-C stops"
        )
        print("with nothing written.")
        a.commune = try ask(
            Question(
                label: "Commune",
                help:
                    "The commune as named in the convention; printed on certificates and on the request to the académie.",
                current: a.commune ?? (configuration.commune.hasPrefix("(") ? nil : configuration.commune)
            )
        )
        if !SetupFiles.exists(a.key ?? sftp?.privateKey ?? options.defaultKey) {
            let contact = try ask(
                Question(
                    label: "Contact for the académie (name, role, phone or mail; Enter: none)",
                    help: "Printed in the request for the key, so that the académie knows whom to call back.",
                    current: a.contact,
                    optional: true
                )
            )
            a.contact = contact.isEmpty ? nil : contact
            needsRequest = true
        }
        let host = try ask(
            Question(
                label: "SFTP server (name or address)" + (needsRequest ? "; Enter: not known yet" : ""),
                help: "The server the académie named in its answer to the key request (annexe 4)."
                    + (needsRequest ? " Not known yet: Enter makes only the key and the request to send." : ""),
                current: a.host ?? sftp?.host,
                optional: needsRequest
            )
        )
        guard !host.isEmpty else {
            a.keyOnly = true
            return a
        }
        a.host = host
        let port = try ask(
            Question(
                label: "Port",
                help: "The server's SSH port; 22 unless the académie said otherwise.",
                current: String(a.port ?? sftp?.port ?? 22)
            )
        )
        guard let number = Int(port), (1...65535).contains(number) else {
            throw CommandFailure(.config, "the port must be a number from 1 to 65535; nothing was written")
        }
        a.port = number
        if needsRequest {
            let route = SetupRequest.localAddress(towards: a.host!, port: number)
            let address = try ask(
                Question(
                    label: "Public IP address this machine connects from (Enter: to fill in the request later)",
                    help: "The académie's firewall lets only that address through; it is the town hall's public "
                        + "address, not always this machine's"
                        + (route.map { " (this machine's address towards the server: \($0))" } ?? "") + ".",
                    current: a.sourceAddress,
                    optional: true
                )
            )
            a.sourceAddress = address.isEmpty ? nil : address
        }
        let fingerprint = try ask(
            Question(
                label: "Host key fingerprint from the académie (SHA256:…)"
                    + (needsRequest ? "; Enter: not given yet" : ""),
                help: "The académie gives it by another channel than this connection (phone, signed mail). aafd pins "
                    + "the server's key only if it is this one: there is no default."
                    + (needsRequest ? " Not given yet: Enter makes only the key and the request to send." : ""),
                current: a.fingerprint,
                optional: needsRequest
            )
        )
        guard !fingerprint.isEmpty else {
            a.keyOnly = true
            return a
        }
        a.fingerprint = fingerprint
        // Checked now: a wrong fingerprint ends the set-up before anything else is asked or written.
        let match = try SetupFiles.matchingKey(
            a.fingerprint!,
            host: a.host!,
            port: number,
            configuration: configuration
        )
        print("  \(match.type) \(match.fingerprint): the server's key matches.")
        a.user = try ask(
            Question(
                label: "Login",
                help: "The login the académie gave for this commune.",
                current: a.user ?? sftp?.user
            )
        )
        a.key = try ask(
            Question(
                label: "Private key file",
                help: "Made now if it does not exist (RSA 2048, 0600, owned by aafd); the request to mail to the "
                    + "académie is printed then.",
                current: a.key ?? sftp?.privateKey ?? options.defaultKey
            )
        )
        a.knownHosts = try ask(
            Question(
                label: "Pinned host key file",
                help: "Where the server's host key is pinned once its fingerprint matches the académie's.",
                current: a.knownHosts ?? sftp?.knownHosts ?? options.defaultKnownHosts
            )
        )
        let server = RemoteFolders(answers: a, port: number, match: match, configuration: configuration)
        let help =
            "Where the académie drops the files, as the server shows it (under a chroot, often /drop or /)."
        while true {
            let folder = try ask(
                Question(
                    label: "Remote folder",
                    help: help + (server.shown ?? " The folders are listed once the académie installed the key."),
                    current: a.remoteDir ?? sftp?.remoteDirectory ?? server.suggestion ?? "/"
                )
            )
            if let exists = server.isFolder(folder), !exists {
                print("  \(OutsideText.escaped(folder)) is not a folder on the server; \(server.shown ?? "")")
                a.remoteDir = nil
                continue
            }
            a.remoteDir = folder
            break
        }
        var time = ""
        while true {
            time = try ask(
                Question(
                    label: "Fetch every day at (HH:MM)",
                    help:
                        "The académie drops the files at night; 06:30 leaves a margin. Missed mornings are caught up.",
                    current: a.time
                        ?? String(format: "%02d:%02d", configuration.schedule.hour, configuration.schedule.minute)
                )
            )
            let parts = time.split(separator: ":").compactMap { Int($0) }
            if parts.count == 2, (0...23).contains(parts[0]), (0...59).contains(parts[1]) { break }
            print("  a time as HH:MM, e.g. 06:30")
            a.time = nil
        }
        a.time = time
        let start = try ask(
            Question(
                label: "Start \(options.unit) at the end, once the link works? (y/n)",
                help: "Runs systemctl enable --now \(options.unit); otherwise the command is printed for later.",
                current: a.start == true ? "y" : "n"
            )
        )
        a.start = start.lowercased().hasPrefix("y") || start.lowercased().hasPrefix("o")
        return a
    }

    /// One question: the answer, or the current value on Enter. Ends the set-up, nothing written, on end of input.
    private func ask(_ q: Question) throws -> String {
        while true {
            writeOutput("\(q.label)\(q.current.map { " [\(OutsideText.escaped($0))]" } ?? ""): ")
            guard let line = readLine() else {
                throw CommandFailure(.config, "no answer (end of input): nothing was written")
            }
            let answer = line.trimmingCharacters(in: .whitespaces)
            if answer == "?" {
                print("  \(q.help)")
                continue
            }
            if answer.isEmpty {
                if let current = q.current, !current.isEmpty { return current }
                if q.optional { return "" }
                print("  an answer is needed (? explains)")
                continue
            }
            return answer
        }
    }
}

/// The server's folders as the login sees them, for the remote folder question: listed only when the key exists
/// and the server already accepts it (on a first set-up the académie has not installed it yet). The host key is
/// the one just matched, pinned in a private temporary file that is removed at the end.
final class RemoteFolders {
    private var client: SFTPClient?
    private var scratch: String?
    /// "these folders: /drop, /out", or nil when nothing could be listed.
    private(set) var shown: String?
    /// The one folder to offer as default, when the listing makes it obvious.
    private(set) var suggestion: String?

    init(answers: SetupGuidedCommand.Answers, port: Int, match: HostKeyProbe.Offered, configuration: Configuration) {
        guard let host = answers.host, let user = answers.user, let key = answers.key, SetupFiles.exists(key) else {
            print("  (the server's folders are listed once the académie has installed the key; type the one it named)")
            return
        }
        var template = Array("/tmp/aafd-setup-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { return }
        let folder = String(cString: made)
        scratch = folder
        let pinned = folder + "/known_hosts"
        guard
            (try? SetupFiles.write(
                match.knownHostsLine(host: host, port: port) + "\n",
                to: pinned,
                mode: 0o600,
                owner: nil
            ))
                != nil
        else { return }
        var settings = SFTPSettings(host: host, user: user, privateKey: key, knownHosts: pinned, remoteDirectory: "/")
        settings.port = port
        settings.passphraseFile = configuration.sftp?.passphraseFile
        settings.connectTimeoutSeconds = configuration.sftp?.connectTimeoutSeconds ?? 30
        do {
            let client = try SFTPClient(settings: settings)
            self.client = client
            var folders = try client.folders(in: "/").map { "/" + $0 }
            if let home = client.loginFolder(), home != "/", !folders.contains(home) {
                folders += try client.folders(in: home).map { home + "/" + $0 }
            }
            shown =
                folders.isEmpty
                ? "the server shows no folder"
                : "the server shows these folders: " + folders.map { OutsideText.escaped($0) }.joined(separator: ", ")
            if folders.count == 1 { suggestion = folders[0] }
            print("  \(shown!).")
        } catch let error as TransferError {
            print("  (the folders cannot be listed yet: \(OutsideText.escaped(error.message)))")
        } catch {
            print("  (the folders cannot be listed yet)")
        }
    }

    /// Whether `path` is a folder on the server; nil when the server cannot be asked.
    func isFolder(_ path: String) -> Bool? { client.map { $0.isFolder(path) } }

    deinit {
        client?.close()
        if let scratch {
            unlink(scratch + "/known_hosts")
            rmdir(scratch)
        }
    }
}
