import CZcp
import Glibc

/// Copies command-line operands: stats each source, asks the destination policy what to do,
/// and dispatches on the source's kind (FreeBSD cp's one switch): regular files to the
/// engine, directories to the tree walk, links and special files to their makers. One failing
/// operand never stops the others.
///
/// The walker alone owns the walker state below (just-created destinations, the map of
/// copied inodes, the descriptor budget, the pool) and runs on one thread. With -j N, regular
/// files found in a tree become `FileJob`s that pool threads run with the `RunContext`:
/// nothing else of the walker is reachable from them.
public final class Walker {
    let context: RunContext
    public var options: Options { context.options }
    var sys: Syscalls { context.sys }
    var reporter: Reporter { context.reporter }
    let policy: DestinationPolicy
    /// The walker's own buffer and pipe, for the files it copies itself.
    let worker: Worker
    /// Threads for the regular files of trees (-j above 1), started when a tree first hands
    /// one over: copying a single file never starts them.
    let jobs: Int
    private(set) var startedPool: Pool?
    private var poolFailed = false
    /// Without -j: the thread count starts at the CPUs and grows while copying waits on storage.
    private var depth: IODepth?

    struct FileID: Hashable {
        var dev: UInt64, ino: UInt64
        init(_ st: FileStat) { dev = st.dev; ino = st.ino }
    }
    /// Inodes copied so far, to the destination made for them (GNU's one table): sources with
    /// several links (--preserve=links), command-line directories, and the directories this
    /// run made (meeting one again as a source means "into itself").
    var copiedTo: [FileID: Path] = [:]
    /// The destination directories this run writes into while copying threads run: one met
    /// again as a source (a tree copied into its own subdirectory) is listed only after the
    /// files queued so far have arrived, so that it lists what -j 1 would.
    var destinationDirectories: Set<FileID> = []
    /// Destinations made for command-line operands, when several could name the same one,
    /// with what lstat said of them then.
    var justCreated: [Path: FileStat] = [:]
    var tracksJustCreated: Bool { options.sources.count > 1 }
    /// The device of the command-line directory being copied (-x stays on it).
    var topDevice: UInt64 = 0
    /// Set when an operand's walk must stop (copied into itself, or its directories moved).
    var operandAbandoned = false
    /// The directory `copyObject` just entered, for the walk's loop to push.
    var entered: DirectoryWalk? = nil
    /// How many directories may hold their two descriptors open at once: what the
    /// descriptor limit leaves after the threads' files and pipes.
    let openDirectoryBudget: Int
    /// The limit cannot hold a directory's two descriptors beside a file's: directories are
    /// opened only to be listed, and what is in them is reached by path (as GNU cp does, so
    /// only as deep as PATH_MAX allows).
    let walksByPath: Bool
    /// Directories holding descriptors now (walked, or waiting for queued files); a pool
    /// thread that finishes a directory counts it down.
    let openDirectories = Counter()

    public convenience init(options: Options, sys: Syscalls = .live, reporter: Reporter) {
        self.init(context: RunContext(options: options, sys: sys, reporter: reporter))
    }

    convenience init(options: Options, sys: Syscalls, reporter: Reporter, snapshot: SnapshotPlan?, manifest: Manifest?) {
        self.init(
            context: RunContext(options: options, sys: sys, reporter: reporter, snapshot: snapshot, manifest: manifest))
    }

