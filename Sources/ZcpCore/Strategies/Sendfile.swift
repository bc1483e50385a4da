/// sendfile(2): the kernel moves page-cache pages to the output without a user-space copy.
/// The input offset is explicit; the output is written at its file position, which is set to
/// the range's start first.
enum SendfileCopier: RangeCopier {
    static let id = StrategyID.sendfile

    static func copy(_ io: CopyIO, offset: inout Int64, end: Int64?) -> StepResult {
        if case .failure(let e) = io.sys.seekSet(io.dst, offset) {
            return .failed(StrategyFailure(syscall: .lseek, errno: e, side: .write))
        }
        while end.map({ offset < $0 }) ?? true {
            var inOff = offset
            let want = chunk(offset, end, cap: maxTransferChunk)
            switch retryingEINTR({ io.sys.sendfile(io.dst, io.src, &inOff, want) }) {
            case .failure(let e):
                return .failed(StrategyFailure(syscall: .sendfile, errno: e, side: .either))
            case .success(0):
                return .finished(hitEOF: true)
            case .success(let n):
                offset += Int64(n)
            }
        }
        return .finished(hitEOF: false)
    }
}
