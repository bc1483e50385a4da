import CZcp
import Glibc

/// Copies command-line operands: resolves each source's kind and hands it to the regular-file
/// engine, the tree walker, or the link and special-file makers. One failing operand never
/// stops the others; `failed` says whether any did.
public final class Copier {
    public let options: Options
    let sys: Syscalls
    let reporter: Reporter
    let worker: Worker
    let selector: StrategySelector
    let umask: UInt32
    /// Asked once: ownership failures are errors only for root (GNU).
    let isRoot = geteuid() == 0
    public private(set) var failed = false

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
    /// Set when an operand turned out to be copied into itself: its walk stops there.
    var intoItself = false

    public init(options: Options, sys: Syscalls = .live, reporter: Reporter) {
        self.options = options
        self.sys = sys
        self.reporter = reporter
        worker = Worker(sys: sys)
        selector = StrategySelector(options: options)
        let mask = Glibc.umask(0)
        Glibc.umask(mask)
        umask = UInt32(mask)
    }

    /// Copies one command-line source to `dest` (already joined with a target directory).
    @discardableResult
    public func copy(source: Path, to dest: Path) -> Bool {
        intoItself = false
        let ok = copyObject(source, to: dest, top: (source, dest))
        if !ok { failed = true }
        return ok
    }

    func fail(_ e: CopyError) -> Bool {
        reporter.error(e)
        return false
    }

    /// Copies whatever `src` is to `dst`. `top` is the command-line pair it descends from.
    func copyObject(_ src: Path, to dst: Path, top: (src: Path, dst: Path)) -> Bool {
        let isCommandLine = src == top.src
        let deref = options.effectiveDereference
        let follow = deref == .always || (deref == .commandLineOnly && isCommandLine)
        let st: FileStat
        switch sys.stat(src, follow) {
        case .failure(let e): return fail(CopyError(.stat, src, errno: e, syscall: follow ? .stat : .lstat))
        case .success(let s): st = s
        }
        if st.isDirectory {
            guard options.recursive else { return fail(CopyError(.omitDirectory, src)) }
            return copyDirectory(src, st, to: dst, top: top)
        }

        var existing: FileStat?
        switch sys.stat(dst, false) {
        case .success(let d): existing = d
        case .failure(.ENOENT): existing = nil
        case .failure(let e): return fail(CopyError(.stat, dst, errno: e, syscall: .lstat))
        }
        let replacesName = st.kind == .symlink || options.symbolicLink || options.hardLink
            || options.removeDestination
        if let d = existing, d.kind == .symlink, !replacesName {
            // Data is written through a symlink at the destination, as GNU does, but never
            // through one that points nowhere.
            switch sys.stat(dst, true) {
            case .success(let target): existing = target
            case .failure: return fail(CopyError(.danglingDestination, dst))
            }
        }
        if let d = existing {
            if d.isSameFile(as: st) && !(options.symbolicLink && d.kind == .symlink) {
                return fail(CopyError(.sameFile, src, dst))
            }
            if d.isDirectory { return fail(CopyError(.overwriteDirectoryWithNonDirectory, dst)) }
        }
        var backup: Path? = nil
        switch decideOverwrite(src, st, dst, existing: existing) {
        case .skip(let ok): return ok
        case .fail(let e): return fail(e)
        case .proceed(let remaining, let made):
            existing = remaining
            backup = made
        }

        var record = FileRecord(source: src, dest: dst, kind: st.kind)
        record.size = st.kind == .file ? st.size : 0
        record.backup = backup
        let started = zcp_monotonic_ns()
        let id = FileID(st)
        if options.symbolicLink {
            record.error = makeSymbolicLink(to: src, at: dst, replacing: existing)
        } else if options.hardLink {
            record.error = makeHardLink(to: src, at: dst, replacing: existing, follow: follow)
        } else if options.preserve.links && st.nlink > 1, let first = linkedDestinations[id] {
            record.error = makeHardLink(to: first, at: dst, replacing: existing, follow: false)
        } else {
            switch st.kind {
            case .file:
                record.error = copyRegularFile(src, to: dst, existing: existing, record: &record)
            case .symlink:
                record.error = copySymlink(src, st, to: dst, existing: existing, record: &record)
            case .fifo, .char, .block, .socket:
                if options.recursive && !options.copyContents {
                    record.error = makeSpecialFile(src, st, at: dst, existing: existing, record: &record)
                } else {
                    record.error = copyRegularFile(src, to: dst, existing: existing, record: &record)
                }
            case .dir, .unknown:
                record.error = CopyError(.stat, src, errno: .EINVAL)
            }
            if record.error == nil && options.preserve.links && st.nlink > 1 { linkedDestinations[id] = dst }
        }
        if tracksJustCreated && (record.error == nil || record.error!.isMetadata) { justCreated.insert(dst) }
        record.elapsedNs = zcp_monotonic_ns() - started
        if record.error != nil { record.status = .error }
        reporter.finished(record)
        return record.error == nil
    }

