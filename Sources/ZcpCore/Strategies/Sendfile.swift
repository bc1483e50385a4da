/// sendfile(2): the kernel moves page-cache pages to the output without a user-space copy.
/// The input offset is explicit; the output is written at its file position, which is set to
/// the range's start first (a FIFO or device is written where it is).
enum SendfileCopier: RangeCopier {
    static let id = StrategyID.sendfile
    static let entry = StrategyEntry(id: id, name: "sendfile", aliases: [], kind: .range(copy))

    static func copy(_ io: CopyIO, offset: inout Int64, end: Int64?) -> StepResult {
        if !io.destinationIsStream, case .failure(let e) = io.sys.seekSet(io.dst, offset) {
            return .failed(StrategyFailure(syscall: .lseek, errno: e, side: .write))
        }
        return transferLoop(.sendfile, offset: &offset, end: end) { start, want in
            var inOff = start
            return io.sys.sendfile(io.dst, io.src, &inOff, want)
        }
    }
}
