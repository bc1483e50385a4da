import CZcp
import Glibc

/// What one file's copy keeps while it runs, beside the thread's reusable buffer and pipe:
/// whether read_write hashes the source on the way (--verify) and the two digests, the zeros
/// left as holes (--sparse=always), and what --nocache does to the page cache. Made for each
/// file, so nothing of one file's copy is left over for the next on the same thread.
final class FileState {
    /// read_write feeds `sourceHash` with what it reads of this file.
    var hashing = false
    /// --verify and --resume: the source's digest (fed on the way when `hashing`) and the copy's.
    lazy var sourceHash = Hasher()
    lazy var copyHash = Hasher()
    /// Bytes of zeros left as holes (--sparse=always).
    var zeroBytesSkipped: Int64 = 0
    /// --nocache: what the copy does to the page cache (set by the selector).
    var cache: CacheKeeper? = nil
}

/// The copy of one regular file (or, with --copy-contents, of what a FIFO or device reads
/// as) on the thread that runs it: the job, the run's context, the thread's worker and the
/// file's own state.
struct RegularFileCopy {
    let context: RunContext
    let job: FileJob
    let worker: Worker
    let state = FileState()

    private var options: Options { context.options }
    private var sys: Syscalls { context.sys }

    /// Opens both ends, moves the data with the strategy selector, applies metadata to the
    /// open descriptor, and closes. A destination this call created is removed again when the
    /// copy fails, so a failed copy never leaves a short file behind; one overwritten in place
    /// is reported as possibly incomplete. Under --atomic the data goes to a hidden file beside
    /// the destination that is renamed over it only when everything succeeded. The job's
    /// parent, the directory being copied that holds the file when the walker knows it, gives
    /// its device and whether new files there can inherit an ACL.
    func run(record: inout FileRecord) -> CopyError? {
        let src = job.source, dst = job.dest, follow = job.follow, existing = job.existing, parent = job.parent
        let atomicRequested = options.atomic && !options.attributesOnly && (existing.map { $0.kind == .file } ?? true)
        // --link-dest decides on the walker's lstat and links an unchanged file without
        // opening it (--checksum reads it, so it opens it first).
        var early: SnapshotPlan.Choice? = nil
        if let plan = context.snapshot, let seen = job.stat, seen.kind == .file, !follow, !plan.checksum,
            let rel = plan.relativeName(of: dst.path)
        {
            let choice = plan.decide(
                rel: rel, st: seen, source: .path(src.at.fullName), srcFd: -1, sys: sys, buffer: { worker.hashBuffer },
                size: Worker.hashBufferSize)
            early = choice
            if case .use(let i) = choice, plan.kind == .link {
                if let done = link(to: plan.dirs[i], rel, st: seen, srcFd: -1, atomic: atomicRequested, record: &record) {
                    return done
                }
                early = .copy(reason: record.snapshot?.reason ?? "")
            }
        }
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
        let atomic = atomicRequested

        // --link-dest / --reflink-dest: the file in an earlier snapshot this copy may become.
        var cloneFrom: Int32 = -1
        defer { if cloneFrom >= 0 { _ = sys.close(cloneFrom) } }
        if let plan = context.snapshot, st.kind == .file, let rel = plan.relativeName(of: dst.path) {
            let choice =
                early
                ?? plan.decide(
                    rel: rel, st: st, source: .fd(srcFd), srcFd: srcFd, sys: sys, buffer: { worker.hashBuffer },
                    size: Worker.hashBufferSize)
            switch choice {
            case .copy(let reason):
                if record.snapshot == nil { record.snapshot = SnapshotOutcome(action: .copied, reason: reason) }
            case .use(let i) where plan.kind == .link:
                if let done = link(to: plan.dirs[i], rel, st: st, srcFd: srcFd, atomic: atomic, record: &record) {
                    return done
                }
            case .use(let i):
                switch sys.open(At(plan.dirs[i].fd, rel), O_RDONLY | O_NOFOLLOW, 0) {
                case .success(let fd):
                    cloneFrom = fd
                    record.snapshot = SnapshotOutcome(action: .reflinked, reason: "unchanged", dir: plan.dirs[i].name)
                case .failure(let e): record.snapshot = SnapshotOutcome(action: .copied, reason: e.name)
                }
            }
        }
        var created = false
        var dstFd: Int32 = -1
        var target = dst  // where the bytes go: the destination, or the temporary beside it
        // --verify reads the copy back, --resume its prefix.
        let access =
            (options.verify || options.resume || context.manifest != nil) && !options.attributesOnly ? O_RDWR : O_WRONLY
        var resumeAt: Int64 = 0
        if options.resume && !options.attributesOnly && st.kind == .file {
            switch context.resumePoint(job, st: st, srcFd: srcFd, atomic: atomic, worker: worker, state: state, record: &record) {
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
            if access == O_RDWR, case .failure(.EACCES) = reopened {
                reopened = context.openOwned(dst.at, follow: true, extra: truncate)
            }
            switch reopened {
            case .success(let fd): dstFd = fd
            case .failure(let e):
                guard options.force else { return CopyError(.openForWriting, dst.path, errno: e, syscall: .open) }
                if let e = context.remove(dst) { return e }
            }
        }
        // A new file in a tree whose source this user owns already has the source's owner
        // and group when it is made (its directory is not set-group-ID), and, made with the
        // source's permission bits less the context.umask in a directory without a default ACL, the
        // mode it will keep: no chown, and no chmod when that mode is the one wanted.
        let madeAsSource =
            options.preserve.ownership && !options.defaultModes && !atomic
            && st.uid == context.euid && st.gid == context.egid && parent?.hasDefaultACL == false
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
            if madeAsSource { madeMode = mode & ~context.umask }
            var opened: SysResult<Int32>
            zcp_creation_begin()
            if atomic {
                let leaf = dst.at.name.lastComponent.bytes
                // Marked as zcp's own before it has a name: a kill never leaves it unmarked.
                switch Sibling.create(
                    beside: dst, name: { Sibling.temporaryName(for: leaf) }, access: access,
                    mode: mode, sys: sys, prepare: { context.markTemporary($0, source: st) })
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
            case .failure(.EEXIST) where !atomic && context.isSymlink(dst):
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

        var io = CopyIO(src: srcFd, dst: dstFd, worker: worker, file: state)
        if let device = parent?.dstID?.dev { io.devices = (st.dev, device) }
        if let d = existing, !atomic, [.fifo, .char, .block, .socket].contains(d.kind) { io.destinationIsStream = true }
        if options.verify && !options.attributesOnly {
            // read_write hashes the source on the way (a resumed copy's digest goes on from
            // the prefix --resume hashed; a prefix that did not match is forgotten).
            if resumeAt == 0 { state.sourceHash.reset() }
            state.hashing = true
        }
        var cloned = false
        if cloneFrom >= 0 {
            // The earlier snapshot's data, shared: the source's attributes follow below.
            switch sys.ficlone(dstFd, cloneFrom) {
            case .success:
                cloned = true
                record.reflink = .yes
                record.reached = st.size
                record.add(st.allocatedBytes, by: .reflink)
                zcp_progress_add(st.allocatedBytes)
            case .failure(let e):
                record.snapshot = SnapshotOutcome(action: .copied, reason: e.name)
            }
        }
        // --manifest: a large source is hashed alongside the copy.
        let hashing =
            context.manifest != nil && !cloned && resumeAt == 0 && !options.attributesOnly
                && !(options.verify && context.manifest?.hash == .xxh128)
            ? context.manifest?.startAlongside(srcFd, st: st, sys: sys) : nil
        var failure =
            options.attributesOnly || cloned
            ? nil
            : context.selector.copyData(
                io, stat: st, record: &record, unshared: mustStayUnshared(dstFd),
                from: resumeAt, inOrder: options.partial || options.resume)
        if failure == nil && st.kind == .file && !options.attributesOnly && !cloned {
            // (A clone's data came from the earlier snapshot, not from this read.)
            noteChanges(src, st, fd: srcFd, follow: follow, record: &record)
        }
        if failure == nil && options.verify && !options.attributesOnly {
            failure = context.verify(srcFd: srcFd, st: st, dstFd: dstFd, job: job, worker: worker, state: state, record: &record)
        }
        if let (digest, done) = hashing, case .success = done(), failure == nil, !record.sourceChanged,
            digest.position == st.size
        {
            record.manifestDigest = digest.hex
        }
        if failure == nil, record.manifestDigest == nil, let manifest = context.manifest, !options.attributesOnly {
            failure = manifest.digest(of: dstFd, path: target.path, record: &record, worker: worker)
        }
        if let f = failure, options.partial, !f.isMetadata, !f.isVerifyMismatch, created || existing != nil,
            record.reached > 0 || !created, !options.attributesOnly
        {
            // What arrived stays, cut to the prefix of the source it is, which --resume takes up.
            _ = retryingEINTR({ sys.ftruncate(dstFd, record.reached) })
            failure?.keptPartial = CopyError.KeptPartial(path: target.path, bytes: record.reached, of: st.size)
        }
        if failure == nil {
            let asMade = created && madeMode != nil
            failure = Metadata(context: context).apply(
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
                context.unmarkTemporary(dst.at)
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

    /// Makes the copy a hard link to `rel` in the earlier snapshot `dir` and finishes it: the
    /// outcome, nil when the link was refused (EMLINK, a full link count; EXDEV, another
    /// filesystem): the file is then copied, and the record says why.
    private func link(
        to dir: SnapshotPlan.Dir, _ rel: Path, st: FileStat, srcFd: Int32, atomic: Bool, record: inout FileRecord
    ) -> CopyError?? {
        switch linkSnapshot(At(dir.fd, rel), atomic: atomic) {
        case .success:
            record.size = st.size
            record.snapshot = SnapshotOutcome(action: .linked, reason: "unchanged", dir: dir.name)
            zcp_progress_add(st.size)  // done, for the progress line
            return .some(finishLinked(st: st, record: &record, srcFd: srcFd))
        case .failure(let e):
            record.snapshot = SnapshotOutcome(action: .copied, reason: e.name)
            return nil
        }
    }

    /// A hard link at the destination to `old`, the unchanged file of an earlier snapshot.
    /// A name already there (an earlier run's copy, or --atomic) is replaced by a rename
    /// from a random name beside it, so it stays whole until the link takes its place.
    private func linkSnapshot(_ old: At, atomic: Bool) -> SysResult<Void> {
        let dst = job.dest
        if job.existing == nil && !atomic {
            return sys.link(old, dst.at, false)
        }
        switch Sibling.link(old, beside: dst, sys: sys) {
        case .failure(let e): return .failure(e)
        case .success(let made):
            if case .failure(let e) = sys.rename(made.at, dst.at) {
                _ = sys.unlink(made.at)
                return .failure(e)
            }
            return .success(())
        }
    }

    /// A linked file is the earlier snapshot's: nothing is written; --verify compares it
    /// with the source and --manifest reads it for its line.
    private func finishLinked(st: FileStat, record: inout FileRecord, srcFd: Int32 = -1) -> CopyError? {
        guard options.verify || context.manifest != nil else { return nil }
        let dst = job.dest
        if options.verify && srcFd < 0 {
            switch sys.open(job.source.at, O_RDONLY | O_NOFOLLOW, 0) {
            case .failure(let e): return CopyError(.openForReading, job.source.path, errno: e, syscall: .open)
            case .success(let fd):
                defer { _ = sys.close(fd) }
                return finishLinked(st: st, record: &record, srcFd: fd)
            }
        }
        let fd: Int32
        switch sys.open(dst.at, O_RDONLY | O_NOFOLLOW, 0) {
        case .failure(let e): return CopyError(.openForReading, dst.path, errno: e, syscall: .open)
        case .success(let f): fd = f
        }
        defer { _ = sys.close(fd) }
        if options.verify {
            state.sourceHash.reset()
            if let e = context.verify(srcFd: srcFd, st: st, dstFd: fd, job: job, worker: worker, state: state, record: &record) {
                return e
            }
        }
        return context.manifest?.digest(of: fd, path: dst.path, record: &record, worker: worker)
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
        guard options.reflink == .never, context.selector.chain.contains(.copyFileRange) else { return false }
        guard case .success(let type) = sys.fsType(dstFd) else { return true }
        return FilesystemMagic.mayCloneInCopyFileRange(type)
    }
}
