import Foundation

/// Why a delivery is refused before anything is written (exit 65).
public struct DeliveryError: MessageError, Sendable {
    public var message: String
    /// The rule that refuses the delivery: R20 (incomplete, out of order, wrongly dated) unless said otherwise.
    public var rule: Rule
    public init(_ message: String, rule: Rule = .r20) { (self.message, self.rule) = (message, rule) }
}

/// One delivery: the files of one extract date and mode, by category, parts in order.
public struct Delivery: Sendable, Hashable {
    public var mode: DeliveryMode
    public var date: ExtractDate
    public var files: [AAFCategory: [DeliveryFileName]]

    public init(mode: DeliveryMode, date: ExtractDate, files: [AAFCategory: [DeliveryFileName]] = [:]) {
        self.mode = mode
        self.date = date
        self.files = files
    }

    /// The spool folder's name for it: `YYYYMMDD-Complet`.
    public var folderName: String { "\(date.compact)-\(mode.rawValue)" }

    /// All files, in import order (schools, pupils, staff, guardians; parts ascending).
    public var orderedFiles: [DeliveryFileName] {
        AAFCategory.importOrder.flatMap { files[$0] ?? [] }
    }
}

/// Groups file names into deliveries and checks each (R20, R21): names, categories, parts, dates.
public enum DeliveryCheck {
    /// What a folder or a remote listing holds.
    public struct Listing: Sendable, Hashable {
        /// Deliveries by (date, mode), oldest first, not yet validated.
        public var candidates: [Delivery]
        /// Names that are not ENT1D delivery files (the DTD, 2D categories…): skipped and reported.
        public var ignored: [String]
    }

    /// Sorts names into candidate deliveries.
    public static func group(_ names: [String]) -> Listing {
        var byKey: [String: Delivery] = [:]
        var ignored: [String] = []
        for name in names.sorted() {
            guard let parsed = DeliveryFileName(name) else {
                ignored.append(DeliveryFileName.isSafe(name) ? name : "(unsafe name)")
                continue
            }
            let key = parsed.date.compact + parsed.mode.rawValue
            byKey[key, default: Delivery(mode: parsed.mode, date: parsed.date, files: [:])]
                .files[parsed.category, default: []].append(parsed)
        }
        let candidates = byKey.values.map { delivery in
            var d = delivery
            for (category, parts) in d.files { d.files[category] = parts.sorted { $0.part < $1.part } }
            return d
        }
        let sorted = candidates.sorted { a, b in
            if a.date != b.date { return a.date < b.date }
            return a.mode == .complet && b.mode == .delta
        }
        return Listing(candidates: sorted, ignored: ignored)
    }

    /// Checks one delivery: for Complet all four categories; parts contiguous from 0000; one file per part.
    public static func validate(_ delivery: Delivery) throws {
        let label = "\(delivery.mode.rawValue) delivery of \(delivery.date.iso)"
        if delivery.mode == .complet {
            let missing = AAFCategory.importOrder.filter { (delivery.files[$0] ?? []).isEmpty }
            if !missing.isEmpty {
                throw DeliveryError(
                    "\(label) is incomplete: no \(missing.map(\.rawValue).joined(separator: ", ")) file; "
                        + "wait for the academy to drop every category, or ask for a new extract"
                )
            }
        }
        for (category, parts) in delivery.files.sorted(by: { $0.key < $1.key }) {
            for (expected, file) in parts.enumerated() where file.part != expected {
                let problem =
                    file.part < expected
                    ? "part \(String(format: "%04d", file.part)) appears twice"
                    : "part \(String(format: "%04d", expected)) is missing"
                throw DeliveryError(
                    "\(label): \(category.rawValue) \(problem) (parts must run from 0000 without a gap); "
                        + "wait for the missing files or ask the academy for a new extract"
                )
            }
        }
    }
}