    init(context: RunContext) {
        self.context = context
        let options = context.options
        policy = DestinationPolicy(options: options, sys: context.sys)
        worker = Worker(sys: context.sys)
        // A tree, or a list of names (--files-from), is copied by several threads.
        let many = options.recursive || options.filesFrom != nil
        let cpus = many && options.jobs == nil ? Int(max(1, zcp_online_cpus())) : 1
        var limit = rlimit()
        let soft =
            many && getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0
            ? min(Int(clamping: limit.rlim_cur), 1 << 20) : 1024
        // The descriptor limit bounds the copying threads (each holds a source, a copy and,
        // for splice, a pipe) after what the run holds anyway (the standard three, the target
        // directory, a report file, the stop signals' pipe where a FIFO or device is read) and
        // one walked directory's pair; what is left after the threads goes to directories, at
        // least one (a deeper one parks its parent's). -j above it is lowered to it. With the
        // walker alone and no pipe, ulimit -n 8 copies a tree of any depth; below that, by path.
        let reserved =
            4 + (options.reportPath.map { $0.bytes != Array("-".utf8) } == true ? 1 : 0)
            + (options.copyContents || !options.recursive ? 2 : 0)
        let perThread = 4, perDirectory = 2
        let threadCap = max(1, (soft - reserved - perDirectory) / perThread)
        jobs = many ? min(options.jobs ?? cpus, threadCap) : 1
        if many && options.jobs == nil && jobs > 1 {
            depth = IODepth(cpus: cpus, maxThreads: threadCap, sys: context.sys)
        }
        let threads = depth?.maxThreads ?? jobs
        let directories = (soft - reserved - (threads == 1 ? 2 : perThread * threads)) / perDirectory
        openDirectoryBudget = max(1, directories - 1)  // a level opens its two before its parent parks
        walksByPath = options.recursive && directories < 1
    }

    public var failed: Bool { context.failureCount > 0 }

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
    /// `at`: where the destination is made, when not by its name from the working directory
    /// (an entry of the target directory opened once, as GNU does: renaming a name on the way
    /// to it, a symlink, say, does not move later copies elsewhere).
    /// `drain`: wait for what the pool has queued (a --files-from list queues one name after
    /// another and waits once, at its end).
    @discardableResult
    /// `known`: what stat already said of the source (a --files-from name).
    public func copy(source: Path, to dest: Path, at: At? = nil, drain: Bool = true, known: FileStat? = nil) -> Bool {
        operandAbandoned = false
        let before = context.failureCount
        copyObject(
            .operand(source), to: Node(at: at ?? At(dest), path: dest), top: (source, dest), parent: nil, known: known)
        if let first = entered {
            entered = nil
            walk(first)
        }
        if drain { startedPool?.drain() }
        return context.failureCount == before
    }

    /// Waits for every queued file.
    func drain() { startedPool?.drain() }

    /// Whether a source is the very directory entry `other` names.
    func isSameEntry(_ src: Node, _ other: Node) -> Bool { policy.sameEntry(src, other) }

    func fail(_ e: CopyError, _ src: Node, _ dst: Node, kind: FileKind = .unknown) {
        context.fail(e, source: src.path, dest: dst.path, kind: kind)
    }

