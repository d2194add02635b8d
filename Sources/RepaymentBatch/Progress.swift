#if canImport(Glibc)
import Glibc
#endif
import RepaymentKernel

/// Where a run is, for a progress display.
public struct BatchProgress: Sendable {
    /// Rows written so far.
    public var rows: Int
    /// Of which failed.
    public var failed: Int
    /// Input bytes consumed up to the last row written.
    public var bytesRead: Int
    /// Seconds since the run started.
    public var elapsed: Double
}

/// Monotonic seconds.
enum Clock {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
