import CZcp
import Glibc
import Synchronization

/// A directory being copied: both ends held open (every entry is reached relative to them),
/// and a count of what is still under way inside it. When the count reaches zero its own
/// metadata is applied, it is reported, and its parent is told.
///
/// `@unchecked Sendable`: pool jobs hold their directory to tell it they are done. The
/// count and the outcome are a Mutex's; the descriptors change only on the
/// walker while no job of the directory is queued or running (it drains the pool first);
/// everything else is set before the first job is queued.
final class DirectoryTask: @unchecked Sendable {
    let src: Node
    let dst: Node
    let st: FileStat
    /// Closed (-1) while a deep descendant is walked and the fd budget is spent ("parked").
    var srcFd: Int32
    var dstFd: Int32
    /// The copy's identity, to check a reopened descriptor against.
    var dstID: Walker.FileID? = nil
    /// The mode a directory this run made came out with.
    var createdMode: UInt32? = nil
    /// The directory that was there already, as the policy saw it (nil: made by this run).
    var existing: FileStat? = nil
    /// What is made in the copy takes the directory's group (set-group-ID), not the maker's.
    var destinationIsSetGID: Bool {
        let setGID: UInt32 = 0o2000  // S_ISGID
        return ((existing?.permissions ?? createdMode ?? setGID) & setGID) != 0
    }
    /// --atomic --resume: the temporaries earlier runs left here, by the name they were for.
    /// Read by the walker before the directory's files are queued; only read after.
    var leftovers: [Path: [Path]] = [:]
    /// Whether the copy has a default ACL while its contents arrive (what is made in it
    /// inherits one); asked only when -a could skip the ACL step for what has none.
    var hasDefaultACL = true
    let depth: Int
    /// The path below the operand's top ("" for the operand), which --exclude matches (kept
    /// only when there are patterns: a path a level costs the depth squared in memory).
    let relative: [UInt8]
    var parked = false
    /// Made by this run (so it holds nothing this run did not put there).
    let isNew: Bool
    let parent: DirectoryTask?
    let started = zcp_monotonic_ns()
    let record: FileRecord
    /// The walker's count of directories holding descriptors.
    let open: Counter
    /// The walker's own hold, plus one per queued file and per subdirectory not yet finished;
    /// and whether everything inside went well.
    private let progress = Mutex<(pending: Int, ok: Bool)>((1, true))

    init(
        src: Node, dst: Node, st: FileStat, srcFd: Int32, dstFd: Int32, isNew: Bool,
        parent: DirectoryTask?, record: FileRecord, open: Counter, excluding: Bool
    ) {
        self.src = src
        self.dst = dst
        self.st = st
        self.srcFd = srcFd
        self.dstFd = dstFd
        self.isNew = isNew
        self.parent = parent
        self.record = record
        self.open = open
        depth = (parent?.depth ?? 0) + 1
        relative = excluding ? parent.map { ExcludeList.path($0.relative, src.path.lastComponent) } ?? [] : []
    }

    /// One more thing inside is under way.
    func retain() { progress.withLock { $0.pending += 1 } }

    /// One thing inside is done; true for the last one.
    func settle(ok done: Bool) -> Bool {
        progress.withLock {
            if !done { $0.ok = false }
            $0.pending -= 1
            return $0.pending == 0
        }
    }

    /// Whether everything inside was copied (read once the last one is done).
    var allOK: Bool { progress.withLock { $0.ok } }
}

/// A directory the walk is in: what is left of its entries. Owned by the walker's loop.
struct DirectoryWalk {
    let task: DirectoryTask
    let entries: [DirectoryEntry]
    var next = 0
    let top: (src: Path, dst: Path)
}