    /// Copies whatever `src` is to `dst`: stat, the destination policy, then one switch on
    /// the kind. `top` is the command-line pair it descends from; `parent` the directory being
    /// copied that holds it. Failures are told, counted and recorded, here or, for files
    /// handed to the pool, when they finish.
    func copyObject(
        _ src: Node, to named: Node, top: (src: Path, dst: Path), parent: DirectoryTask?, known: FileStat? = nil
    ) {
        if stopSignal != nil { return }
        let commandLine = parent == nil
        let deref = options.effectiveDereference
        let follow = deref == .always || (deref == .commandLineOnly && commandLine)
        let st: FileStat
        switch known.map({ SysResult<FileStat>.success($0) }) ?? sys.stat(src.at, follow) {
        case .failure(let e):
            fail(CopyError(.stat, src.path, errno: e, syscall: follow ? .stat : .lstat), src, named); return
        case .success(let s): st = s
        }
        if st.isDirectory && !options.recursive {
            fail(CopyError(.omitDirectory, src.path), src, named, kind: .dir); return
        }
        var dst = named
        let decision = policy.decide(
            src, stat: st, commandLine: commandLine, to: dst, parentIsNew: parent?.isNew == true,
            justCreated: tracksJustCreated && commandLine ? justCreated[dst.path] : nil,
            ask: { [context] path in  // the context, not a copy of its syscall table
                Prompt.ask("\(context.reporter.program): overwrite \(quoted(path))? ", sys: context.sys)
            })
        var existing: FileStat?
        var shared = false
        var backup: Node? = nil
        var backupIsLink = false
        var backupIsOld = false  // a name that was there: never taken back
        let id = FileID(st)
        // Following symlinks can meet one file twice even with one link (GNU tracks it too).
        let keepsLink =
            options.preserve.links && !options.hardLink && !st.isDirectory
            && (st.nlink > 1 || deref == .always || (deref == .commandLineOnly && commandLine))
        let asRegular =
            !options.symbolicLink && !options.hardLink
            && (st.kind == .file || (st.kind != .symlink && policy.copiesAsRegularFile(st)))
        // --atomic: the old name stays in place until the copy is renamed over it, so a
        // backup is a second name made first and nothing is removed beforehand.
        let replacesAtomically =
            options.atomic && !options.attributesOnly && asRegular
            && !(keepsLink && copiedTo[id] != nil)
        switch decision.kind {
        case .copy: existing = decision.existing; shared = decision.shared
        case .copyToBackupName: dst = decision.node!; existing = decision.existing
        case .skip:
            reporter.skipped(dst.path); return
        case .declined:
            reporter.skipped(dst.path); context.countFailure(); return
        case .nothingToDo: return
        case .complete:
            if keepsLink, let first = copiedTo[id], !isSameFile(At(first), dst.at) {
                existing = decision.existing  // complete, but not yet the link it must be: linked below
            } else {
                if keepsLink && copiedTo[id] == nil { copiedTo[id] = dst.path }
                // An --atomic copy killed after its rename and before its mark came off is
                // complete but still marked as a temporary: the mark goes (by name; the file
                // is not opened).
                if st.kind == .file { context.unmarkTemporary(dst.at) }
                var record = FileRecord(source: src.path, dest: dst.path, kind: st.kind)
                record.size = st.size
                record.resume = .complete
                record.printsVerboseLine = false
                context.finish(&record, started: nil)
                return
            }
        case .notNewer:
            reporter.skipped(dst.path)
            // GNU: the kept name still stands for the file's other links, and a later
            // link of it replaces whatever is at its name.
            guard keepsLink else { return }
            if let first = copiedTo[id] {
                if let e = makeHardLink(to: At(first), named: first, at: dst, replacing: true, follow: false) {
                    fail(e, src, dst, kind: st.kind)
                }
            } else {
                copiedTo[id] = dst.path
            }
            return
        case .refuse: fail(decision.error!, src, dst, kind: st.kind); return
        case .backUp:
            let node = decision.node!
            // Renaming or removing a name may touch a file a queued job reads (another link
            // of it changes its ctime): after what is queued, in the walk's order.
            startedPool?.drain()
            if replacesAtomically, case .success(let link) = Sibling.link(dst.at, beside: dst, sys: sys) {
                if case .success(let b) = sys.stat(node.at, false), case .success(let d) = sys.stat(dst.at, false),
                    b.isSameFile(as: d)
                {
                    _ = sys.unlink(link.at)  // the backup's name is this file already (rename would do nothing)
                    backupIsOld = true
                } else if case .failure(let e) = sys.rename(link.at, node.at) {
                    _ = sys.unlink(link.at)
                    fail(CopyError(.backup, dst.path, node.path, errno: e, syscall: .rename), src, dst, kind: st.kind); return
                }
                backupIsLink = true
            } else if case .failure(let e) = sys.rename(dst.at, node.at), e != .ENOENT {
                fail(CopyError(.backup, dst.path, node.path, errno: e, syscall: .rename), src, dst, kind: st.kind); return
            }
            backup = node
        case .remove:
            guard !replacesAtomically else { break }  // the rename replaces it
            startedPool?.drain()
            if let e = context.remove(dst) { fail(e, src, dst, kind: st.kind); return }
        }
        if st.isDirectory {
            copyDirectory(src, st, to: dst, existing: existing, top: top, parent: parent, follow: follow)
            return
        }

        var record = FileRecord(source: src.path, dest: dst.path, kind: st.kind)
        record.size = st.kind == .file ? st.size : 0
        record.backup = backup?.path
        reporter.starting(src.path)
        reporter.announce(record)  // GNU tells of a file before copying it
        if keepsLink, let first = copiedTo[id] {
            // Another name of a file already copied: link to that copy (GNU replaces the name).
            let started = zcp_monotonic_ns()
            record.error = makeHardLink(to: At(first), named: first, at: dst, replacing: true, follow: false)
            if record.error == nil, let manifest = context.manifest, st.kind == .file {
                record.error = manifest.digest(at: dst.at, path: dst.path, record: &record, worker: worker)
            }
            context.undoBackup(backup, of: dst, after: record.error)
            finished(&record, started: started, dst: dst, commandLine: commandLine)
            return
        }
        if backupIsOld { backup = nil }
        let job = FileJob(
            source: src, dest: dst, follow: follow, existing: existing, record: record, parent: parent,
            backup: backup, backupIsLink: backupIsLink, stat: st)
        if shared {
            // Written in place into a file other names reach (perhaps a source of this run):
            // on the walker, after what is queued, so the outcome is the walk's order's.
            startedPool?.drain()
        } else if asRegular, parent != nil || options.filesFrom != nil, st.kind == .file, !keepsLink,
            let pool = threads()
        {
            // The data and metadata of a plain file (of a tree, or named by a --files-from
            // list): a pool thread's job.
            parent?.retain()
            pool.submit { [context] worker in context.run(job, on: worker) }
            depth?.submitted(to: pool, sourceDirectory: parent?.srcFd)
            return
        }
        let started = zcp_monotonic_ns()
        if options.symbolicLink {
            record.error = makeSymbolicLink(to: src.path, at: dst, replacing: existing)
            if record.error == nil {
                record.error = Metadata(context: context).apply(
                    st, to: .symlink(copy: dst.at), path: dst.path,
                    isNew: true, record: &record)
            }
        } else if options.hardLink {
            record.error = makeHardLink(
                to: src.at, named: src.path, at: dst, replacing: existing != nil && options.force,
                follow: follow)
        } else if asRegular {
            record.error = RegularFileCopy(context: context, job: consume job, worker: worker).run(record: &record)
        } else if st.kind == .symlink {
            record.error = copySymlink(src, st, to: dst, existing: existing, record: &record)
        } else {
            record.error = makeSpecialFile(src, st, at: dst, record: &record)
        }
        if record.error == nil && keepsLink { copiedTo[id] = dst.path }
        context.undoBackup(backup, of: dst, after: record.error, linked: backupIsLink)
        finished(&record, started: started, dst: dst, commandLine: commandLine)
    }

