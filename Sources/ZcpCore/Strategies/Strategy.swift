import CZcp

/// The kernel paths zcp can move bytes with, in auto's order; each one's row in
/// `StrategyTable.all` (same order) says how it is named and how it moves bytes.
public enum StrategyID: Int, CaseIterable, Sendable, Comparable {
    case reflink, copyFileRange, sendfile, splice, readWrite

    /// This strategy's row of the table.
    var entry: StrategyEntry { StrategyTable.all[rawValue] }

    /// The name used on the command line, in reports and in messages.
    public var name: String { entry.name }

    /// Parses a name or alias (`cfr`, `rw`).
    public init?(name: String) {
        guard let e = StrategyTable.all.first(where: { $0.name == name || $0.aliases.contains(name) }) else { return nil }
        self = e.id
    }

    public static func < (a: StrategyID, b: StrategyID) -> Bool { a.rawValue < b.rawValue }
}

/// How a strategy moves bytes.
enum StrategyKind: Sendable {
    /// All of a file at once, before any byte moves (reflink): only first in a chain.
    case wholeFile
    /// `[offset, end)` (nil: to EOF), advancing `offset` past every byte that landed, so that
    /// on failure the next strategy resumes at exactly that byte.
    case range(@Sendable (_ io: CopyIO, _ offset: inout Int64, _ end: Int64?) -> StepResult)
}

/// One row of the table: a strategy's names and its way of moving bytes. Each strategy's
/// file declares its row.
struct StrategyEntry: Sendable {
    let id: StrategyID
    let name: String
    let aliases: [String]
    let kind: StrategyKind
}

/// Every strategy, in `StrategyID` order (auto's). Adding one takes its file, a case of
/// `StrategyID`, and a line here; counters and reports are sized from this list.
enum StrategyTable {
    static let all: [StrategyEntry] = [
        Reflink.entry,
        CopyFileRangeCopier.entry,
        SendfileCopier.entry,
        SpliceCopier.entry,
        ReadWriteCopier.entry,
    ]
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
