import CZcp

/// pread/pwrite through the worker's buffer: works for every readable file, and is the only
/// strategy that never needs the kernel's help.
enum ReadWriteCopier: RangeCopier {
    static let id = StrategyID.readWrite
    static let entry = StrategyEntry(id: id, name: "read_write", aliases: ["rw"], kind: .range(copy))

    static func copy(_ io: CopyIO, offset: inout Int64, end: Int64?) -> StepResult {
        let buffer = io.worker.buffer
        while end.map({ offset < $0 }) ?? true {
            if let stop = stopRequested(.pread) { return stop }
            let want = chunk(offset, end, cap: Worker.bufferSize)
            let got: Int
            let uncached = io.file.cache?.readUncached == true
            switch retryingEINTR({
                uncached ? io.sys.readUncached(io.src, buffer, want, offset) : io.sys.pread(io.src, buffer, want, offset)
            }) {
            case .failure(let e) where uncached && e.refusesDontcache:
                io.file.cache?.readUncached = false  // this filesystem cannot: plain reads, dropped after
                continue
            case .failure(.ESPIPE):
                // Not seekable (a FIFO or a terminal): read from the current position.
                return streamCopy(io, offset: &offset, end: end)
            case .failure(let e): return .failed(StrategyFailure(syscall: uncached ? .preadv2 : .pread, errno: e, side: .read))
            case .success(0): return .finished(hitEOF: true)
            case .success(let n): got = n
            }
            if io.file.hashing { io.file.sourceHash.saw(buffer, got, at: offset) }
            if let err = writeSparse(io, buffer, count: got, at: &offset) { return .failed(err) }
        }
        return .finished(hitEOF: false)
    }

    /// read(2) until EOF, for sources that cannot seek.
    private static func streamCopy(_ io: CopyIO, offset: inout Int64, end: Int64?) -> StepResult {
        let buffer = io.worker.buffer
        while end.map({ offset < $0 }) ?? true {
            if let stop = stopRequested(.read) { return stop }
            // A FIFO or terminal may block for good: wait for data or a stop signal first.
            switch io.sys.waitReadable(io.src) {
            case .success(false):
                return stopRequested(.read) ?? .failed(StrategyFailure(syscall: .read, errno: .EINTR, side: .either))
            case .failure(let e): return .failed(StrategyFailure(syscall: .read, errno: e, side: .read))
            case .success(true): break
            }
            let want = chunk(offset, end, cap: Worker.bufferSize)
            switch retryingEINTR({ io.sys.read(io.src, buffer, want) }) {
            case .failure(let e): return .failed(StrategyFailure(syscall: .read, errno: e, side: .read))
            case .success(0): return .finished(hitEOF: true)
            case .success(let n):
                if io.file.hashing { io.file.sourceHash.saw(buffer, n, at: offset) }
                if let err = writeSparse(io, buffer, count: n, at: &offset) { return .failed(err) }
            }
        }
        return .finished(hitEOF: false)
    }

    /// Writes `count` bytes at `offset`, leaving every whole block of zeros (4 KiB, aligned in the
    /// file) as a hole when `io.holesForZeros`; advances `offset` past all of them.
    static func writeSparse(
        _ io: CopyIO, _ buffer: UnsafeMutableRawPointer, count: Int,
        at offset: inout Int64
    ) -> StrategyFailure? {
        guard io.holesForZeros else { return writeAll(io, buffer, count: count, at: &offset) }
        let block = 4096
        var i = 0
        while i < count {
            // The piece up to the next block boundary of the file.
            let boundary = block - Int(offset % Int64(block))
            let n = min(boundary, count - i)
            var end = i + n
            if n == block && isZero(buffer + i, n) {
                // A run of zero blocks: skip them all.
                while end + block <= count && isZero(buffer + end, block) { end += block }
                io.file.zeroBytesSkipped += Int64(end - i)
                offset += Int64(end - i)
            } else {
                // Data: write up to the next zero block.
                while end + block <= count && !isZero(buffer + end, block) { end += block }
                if end + block > count { end = count }
                if let f = writeAll(io, buffer + i, count: end - i, at: &offset) { return f }
            }
            i = end
        }
        return nil
    }

    private static func isZero(_ p: UnsafeMutableRawPointer, _ n: Int) -> Bool {
        var k = 0
        while k + 8 <= n {
            if p.loadUnaligned(fromByteOffset: k, as: UInt64.self) != 0 { return false }
            k += 8
        }
        while k < n { if p.load(fromByteOffset: k, as: UInt8.self) != 0 { return false }; k += 1 }
        return true
    }

    /// pwrite until all `count` bytes landed at `offset` (short writes continue), advancing it.
    /// A destination that cannot seek (a FIFO) is written at its position instead.
    static func writeAll(
        _ io: CopyIO, _ buffer: UnsafeMutableRawPointer, count: Int,
        at offset: inout Int64
    ) -> StrategyFailure? {
        var done = 0
        var stream = io.destinationIsStream
        while done < count {
            let uncached = !stream && io.file.cache?.writeUncached == true
            let call: Syscall = stream ? .write : uncached ? .pwritev2 : .pwrite
            let result = retryingEINTR {
                stream
                    ? io.sys.write(io.dst, buffer + done, count - done)
                    : uncached
                        ? io.sys.writeUncached(io.dst, buffer + done, count - done, offset)
                        : io.sys.pwrite(io.dst, buffer + done, count - done, offset)
            }
            switch result {
            case .failure(let e) where uncached && e.refusesDontcache:
                io.file.cache?.writeUncached = false
            case .failure(.ESPIPE) where !stream: stream = true
            case .failure(let e): return StrategyFailure(syscall: call, errno: e, side: .write)
            case .success(0): return StrategyFailure(syscall: call, errno: .EIO, side: .write)
            case .success(let n):
                done += n
                offset += Int64(n)
                zcp_progress_add(Int64(n))
            }
        }
        return nil
    }
}
