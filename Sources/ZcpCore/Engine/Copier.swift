import CZcp
import Glibc

/// One object the copy works on: where the `*at` calls find it, and the path messages show.
struct Node {
    var at: At
    var path: Path

    /// A command-line operand: relative to the working directory.
    static func operand(_ path: Path) -> Node { Node(at: At(path), path: path) }

    /// An entry of the directory open as `dirFd`, which is `self`.
    func child(_ name: Path, in dirFd: Int32) -> Node {
        Node(at: At(dirFd, name), path: path.appending(name))
    }
}

/// Copies command-line operands: resolves each source's kind and hands it to the regular-file
/// engine, the tree walker, or the link and special-file makers. One failing operand never
/// stops the others; `failed` says whether any did. With -j N, regular files found in a tree
/// are copied by a pool of threads while the walker goes on; everything else stays on the
/// walker's thread.
public final class Copier: @unchecked Sendable {
    public let options: Options
    let sys: Syscalls
    let reporter: Reporter
    /// The walker's own buffer and pipe.
    let worker: Worker
    let selector: StrategySelector
    let umask: UInt32
    /// Asked once: ownership failures are errors only for root (GNU).
    let isRoot = geteuid() == 0
    /// Threads for the regular files of trees (-j above 1), started when a tree first hands
    /// one over: copying a single file never starts them.
    private let jobs: Int
    private(set) var startedPool: Pool?
    private var poolFailed = false

    let lock = Mutex()
    /// Failures so far (operands, files, directories, warnings that make the exit status 1).
    private var failures = 0
    public var failed: Bool { lock.locked { failures > 0 } }

    struct FileID: Hashable {
        var dev: UInt64, ino: UInt64
        init(_ st: FileStat) { dev = st.dev; ino = st.ino }
    }
    /// Directories this run created: meeting one again as a source means "into itself".
    var newDirectories: Set<FileID> = []
    /// Sources with several links, to the first destination made for them (--preserve=links).
    var linkedDestinations: [FileID: Path] = [:]
    /// Destinations this run made, when several sources could name the same one.
    var justCreated: Set<Path> = []
    var tracksJustCreated: Bool { options.sources.count > 1 }
    /// The device of the command-line directory being copied (-x stays on it).
    var topDevice: UInt64 = 0
    /// Set when an operand's walk must stop (copied into itself, or its directories moved).
    var operandAbandoned = false
    /// Numbers the --atomic temporary files of this run.
    var temporaryCounter = 0
    /// How many directories may hold their two descriptors open at once: what the
    /// descriptor limit leaves after the threads' files and pipes.
    let openDirectoryBudget: Int
    /// Directories holding descriptors now (walked, or waiting for queued files).
    var openDirectories = 0

    public init(options: Options, sys: Syscalls = .live, reporter: Reporter) {
        self.options = options
        self.sys = sys
        self.reporter = reporter
        worker = Worker(sys: sys)
        selector = StrategySelector(options: options)
        let mask = Glibc.umask(0)
        Glibc.umask(mask)
        umask = UInt32(mask)
        jobs = options.recursive ? options.jobs ?? Int(max(1, zcp_online_cpus())) : 1
        var limit = rlimit()
        let soft = options.recursive && getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0
            ? Int(clamping: limit.rlim_cur) : 1024
        // Three standard descriptors, a report, a few spare; per thread a source, a copy and a pipe.
        openDirectoryBudget = max(2, (min(soft, 1 << 20) - 10 - 4 * (jobs + 1)) / 2)
    }

    /// The pool, started on first use; nil for -j 1 or when no thread could be made.
    private func threads() -> Pool? {
        if let startedPool { return startedPool }
        guard jobs > 1, !poolFailed else { return nil }
        let pool = Pool(threads: jobs - 1, walker: worker, sys: sys)
        if pool.isEmpty { poolFailed = true; return nil }
        startedPool = pool
        return pool
    }

    /// Ends the copying threads (after everything queued is done).
    public func finish() { startedPool?.finish() }