extension Walker {
    /// Makes the copy of a directory and opens both ends; its entries are copied by the walk's
    /// loop (`walk`), which this leaves the directory to in `entered`. The copy is made
    /// writable for its owner while its contents arrive; its own metadata is applied after
    /// them. Entries are opened relative to the two directories' descriptors, without
    /// following symlinks.
    /// `existing`: the directory already at the destination (the policy looked), or nil.
    func copyDirectory(
        _ src: Node, _ lst: FileStat, to dst: Node, existing: FileStat?, top: (src: Path, dst: Path),
        parent: DirectoryTask?, follow: Bool
    ) {
        // GNU's table of copied inodes: a command-line directory is entered in it, any other
        // looked up. Met again, a directory is this run's own copy (the operand is being
        // copied into itself), or another name of one copied already.
        let id = FileID(lst)
        let earlier: Path?
        if parent == nil {
            earlier = copiedTo[id]
            if earlier == nil { copiedTo[id] = dst.path }
        } else {
            earlier = copiedTo[id]
        }
        if let earlier {
            // GNU's order: the source is the copy (into itself), then the destination is
            // (one directory named twice, at any depth: copied once, with a warning).
            if isSameEntry(src, Node.operand(earlier)) {
                operandAbandoned = true  // going on would copy the copy again, as GNU stops
                fail(CopyError(.intoItself, top.src, top.dst), src, dst, kind: .dir); return
            } else if earlier == dst.path || isSameEntry(dst, Node.operand(earlier)) {
                reporter.message("warning: source directory \(quoted(top.src)) specified more than once")
                return
            } else if !follow {
                // Reached without following a symlink: a second name of one directory.
                fail(CopyError(.hardLinkToDirectory, dst.path, earlier), src, dst, kind: .dir); return
            }
        }
        // Only a followed symlink leads back up (a walk of any depth under -P looks at no
        // ancestors: that would cost the depth for every directory).
        var ancestor = follow ? parent : nil
        while let a = ancestor {
            if a.st.isSameFile(as: lst) {
                // A symlink followed (-L) back to a directory being copied.
                fail(CopyError(.cyclicSymlink, src.path), src, dst, kind: .dir); return
            }
            ancestor = a.parent
        }
        if startedPool != nil && destinationDirectories.contains(id) {
            // A directory this run copies into, met as a source (a tree copied into its own
            // subdirectory): the files queued for it arrive first, so that its copy is made,
            // and its entries listed and ordered, as when one thread copies in the walk's order.
            startedPool?.drain()
        }
        let dstFollow = existing != nil && options.keepDirectorySymlink
        if openDirectories.value >= openDirectoryBudget {
            startedPool?.drain()  // directories waiting for queued files let go of their descriptors
        }
        let srcFd: Int32
        switch retryingEINTR({ sys.open(src.at, O_RDONLY | O_DIRECTORY | (follow ? 0 : O_NOFOLLOW), 0) }) {
        case .failure(let e): fail(CopyError(.readDirectory, src.path, errno: e, syscall: .open), src, dst, kind: .dir); return
        case .success(let fd): srcFd = fd
        }
        var st = lst
        if case .success(let now) = sys.fstat(srcFd) { st = now }
        var record = FileRecord(source: src.path, dest: dst.path, kind: .dir)
        if existing == nil {
            let mode = Metadata.directoryCreationMode(st, preserveOwnership: options.preserve.ownership)
            if case .failure(let e) = sys.mkdir(dst.at, mode) {
                _ = sys.close(srcFd)
                fail(CopyError(.mkdir, dst.path, errno: e, syscall: .mkdir), src, dst, kind: .dir); return
            }
        } else {
            record.quiet = true  // GNU tells only of directories it makes
        }
        let dstFd: Int32
        switch retryingEINTR({ sys.open(dst.at, O_RDONLY | O_DIRECTORY | (dstFollow ? 0 : O_NOFOLLOW), 0) }) {
        case .failure(let e):
            _ = sys.close(srcFd)
            fail(CopyError(.readDirectory, dst.path, errno: e, syscall: .open), src, dst, kind: .dir); return
        case .success(let fd): dstFd = fd
        }
        var dstID: FileID? = nil
        var createdMode: UInt32? = nil
        if case .success(let made) = sys.fstat(dstFd) {
            dstID = FileID(made)
            if jobs > 1 { destinationDirectories.insert(FileID(made)) }
            if existing == nil {
                copiedTo[FileID(made)] = dst.path
                createdMode = made.permissions
            }
        }
        reporter.announce(record)

        let task = DirectoryTask(
            src: src, dst: dst, st: st, srcFd: srcFd, dstFd: dstFd,
            isNew: existing == nil, parent: parent, record: record, open: openDirectories,
            excluding: !options.excludes.isEmpty)
        task.dstID = dstID
        task.existing = existing
        task.createdMode = createdMode
        if options.resume && options.atomic && existing != nil { task.leftovers = context.leftoverTemporaries(in: dstFd) }
        if options.preserve.mode && options.preserve.xattr, case .success(let names) = sys.listXattrs(.fd(dstFd)) {
            task.hasDefaultACL = names.contains(XattrCopier.defaultACL)
        }
        var listing: SysResult<[DirectoryEntry]>? = nil
        if walksByPath {
            // Listed now, and both let go: what is inside is reached by path.
            listing = sys.readDirectory(srcFd)
            _ = sys.close(srcFd)
            _ = sys.close(dstFd)
            task.srcFd = At.workingDirectory
            task.dstFd = At.workingDirectory
        }
        openDirectories.add(1)
        parent?.retain()
        if let parent, !walksByPath, task.depth > openDirectoryBudget {
            // Deeper than the descriptors allow: the parent lets go of its two until this
            // directory's walk is done, then they are found again through "..".
            startedPool?.drain()
            _ = sys.close(parent.srcFd)
            _ = sys.close(parent.dstFd)
            parent.srcFd = -1
            parent.dstFd = -1
            parent.parked = true
        }
        if parent == nil { topDevice = st.dev }
        if options.oneFileSystem && st.dev != topDevice {
            // -x: the mount point is copied, not what is mounted on it.
            walked(task, ok: true)
            return
        }
        switch listing ?? sys.readDirectory(srcFd) {
        case .failure(let e):
            context.fail(
                CopyError(.readDirectory, src.path, errno: e, syscall: .readdir), source: src.path, dest: dst.path, kind: .dir)
            walked(task, ok: false)
        case .success(let list):
            // Entered by the walk's loop (`walk`), not by a call per level.
            entered = DirectoryWalk(task: task, entries: list.sorted(by: { $0.ino < $1.ino }), top: top)  // disk order on ext4
        }
    }

