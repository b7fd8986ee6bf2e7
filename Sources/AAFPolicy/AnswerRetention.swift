import AAFModel

/// How long an access answer (`person show --for-request`, a copy of everything held about one person) may stay in
/// `answers/` (issue 23). The answer exists to be sent to the académie (art. 7); the register, not the answer, proves
/// the request was handled. It goes at the first of:
/// - its person left the directory (purged under R6–R9): a copy must not outlive the original;
/// - its request left the register (closed requests are kept as the journal, art. 7 register);
/// - 31 days after its request was closed (time for the académie to confirm it received it);
/// - ``maximumDays`` after it was written, even while its request is open: GDPR art. 12(3)'s longest answer delay
///   (one month, extended by two).
public enum AnswerRetention {
    public static let daysAfterClosure = 31
    public static let maximumDays = 92

    /// Why an answer must be erased on `today`, or nil to keep it.
    public enum Reason: String, Sendable, Hashable {
        case personGone = "person purged"
        case requestGone = "request left the register"
        case requestClosed = "request closed"
        case tooOld = "kept its longest"
    }

    public static func erase(
        writtenOn: ExtractDate,
        requestInRegister: Bool,
        requestClosedOn: ExtractDate?,
        personInDirectory: Bool,
        today: ExtractDate
    ) -> Reason? {
        if !personInDirectory { return .personGone }
        if !requestInRegister { return .requestGone }
        if let closed = requestClosedOn, today >= closed.adding(days: daysAfterClosure) { return .requestClosed }
        if today >= writtenOn.adding(days: maximumDays) { return .tooOld }
        return nil
    }
}
