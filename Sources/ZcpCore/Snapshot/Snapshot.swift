import Glibc

/// What --link-dest or --reflink-dest did with one regular file, and why: the report's
/// `snapshot`, `snapshot_reason` and `snapshot_dir`, --debug's snapshot line, --stats' rows.
public struct SnapshotOutcome: Sendable, Equatable {
    public enum Action: String, Sendable { case linked, reflinked, copied }
    public var action: Action
    /// `unchanged` for a link or clone; for a copy what differed in the first earlier
    /// snapshot holding the name (`absent`, `type`, `size`, `mtime`, `content`, `mode`,
    /// `owner`, `group`, `xattr`, `acl`), or the errno that refused the link or clone
    /// (`EMLINK`, `EXDEV`, `EOPNOTSUPP`, ...).
    public var reason: String
    /// The earlier snapshot linked or cloned from, as given on the command line.
    public var dir: Path? = nil
}

/// The earlier snapshots of a --link-dest or --reflink-dest run, opened once before anything
/// is copied, and the comparison that decides, for each regular file, whether its copy can
/// be a hard link to (or a clone of) the file at the same relative name in one of them.
/// Immutable: the walker and every pool thread read it.
struct SnapshotPlan: Sendable {
    struct Dir: Sendable {
        var fd: Int32
        var name: Path
    }
    let kind: Options.SnapshotKind
    let dirs: [Dir]
    /// The destination directory: a file's name relative to it is looked up in each DIR.
    let base: Path
    let checksum: Bool
    let window: Int64
    /// What must be equal for a link (what the copy would be given): -p's mode and ACLs,
    /// ownership, xattrs. A clone gets the source's attributes, so only its data must be.
    let comparesMode: Bool
    let comparesOwnership: Bool
    /// A link keeps the earlier file's mtime: with timestamps kept, it must be the source's
    /// even when --checksum decides on content.
    let comparesTimes: Bool
    let comparesXattrs: Bool

    /// Opens every DIR (a relative one relative to `base`, as rsync takes it). A DIR that
    /// cannot be opened as a directory is an error before anything is copied.
    static func open(_ options: Options, base: Path, sys: Syscalls) -> Result<SnapshotPlan, CopyError> {
        var dirs: [Dir] = []
        for name in options.snapshotDirs {
            var path = name.bytes.first == UInt8(ascii: "/") ? name : base.appending(name)
            if path != name, case .failure(.ENOENT) = sys.stat(At(base), true) {
                path = Self.lexicallyJoined(base, name)
            }
            switch sys.open(At(path), O_RDONLY | O_DIRECTORY, 0) {
            case .success(let fd): dirs.append(Dir(fd: fd, name: name))
            case .failure(let e):
                for d in dirs { _ = sys.close(d.fd) }
                return .failure(CopyError(.snapshotDirectory(options.snapshotKind), path, errno: e, syscall: .open))
            }
        }
        let link = options.snapshotKind == .link
        return .success(
            SnapshotPlan(
                kind: options.snapshotKind, dirs: dirs, base: base, checksum: options.checksum,
                window: options.modifyWindow,
                comparesMode: link && options.preserve.mode && !options.defaultModes,
                comparesOwnership: link && options.preserve.ownership,
                comparesTimes: link && options.preserve.timestamps,
                comparesXattrs: link && options.preserve.xattr))
    }

    /// The directory a copy's names are relative to: the target directory, or for
    /// `SOURCE DEST`, DEST itself when SOURCE is a directory (its files land in DEST) and
    /// DEST's directory otherwise.
    static func base(destinationDirectory: Path?, destination: Path?, sourceIsDirectory: Bool) -> Path {
        if let destinationDirectory { return destinationDirectory }
        guard let destination else { return Path(".") }
        if sourceIsDirectory { return destination }
        let parent = destination.parentDirectory
        return parent.isEmpty ? Path(".") : parent
    }