    /// The walk of a tree: one loop over a stack of directories being walked, each step
    /// copying one entry of the innermost or, past its last, finishing it. Entering and
    /// leaving a directory are steps of this loop, so a tree of any depth needs no more
    /// stack than a flat one; memory and descriptors (parked as needed) bound the depth.
    func walk(_ first: DirectoryWalk) {
        var stack = [first]
        while !stack.isEmpty {
            let i = stack.count - 1
            let task = stack[i].task
            // A stop signal, or an operand that must be given up, ends every walk under way.
            if stopSignal == nil && !operandAbandoned && stack[i].next < stack[i].entries.count {
                let entry = stack[i].entries[stack[i].next]
                stack[i].next += 1
                if !options.excludes.isEmpty && excluded(entry, in: task) { continue }
                // The task's descriptors, not the ones it was opened with: a parked directory
                // gets new ones back.
                copyObject(
                    task.src.child(entry.name, in: task.srcFd), to: task.dst.child(entry.name, in: task.dstFd),
                    top: stack[i].top, parent: task)
                if let child = entered {
                    entered = nil
                    stack.append(child)
                }
            } else {
                stack.removeLast()
                walked(task, ok: true)
            }
        }
    }

    /// The walk of a directory is over: a parked parent gets its descriptors back first
    /// (through this directory's, still open while the walker holds it).
    private func walked(_ task: DirectoryTask, ok: Bool) {
        if let parent = task.parent, parent.parked {
            // Let this directory's queued files finish, so it closes as soon as released.
            startedPool?.drain()
            reopen(parent, from: task)
        }
        context.release(task, ok: ok)
    }

