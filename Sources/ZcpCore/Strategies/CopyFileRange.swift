import CZcp

/// copy_file_range(2): the kernel copies inside the filesystem (or the server, over NFS).
enum CopyFileRangeCopier: RangeCopier {
    static let id = StrategyID.copyFileRange
    static let entry = StrategyEntry(id: id, name: "copy_file_range", aliases: ["cfr"], kind: .range(copy))

    static func copy(_ io: CopyIO, offset: inout Int64, end: Int64?) -> StepResult {
        transferLoop(.copyFileRange, offset: &offset, end: end) { start, want in
            var inOff = start
            var outOff = start
            return io.sys.copyFileRange(io.src, &inOff, io.dst, &outOff, want)
        }
    }
}

/// Calls `transfer(offset, count)` until `end` (or EOF when nil), advancing `offset` by what
/// each call moved; EINTR is retried, a 0 return is EOF.
func transferLoop(
    _ syscall: Syscall, offset: inout Int64, end: Int64?,
    _ transfer: (Int64, Int) -> SysResult<Int>
) -> StepResult {
    while end.map({ offset < $0 }) ?? true {
        if let stop = stopRequested(syscall) { return stop }
        let start = offset
        let want = chunk(start, end, cap: transferChunk)
        switch retryingEINTR({ transfer(start, want) }) {
        case .failure(let e): return .failed(StrategyFailure(syscall: syscall, errno: e, side: .either))
        case .success(0): return .finished(hitEOF: true)
        case .success(let n):
            offset += Int64(n)
            zcp_progress_add(Int64(n))
        }
    }
    return .finished(hitEOF: false)
}
