import Glibc

extension RunContext {
    /// --verify: the copy in `dstFd`, made durable and read back from storage, against the
    /// source. The source's digest comes from the bytes read_write hashed on their way when it
    /// moved all of them, else from reading the source again; holes are hashed as zeros and
    /// never read. Fills the record; a mismatch or a failed read is the file's error.
    func verify(
        srcFd: Int32, st: FileStat, dstFd: Int32, job: FileJob, worker: Worker, state: FileState,
        record: inout FileRecord
    ) -> CopyError? {
        let src = job.source.path, dst = job.dest.path
        // Flushed and dropped from the cache, then read without caching it again: what the
        // copy reads back is what storage holds (on tmpfs, memory is that storage).
        let copied: FileStat
        switch sys.fstat(dstFd) {
        case .failure(let e): return CopyError(.fstat, dst, errno: e, syscall: .fstat)
        case .success(let s): copied = s
        }
        guard copied.kind == .file else { return nil }  // a FIFO or device keeps nothing to read back
        if case .failure(let e) = retryingEINTR({ sys.fsync(dstFd) }) {
            return CopyError(.sync, dst, errno: e, syscall: .fsync)
        }
        _ = sys.dropCache(dstFd, 0, 0)

        let source = state.sourceHash
        if state.hashing && !source.broken && !record.sourceChanged {
            source.hole(upTo: st.size)  // a hole at the end
        }
        if !state.hashing || source.broken || record.sourceChanged || source.position != copied.size {
            guard st.kind == .file else { return nil }  // a stream cannot be read twice
            source.reset()
            if case .failure(let e) = source.read(
                srcFd, to: st.size, sparse: st.looksSparse, uncached: false, sys: sys,
                buffer: worker.hashBuffer, size: Worker.hashBufferSize)
            {
                return CopyError(.read, src, errno: e, syscall: .pread, offset: source.position)
            }
        }
        let copy = state.copyHash
        copy.reset()
        if case .failure(let e) = copy.read(
            dstFd, to: copied.size, sparse: copied.looksSparse, uncached: true, sys: sys,
            buffer: worker.hashBuffer, size: Worker.hashBufferSize)
        {
            return CopyError(.read, dst, errno: e, syscall: .pread, offset: copy.position)
        }
        record.sourceDigest = source.digest
        record.copyDigest = copy.digest
        if source.position == copy.position && source.digest == copy.digest {
            record.verify = .ok
            return nil
        }
        record.verify = .mismatch
        return CopyError(.verifyMismatch(source: source.digest, copy: copy.digest), dst, src)
    }
}