    /// Whether an --exclude pattern leaves this entry out (--debug says so).
    private func excluded(_ entry: DirectoryEntry, in task: DirectoryTask) -> Bool {
        let follow = options.effectiveDereference == .always
        guard
            options.excludes.excludes(
                entry, at: ExcludeList.path(task.relative, entry.name), follow: follow,
                stat: { try? sys.stat(task.src.child(entry.name, in: task.srcFd).at, follow).get() })
        else { return false }
        reporter.excluded(task.src.path.appending(entry.name))
        return true
    }

    /// Gives a parked directory its descriptors back, through ".." of its child, checking
    /// that they are the same directories (a moved or replaced one stops its walk).
    private func reopen(_ parent: DirectoryTask, from child: DirectoryTask) {
        parent.parked = false
        let up = Path("..")
        let flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW
        if case .success(let fd) = sys.open(At(child.srcFd, up), flags, 0) {
            if case .success(let s) = sys.fstat(fd), s.isSameFile(as: parent.st) { parent.srcFd = fd } else { _ = sys.close(fd) }
        }
        if case .success(let fd) = sys.open(At(child.dstFd, up), flags, 0) {
            if case .success(let s) = sys.fstat(fd), FileID(s) == parent.dstID { parent.dstFd = fd } else { _ = sys.close(fd) }
        }
        if parent.srcFd < 0 || parent.dstFd < 0 {
            context.fail(
                CopyError(.readDirectory, parent.srcFd < 0 ? parent.src.path : parent.dst.path, errno: .ENOENT, syscall: .open),
                source: parent.src.path, dest: parent.dst.path, kind: .dir)
            operandAbandoned = true  // its directories are no longer where they were
        }
    }

}

extension RunContext {
    /// One thing inside `task` is done. The last one finishes the directory: its metadata,
    /// its report, its descriptors, and then its parent's count. Runs on the walker or on the
    /// pool thread that finished the last file inside.
    func release(_ task: DirectoryTask, ok: Bool) {
        // Up the ancestors in a loop: each one whose last pending thing this was finishes too.
        var next: DirectoryTask? = task
        var ok = ok
        while let task = next, task.settle(ok: ok) {
            ok = finish(task)
            next = task.parent
        }
    }

    /// Finishes a directory whose contents are all done; whether it and they went well.
    private func finish(_ task: DirectoryTask) -> Bool {
        var record = task.record
        let byPath = task.srcFd == At.workingDirectory
        let target: MetadataTarget =
            byPath
            ? .name(source: task.src.at, copy: task.dst.at)
            : .descriptor(source: task.srcFd, copy: task.dstFd)
        record.error = Metadata(context: self).apply(
            task.st, to: target,
            path: task.dst.path, isNew: task.isNew, created: task.createdMode,
            inheritsNoACL: task.parent?.hasDefaultACL == false,
            record: &record, owned: task.existing)
        if task.srcFd >= 0 { _ = sys.close(task.srcFd) }
        if task.dstFd >= 0 { _ = sys.close(task.dstFd) }
        task.open.add(-1)
        let failed = record.error != nil
        finish(&record, started: task.started, announced: true)
        return !failed && task.allOK
    }
}

extension Walker {
    /// A directory --parents made or found on the way to a source: its attributes are
    /// applied after the source is copied (so its times survive the copy).
    struct ParentDirectory {
        var src: Path, dst: Path, st: FileStat, created: UInt32?
    }

