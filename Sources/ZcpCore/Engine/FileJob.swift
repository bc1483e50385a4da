import CZcp
import Glibc

/// One regular file to copy: what a pool thread is handed. With the run's context it is all
/// the thread sees; the directory it belongs to is told when it is done.
struct FileJob: Sendable {
    var source: Node
    var dest: Node
    /// Open the source through a symlink (-L, -H on the command line).
    var follow: Bool
    /// What the destination policy left at the name, written into in place; nil: made anew.
    var existing: FileStat?
    var record: FileRecord
    /// The directory being copied that holds it, when the walker knows it.
    var parent: DirectoryTask?
    /// Where the destination was moved (--backup): moved back if the copy fails.
    var backup: Node? = nil
    /// The backup is a second name of the destination, which stays in place until an
    /// --atomic rename replaces it: a failed copy only takes the backup away again.
    var backupIsLink = false
}

extension RunContext {
    /// Copies a job's file on `worker`, reports it and tells its directory.
    func run(_ job: FileJob, on worker: Worker) {
        // Queued before a stop signal and not started: nothing was made, nothing to tell.
        if stopSignal != nil {
            if let parent = job.parent { release(parent, ok: false) }
            return
        }
        var record = job.record
        let started = zcp_monotonic_ns()
        record.error = copyRegularFile(job, record: &record, worker: worker)
        undoBackup(job.backup, of: job.dest, after: record.error, linked: job.backupIsLink)
        finish(&record, started: started, announced: true)
        if let parent = job.parent { release(parent, ok: record.error == nil) }
    }

    /// A copy that failed gives its backup its name back (GNU's "unbackup").
    func undoBackup(_ backup: Node?, of dst: Node, after error: CopyError?, linked: Bool = false) {
        guard let backup, let error, !error.isMetadata else { return }
        if linked {
            _ = sys.unlink(backup.at)  // the link this run made; the destination never moved
            return
        }
        if case .failure(let e) = sys.rename(backup.at, dst.at) {
            reporter.error(CopyError(.unbackup, dst.path, errno: e, syscall: .rename))
        } else {
            reporter.unbackedUp(backup.path, to: dst.path)
        }
    }