    /// Reports a non-directory the walker copied itself, and remembers a command-line
    /// destination it made (GNU's just-created rules look only at those).
    private func finished(_ record: inout FileRecord, started: Int64, dst: Node, commandLine: Bool) {
        if commandLine && tracksJustCreated && (record.error == nil || record.error!.isMetadata),
            case .success(let made) = sys.stat(dst.at, false)
        {
            justCreated[dst.path] = made
        }
        context.finish(&record, started: started, announced: true)
    }

    private func isSameFile(_ a: At, _ b: At) -> Bool {
        guard case .success(let x) = sys.stat(a, false), case .success(let y) = sys.stat(b, false) else { return false }
        return x.isSameFile(as: y)
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
            case .success(let parent) = sys.stat(node.at.directory, true)
        else { return nil }
        return (SourceEntry(parent: FileID(parent), name: source.lastComponent), st.isDirectory)
    }

    /// Whether `dir` is the working directory ("." or another name for it), where a relative
    /// symlink still points at its source. As GNU, a directory that cannot be looked at counts
    /// as the working directory: the symlink call then says what is wrong.
    private func isWorkingDirectory(_ dir: At) -> Bool {
        if dir.isRelativeToWorkingDirectory && dir.name == Path(".") { return true }
        guard case .success(let d) = sys.stat(dir, true), case .success(let here) = sys.stat(At(Path(".")), true)
        else { return true }
        return d.isSameFile(as: here)
    }

