/// pread/pwrite through the worker's buffer: works for every readable file, and is the only
/// strategy that never needs the kernel's help.
enum ReadWriteCopier: RangeCopier {
    static let id = StrategyID.readWrite

    static func copy(_ io: CopyIO, offset: inout Int64, end: Int64?) -> StepResult {
        let buffer = io.worker.buffer
        while end.map({ offset < $0 }) ?? true {
            let want = chunk(offset, end, cap: Worker.bufferSize)
            let got: Int
            switch retryingEINTR({ io.sys.pread(io.src, buffer, want, offset) }) {
            case .failure(.ESPIPE):
                // Not seekable (a FIFO or a terminal): read from the current position.
                return streamCopy(io, offset: &offset, end: end)
            case .failure(let e): return .failed(StrategyFailure(syscall: .pread, errno: e, side: .read))
            case .success(0): return .finished(hitEOF: true)
            case .success(let n): got = n
            }
            if let err = writeAll(io, buffer, count: got, at: &offset) { return .failed(err) }
        }
        return .finished(hitEOF: false)
    }

    /// read(2) until EOF, for sources that cannot seek.
    private static func streamCopy(_ io: CopyIO, offset: inout Int64, end: Int64?) -> StepResult {
        let buffer = io.worker.buffer
        while end.map({ offset < $0 }) ?? true {
            let want = chunk(offset, end, cap: Worker.bufferSize)
            switch retryingEINTR({ io.sys.read(io.src, buffer, want) }) {
            case .failure(let e): return .failed(StrategyFailure(syscall: .read, errno: e, side: .read))
            case .success(0): return .finished(hitEOF: true)
            case .success(let n):
                if let err = writeAll(io, buffer, count: n, at: &offset) { return .failed(err) }
            }
        }
        return .finished(hitEOF: false)
    }

    /// pwrite until all `count` bytes landed at `offset` (short writes continue), advancing it.
    static func writeAll(_ io: CopyIO, _ buffer: UnsafeMutableRawPointer, count: Int,
                         at offset: inout Int64) -> StrategyFailure? {
        var done = 0
        while done < count {
            switch retryingEINTR({ io.sys.pwrite(io.dst, buffer + done, count - done, offset) }) {
            case .failure(let e): return StrategyFailure(syscall: .pwrite, errno: e, side: .write)
            case .success(0): return StrategyFailure(syscall: .pwrite, errno: .EIO, side: .write)
            case .success(let n):
                done += n
                offset += Int64(n)
            }
        }
        return nil
    }
}
