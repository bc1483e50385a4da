import Glibc

extension Copier {
    /// Opens both ends, moves the data with the strategy selector, applies metadata to the
    /// open descriptor, and closes. A destination this call created is removed again when the
    /// copy fails, so a failed copy never leaves a short file behind.
    func copyRegularFile(_ src: Path, to dst: Path, existing: FileStat?,
                         record: inout FileRecord) -> CopyError? {
        let srcFd: Int32
        switch retryingEINTR({ sys.open(src, O_RDONLY, 0) }) {
        case .failure(let e): return CopyError(.openForReading, src, errno: e, syscall: .open)
        case .success(let fd): srcFd = fd
        }
        defer { _ = sys.close(srcFd) }
        let st: FileStat
        switch sys.fstat(srcFd) {
        case .failure(let e): return CopyError(.fstat, src, errno: e, syscall: .fstat)
        case .success(let s): st = s
        }
        record.size = st.kind == .file ? st.size : 0
        if st.kind == .file { _ = sys.adviseSequential(srcFd) }  // advice only: a refusal changes nothing

        var created = false
        var dstFd: Int32 = -1
        if existing != nil {
            // --attributes-only leaves existing data alone.
            let truncate = options.attributesOnly ? 0 : O_TRUNC
            switch retryingEINTR({ sys.open(dst, O_WRONLY | truncate, 0) }) {
            case .success(let fd): dstFd = fd
            case .failure(let e):
                guard options.force else { return CopyError(.openForWriting, dst, errno: e, syscall: .open) }
                if case .failure(let e) = sys.unlink(dst), e != .ENOENT {
                    return CopyError(.removeExisting, dst, errno: e, syscall: .unlink)
                }
            }
        }
        if dstFd < 0 {
            // Never readable by more people than the source while the data moves.
            var mode = st.permissions & 0o777
            if options.preserve.ownership { mode &= 0o700 }
            switch retryingEINTR({ sys.open(dst, O_WRONLY | O_CREAT | O_EXCL, mode) }) {
            case .failure(let e):
                // "name/" names a directory that is not there: say so as GNU does.
                let why = e == .EISDIR && dst.hasTrailingSlash ? Errno.ENOTDIR : e
                return CopyError(.create(.file), dst, errno: why, syscall: .open)
            case .success(let fd): dstFd = fd
            }
            created = true
        }

        let io = CopyIO(sys: sys, src: srcFd, dst: dstFd, worker: worker)
        var failure = options.attributesOnly ? nil
            : selector.copyData(io, stat: st, record: &record, unshared: mustStayUnshared(dstFd))
        if failure == nil {
            failure = Metadata(copier: self).applyToDescriptor(st, srcFd: srcFd, fd: dstFd, path: dst, isNew: created,
                                                              record: &record)
        }
        if case .failure(let e) = sys.close(dstFd), failure == nil {
            failure = CopyError(.close, dst, errno: e, syscall: .close)
        }
        if let failure, created, !failure.isMetadata {
            _ = sys.unlink(dst)
        }
        return failure
    }

    /// Under --reflink=never, copy_file_range must not run where it may clone extents.
    private func mustStayUnshared(_ dstFd: Int32) -> Bool {
        guard options.reflink == .never, selector.chain.contains(.copyFileRange) else { return false }
        guard case .success(let type) = sys.fsType(dstFd) else { return true }
        return FilesystemMagic.mayCloneInCopyFileRange(type)
    }
}

/// statfs f_type values zcp needs to know.
enum FilesystemMagic {
    static let btrfs = 0x9123_683E
    static let xfs = 0x5846_5342
    static let bcachefs = 0xCA45_1A4E
    static let nfs = 0x6969
    static let cifs = 0xFF53_4D42
    static let smb2 = 0xFE53_4D42

    /// Filesystems whose copy_file_range may share extents (or ask the server to clone).
    static func mayCloneInCopyFileRange(_ type: Int) -> Bool {
        [btrfs, xfs, bcachefs, nfs, cifs, smb2].contains(type)
    }
}
