import Glibc

/// Where a copy's attributes are applied: through the open descriptors of a regular file or
/// a directory, or by name (special files, --parents directories, symlinks themselves).
enum MetadataTarget {
    case descriptor(source: Int32, copy: Int32)
    case name(source: At, copy: At)
    /// A symlink: times and owner only (Linux keeps no mode, and no user attributes, on one).
    case symlink(copy: At)

    var isSymlink: Bool { if case .symlink = self { return true } else { return false } }
}

/// Applies the source's metadata to a copy, for every kind of object: ownership (with GNU's
/// fallback to the group alone), xattrs, mode and ACLs (after chown, which clears set-id
/// bits), and the timestamps last (GNU sets them first): a copy with its source's size and
/// mtime then has every other attribute too, which is what --resume takes as complete.
/// Every step is tried; the first failure is
/// returned, and what each step did goes into the record for the report.
struct Metadata {
    /// Read through, not copied: a Metadata is made for every file.
    private let context: RunContext
    private var sys: Syscalls { context.sys }
    private var preserve: Options.Preserve { context.options.preserve }
    private var umask: UInt32 { context.umask }
    private var defaultModes: Bool { context.options.defaultModes }

    init(context: RunContext) { self.context = context }

    /// Writes down one attribute's outcome, which only the JSON report shows.
    private func keep(_ attribute: String, _ outcome: String, in record: inout FileRecord) {
        if context.options.reportPath != nil { record.metadata.append((attribute, outcome)) }
    }

    /// `path` names the copy in messages. `isNew`: this run made the copy. `created`: the
    /// mode a directory or special file this run made came out with (with what it inherited,
    /// such as a set-group-ID bit). `inheritsNoACL`: the copy was made in a directory without a
    /// default ACL, so a new copy holds no ACL of its own. `replacing`: the destination an
    /// --atomic copy takes the place of, whose mode the copy keeps unless the mode is preserved
    /// (as an in-place overwrite would). `owned`: what was at the destination already (an
    /// in-place overwrite, an existing directory): if it has the source's owner and group, no
    /// chown is made (GNU), which would clear its set-id bits for nothing.
    /// `ownerAsSource`: a new regular file this run made already has the source's owner and
    /// group, and `created` is the mode it was made with.
    /// `xattrs`: false for what keeps mode, owner, times and ACLs only (--parents directories).
    func apply(
        _ st: FileStat, to target: MetadataTarget, path: Path, isNew: Bool, created: UInt32? = nil,
        inheritsNoACL: Bool = false, record: inout FileRecord, replacing: FileStat? = nil,
        owned: FileStat? = nil, ownerAsSource: Bool = false, xattrs: Bool = true
    ) -> CopyError? {
        let e = applyAttributes(
            st, to: target, path: path, isNew: isNew, created: created, inheritsNoACL: inheritsNoACL,
            record: &record, replacing: replacing, owned: owned, ownerAsSource: ownerAsSource,
            xattrs: xattrs)
        guard preserve.timestamps else { return e }
        let t = setTimes(st, to: target, path: path)
        keep("timestamps", t?.errno?.name ?? (t == nil ? "ok" : "error"), in: &record)
        // GNU sets the times first and stops there when they fail (not the owner: then owner
        // and mode cannot be set either): that failure is the one told.
        return t ?? e
    }

    private func setTimes(_ st: FileStat, to target: MetadataTarget, path: Path) -> CopyError? {
        let r: SysResult<Void>
        switch target {
        case .descriptor(_, let fd): r = sys.futimens(fd, st.atime, st.mtime)
        case .name(_, let at), .symlink(let at): r = sys.utimensat(at, st.atime, st.mtime, false)
        }
        let call: Syscall = if case .descriptor = target { .futimens } else { .utimensat }
        return r.error.map { CopyError(.preserveTimes, path, errno: $0, syscall: call) }
    }

