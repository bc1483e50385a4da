import CZcp
import Glibc

/// A directory being copied: both ends held open (every entry is reached relative to them),
/// and a count of what is still under way inside it. When the count reaches zero its own
/// metadata is applied, it is reported, and its parent is told.
final class DirectoryTask: @unchecked Sendable {
    let src: Node
    let dst: Node
    let st: FileStat
    /// Closed (-1) while a deep descendant is walked and the fd budget is spent ("parked").
    var srcFd: Int32
    var dstFd: Int32
    /// The copy's identity, to check a reopened descriptor against.
    var dstID: Copier.FileID? = nil
    /// The mode a directory this run made came out with.
    var createdMode: UInt32? = nil
    /// Whether the copy has a default ACL while its contents arrive (what is made in it
    /// inherits one); asked only when -a could skip the ACL step for what has none.
    var hasDefaultACL = true
    let depth: Int
    var parked = false
    /// Made by this run (so it holds nothing this run did not put there).
    let isNew: Bool
    let parent: DirectoryTask?
    let started = zcp_monotonic_ns()
    var record: FileRecord
    /// The walker's own hold, plus one per queued file and per subdirectory not yet finished.
    fileprivate var pending = 1
    fileprivate var ok = true

    init(src: Node, dst: Node, st: FileStat, srcFd: Int32, dstFd: Int32, isNew: Bool,
         parent: DirectoryTask?, record: FileRecord) {
        self.src = src
        self.dst = dst
        self.st = st
        self.srcFd = srcFd
        self.dstFd = dstFd
        self.isNew = isNew
        self.parent = parent
        self.record = record
        depth = (parent?.depth ?? 0) + 1
    }

    func retain(_ lock: Mutex) { lock.locked { pending += 1 } }
}

