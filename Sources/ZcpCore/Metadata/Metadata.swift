import Glibc

/// Applies the source's metadata to a copy, in GNU's order: timestamps, ownership, xattrs,
/// then mode (after chown, which clears set-id bits). Works on the open descriptor where there
/// is one. Every step is tried; the first failure is returned.
struct Metadata {
    /// Read through, not copied: a Metadata is made for every file.
    private let copier: Copier
    private var sys: Syscalls { copier.sys }
    private var preserve: Options.Preserve { copier.options.preserve }
    private var umask: UInt32 { copier.umask }
    private var isRoot: Bool { copier.isRoot }
    private var defaultModes: Bool { copier.options.defaultModes }

    init(copier: Copier) { self.copier = copier }

    /// Writes down one attribute's outcome, which only the JSON report shows.
    private func keep(_ attribute: String, _ outcome: String, in record: inout FileRecord) {
        if copier.options.reportPath != nil { record.metadata.append((attribute, outcome)) }
    }

    /// A regular file or a directory, through its descriptor (`srcFd` is the open source).
    /// What was kept, and what could not be and why, goes into `record`. `replacing`: the
    /// destination an --atomic copy takes the place of, whose mode the copy keeps unless
    /// the mode is preserved (as an in-place overwrite would).
    /// `created`: the mode a directory this run made came out with (mkdir's, with what it
    /// inherited, such as a set-group-ID bit).
    /// `inheritsNoACL`: the copy was made in a directory without a default ACL, so a new copy
    /// holds no ACL of its own.
    func applyToDescriptor(_ st: FileStat, srcFd: Int32, fd: Int32, path: Path, isNew: Bool,
                           isDirectory: Bool = false, created: UInt32? = nil, inheritsNoACL: Bool = false,
                           record: inout FileRecord, replacing: FileStat? = nil) -> CopyError? {
        var first: CopyError? = nil
        func note(_ attribute: String, _ e: CopyError?, ok: String = "ok") {
            keep(attribute, e?.errno?.name ?? (e == nil ? ok : "error"), in: &record)
            if first == nil { first = e }
        }
        if preserve.timestamps {
            let r = sys.futimens(fd, st.atime, st.mtime)
            note("timestamps", r.error.map { CopyError(.preserveTimes, path, errno: $0, syscall: .futimens) })
        }
        var ownershipKept = true
        if preserve.ownership, case .failure(let e) = sys.fchown(fd, st.uid, st.gid) {
            ownershipKept = false
            _ = sys.fchown(fd, UInt32.max, st.gid)  // keep at least the group where we may
            note("ownership", ownershipFailure(e, path: path), ok: "not permitted")
        } else if preserve.ownership {
            note("ownership", nil)
        }
        var acls: XattrCopier.ListedACLs? = nil
        if preserve.xattr {
            note("xattr", XattrCopier(required: preserve.xattrRequired).copy(sys, from: .fd(srcFd), to: .fd(fd),
                                                                                      path: path, acls: &acls))
        }
        var wanted = finalMode(st, isNew: isNew, ownershipKept: ownershipKept, isDirectory: isDirectory, created: created)
        if let old = replacing, !preserve.mode { wanted = old.permissions }
        guard let mode = wanted else { return first }
        var aclFailure: CopyError? = nil
        var needsChmod = true
        if preserve.mode {
            // ACLs are part of the mode (as GNU counts them); a trivial one is just the mode.
            // The attribute list, when -a read it, already says whether there is an ACL to copy;
            // a new copy in a directory without a default ACL has none of its own to clear, so
            // the mode below is all it needs.
            let blank = isNew && inheritsNoACL
            let aclToCopy = acls.map { $0.access || !blank } ?? true
            switch aclToCopy ? sys.copyACL(.fd(srcFd), .fd(fd), .access) : .success(.trivial) {
            case .success(.trivial): break
            case .success(.copied): needsChmod = mode & 0o7000 != 0
            case .failure(let e): aclFailure = CopyError(.preservePermissions, path, errno: e, syscall: .fsetxattr)
            }
            // A default ACL the destination cannot hold is dropped quietly, as GNU does.
            if isDirectory, acls.map({ $0.default || !blank }) ?? true,
               case .failure(let e) = sys.copyACL(.path(At(srcFd, Path(".")).fullName),
                                                               .path(At(fd, Path(".")).fullName), .default),
               e != .EOPNOTSUPP, aclFailure == nil {
                aclFailure = CopyError(.preservePermissions, path, errno: e, syscall: .fsetxattr)
            }
        }
        var chmodFailure: CopyError? = nil
        if needsChmod, case .failure(let e) = sys.fchmod(fd, mode) {
            chmodFailure = CopyError(.preservePermissions, path, errno: e, syscall: .fchmod)
        }
        if preserve.mode { note("mode", aclFailure ?? chmodFailure) } else if let chmodFailure { note("mode", chmodFailure) }
        return first
    }