    private func makeSymbolicLink(to target: Path, at dst: Path, replacing existing: FileStat?) -> CopyError? {
        if target.bytes.first != UInt8(ascii: "/") && dst.bytes.contains(UInt8(ascii: "/")) {
            return CopyError(.relativeSymlinkOutsideCurrentDirectory, dst)
        }
        if existing != nil && (options.force || options.removeDestination) {
            if case .failure(let e) = sys.unlink(dst) { return CopyError(.removeExisting, dst, errno: e, syscall: .unlink) }
        }
        if case .failure(let e) = sys.symlink(target, dst) {
            return CopyError(.symlink, dst, errno: e, syscall: .symlink)
        }
        return nil
    }

    private func makeHardLink(to first: Path, at dst: Path, replacing existing: FileStat?, follow: Bool) -> CopyError? {
        // -l onto an existing file needs -f (GNU); a kept hard link (-a) replaces it.
        if existing != nil && (!options.hardLink || options.force) {
            if case .failure(let e) = sys.unlink(dst) { return CopyError(.removeExisting, dst, errno: e, syscall: .unlink) }
        }
        if case .failure(let e) = sys.link(first, dst, follow) {
            return CopyError(.hardLink, dst, first, errno: e, syscall: .link)
        }
        return nil
    }

    private func copySymlink(_ src: Path, _ st: FileStat, to dst: Path, existing: FileStat?,
                             record: inout FileRecord) -> CopyError? {
        let target: Path
        switch sys.readlink(src) {
        case .failure(let e): return CopyError(.readlink, src, errno: e, syscall: .readlink)
        case .success(let t): target = t
        }
        if existing != nil, case .failure(let e) = sys.unlink(dst) {
            return CopyError(.removeExisting, dst, errno: e, syscall: .unlink)
        }
        if case .failure(let e) = sys.symlink(target, dst) {
            return CopyError(.symlink, dst, errno: e, syscall: .symlink)
        }
        return Metadata(copier: self).applyToSymlink(st, at: dst, record: &record)
    }

    private func makeSpecialFile(_ src: Path, _ st: FileStat, at dst: Path, existing: FileStat?,
                                 record: inout FileRecord) -> CopyError? {
        if existing != nil, case .failure(let e) = sys.unlink(dst) {
            return CopyError(.removeExisting, dst, errno: e, syscall: .unlink)
        }
        let perm = st.permissions & (options.preserve.mode ? 0o7777 : 0o777)
        if case .failure(let e) = sys.mknod(dst, (st.mode & 0o170000) | perm, st.rdev) {
            return CopyError(st.kind == .fifo ? .create(.fifo) : .mknod, dst, errno: e, syscall: .mknod)
        }
        return Metadata(copier: self).applyToPath(st, source: src, at: dst, isNew: true, record: &record)
    }
}