    /// `base/name` with `.` dropped and each `..` taking away the component before it, for a
    /// base this run has yet to make.
    static func lexicallyJoined(_ base: Path, _ name: Path) -> Path {
        let absolute = base.bytes.first == UInt8(ascii: "/")
        var parts: [[UInt8]] = []
        for part in (base.bytes + [UInt8(ascii: "/")] + name.bytes).split(separator: UInt8(ascii: "/")) {
            if part.elementsEqual([UInt8(ascii: ".")]) { continue }
            if part.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]), let last = parts.last,
                last != [UInt8(ascii: "."), UInt8(ascii: ".")]
            {
                parts.removeLast()
                continue
            }
            parts.append(Array(part))
        }
        var bytes: [UInt8] = absolute ? [UInt8(ascii: "/")] : []
        bytes += Array(parts.joined(separator: [UInt8(ascii: "/")]))
        return Path(bytes: bytes.isEmpty ? [UInt8(ascii: ".")] : bytes)
    }

    /// `dest` relative to the base: what is looked up in each DIR.
    func relativeName(of dest: Path) -> Path? {
        let b = base.bytes, d = dest.bytes
        if b == [UInt8(ascii: ".")] && d.first != UInt8(ascii: "/") { return dest }
        guard d.count > b.count, d.starts(with: b) else { return nil }
        var rest = d[b.count...]
        guard b.last == UInt8(ascii: "/") || rest.first == UInt8(ascii: "/") else { return nil }
        while rest.first == UInt8(ascii: "/") { rest = rest.dropFirst() }
        return rest.isEmpty ? nil : Path(bytes: Array(rest))
    }

    /// The decision for one file: the DIR (index) whose file it may become, or why not.
    enum Choice: Equatable {
        case use(Int)
        case copy(reason: String)
    }

    /// Compares the source (open as `srcFd`, `st`) with `DIR/rel` in each DIR in order;
    /// the first that matches wins. A copy's reason is the first difference found in the
    /// first DIR that holds the name.
    /// `source` is where its attributes are read (its descriptor, or its name when it is not
    /// open yet); `srcFd` is needed only with --checksum.
    func decide(
        rel: Path, st: FileStat, source: XattrTarget, srcFd: Int32, sys: Syscalls, buffer: () -> UnsafeMutableRawPointer,
        size: Int
    ) -> Choice {
        var firstReason: String? = nil
        var sourceDigest: Digest? = nil
        for (i, dir) in dirs.enumerated() {
            guard case .success(let old) = sys.stat(At(dir.fd, rel), false) else { continue }
            var why: String? = difference(st, old)
            if why == nil && checksum {
                if sourceDigest == nil {
                    sourceDigest = Self.digest(srcFd, size: st.size, sys: sys, buffer: buffer(), bufferSize: size)
                }
                let oldDigest = Self.digest(at: At(dir.fd, rel), size: old.size, sys: sys, buffer: buffer(), bufferSize: size)
                if sourceDigest == nil || oldDigest == nil || sourceDigest != oldDigest { why = "content" }
            }
            if why == nil && (comparesMode || comparesXattrs) {
                why = why ?? attributeDifference(source: source, old: At(dir.fd, rel), sys: sys)
            }
            guard let why else { return .use(i) }
            if firstReason == nil { firstReason = why }
        }
        return .copy(reason: firstReason ?? "absent")
    }

    /// What stat tells apart: type, size, mtime (unless --checksum), mode, owner, group.
    private func difference(_ st: FileStat, _ old: FileStat) -> String? {
        if old.kind != .file { return "type" }
        if old.size != st.size { return "size" }
        if (!checksum || comparesTimes) && !sameTime(st.mtime, old.mtime) { return "mtime" }
        if comparesMode && old.permissions != st.permissions { return "mode" }
        if comparesOwnership && old.uid != st.uid { return "owner" }
        if comparesOwnership && old.gid != st.gid { return "group" }
        return nil
    }

    /// Equal to the nanosecond, or within --modify-window seconds.
    private func sameTime(_ a: timespec, _ b: timespec) -> Bool {
        if window == 0 { return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec }
        let d = Int64(a.tv_sec) - Int64(b.tv_sec)
        return d.magnitude <= UInt64(window)
    }

    /// The POSIX ACLs (with -p) and the other extended attributes (with xattr kept), read
    /// only when everything stat shows is equal: the two lists first, values only for names
    /// they have (most files have none: two calls).
    private func attributeDifference(source: XattrTarget, old: At, sys: Syscalls) -> String? {
        let oldTarget = XattrTarget.path(old.fullName)
        let mine = Self.names(sys, source), theirs = Self.names(sys, oldTarget)
        let acl = XattrCopier.accessACL
        if comparesMode && (mine.contains(acl) || theirs.contains(acl))
            && Self.value(sys, source, acl) != Self.value(sys, oldTarget, acl)
        {
            return "acl"
        }
        if comparesXattrs {
            let a = Set(mine.filter { !XattrCopier.isLeftOut($0) }), b = Set(theirs.filter { !XattrCopier.isLeftOut($0) })
            if a != b { return "xattr" }
            for name in a where Self.value(sys, source, name) != Self.value(sys, oldTarget, name) { return "xattr" }
        }
        return nil
    }

    private static func names(_ sys: Syscalls, _ target: XattrTarget) -> [[UInt8]] {
        if case .success(let n) = sys.listXattrs(target) { return n }
        return []
    }

    private static func value(_ sys: Syscalls, _ target: XattrTarget, _ name: [UInt8]) -> [UInt8]? {
        if case .success(let v) = sys.getXattr(target, name) { return v }
        return nil
    }

    private static func digest(
        _ fd: Int32, size: Int64, sys: Syscalls, buffer: UnsafeMutableRawPointer, bufferSize: Int
    ) -> Digest? {
        let h = Hasher()
        guard case .success = h.read(fd, to: size, sparse: false, uncached: false, sys: sys, buffer: buffer, size: bufferSize),
            h.position == size
        else { return nil }
        return h.digest
    }

    private static func digest(
        at: At, size: Int64, sys: Syscalls, buffer: UnsafeMutableRawPointer, bufferSize: Int
    ) -> Digest? {
        guard case .success(let fd) = sys.open(at, O_RDONLY | O_NOFOLLOW, 0) else { return nil }
        defer { _ = sys.close(fd) }
        return digest(fd, size: size, sys: sys, buffer: buffer, bufferSize: bufferSize)
    }
}