extension Copier {
    /// Copies a directory and everything below it. The copy is made writable for its owner
    /// while its contents arrive; its own metadata is applied after them. Entries are opened
    /// relative to the two directories' descriptors, without following symlinks.
    func copyDirectory(_ src: Node, _ lst: FileStat, to dst: Node, top: (src: Path, dst: Path),
                       parent: DirectoryTask?, follow: Bool) {
        if newDirectories.contains(FileID(lst)) {
            // Going on would copy the copy again: abandon this operand's whole tree, as GNU does.
            operandAbandoned = true
            fail(CopyError(.intoItself, top.src, top.dst)); return
        }
        var existing: FileStat?
        var dstFollow = false
        if parent?.isNew != true {
            switch sys.stat(dst.at, false) {
            case .success(let d): existing = d
            case .failure(.ENOENT): existing = nil
            case .failure(let e): fail(CopyError(.stat, dst.path, errno: e, syscall: .lstat)); return
            }
        }
        if let d = existing, d.kind == .symlink, options.keepDirectorySymlink,
           case .success(let target) = sys.stat(dst.at, true) {
            existing = target  // a symlink to a directory is used as that directory
            dstFollow = true
        }
        if let d = existing, !d.isDirectory {
            fail(CopyError(.overwriteNonDirectoryWithDirectory, dst.path, src.path)); return
        }
        if lock.locked({ openDirectories }) >= openDirectoryBudget {
            startedPool?.drain()  // directories waiting for queued files let go of their descriptors
        }
        let srcFd: Int32
        switch retryingEINTR({ sys.open(src.at, O_RDONLY | O_DIRECTORY | (follow ? 0 : O_NOFOLLOW), 0) }) {
        case .failure(let e): fail(CopyError(.readDirectory, src.path, errno: e, syscall: .open)); return
        case .success(let fd): srcFd = fd
        }
        var st = lst
        if case .success(let now) = sys.fstat(srcFd) { st = now }
        var record = FileRecord(source: src.path, dest: dst.path, kind: .dir)
        if existing == nil {
            let mode = Metadata.directoryCreationMode(st, preserveOwnership: options.preserve.ownership)
            if case .failure(let e) = sys.mkdir(dst.at, mode) {
                _ = sys.close(srcFd)
                fail(CopyError(.mkdir, dst.path, errno: e, syscall: .mkdir)); return
            }
        } else {
            record.quiet = true  // GNU tells only of directories it makes
        }
        let dstFd: Int32
        switch retryingEINTR({ sys.open(dst.at, O_RDONLY | O_DIRECTORY | (dstFollow ? 0 : O_NOFOLLOW), 0) }) {
        case .failure(let e):
            _ = sys.close(srcFd)
            fail(CopyError(.readDirectory, dst.path, errno: e, syscall: .open)); return
        case .success(let fd): dstFd = fd
        }
        var dstID: FileID? = nil
        var createdMode: UInt32? = nil
        if case .success(let made) = sys.fstat(dstFd) {
            dstID = FileID(made)
            if existing == nil {
                newDirectories.insert(FileID(made))
                createdMode = made.permissions
            }
        }
        reporter.announce(record)

        let task = DirectoryTask(src: src, dst: dst, st: st, srcFd: srcFd, dstFd: dstFd,
                                 isNew: existing == nil, parent: parent, record: record)
        task.dstID = dstID
        task.createdMode = createdMode
        if options.preserve.mode && options.preserve.xattr, case .success(let names) = sys.listXattrs(.fd(dstFd)) {
            task.hasDefaultACL = names.contains(XattrCopier.defaultACL)
        }
        lock.locked { openDirectories += 1 }
        parent?.retain(lock)
        if let parent, task.depth > openDirectoryBudget {
            // Deeper than the descriptors allow: the parent lets go of its two until this
            // directory's walk is done, then they are found again through "..".
            startedPool?.drain()
            _ = sys.close(parent.srcFd)
            _ = sys.close(parent.dstFd)
            parent.srcFd = -1
            parent.dstFd = -1
            parent.parked = true
        }
        /// The walk of this directory is over: a parked parent gets its descriptors back first
        /// (through this directory's, still open while the walker holds it).
        func walked(ok: Bool) {
            if let parent, parent.parked {
                // Let this directory's queued files finish, so it closes as soon as released.
                startedPool?.drain()
                reopen(parent, from: task)
            }
            release(task, ok: ok)
        }
        if parent == nil { topDevice = st.dev }
        if options.oneFileSystem && st.dev != topDevice {
            // -x: the mount point is copied, not what is mounted on it.
            walked(ok: true)
            return
        }
        switch sys.readDirectory(srcFd) {
        case .failure(let e):
            fail(CopyError(.readDirectory, src.path, errno: e, syscall: .readdir))
            walked(ok: false)
            return
        case .success(let list):
            for entry in list.sorted(by: { $0.ino < $1.ino }) {  // disk order on ext4
                if stopSignal != nil { break }
                // The task's descriptors, not the ones opened above: a parked directory gets
                // new ones back.
                copyObject(src.child(entry.name, in: task.srcFd), to: dst.child(entry.name, in: task.dstFd),
                           top: top, parent: task)
                if operandAbandoned { break }
            }
        }
        walked(ok: true)
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
            fail(CopyError(.readDirectory, parent.srcFd < 0 ? parent.src.path : parent.dst.path, errno: .ENOENT, syscall: .open))
            operandAbandoned = true  // its directories are no longer where they were
        }
    }

    /// One thing inside `task` is done. The last one finishes the directory: its metadata,
    /// its report, its descriptors, and then its parent's count.
    func release(_ task: DirectoryTask, ok: Bool) {
        let done = lock.locked { () -> Bool in
            if !ok { task.ok = false }
            task.pending -= 1
            return task.pending == 0
        }
        guard done else { return }
        var record = task.record
        record.error = Metadata(copier: self).applyToDescriptor(task.st, srcFd: task.srcFd, fd: task.dstFd,
                                                                path: task.dst.path, isNew: task.isNew,
                                                                isDirectory: true, created: task.createdMode,
                                                                inheritsNoACL: task.parent?.hasDefaultACL == false,
                                                                record: &record)
        if task.srcFd >= 0 { _ = sys.close(task.srcFd) }
        if task.dstFd >= 0 { _ = sys.close(task.dstFd) }
        lock.locked { openDirectories -= 1 }
        if record.error != nil {
            record.status = .error
            countFailure()
        }
        record.elapsedNs = zcp_monotonic_ns() - task.started
        reporter.finished(record, announced: true)
        if let parent = task.parent { release(parent, ok: record.error == nil && task.ok) }
    }

    /// A directory --parents made or found on the way to a source: its attributes are
    /// applied after the source is copied (so its times survive the copy).
    struct ParentDirectory {
        var src: Path, dst: Path, st: FileStat, created: UInt32?
    }

    /// --parents: makes the directories of `source` under `directory` as copies of the source's
    /// own (GNU prints them with -v as `a -> d/a`). Returns them, or nil after telling why not.
    func makeParents(of source: Path, under directory: Path) -> [ParentDirectory]? {
        var components = source.bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map { Path(bytes: Array($0)) }
        guard !components.isEmpty else { return [] }
        components.removeLast()
        var srcPrefix = source.bytes.first == UInt8(ascii: "/") ? Path("/") : Path("")
        var dstPrefix = directory
        var made: [ParentDirectory] = []
        for component in components {
            srcPrefix = srcPrefix.appending(component)
            dstPrefix = dstPrefix.appending(component)
            let st: FileStat
            switch sys.stat(At(srcPrefix), true) {
            case .success(let s) where s.isDirectory: st = s
            case .success: fail(CopyError(.getAttributes, srcPrefix, errno: .ENOTDIR, syscall: .stat)); return nil
            case .failure(let e): fail(CopyError(.getAttributes, srcPrefix, errno: e, syscall: .stat)); return nil
            }
            switch sys.stat(At(dstPrefix), true) {
            case .success(let d) where d.isDirectory:
                made.append(ParentDirectory(src: srcPrefix, dst: dstPrefix, st: st, created: nil))
                continue
            case .success: fail(CopyError(.existsNotDirectory, dstPrefix)); return nil
            case .failure: break
            }
            let mode = Metadata.directoryCreationMode(st, preserveOwnership: options.preserve.ownership)
            if case .failure(let e) = sys.mkdir(At(dstPrefix), mode) {
                fail(CopyError(.mkdir, dstPrefix, errno: e, syscall: .mkdir)); return nil
            }
            var created = mode & ~umask
            if case .success(let d) = sys.stat(At(dstPrefix), true) { created = d.permissions }
            if options.verbose { reporter.plain("\(srcPrefix) -> \(dstPrefix)") }
            made.append(ParentDirectory(src: srcPrefix, dst: dstPrefix, st: st, created: created))
        }
        return made
    }

    /// After the copy: the attributes of the directories --parents made, and, when any are
    /// preserved, of those it found (GNU brings them in line too), innermost first.
    func finishParents(_ parents: [ParentDirectory]) {
        let preserving = options.preserve.mode || options.preserve.ownership || options.preserve.timestamps
            || options.preserve.xattr
        for parent in parents.reversed() where parent.created != nil || preserving {
            var record = FileRecord(source: parent.src, dest: parent.dst, kind: .dir)
            record.quiet = true
            if let e = Metadata(copier: self).applyByName(parent.st, source: .operand(parent.src),
                                                          at: .operand(parent.dst), isNew: parent.created != nil,
                                                          isDirectory: true, created: parent.created, record: &record) {
                fail(e)
            }
        }
    }
}