    private func makeSymbolicLink(to target: Path, at dst: Node, replacing existing: FileStat?) -> CopyError? {
        if target.bytes.first != UInt8(ascii: "/") && !isWorkingDirectory(dst.at.directory) {
            return CopyError(.relativeSymlinkOutsideCurrentDirectory, dst.path)
        }
        if existing != nil && (options.force || options.removeDestination) {
            if case .failure(let e) = sys.unlink(dst.at) {
                return CopyError(.removeExisting, dst.path, errno: e, syscall: .unlink)
            }
        }
        if case .failure(let e) = sys.symlink(target, dst.at) {
            return CopyError(.symlink, dst.path, target, errno: e, syscall: .symlink)
        }
        return nil
    }

    /// A hard link at `dst` to `first` (called `name` in messages). `replacing`: a name in
    /// the way is removed and the link made again (-f, and the links -a keeps; GNU then says
    /// "removed" under -v), unless it already is that file.
    private func makeHardLink(to first: At, named name: Path, at dst: Node, replacing: Bool, follow: Bool) -> CopyError? {
        var result = sys.link(first, dst.at, follow)
        if replacing, case .failure(.EEXIST) = result {
            if case .success(let a) = sys.stat(first, follow), case .success(let b) = sys.stat(dst.at, false),
                a.isSameFile(as: b)
            {
                // Already that file: GNU's replacing link leaves it so, and says "removed".
                if !options.hardLink { reporter.removed(dst.path) }
                return nil
            }
            if let e = context.remove(dst, tell: !options.hardLink) { return e }
            result = sys.link(first, dst.at, follow)
        }
        if case .failure(let e) = result {
            return CopyError(.hardLink, dst.path, name, errno: e, syscall: .link)
        }
        return nil
    }

    private func copySymlink(
        _ src: Node, _ st: FileStat, to dst: Node, existing: FileStat?,
        record: inout FileRecord
    ) -> CopyError? {
        let target: Path
        switch sys.readlink(src.at) {
        case .failure(let e): return CopyError(.readlink, src.path, errno: e, syscall: .readlink)
        case .success(let t): target = t
        }
        // A name the policy left in place is replaced only with -f (GNU's force_symlinkat).
        if existing != nil, options.force, case .failure(let e) = sys.unlink(dst.at) {
            return CopyError(.removeExisting, dst.path, errno: e, syscall: .unlink)
        }
        if case .failure(let e) = sys.symlink(target, dst.at) {
            return CopyError(.symlink, dst.path, errno: e, syscall: .symlink)
        }
        return Metadata(context: context).apply(st, to: .symlink(copy: dst.at), path: dst.path, isNew: true, record: &record)
    }

    private func makeSpecialFile(_ src: Node, _ st: FileStat, at dst: Node, record: inout FileRecord) -> CopyError? {
        // A name the policy left in place stays: mknod says it exists, as GNU's does.
        let perm = Metadata.specialCreationMode(
            st, preserveOwnership: options.preserve.ownership,
            defaultModes: options.defaultModes)
        if case .failure(let e) = sys.mknod(dst.at, (st.mode & 0o170000) | perm, st.rdev) {
            return CopyError(st.kind == .fifo ? .create(.fifo) : .mknod, dst.path, errno: e, syscall: .mknod)
        }
        return Metadata(context: context).apply(
            st, to: .name(source: src.at, copy: dst.at), path: dst.path,
            isNew: true, record: &record)
    }
}

