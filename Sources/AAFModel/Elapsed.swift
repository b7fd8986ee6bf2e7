/// Time measured on the monotonic clock, in the units reports use.
public struct Elapsed: Sendable {
    private let start: ContinuousClock.Instant

    /// Starts measuring now.
    public init() {
        start = .now
    }

    /// Seconds since the start, with fractions.
    public var seconds: Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// Whole milliseconds since the start.
    public var milliseconds: Int { Int(seconds * 1000) }
}