    /// --parents: makes the directories of `source` under `directory` as copies of the source's
    /// own (GNU prints them with -v as `a -> d/a`). Returns them, or nil after telling why not.
    /// --files-from: `source` is a listed name below `root` (SOURCE), and every directory on
    /// its way is returned, made or found (`always`), so that each one's times are set again
    /// once the list is copied.
    func makeParents(of source: Path, under directory: Path, root: Path? = nil, always: Bool = false)
        -> [ParentDirectory]?
    {
        var components = source.bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map {
            Path(bytes: Array($0))
        }
        guard !components.isEmpty else { return [] }
        components.removeLast()
        guard !components.isEmpty else { return [] }
        // As GNU: when the destination's parent is there already, nothing on the way is made
        // or brought in line; otherwise every directory on the way is.
        let whole = components.reduce(directory) { $0.appending($1) }
        switch sys.stat(At(whole), true) {
        case .success(let d) where d.isDirectory: if !always { return [] }
        case .success:
            context.fail(CopyError(.existsNotDirectory, whole), source: source, dest: whole)
            return nil
        case .failure: break
        }
        var srcPrefix = root ?? (source.bytes.first == UInt8(ascii: "/") ? Path("/") : Path(""))
        var dstPrefix = directory
        var made: [ParentDirectory] = []
        for component in components {
            srcPrefix = srcPrefix.appending(component)
            dstPrefix = dstPrefix.appending(component)
            let st: FileStat
            switch sys.stat(At(srcPrefix), true) {
            case .success(let s) where s.isDirectory: st = s
            case .success:
                context.fail(
                    CopyError(.getAttributes, srcPrefix, errno: .ENOTDIR, syscall: .stat), source: source, dest: dstPrefix)
                return nil
            case .failure(let e):
                context.fail(CopyError(.getAttributes, srcPrefix, errno: e, syscall: .stat), source: source, dest: dstPrefix)
                return nil
            }
            switch sys.stat(At(dstPrefix), true) {
            case .success(let d) where d.isDirectory:
                made.append(ParentDirectory(src: srcPrefix, dst: dstPrefix, st: st, created: nil))
                continue
            case .success:
                context.fail(CopyError(.existsNotDirectory, dstPrefix), source: source, dest: dstPrefix)
                return nil
            case .failure: break
            }
            // Without the mode kept, no set-id or sticky bit from the source (GNU's --parents).
            let mode =
                Metadata.directoryCreationMode(st, preserveOwnership: options.preserve.ownership)
                & (options.preserve.mode ? 0o7777 : 0o777)
            if case .failure(let e) = sys.mkdir(At(dstPrefix), mode) {
                // Another copy running beside this one (GNU parallel's jobs, fpsync's) made it
                // meanwhile: it is there, as if found.
                if e == .EEXIST, case .success(let d) = sys.stat(At(dstPrefix), true), d.isDirectory {
                    made.append(ParentDirectory(src: srcPrefix, dst: dstPrefix, st: st, created: nil))
                    continue
                }
                context.fail(CopyError(.makeParent, dstPrefix, errno: e, syscall: .mkdir), source: source, dest: dstPrefix)
                return nil
            }
            var created = mode & ~context.umask
            if case .success(let d) = sys.stat(At(dstPrefix), true) { created = d.permissions }
            if options.verbose { reporter.plain("\(srcPrefix) -> \(dstPrefix)") }
            made.append(ParentDirectory(src: srcPrefix, dst: dstPrefix, st: st, created: created))
        }
        return made
    }

    /// After the copy: the attributes of the directories --parents made, and, when any are
    /// preserved, of those it found (GNU brings them in line too), innermost first: mode,
    /// owner, times and ACLs, not other extended attributes (GNU's re_protect), on the
    /// directory itself even where the name on the way is a symlink to it ("name/.").
    func finishParents(_ parents: [ParentDirectory]) {
        let preserving =
            options.preserve.mode || options.preserve.ownership || options.preserve.timestamps
            || options.preserve.xattr
        for parent in parents.reversed() where parent.created != nil || preserving {
            var record = FileRecord(source: parent.src, dest: parent.dst, kind: .dir)
            record.quiet = true
            let target = MetadataTarget.name(source: At(parent.src), copy: At(parent.dst.appending(Path("."))))
            if let e = Metadata(context: context).apply(
                parent.st, to: target, path: parent.dst, isNew: parent.created != nil,
                created: parent.created, record: &record, xattrs: false)
            {
                context.fail(e, source: parent.src, dest: parent.dst, kind: .dir)
            }
        }
    }
}
