import AAFModel

/// The mass-departure guard (R21): a delivery that would make a category lose more people at once than
/// the threshold is refused unless an administrator accepts those departures for that delivery.
public struct DepartureGuard: Sendable, Hashable {
    /// Refuse when departures exceed this share of the category's active people…
    public var maximumPercent: Double
    /// …and also exceed this number of people.
    public var maximumPeople: Int

    /// Defaults: more than 5 % and more than 10 people (data-protection-rules.md, R21).
    public init(maximumPercent: Double = 5, maximumPeople: Int = 10) {
        self.maximumPercent = maximumPercent
        self.maximumPeople = maximumPeople
    }

    /// A category whose departures cross the threshold.
    public struct Breach: Sendable, Hashable, CustomStringConvertible {
        public var category: AAFCategory
        public var activeBefore: Int
        public var departing: Int

        public var description: String {
            "\(category.rawValue): \(departing) of \(activeBefore) would depart"
        }
    }

    /// Whether `departing` people out of `activeBefore` is too many.
    public func isBreached(activeBefore: Int, departing: Int) -> Bool {
        departing > maximumPeople && Double(departing) * 100 > maximumPercent * Double(activeBefore)
    }

    /// The categories whose departures cross the threshold, in import order.
    public func breaches(_ departures: [AAFCategory: (activeBefore: Int, departing: Int)]) -> [Breach] {
        AAFCategory.importOrder.compactMap { category in
            guard let d = departures[category], isBreached(activeBefore: d.activeBefore, departing: d.departing) else {
                return nil
            }
            return Breach(category: category, activeBefore: d.activeBefore, departing: d.departing)
        }
    }
}