    /// Opens both ends, moves the data with the strategy selector, applies metadata to the
    /// open descriptor, and closes. A destination this call created is removed again when the
    /// copy fails, so a failed copy never leaves a short file behind; one overwritten in place
    /// is reported as possibly incomplete. Under --atomic the data goes to a hidden file beside
    /// the destination that is renamed over it only when everything succeeded.
    /// `in parent`: the directory being copied that holds it, when the walker knows it (its
    /// device, and whether new files there can inherit an ACL).
    func copyRegularFile(_ job: FileJob, record: inout FileRecord, worker: Worker) -> CopyError? {
        let src = job.source, dst = job.dest, follow = job.follow, existing = job.existing, parent = job.parent
        // A name lstat saw as a file must still be one: never follow a symlink swapped in since.
        let noFollow = follow ? 0 : O_NOFOLLOW
        let srcFd: Int32
        switch retryingEINTR({ sys.open(src.at, O_RDONLY | noFollow, 0) }) {
        case .failure(let e): return CopyError(.openForReading, src.path, errno: e, syscall: .open)
        case .success(let fd): srcFd = fd
        }
        defer { _ = sys.close(srcFd) }
        let st: FileStat
        switch sys.fstat(srcFd) {
        case .failure(let e): return CopyError(.fstat, src.path, errno: e, syscall: .fstat)
        case .success(let s): st = s
        }
        record.size = st.kind == .file ? st.size : 0
        // Advice only (a refusal changes nothing), and only where readahead has room to act.
        if st.kind == .file && st.size > Int64(Worker.bufferSize) { _ = sys.adviseSequential(srcFd) }

        // --atomic replaces a regular file (or makes a new one); a device, FIFO or socket at
        // the name is written into, as without it (and as GNU does), never replaced.
        let atomic = options.atomic && !options.attributesOnly && (existing.map { $0.kind == .file } ?? true)
        var created = false
        var dstFd: Int32 = -1
        var target = dst  // where the bytes go: the destination, or the temporary beside it
        // --verify reads the copy back, --resume its prefix.
        let access = (options.verify || options.resume) && !options.attributesOnly ? O_RDWR : O_WRONLY
        var resumeAt: Int64 = 0
        worker.hashing = false
        if options.resume && !options.attributesOnly && st.kind == .file {
            switch resumePoint(job, st: st, srcFd: srcFd, atomic: atomic, worker: worker, record: &record) {
            case .failure(let e): return e
            case .success(nil): break
            case .success(let point?):
                dstFd = point.fd
                target = point.target
                resumeAt = point.at
                created = atomic  // a temporary of ours: removed again if this copy fails
            }
        }
        if dstFd < 0 && existing != nil && !atomic {
            // --attributes-only leaves existing data alone.
            let truncate = options.attributesOnly ? 0 : O_TRUNC
            // --verify and --resume read the copy too: a copy its owner may only write (or
            // only read) is opened as one it may do both with, as plain copying opens it.
            var reopened = retryingEINTR({ sys.open(dst.at, access | truncate, 0) })
            if access == O_RDWR, case .failure(.EACCES) = reopened { reopened = openOwned(dst.at, follow: true, extra: truncate) }
            switch reopened {
            case .success(let fd): dstFd = fd
            case .failure(let e):
                guard options.force else { return CopyError(.openForWriting, dst.path, errno: e, syscall: .open) }
                if let e = remove(dst) { return e }
            }
        }
        // A new file in a tree whose source this user owns already has the source's owner
        // and group when it is made (its directory is not set-group-ID), and, made with the
        // source's permission bits less the umask in a directory without a default ACL, the
        // mode it will keep: no chown, and no chmod when that mode is the one wanted.
        let madeAsSource =
            options.preserve.ownership && !options.defaultModes && !atomic
            && st.uid == euid && st.gid == egid && parent?.hasDefaultACL == false
            && parent.map { !$0.destinationIsSetGID } ?? false
        var madeMode: UInt32? = nil
        // If a second stop signal cuts the winding-down short, the handler removes what this
        // copy made (--partial keeps it). A name is registered as it is made: the handler
        // waits for a creation under way (zcp_creation_begin).
        var cleanupSlot: UnsafeMutableRawPointer? = nil
        defer { zcp_cleanup_clear(cleanupSlot) }
        func registerCleanup() {
            if !options.partial { cleanupSlot = target.at.name.withCString { zcp_cleanup_register(target.at.dir, $0) } }
        }
        if dstFd < 0 {
            // Never readable by more people than the source while the data moves.
            var mode = options.defaultModes ? 0o666 : st.permissions & 0o777
            if options.preserve.ownership && !madeAsSource { mode &= 0o700 }
            // A temporary that replaces a file is no more open than that file while it fills.
            if atomic, let old = existing { mode &= old.permissions | ~0o777 }
            if madeAsSource { madeMode = mode & ~umask }
            var opened: SysResult<Int32>
            zcp_creation_begin()
            if atomic {
                let leaf = dst.at.name.lastComponent.bytes
                // Marked as zcp's own before it has a name: a kill never leaves it unmarked.
                switch Sibling.create(
                    beside: dst, name: { Sibling.temporaryName(for: leaf) }, access: access,
                    mode: mode, sys: sys, prepare: { markTemporary($0, source: st) })
                {
                case .success(let made):
                    target = made.node
                    opened = .success(made.fd)
                case .failure(let e):
                    target = Sibling.node(beside: dst, leaf: Sibling.temporaryName(for: leaf))
                    opened = .failure(e)
                }
            } else {
                opened = retryingEINTR({ sys.open(target.at, access | O_CREAT | O_EXCL, mode) })
            }
            if case .success = opened { registerCleanup() }
            zcp_creation_end()
            switch opened {
            case .failure(.EEXIST) where !atomic && isSymlink(dst):
                // A symlink that leads nowhere: GNU does not write through it, unless
                // POSIXLY_CORRECT asks for its target to be made.
                guard getenv("POSIXLY_CORRECT") != nil else { return CopyError(.danglingDestination, dst.path) }
                switch retryingEINTR({ sys.open(dst.at, access | O_CREAT, mode) }) {
                case .failure(let e): return CopyError(.create(.file), dst.path, errno: e, syscall: .open)
                case .success(let fd): dstFd = fd
                }
            case .failure(let e):
                // "name/" names a directory that is not there: say so as GNU does.
                let why = e == .EISDIR && dst.path.hasTrailingSlash ? Errno.ENOTDIR : e
                return CopyError(.create(.file), target.path, errno: why, syscall: .open)
            case .success(let fd):
                dstFd = fd
                created = true
            }
        }
        if created && cleanupSlot == nil { registerCleanup() }  // a temporary --resume took up

        var io = CopyIO(src: srcFd, dst: dstFd, worker: worker)
        if let device = parent?.dstID?.dev { io.devices = (st.dev, device) }
        if let d = existing, !atomic, [.fifo, .char, .block, .socket].contains(d.kind) { io.destinationIsStream = true }
        if options.verify && !options.attributesOnly {
            // read_write hashes the source on the way (a resumed copy's digest goes on from
            // the prefix --resume hashed).
            if resumeAt == 0 { worker.sourceHash.reset() }
            worker.hashing = true
        }
        var failure =
            options.attributesOnly
            ? nil
            : selector.copyData(
                io, stat: st, record: &record, unshared: mustStayUnshared(dstFd),
                from: resumeAt, inOrder: options.partial || options.resume)
        if failure == nil && st.kind == .file && !options.attributesOnly {
            noteChanges(src, st, fd: srcFd, follow: follow, record: &record)
        }
        if failure == nil && options.verify && !options.attributesOnly {
            failure = verify(srcFd: srcFd, st: st, dstFd: dstFd, job: job, worker: worker, record: &record)
        }
        worker.hashing = false
        if let f = failure, options.partial, !f.isMetadata, !f.isVerifyMismatch, created || existing != nil,
            record.reached > 0 || !created, !options.attributesOnly
        {
            // What arrived stays, cut to the prefix of the source it is, which --resume takes up.
            _ = retryingEINTR({ sys.ftruncate(dstFd, record.reached) })
            failure?.keptPartial = CopyError.KeptPartial(path: target.path, bytes: record.reached, of: st.size)
        }
        if failure == nil {
            let asMade = created && madeMode != nil
            failure = Metadata(context: self).apply(
                st, to: .descriptor(source: srcFd, copy: dstFd), path: dst.path,
                isNew: created && !atomic, created: asMade ? madeMode : nil,
                inheritsNoACL: parent?.hasDefaultACL == false,
                record: &record, replacing: atomic ? existing : nil,
                owned: atomic ? nil : existing, ownerAsSource: asMade)
        }
        if failure == nil && options.fsync, case .failure(let e) = retryingEINTR({ sys.fsync(dstFd) }) {
            failure = CopyError(.sync, dst.path, errno: e, syscall: .fsync)
        }
        if case .failure(let e) = sys.close(dstFd), failure == nil {
            failure = CopyError(.close, dst.path, errno: e, syscall: .close)
        }
        if atomic {
            if failure == nil, case .failure(let e) = sys.rename(target.at, dst.at) {
                failure = CopyError(.atomicRename, target.path, dst.path, errno: e, syscall: .rename)
            }
            if failure != nil && failure?.keptPartial == nil {
                _ = sys.unlink(target.at)  // all or nothing: the old destination stays as it was
            } else if failure == nil {
                // The mark goes only once the copy has its name: a kill before leaves a marked
                // temporary (--resume's), after, at worst a stray attribute on a whole copy.
                unmarkTemporary(dst.at)
                if options.fsync { failure = syncDirectory(of: dst) }
            }
        } else if let failure, created, !failure.isMetadata, failure.keptPartial == nil {
            _ = sys.unlink(dst.at)
        }
        if var f = failure, existing != nil, !created, !f.isMetadata, !options.attributesOnly, f.keptPartial == nil {
            f.incompleteDestination = dst.path
            failure = f
        }
        return failure
    }