    /// A special file, or a --parents directory, by name.
    func applyByName(_ st: FileStat, source: Node, at node: Node, isNew: Bool, isDirectory: Bool = false,
                     created: UInt32? = nil, record: inout FileRecord) -> CopyError? {
        let path = node.path
        var first: CopyError? = nil
        func note(_ e: CopyError?) { if first == nil { first = e } }
        func step(_ attribute: String, _ e: CopyError?, ok: String = "ok") {
            keep(attribute, e?.errno?.name ?? (e == nil ? ok : "error"), in: &record)
            note(e)
        }
        if preserve.timestamps {
            let r = sys.utimensat(node.at, st.atime, st.mtime, false)
            step("timestamps", r.error.map { CopyError(.preserveTimes, path, errno: $0, syscall: .utimensat) })
        }
        var ownershipKept = true
        if preserve.ownership, case .failure(let e) = sys.lchown(node.at, st.uid, st.gid) {
            ownershipKept = false
            step("ownership", ownershipFailure(e, path: path), ok: "not permitted")
        } else if preserve.ownership {
            step("ownership", nil)
        }
        var acls: XattrCopier.ListedACLs? = nil
        if preserve.xattr {
            step("xattr", XattrCopier(required: preserve.xattrRequired).copy(sys,
                from: .path(source.at.fullName), to: .path(node.at.fullName), path: path, acls: &acls))
        }
        let before = first
        guard let mode = finalMode(st, isNew: isNew, ownershipKept: ownershipKept, isDirectory: isDirectory,
                                   created: created) else {
            return first
        }
        var needsChmod = true
        if preserve.mode {
            switch sys.copyACL(.path(source.at.fullName), .path(node.at.fullName), .access) {
            case .success(.trivial): break
            case .success(.copied): needsChmod = mode & 0o7000 != 0
            case .failure(let e): note(CopyError(.preservePermissions, path, errno: e, syscall: .fsetxattr))
            }
            // A default ACL the destination cannot hold is dropped quietly, as GNU does.
            if isDirectory, case .failure(let e) = sys.copyACL(.path(source.at.fullName), .path(node.at.fullName), .default),
               e != .EOPNOTSUPP {
                note(CopyError(.preservePermissions, path, errno: e, syscall: .fsetxattr))
            }
        }
        if needsChmod, case .failure(let e) = sys.chmod(node.at, mode) {
            note(CopyError(.preservePermissions, path, errno: e, syscall: .chmod))
        }
        if preserve.mode {
            let modeError = before == nil ? first : nil
            keep("mode", modeError?.errno?.name ?? (modeError == nil ? "ok" : "error"), in: &record)
        }
        return first
    }

    func applyToSymlink(_ st: FileStat, at node: Node, record: inout FileRecord) -> CopyError? {
        let path = node.path
        if preserve.timestamps {
            let r = sys.utimensat(node.at, st.atime, st.mtime, false)
            keep("timestamps", r.error?.name ?? "ok", in: &record)
            if let e = r.error { return CopyError(.preserveTimes, path, errno: e, syscall: .utimensat) }
        }
        if preserve.ownership {
            let r = sys.lchown(node.at, st.uid, st.gid)
            keep("ownership", r.error?.name ?? "ok", in: &record)
            if let e = r.error { return ownershipFailure(e, path: path) }
        }
        return nil
    }

    /// The mode a directory is made with while its contents arrive: writable and searchable
    /// by its owner, and no more open to others than the source (closed to them entirely
    /// while its owner is not yet the source's), as GNU does.
    static func directoryCreationMode(_ st: FileStat, preserveOwnership: Bool) -> UInt32 {
        (st.permissions & 0o777 & ~(preserveOwnership ? 0o077 : 0o022)) | 0o700
    }

    /// The mode to set at the end, or nil when what the copy was created with is right.
    private func finalMode(_ st: FileStat, isNew: Bool, ownershipKept: Bool, isDirectory: Bool,
                           created: UInt32?) -> UInt32? {
        if preserve.mode {
            // Set-id bits never survive a failed chown.
            return ownershipKept ? st.permissions : st.permissions & ~UInt32(S_ISUID | S_ISGID)
        }
        guard isNew else { return nil }
        if isDirectory {
            // What mkdir would have given it, keeping what it inherited (a set-group-ID bit).
            let made = created ?? (Self.directoryCreationMode(st, preserveOwnership: preserve.ownership) & ~umask)
            let wanted = (made & 0o7000) | ((defaultModes ? 0o777 : st.permissions & 0o777) & ~umask)
            return wanted != made & 0o7777 ? wanted : nil
        }
        if defaultModes { return 0o666 & ~umask }
        let wanted = st.permissions & 0o777 & ~umask
        // Created owner-only while the data moved (when ownership is kept): widen now.
        return preserve.ownership ? wanted : nil
    }

    /// Not being allowed to give a file away is expected for ordinary users (GNU stays quiet).
    private func ownershipFailure(_ e: Errno, path: Path) -> CopyError? {
        if !isRoot && (e == .EPERM || e == .EINVAL) { return nil }
        return CopyError(.preserveOwnership, path, errno: e, syscall: .fchown)
    }
}
