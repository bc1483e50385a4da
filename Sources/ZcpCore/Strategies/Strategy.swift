import CZcp

/// The kernel paths zcp can move bytes with, in auto's order.
public enum StrategyID: Int, CaseIterable, Sendable, Comparable {
    case reflink, copyFileRange, sendfile, splice, readWrite

    /// The name used on the command line, in reports and in messages.
    public var name: String {
        switch self {
        case .reflink: return "reflink"
        case .copyFileRange: return "copy_file_range"
        case .sendfile: return "sendfile"
        case .splice: return "splice"
        case .readWrite: return "read_write"
        }
    }

    /// Parses a name or alias (`cfr`, `rw`).
    public init?(name: String) {
        switch name {
        case "reflink", "ficlone": self = .reflink
        case "copy_file_range", "cfr": self = .copyFileRange
        case "sendfile": self = .sendfile
        case "splice": self = .splice
        case "read_write", "rw": self = .readWrite
        default: return nil
        }
    }

    public static func < (a: StrategyID, b: StrategyID) -> Bool { a.rawValue < b.rawValue }
}

/// Which end of a copy a failing call was working on, for GNU's "error reading/writing".
public enum IOSide: Sendable { case read, write, either }

/// A strategy's call that failed, with where.
public struct StrategyFailure: Error, Sendable, Equatable {
    public var syscall: Syscall
    public var errno: Errno
    public var side: IOSide
}

/// How one strategy's run over a byte range ended.
enum StepResult: Equatable {
    /// Reached the range's end, or EOF when `hitEOF` (a call returned 0).
    case finished(hitEOF: Bool)
    case failed(StrategyFailure)
}

/// One way of moving the bytes `[offset, end)` of `src` to the same offsets of `dst`
/// (`end == nil`: until EOF). It advances `offset` past every byte that landed in `dst`, so that
/// on failure the next strategy resumes at exactly that byte.
protocol RangeCopier {
    static var id: StrategyID { get }
    static func copy(_ io: CopyIO, offset: inout Int64, end: Int64?) -> StepResult
}

/// The largest count one transfer call is asked for: 64 MiB, so that a signal or a progress
/// line is never more than one call away, and far above where per-call cost shows (the
/// kernel's own cap, MAX_RW_COUNT, is just under 2 GiB).
let transferChunk = 64 << 20

/// A signal asked zcp to stop: the strategy ends here, at the byte it reached.
@inline(__always)
func stopRequested(_ syscall: Syscall) -> StepResult? {
    zcp_pending_signal() == 0 ? nil : .failed(StrategyFailure(syscall: syscall, errno: .EINTR, side: .either))
}

@inline(__always)
func chunk(_ offset: Int64, _ end: Int64?, cap: Int) -> Int {
    guard let end else { return cap }
    return Int(min(Int64(cap), end - offset))
}