    /// Copies one command-line source to `dest` (already joined with a target directory).
    @discardableResult
    public func copy(source: Path, to dest: Path) -> Bool {
        operandAbandoned = false
        let before = lock.locked { failures }
        copyObject(.operand(source), to: .operand(dest), top: (source, dest), parent: nil)
        startedPool?.drain()
        return lock.locked { failures } == before
    }

    func countFailure() { lock.locked { failures += 1 } }

    /// Tells and counts a failure; false, for callers that answer with a Bool.
    @discardableResult
    func fail(_ e: CopyError) -> Bool {
        reporter.error(e)
        countFailure()
        return false
    }

    /// Copies whatever `src` is to `dst`. `top` is the command-line pair it descends from;
    /// `parent` the directory being copied that holds it. Failures are told and counted
    /// (`failed`), here or, for files handed to the pool, when they finish.
    func copyObject(_ src: Node, to named: Node, top: (src: Path, dst: Path), parent: DirectoryTask?) {
        var dst = named
        if stopSignal != nil { return }
        let isCommandLine = parent == nil
        let deref = options.effectiveDereference
        let follow = deref == .always || (deref == .commandLineOnly && isCommandLine)
        let st: FileStat
        switch sys.stat(src.at, follow) {
        case .failure(let e): fail(CopyError(.stat, src.path, errno: e, syscall: follow ? .stat : .lstat)); return
        case .success(let s): st = s
        }
        if st.isDirectory {
            guard options.recursive else { fail(CopyError(.omitDirectory, src.path)); return }
            copyDirectory(src, st, to: dst, top: top, parent: parent, follow: follow)
            return
        }

        var existing: FileStat?
        if parent?.isNew == true {
            existing = nil  // a directory this run made holds only what this run put there
        } else {
            switch sys.stat(dst.at, false) {
            case .success(let d): existing = d
            case .failure(.ENOENT): existing = nil
            case .failure(let e): fail(CopyError(.stat, dst.path, errno: e, syscall: .lstat)); return
            }
        }
        var decided = false
        /// What a symlink at the destination leads to, looked up once for both uses below.
        var followed: SysResult<FileStat>? = nil
        if existing != nil, let backup = forcedBackupOfItself(src, dst) {
            // `cp -fb a a`: GNU makes the backup by copying, and leaves the file be.
            dst = backup
            switch sys.stat(dst.at, false) {
            case .success(let b) where !b.isDirectory: existing = b
            default: existing = nil
            }
            decided = true
        } else if let d = existing {
            if d.kind == .symlink { followed = sys.stat(dst.at, true) }
            switch sameFileVerdict(src, st, dst, d, followed: followed) {
            case .distinct: break
            case .nothingToDo: return  // -l onto a name of the same file: already done
            case .same: fail(CopyError(.sameFile, src.path, dst.path)); return
            }
        }
        let replacesName = st.kind == .symlink || options.symbolicLink || options.hardLink
            || options.removeDestination
        if !decided, let d = existing, d.kind == .symlink, !replacesName {
            // Data is written through a symlink at the destination, as GNU does, but never
            // through one this run made, nor (unless POSIXLY_CORRECT) one that points nowhere.
            if tracksJustCreated && justCreated.contains(dst.path) {
                fail(CopyError(.throughJustCreatedSymlink, dst.path, src.path)); return
            }
            switch followed ?? sys.stat(dst.at, true) {
            case .success(let target): existing = target
            case .failure(.ENOENT):
                guard getenv("POSIXLY_CORRECT") != nil else { fail(CopyError(.danglingDestination, dst.path)); return }
                // The symlink's target is made, then written as an existing file.
                switch sys.open(dst.at, O_WRONLY | O_CREAT, st.permissions & 0o777) {
                case .failure(let e): fail(CopyError(.create(.file), dst.path, errno: e, syscall: .open)); return
                case .success(let fd): _ = sys.close(fd)
                }
                if case .success(let made) = sys.stat(dst.at, true) { existing = made }
            case .failure(.ELOOP) where options.force:
                break  // a loop is a name like any other: -f replaces it, as GNU 8.30+
            case .failure(let e):
                fail(CopyError(.stat, dst.path, errno: e, syscall: .stat)); return
            }
        }
        if let d = existing, d.isDirectory { fail(CopyError(.overwriteDirectoryWithNonDirectory, dst.path)); return }
        var backup: Path? = nil
        let source = src
        let id = FileID(st)
        // Following symlinks can meet one file twice even with one link (GNU tracks it too).
        let keepsLink = options.preserve.links
            && (st.nlink > 1 || deref == .always || (deref == .commandLineOnly && isCommandLine))
        if !decided {
            switch decideOverwrite(src.path, st, dst, existing: existing) {
            case .skip(let ok):
                reporter.skipped(dst.path)
                if !ok { countFailure() }
                return
            case .notNewer:
                reporter.skipped(dst.path)
                // GNU: the kept name still stands for the file's other links, and a later
                // link of it replaces whatever is at its name.
                guard keepsLink else { return }
                if let first = linkedDestinations[id] {
                    if let e = makeHardLink(to: At(first), at: dst, replacing: existing, follow: false) { fail(e) }
                } else {
                    linkedDestinations[id] = dst.path
                }
                return
            case .fail(let e): fail(e); return
            case .proceed(let remaining, let made):
                existing = remaining
                backup = made?.path
            }
        }

        var record = FileRecord(source: src.path, dest: dst.path, kind: st.kind)
        record.size = st.kind == .file ? st.size : 0
        record.backup = backup
        reporter.starting(src.path)
        if let parent, st.kind == .file, !options.symbolicLink, !options.hardLink, !keepsLink, let pool = threads() {
            // The data and metadata of a plain file: a pool thread's job.
            parent.retain(lock)
            let found = existing
            pool.submit { [self] worker in
                var record = record
                let started = zcp_monotonic_ns()
                record.error = copyRegularFile(source, follow: follow, to: dst, existing: found, record: &record,
                                               worker: worker, in: parent)
                finish(&record, started: started)
                release(parent, ok: record.error == nil)
            }
            return
        }
        let started = zcp_monotonic_ns()
        if options.symbolicLink {
            record.error = makeSymbolicLink(to: src.path, at: dst, replacing: existing)
        } else if options.hardLink {
            record.error = makeHardLink(to: src.at, at: dst, replacing: existing, follow: follow)
        } else if keepsLink, let first = linkedDestinations[id] {
            record.error = makeHardLink(to: At(first), at: dst, replacing: existing, follow: false)
        } else {
            switch st.kind {
            case .file:
                record.error = copyRegularFile(source, follow: follow, to: dst, existing: existing, record: &record,
                                               worker: worker, in: parent)
            case .symlink:
                record.error = copySymlink(source, st, to: dst, existing: existing, record: &record)
            case .fifo, .char, .block, .socket:
                if options.recursive && !options.copyContents {
                    record.error = makeSpecialFile(src, st, at: dst, existing: existing, record: &record)
                } else {
                    record.error = copyRegularFile(src, follow: follow, to: dst, existing: existing, record: &record, worker: worker)
                }
            case .dir, .unknown:
                record.error = CopyError(.stat, src.path, errno: .EINVAL)
            }
            if record.error == nil && keepsLink { linkedDestinations[id] = dst.path }
        }
        if tracksJustCreated && (record.error == nil || record.error!.isMetadata) { justCreated.insert(dst.path) }
        finish(&record, started: started)
    }