    private func applyAttributes(
        _ st: FileStat, to target: MetadataTarget, path: Path, isNew: Bool, created: UInt32?,
        inheritsNoACL: Bool, record: inout FileRecord, replacing: FileStat?,
        owned: FileStat?, ownerAsSource: Bool, xattrs: Bool
    ) -> CopyError? {
        var first: CopyError? = nil
        func note(_ attribute: String, _ e: CopyError?, ok: String = "ok") {
            keep(attribute, e?.errno?.name ?? (e == nil ? ok : "error"), in: &record)
            if first == nil { first = e }
        }
        var ownershipKept = true
        if preserve.ownership, let o = owned, !isNew, o.uid == st.uid, o.gid == st.gid {
            note("ownership", nil)
        } else if preserve.ownership && ownerAsSource && isNew {
            note("ownership", nil)  // made with them
        } else if preserve.ownership, !(isNew && st.kind.isSpecial), case .success(let now) = stat(target),
            now.uid == st.uid, now.gid == st.gid
        {
            // Already right: GNU makes no call (one that refuses chown does not fail). A new
            // special file is chowned all the same, as GNU does, and the kernel takes its
            // set-user-ID bit (and a set-group-ID bit beside group execute) as for any chown.
            note("ownership", nil)
        } else if preserve.ownership {
            let r = chown(target, st.uid, st.gid)
            if case .failure(let e) = r {
                ownershipKept = false
                _ = chown(target, UInt32.max, st.gid)  // keep at least the group where we may (GNU)
                let call: Syscall = if case .descriptor = target { .fchown } else { .lchown }
                note("ownership", ownershipFailure(e, path: path, call: call), ok: "not permitted")
            } else {
                note("ownership", nil)
            }
        }
        if target.isSymlink { return first }

        var acls: XattrCopier.ListedACLs? = nil
        let from: XattrTarget, to: XattrTarget
        switch target {
        case .descriptor(let s, let d): from = .fd(s); to = .fd(d)
        case .name(let s, let d): from = .path(s.fullName); to = .path(d.fullName)
        case .symlink: return first
        }
        if preserve.xattr && xattrs {
            // A copy its owner may not write takes no user attributes, not even through a
            // descriptor open for writing: it is made writable while they are set (GNU).
            var restore: UInt32? = nil
            if !context.isRoot && st.permissions & 0o200 == 0, case .success(let now) = stat(target),
                now.permissions & 0o200 == 0, case .success = setMode(target, now.permissions | 0o200)
            {
                restore = now.permissions
            }
            note("xattr", XattrCopier(required: preserve.xattrRequired).copy(sys, from: from, to: to, path: path, acls: &acls))
            if let restore { _ = setMode(target, restore) }
        }
        let isDirectory = st.isDirectory
        var wanted = finalMode(st, target: target, isNew: isNew, ownershipKept: ownershipKept, created: created)
        if let old = replacing, !preserve.mode { wanted = old.permissions }
        guard var mode = wanted else { return first }
        var aclFailure: CopyError? = nil
        var needsChmod = true
        if preserve.mode {
            // ACLs are part of the mode (as GNU counts them); a trivial one is just the mode.
            // The attribute list, when -a read it, already says whether there is an ACL to copy;
            // a new copy in a directory without a default ACL has none of its own to clear, so
            // the mode below is all it needs.
            let blank = isNew && inheritsNoACL
            let aclToCopy = acls.map { $0.access || !blank } ?? true
            switch aclToCopy ? sys.copyACL(from, to, .access) : .success(.trivial) {
            case .success(.trivial):
                // GNU sets a plain mode as an ACL, which leaves the set-id and sticky bits the
                // copy has (inherited by a new directory, or kept by an overwritten file).
                if mode & 0o7000 == 0 {
                    if let created {
                        mode |= created & 0o7000
                    } else if !isNew, case .success(let now) = stat(target) {
                        mode |= now.permissions & 0o7000
                    }
                }
            case .success(.copied): needsChmod = mode & 0o7000 != 0
            case .failure(let e): aclFailure = CopyError(.preservePermissions, path, errno: e, syscall: .fsetxattr)
            }
            // A default ACL the destination cannot hold is dropped quietly, as GNU does.
            if isDirectory, acls.map({ $0.default || !blank }) ?? true,
                case .failure(let e) = sys.copyACL(byName(from), byName(to), .default),
                e != .EOPNOTSUPP, aclFailure == nil
            {
                aclFailure = CopyError(.preservePermissions, path, errno: e, syscall: .fsetxattr)
            }
        }
        if ownerAsSource && isNew, let created, case .descriptor = target, mode == created {
            needsChmod = false  // made with this very mode
        }
        var chmodFailure: CopyError? = nil
        if needsChmod {
            let r: SysResult<Void>
            switch target {
            case .descriptor(_, let fd): r = sys.fchmod(fd, mode)
            case .name(_, let at): r = sys.chmod(at, mode)
            case .symlink: r = .success(())
            }
            let call: Syscall = if case .descriptor = target { .fchmod } else { .chmod }
            if case .failure(let e) = r, !setAsACL(mode, on: to, target: target, refused: e) {
                chmodFailure = CopyError(.preservePermissions, path, errno: e, syscall: call)
            }
        }
        if preserve.mode { note("mode", aclFailure ?? chmodFailure) } else if let chmodFailure { note("mode", chmodFailure) }
        return first
    }