    /// --atomic --fsync: the rename itself must reach the disk too.
    private func syncDirectory(of dst: Node) -> CopyError? {
        let dirAt = dst.at.directory
        switch sys.open(dirAt, O_RDONLY | O_DIRECTORY, 0) {
        case .failure(let e): return CopyError(.sync, dirAt.name, errno: e, syscall: .open)
        case .success(let fd):
            defer { _ = sys.close(fd) }
            if case .failure(let e) = retryingEINTR({ sys.fsync(fd) }) {
                return CopyError(.sync, dirAt.name, errno: e, syscall: .fsync)
            }
            return nil
        }
    }

    /// The copy holds exactly what was read; the source's size, times or name changing
    /// meanwhile means it may not be a consistent picture of the file (warned, exit 1).
    private func noteChanges(_ src: Node, _ st: FileStat, fd: Int32, follow: Bool, record: inout FileRecord) {
        if case .success(let now) = sys.fstat(fd), !now.looksUnchanged(since: st) { record.sourceChanged = true }
        if case .success(let named) = sys.stat(src.at, follow),
            !named.isSameFile(as: st)
        {
            record.sourceChanged = true  // replaced under its name while we read the old one
        }
    }

    /// Under --reflink=never, copy_file_range must not run where it may clone extents.
    private func mustStayUnshared(_ dstFd: Int32) -> Bool {
        guard options.reflink == .never, selector.chain.contains(.copyFileRange) else { return false }
        guard case .success(let type) = sys.fsType(dstFd) else { return true }
        return FilesystemMagic.mayCloneInCopyFileRange(type)
    }
}