    /// Tells the reporter about a finished object and counts it if it failed.
    private func finish(_ record: inout FileRecord, started: Int64) {
        record.elapsedNs = zcp_monotonic_ns() - started
        if record.error != nil { record.status = .error }
        if record.error != nil || record.sourceChanged { countFailure() }
        reporter.finished(record)
    }

    enum SameFileVerdict {
        /// Copying may go ahead.
        case distinct
        /// Source and destination are one file in a way that loses data: refused.
        case same
        /// -l where the destination already is the source's file: nothing to do (success).
        case nothingToDo
    }

    /// GNU's rules for when an existing destination counts as "the same file" as the source:
    /// which of the two are looked at through their symlinks depends on -P/-L, and backups,
    /// --remove-destination, -l and -s each allow some cases. `lst`: the destination's lstat;
    /// `followed`: its stat through the symlink, when it is one.
    private func sameFileVerdict(_ src: Node, _ st: FileStat, _ dst: Node, _ lst: FileStat,
                                 followed: SysResult<FileStat>?) -> SameFileVerdict {
        let backups = options.backup.map { $0 != .none } ?? false
        let neverFollow = options.effectiveDereference == .never
        // Data can be written through a destination symlink only for regular files.
        let copiesAsFile = st.kind == .file || (st.kind != .symlink && (!options.recursive || options.copyContents))
        let lookAtLink = !copiesAsFile || options.symbolicLink || options.hardLink || backups
            || options.removeDestination
        var dstSt = lst
        if !lookAtLink && lst.kind == .symlink {
            guard case .success(let target) = followed ?? sys.stat(dst.at, true) else { return .distinct }
            dstSt = target
        }
        let same = st.isSameFile(as: dstSt)
        if same && options.hardLink { return .nothingToDo }
        let srcLink: FileStat, dstLink: FileStat, sameLink: Bool
        if neverFollow {
            sameLink = same
            if st.kind == .symlink && dstSt.kind == .symlink {
                // Two symlinks: fine unless they are one directory entry.
                let oneEntry = sameEntry(src, dst)
                if !oneEntry && !backups && sameLink { return .nothingToDo }
                return oneEntry ? .same : .distinct
            }
            srcLink = st
            dstLink = dstSt
        } else {
            guard same, case .success(let s) = sys.stat(src.at, false), case .success(let d) = sys.stat(dst.at, false)
            else { return .distinct }
            srcLink = s
            dstLink = d
            sameLink = s.isSameFile(as: d)
            if s.kind == .symlink && d.kind == .symlink && options.removeDestination { return .distinct }
        }
        if backups {
            // The backup moves the destination's name away, so only one entry is a problem,
            // and a symlink whose target would be moved (then dangle).
            if !sameLink { return !neverFollow && srcLink.kind == .symlink && dstLink.kind != .symlink ? .same : .distinct }
            return sameEntry(src, dst) ? .same : .distinct
        }
        if options.removeDestination {
            if dstLink.kind == .symlink { return .distinct }
            if sameLink && dstLink.nlink > 1 && !sameEntry(src, dst) { return .distinct }
        }
        if srcLink.kind != .symlink && dstLink.kind != .symlink {
            if !srcLink.isSameFile(as: dstLink) { return .distinct }
            if options.hardLink { return .nothingToDo }
        }
        if options.symbolicLink && dstLink.kind == .symlink { return .distinct }  // it is made again
        if neverFollow {
            var s = srcLink, d = dstLink
            if s.kind == .symlink { guard case .success(let t) = sys.stat(src.at, true) else { return .distinct }; s = t }
            if d.kind == .symlink { guard case .success(let t) = followed ?? sys.stat(dst.at, true) else { return .distinct }; d = t }
            if !s.isSameFile(as: d) { return .distinct }
            if options.hardLink { return dstLink.kind == .symlink ? .distinct : .nothingToDo }
        }
        return .same
    }

