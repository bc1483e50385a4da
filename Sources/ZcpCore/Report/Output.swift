import Glibc
import Synchronization

/// A buffered writer on a descriptor (stdout, a report file), flushed when full, on request
/// and at exit. Terminals are written line by line.
public final class Output: Sendable {
    public let fd: Int32
    private let lineBuffered: Bool
    /// The buffer, and the errno of the first failed write (later writes are dropped).
    private struct State {
        var buffer: [UInt8] = []
        var failure: Errno? = nil
    }
    private let state: Mutex<State>

    public init(fd: Int32) {
        self.fd = fd
        lineBuffered = isatty(fd) == 1
        var initial = State()
        initial.buffer.reserveCapacity(16384)
        state = Mutex(initial)
    }

    /// The errno of the first failed write.
    public var failure: Errno? { state.withLock { $0.failure } }

    public func write(_ text: String) {
        state.withLock { s in
            s.buffer.append(contentsOf: text.utf8)
            if lineBuffered || s.buffer.count >= 16384 { flush(&s) }
        }
    }

    public func write(bytes: [UInt8]) {
        state.withLock { s in
            s.buffer.append(contentsOf: bytes)
            if lineBuffered || s.buffer.count >= 16384 { flush(&s) }
        }
    }

    public func flush() { state.withLock { flush(&$0) } }

    private func flush(_ s: inout State) {
        guard !s.buffer.isEmpty else { return }
        defer { s.buffer.removeAll(keepingCapacity: true) }
        guard s.failure == nil else { return }
        var done = 0
        let count = s.buffer.count
        while done < count {
            let n = s.buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                s.failure = .current
                return
            }
            done += n
        }
    }
}

/// Writes one whole message to stderr at once, so lines from parallel workers never mix.
public func writeStderr(_ text: String) {
    var bytes = Array(text.utf8)
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress! + done, $0.count - done) }
        if n < 0 { if errno == EINTR { continue }; return }
        done += n
    }
}

/// `value` with `decimals` digits after the point, without Foundation.
func formatFixed(_ value: Double, decimals: Int) -> String {
    guard value.isFinite else { return "0" }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let product = (abs(value) * scale).rounded()
    // Beyond Int64 (an exabyte file at a clone's speed): the number as Swift writes a Double.
    guard product < 9.0e18 else { return (value < 0 ? "-" : "") + String(describing: abs(value).rounded()) }
    let scaled = Int64(product)
    let whole = scaled / Int64(scale)
    var frac = String(scaled % Int64(scale))
    while frac.count < decimals { frac = "0" + frac }
    let sign = value < 0 && scaled != 0 ? "-" : ""
    return decimals == 0 ? "\(sign)\(whole)" : "\(sign)\(whole).\(frac)"
}

extension Int64 {
    /// Sizes and counts from files any user can make (`truncate -s 8E`) add up without
    /// trapping: past Int64's range the sum stays at its end.
    func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}