    /// chmod was refused (bindfs --chmod-deny refuses it, and keeps ACLs): GNU sets a mode as
    /// the access ACL that says just that mode, which changes only the permission bits. Tried
    /// when the set-id and sticky bits are already what they should be.
    private func setAsACL(_ mode: UInt32, on to: XattrTarget, target: MetadataTarget, refused: Errno) -> Bool {
        guard refused == .EPERM, case .success(let now) = stat(target), now.permissions & 0o7000 == mode & 0o7000 else {
            return false
        }
        guard case .success = sys.setModeACL(to, mode),
            case .success(let after) = stat(target), after.permissions == mode
        else { return false }
        return true
    }

    private func stat(_ target: MetadataTarget) -> SysResult<FileStat> {
        switch target {
        case .descriptor(_, let fd): return sys.fstat(fd)
        case .name(_, let at), .symlink(let at): return sys.stat(at, false)
        }
    }

    private func setMode(_ target: MetadataTarget, _ mode: UInt32) -> SysResult<Void> {
        switch target {
        case .descriptor(_, let fd): return sys.fchmod(fd, mode)
        case .name(_, let at): return sys.chmod(at, mode)
        case .symlink: return .success(())
        }
    }

    private func chown(_ target: MetadataTarget, _ uid: UInt32, _ gid: UInt32) -> SysResult<Void> {
        switch target {
        case .descriptor(_, let fd): return sys.fchown(fd, uid, gid)
        case .name(_, let at), .symlink(let at): return sys.lchown(at, uid, gid)
        }
    }

    /// Default ACLs are read and written by name (libacl has no descriptor call for them).
    private func byName(_ t: XattrTarget) -> XattrTarget {
        if case .fd(let fd) = t { return .path(At(fd, Path(".")).fullName) }
        return t
    }

    /// The mode a directory is made with while its contents arrive: writable and searchable
    /// by its owner, no more open to others than the source (closed to them entirely while its
    /// owner is not yet the source's), and the source's set-id and sticky bits for mkdir to
    /// keep what it keeps, as GNU asks.
    static func directoryCreationMode(_ st: FileStat, preserveOwnership: Bool) -> UInt32 {
        (st.permissions & ~(preserveOwnership ? 0o077 : 0o022)) | 0o700
    }

    /// The mode a special file is made with: the source's, set-id and sticky bits included
    /// (mknod keeps them, as GNU's copies do), closed to others while its owner is not yet the
    /// source's. `defaultModes` (--no-preserve=mode): 0666 with the source's set-id and sticky
    /// bits, as GNU makes it (the umask still applies).
    static func specialCreationMode(_ st: FileStat, preserveOwnership: Bool, defaultModes: Bool = false) -> UInt32 {
        let mode = defaultModes ? (st.permissions & 0o7000) | 0o666 : st.permissions
        return mode & ~(preserveOwnership ? 0o077 : 0)
    }

    /// The mode to set at the end, or nil when what the copy was created with is right.
    private func finalMode(
        _ st: FileStat, target: MetadataTarget, isNew: Bool, ownershipKept: Bool,
        created: UInt32?
    ) -> UInt32? {
        if preserve.mode {
            // Set-id bits never survive a failed chown.
            return ownershipKept ? st.permissions : st.permissions & ~UInt32(S_ISUID | S_ISGID)
        }
        guard isNew else { return nil }
        if st.isDirectory {
            // What mkdir gave it without the owner's temporary access, and the permission bits
            // held back while it was filled: the source's less the umask, and what it inherited.
            let made = created ?? (Self.directoryCreationMode(st, preserveOwnership: preserve.ownership) & ~umask)
            let wanted = (made & 0o7000) | ((defaultModes ? 0o777 : st.permissions & 0o777) & ~umask)
            return wanted != made & 0o7777 ? wanted : nil
        }
        if case .name(_, let at) = target, defaultModes || preserve.ownership {
            // A special file keeps the set-id and sticky bits mknod took from the source and
            // chown left, and gets the default permissions (GNU sets them as an access ACL,
            // which leaves those bits alone) or, made closed to others, the source's.
            var now = created ?? 0
            if case .success(let s) = sys.stat(at, false) { now = s.permissions }
            let wanted = (now & 0o7000) | ((defaultModes ? 0o666 : st.permissions & 0o777) & ~umask)
            return wanted != now ? wanted : nil
        }
        if defaultModes { return 0o666 & ~umask }
        if case .name = target { return nil }
        let wanted = st.permissions & 0o777 & ~umask
        // Created owner-only while the data moved (when ownership is kept): widen now.
        return preserve.ownership ? wanted : nil
    }

    /// Not being allowed to give a file away is expected for ordinary users (GNU stays quiet).
    private func ownershipFailure(_ e: Errno, path: Path, call: Syscall) -> CopyError? {
        if !context.isRoot && (e == .EPERM || e == .EINVAL) { return nil }
        return CopyError(.preserveOwnership, path, errno: e, syscall: call)
    }
}