    /// Whether two nodes are one directory entry (same directory, same name).
    private func sameEntry(_ a: Node, _ b: Node) -> Bool {
        guard a.at.name.lastComponent == b.at.name.lastComponent, let p = parentID(a), let q = parentID(b) else {
            return false
        }
        return p == q
    }

    /// GNU's exception to "are the same file" when backups are made: `cp -fb a a` (one name,
    /// spelt the same, with --force) copies the file to its backup name; returns that node.
    private func forcedBackupOfItself(_ src: Node, _ dst: Node) -> Node? {
        guard let control = options.backup, control != .none, options.force, src.path == dst.path else { return nil }
        let suffix = Backup.suffix(for: dst.at, control: control, suffix: options.backupSuffix, sys: sys)
        return Node(at: At(dst.at.dir, Path(bytes: dst.at.name.bytes + suffix)),
                    path: Path(bytes: dst.path.bytes + suffix))
    }

    /// A command-line source as a directory entry (its directory and name), to notice one
    /// named twice; nil when it cannot be looked at (the copy then says why).
    struct SourceEntry: Hashable {
        var parent: FileID
        var name: Path
    }
    func sourceEntry(_ source: Path) -> (entry: SourceEntry, isDirectory: Bool)? {
        let node = Node.operand(source)
        guard case .success(let st) = sys.stat(node.at, options.effectiveDereference != .never),
              let parent = parentID(node) else { return nil }
        return (SourceEntry(parent: parent, name: source.lastComponent), st.isDirectory)
    }