extension RunContext {
    /// Removes a destination before it is made again; -v says so, as GNU does (`tell`).
    func remove(_ dst: Node, tell: Bool = true) -> CopyError? {
        if case .failure(let e) = sys.unlink(dst.at), e != .ENOENT {
            return CopyError(.removeExisting, dst.path, errno: e, syscall: .unlink)
        }
        if tell { reporter.removed(dst.path) }
        return nil
    }

    /// Whether a name is a symlink now (not followed).
    func isSymlink(_ node: Node) -> Bool {
        if case .success(let s) = sys.stat(node.at, false) { return s.kind == .symlink }
        return false
    }
}

/// The default thread count of a tree copy. It starts at one thread per CPU, which is right
/// while copying keeps the CPUs busy (a warm cache, memory to memory: 180-195 % of two CPUs
/// here). When the process uses less than three quarters of the CPU time its threads could,
/// its threads wait (at least one voluntary context switch for every four files) and it reads
/// from storage (at least one 512-byte block for every four files: a cold disk; or its source
/// is on a network or FUSE filesystem, whose reads are not counted in blocks), the count
/// doubles, up to eight threads per CPU, so that more requests are in flight. Waiting with
/// nothing read is waiting on the kernel's locks (many files made at once in one btrfs
/// subvolume), where more threads only add contention: the count stays. CPU time lost to
/// other processes is not waiting either: threads that are preempted (involuntary switches)
/// do not make the count grow. Looked at every 64 queued files and 30 ms at the least: one
/// getrusage each time.
struct IODepth {
    let cpus: Int
    let maxThreads: Int
    let sys: Syscalls
    let clock: () -> Int64
    private var jobs = 0
    private var since: Int64
    private var usageSince: ProcessUsage

    /// `maxThreads`: what the descriptor limit allows.
    init(cpus: Int, maxThreads: Int = .max, sys: Syscalls, clock: @escaping () -> Int64 = { zcp_monotonic_ns() }) {
        self.cpus = cpus
        self.sys = sys
        self.clock = clock
        self.maxThreads = min(64, 8 * cpus, maxThreads)
        since = clock()
        usageSince = (try? sys.usage().get()) ?? ProcessUsage()
    }

    /// Whether the source's reads bypass the block layer (and so getrusage's count), asked
    /// once, of the first source directory a decision needs: nil until then.
    private var readsUncounted: Bool?

    /// A file of the directory open as `sourceDirectory` (nil: a --files-from name, taken
    /// as read from a server, which lets waits alone make the count grow) was queued.
    mutating func submitted(to pool: Pool, sourceDirectory: Int32?) {
        jobs += 1
        guard jobs >= 64 else { return }
        let now = clock()
        guard now - since >= 30_000_000, case .success(let usage) = sys.usage() else { return }
        let copying = pool.threadCount + 1
        let busy = Double(usage.cpuNs - usageSince.cpuNs) / Double(now - since)  // CPUs' worth of work
        let waiting = 4 * (usage.waits - usageSince.waits) >= Int64(jobs)
        if busy < 0.75 * Double(min(copying, cpus)) && waiting && copying < maxThreads
            && (4 * (usage.blocksRead - usageSince.blocksRead) >= Int64(jobs)
                || readsAreUncounted(sourceDirectory))
        {
            pool.grow(by: min(copying, maxThreads - copying))
        }
        jobs = 0
        since = now
        usageSince = usage
    }

    private mutating func readsAreUncounted(_ directory: Int32?) -> Bool {
        if let readsUncounted { return readsUncounted }
        guard let directory else { return true }
        let uncounted = (try? sys.fsType(directory).get()).map(FilesystemMagic.readsBypassBlockLayer) ?? false
        readsUncounted = uncounted
        return uncounted
    }
}
