import CZcp

/// splice(2) through the worker's pipe: file -> pipe -> file, both file sides at explicit
/// offsets. The pipe is always drained: if the pipe -> file splice fails, the bytes already in
/// the pipe are read out and written with pwrite, so `offset` always names the last byte that
/// landed and nothing is lost or written twice.
enum SpliceCopier: RangeCopier {
    static let id = StrategyID.splice
    static let entry = StrategyEntry(id: id, name: "splice", aliases: [], kind: .range(copy))

    static func copy(_ io: CopyIO, offset: inout Int64, end: Int64?) -> StepResult {
        let pipe: (read: Int32, write: Int32)
        switch io.worker.pipe() {
        case .failure(let e): return .failed(StrategyFailure(syscall: .pipe, errno: e, side: .either))
        case .success(let p): pipe = p
        }
        while end.map({ offset < $0 }) ?? true {
            if let stop = stopRequested(.splice) { return stop }
            var inOff = offset
            let want = chunk(offset, end, cap: io.worker.pipeCapacity)
            let filled: Int
            switch retryingEINTR({ io.sys.splice(io.src, &inOff, pipe.write, nil, want) }) {
            case .failure(let e): return .failed(StrategyFailure(syscall: .splice, errno: e, side: .read))
            case .success(0): return .finished(hitEOF: true)
            case .success(let n): filled = n
            }
            var pending = filled
            while pending > 0 {
                var outOff = offset
                let moved = retryingEINTR {
                    io.destinationIsStream
                        ? io.sys.splice(pipe.read, nil, io.dst, nil, pending)
                        : io.sys.splice(pipe.read, nil, io.dst, &outOff, pending)
                }
                switch moved {
                case .success(let n) where n > 0:
                    offset += Int64(n)
                    pending -= n
                    zcp_progress_add(Int64(n))
                case .success:
                    // A zero-byte move out of a non-empty pipe: treat as the kernel refusing.
                    return drain(
                        io, pipe: pipe.read, pending: pending, offset: &offset,
                        failure: StrategyFailure(syscall: .splice, errno: .EIO, side: .write))
                case .failure(let e):
                    return drain(
                        io, pipe: pipe.read, pending: pending, offset: &offset,
                        failure: StrategyFailure(syscall: .splice, errno: e, side: .write))
                }
            }
        }
        return .finished(hitEOF: false)
    }

    /// Lands the bytes left in the pipe with read + pwrite, then reports the splice failure.
    private static func drain(
        _ io: CopyIO, pipe: Int32, pending: Int, offset: inout Int64,
        failure: StrategyFailure
    ) -> StepResult {
        var left = pending
        let buffer = io.worker.buffer
        while left > 0 {
            let n: Int
            switch retryingEINTR({ io.sys.read(pipe, buffer, min(left, Worker.bufferSize)) }) {
            case .failure, .success(0):
                io.worker.discardPipe()
                return .failed(failure)
            case .success(let got): n = got
            }
            if let err = ReadWriteCopier.writeAll(io, buffer, count: n, at: &offset) {
                // What stayed in the pipe is gone with it; offset says what landed.
                io.worker.discardPipe()
                return .failed(err.errno.meansUnsupportedHere ? failure : err)
            }
            left -= n
        }
        return .failed(failure)
    }
}
