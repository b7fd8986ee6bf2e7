import AAFModel
import AAFParser
import AAFTransfer
import Foundation
import Testing

@testable import AAFPipeline

/// One outcome from the importer to the exit status (issue 22): each error classified once, with its rule; one
/// mapping to the exit codes of Docs/operations.md.
@Suite("Outcomes: one classification, one exit status")
struct OutcomeTests {
    @Test("every cause has the exit code Docs/operations.md gives it; no cause is success but the publication's")
    func exitStatuses() {
        let expected: [Outcome.Cause: AAFModel.ExitStatus] = [
            .delivery: .dataError, .server: .unavailable, .credentials: .noPermission, .configuration: .config,
            .storage: .ioError, .internalError: .failure, .busy: .tempFail, .remoteCopiesKept: .remoteNotDeleted,
            .erasurePending: .tempFail, .publication: .ok,
        ]
        #expect(Set(expected.keys) == Set(Outcome.Cause.allCases))
        for cause in Outcome.Cause.allCases {
            #expect(AAFModel.ExitStatus(for: Outcome(.failed, cause: cause)) == expected[cause], "\(cause)")
        }
        #expect(AAFModel.ExitStatus(for: Outcome(.imported)) == .ok)
        #expect(AAFModel.ExitStatus(for: Outcome(.stopped)) == .ok, "a stop is not a failure")
        // The incident words of the three causes that are incidents of their own (stored in the register).
        #expect(Outcome.Cause.remoteCopiesKept.rawValue == "remote-deletion-refused")
        #expect(Outcome.Cause.erasurePending.rawValue == "erasure-pending")
        #expect(Outcome.Cause.publication.rawValue == "publication-failed")
    }

    @Test("the importer classifies each error once: kind, cause, rule; the message is the error's own")
    func importerClassification() {
        let date = ExtractDate(iso: "2026-09-01")!
        let refused = Importer.outcome(of: DeliveryError("incomplete"), extractDate: date)
        #expect(refused == Outcome(.refused, cause: .delivery, message: "incomplete", rule: .r20, extractDate: date))
        let guardRefusal = Importer.outcome(of: DeliveryError("guard", rule: .r21), extractDate: nil)
        #expect(guardRefusal.rule == .r21 && AAFModel.ExitStatus(for: guardRefusal) == .dataError)
        let stopped = Importer.outcome(of: CancellationError(), extractDate: nil)
        #expect(stopped.kind == .stopped && AAFModel.ExitStatus(for: stopped) == .ok)
        let other = Importer.outcome(of: CocoaError(.fileNoSuchFile), extractDate: nil)
        #expect(other.kind == .failed && AAFModel.ExitStatus(for: other) == .failure)
    }

    @Test("a transfer failure keeps its rule: R17 host key, R16 key, R18 a tampered spool (65, refused), 74 local")
    func transferOutcomes() {
        let cases: [(TransferError.Code, Outcome.Kind, Rule?, AAFModel.ExitStatus)] = [
            (.hostKey, .denied, .r17, .noPermission), (.authentication, .denied, .r16, .noPermission),
            (.keyFile, .denied, .r16, .config), (.tampered, .refused, .r18, .dataError),
            (.local, .failed, nil, .ioError), (.unreachable, .unavailable, nil, .unavailable),
            (.transfer, .unavailable, nil, .unavailable),
        ]
        for (code, kind, rule, status) in cases {
            let outcome = TransferError(code, "message").outcome
            #expect(
                outcome.kind == kind && outcome.rule == rule && AAFModel.ExitStatus(for: outcome) == status,
                "\(code)"
            )
            #expect(outcome.message == "message")
        }
    }
}
