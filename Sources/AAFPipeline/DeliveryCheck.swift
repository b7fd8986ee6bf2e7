import AAFModel
import Foundation

extension DeliveryCheck {
    /// Lists a local folder and returns its single delivery, validated.
    ///
    /// - Throws: ``DeliveryError`` when the folder holds no delivery, several, or an invalid one.
    public static func scan(directory: String) throws -> (delivery: Delivery, ignored: [String]) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw DeliveryError("cannot list \(directory): check the path and its permissions")
        }
        let listing = group(names.filter { !$0.hasPrefix(".") })
        guard let first = listing.candidates.first else {
            throw DeliveryError(
                "\(directory) holds no ENT1D delivery file (<PREFIX>_Complet|Delta_YYYYMMDD_<Category>_NNNN.xml)"
            )
        }
        guard listing.candidates.count == 1 else {
            let labels = listing.candidates.map { "\($0.mode.rawValue) \($0.date.iso)" }.joined(separator: ", ")
            throw DeliveryError(
                "\(directory) holds several deliveries (\(labels)); import them one folder at a time, oldest first"
            )
        }
        try validate(first)
        return (first, listing.ignored)
    }
}