    /// Whether `dir` is the working directory ("." or another name for it), where a relative
    /// symlink still points at its source.
    private func isWorkingDirectory(_ dir: At) -> Bool {
        if dir.isRelativeToWorkingDirectory && dir.name == Path(".") { return true }
        guard case .success(let d) = sys.stat(dir, true), case .success(let here) = sys.stat(At(Path(".")), true)
        else { return false }
        return d.isSameFile(as: here)
    }

    /// The directory holding a name, to tell one directory entry from two.
    private func parentID(_ node: Node) -> FileID? {
        guard case .success(let st) = sys.stat(node.at.directory, true) else { return nil }
        return FileID(st)
    }

    /// --attributes-only never replaces what is there, but for --remove-destination (GNU 9).
    private var keepsExistingDestination: Bool { options.attributesOnly && !options.removeDestination }

    private func makeSymbolicLink(to target: Path, at dst: Node, replacing existing: FileStat?) -> CopyError? {
        if target.bytes.first != UInt8(ascii: "/") && !isWorkingDirectory(dst.at.directory) {
            return CopyError(.relativeSymlinkOutsideCurrentDirectory, dst.path)
        }
        if existing != nil && (options.force || options.removeDestination) {
            if case .failure(let e) = sys.unlink(dst.at) { return CopyError(.removeExisting, dst.path, errno: e, syscall: .unlink) }
        }
        if case .failure(let e) = sys.symlink(target, dst.at) {
            return CopyError(.symlink, dst.path, target, errno: e, syscall: .symlink)
        }
        return nil
    }

    private func makeHardLink(to first: At, at dst: Node, replacing existing: FileStat?, follow: Bool) -> CopyError? {
        // -l onto an existing file needs -f (GNU); a kept hard link (-a) replaces it.
        if existing != nil && (!options.hardLink || options.force) {
            if case .failure(let e) = sys.unlink(dst.at) { return CopyError(.removeExisting, dst.path, errno: e, syscall: .unlink) }
        }
        if case .failure(let e) = sys.link(first, dst.at, follow) {
            return CopyError(.hardLink, dst.path, first.isRelativeToWorkingDirectory ? first.name : nil,
                             errno: e, syscall: .link)
        }
        return nil
    }

    private func copySymlink(_ src: Node, _ st: FileStat, to dst: Node, existing: FileStat?,
                             record: inout FileRecord) -> CopyError? {
        let target: Path
        switch sys.readlink(src.at) {
        case .failure(let e): return CopyError(.readlink, src.path, errno: e, syscall: .readlink)
        case .success(let t): target = t
        }
        if existing != nil, !keepsExistingDestination, case .failure(let e) = sys.unlink(dst.at) {
            return CopyError(.removeExisting, dst.path, errno: e, syscall: .unlink)
        }
        if case .failure(let e) = sys.symlink(target, dst.at) {
            return CopyError(.symlink, dst.path, errno: e, syscall: .symlink)
        }
        return Metadata(copier: self).applyToSymlink(st, at: dst, record: &record)
    }

    private func makeSpecialFile(_ src: Node, _ st: FileStat, at dst: Node, existing: FileStat?,
                                 record: inout FileRecord) -> CopyError? {
        if existing != nil, !keepsExistingDestination, case .failure(let e) = sys.unlink(dst.at) {
            return CopyError(.removeExisting, dst.path, errno: e, syscall: .unlink)
        }
        let perm = st.permissions & (options.preserve.mode ? 0o7777 : 0o777)
        if case .failure(let e) = sys.mknod(dst.at, (st.mode & 0o170000) | perm, st.rdev) {
            return CopyError(st.kind == .fifo ? .create(.fifo) : .mknod, dst.path, errno: e, syscall: .mknod)
        }
        return Metadata(copier: self).applyByName(st, source: src, at: dst, isNew: true, record: &record)
    }
}
