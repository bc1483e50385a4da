import Glibc

/// A buffered writer on a descriptor (stdout, a report file), flushed when full, on request
/// and at exit. Terminals are written line by line.
public final class Output: @unchecked Sendable {  // its buffer changes only under its own lock
    public let fd: Int32
    private var buffer: [UInt8] = []
    private let lineBuffered: Bool
    private let lock = Lock()
    /// The errno of the first failed write; later writes are dropped.
    public private(set) var failure: Errno?

    public init(fd: Int32) {
        self.fd = fd
        lineBuffered = isatty(fd) == 1
        buffer.reserveCapacity(16384)
    }

    public func write(_ text: String) {
        lock.locked {
            buffer.append(contentsOf: text.utf8)
            if lineBuffered || buffer.count >= 16384 { flushLocked() }
        }
    }

    public func flush() { lock.locked { flushLocked() } }

    private func flushLocked() {
        guard !buffer.isEmpty else { return }
        defer { buffer.removeAll(keepingCapacity: true) }
        guard failure == nil else { return }
        var done = 0
        let count = buffer.count
        while done < count {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                failure = .current
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
