/// copy_file_range(2): the kernel copies inside the filesystem (or the server, over NFS).
enum CopyFileRangeCopier: RangeCopier {
    static let id = StrategyID.copyFileRange

    static func copy(_ io: CopyIO, offset: inout Int64, end: Int64?) -> StepResult {
        while end.map({ offset < $0 }) ?? true {
            var inOff = offset
            var outOff = offset
            let want = chunk(offset, end, cap: maxTransferChunk)
            switch retryingEINTR({ io.sys.copyFileRange(io.src, &inOff, io.dst, &outOff, want) }) {
            case .failure(let e):
                return .failed(StrategyFailure(syscall: .copyFileRange, errno: e, side: .either))
            case .success(0):
                return .finished(hitEOF: true)
            case .success(let n):
                offset += Int64(n)
            }
        }
        return .finished(hitEOF: false)
    }
}
