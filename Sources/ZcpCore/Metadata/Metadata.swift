import Glibc

/// Applies the source's metadata to a copy, in GNU's order: timestamps, ownership, xattrs,
/// then mode (after chown, which clears set-id bits). Works on the open descriptor where there
/// is one. Every step is tried; the first failure is returned.
struct Metadata {
    let sys: Syscalls
    let preserve: Options.Preserve
    let umask: UInt32
    let isRoot: Bool

    init(copier: Copier) {
        sys = copier.sys
        preserve = copier.options.preserve
        umask = copier.umask
        isRoot = geteuid() == 0
    }

    /// A regular file, through its descriptor (`srcFd` is the open source).
    func applyToDescriptor(_ st: FileStat, srcFd: Int32, fd: Int32, path: Path, isNew: Bool) -> CopyError? {
        var first: CopyError? = nil
        func note(_ e: CopyError?) { if first == nil { first = e } }
        if preserve.timestamps, case .failure(let e) = sys.futimens(fd, st.atime, st.mtime) {
            note(CopyError(.preserveTimes, path, errno: e, syscall: .futimens))
        }
        var ownershipKept = true
        if preserve.ownership, case .failure(let e) = sys.fchown(fd, st.uid, st.gid) {
            ownershipKept = false
            note(ownershipFailure(e, path: path))
            _ = sys.fchown(fd, UInt32.max, st.gid)  // keep at least the group where we may
        }
        if preserve.xattr {
            note(XattrCopier(sys: sys, required: preserve.xattrRequired).copy(from: .fd(srcFd), to: .fd(fd), path: path))
        }
        if let mode = finalMode(st, isNew: isNew, ownershipKept: ownershipKept, isDirectory: false),
           case .failure(let e) = sys.fchmod(fd, mode) {
            note(CopyError(.preservePermissions, path, errno: e, syscall: .fchmod))
        }
        return first
    }

    /// A directory (after its contents) or a special file, by name.
    func applyToPath(_ st: FileStat, source: Path, at path: Path, isNew: Bool, isDirectory: Bool = false) -> CopyError? {
        var first: CopyError? = nil
        func note(_ e: CopyError?) { if first == nil { first = e } }
        if preserve.timestamps, case .failure(let e) = sys.utimensat(path, st.atime, st.mtime, false) {
            note(CopyError(.preserveTimes, path, errno: e, syscall: .utimensat))
        }
        var ownershipKept = true
        if preserve.ownership, case .failure(let e) = sys.lchown(path, st.uid, st.gid) {
            ownershipKept = false
            note(ownershipFailure(e, path: path))
        }
        if preserve.xattr {
            note(XattrCopier(sys: sys, required: preserve.xattrRequired).copy(from: .path(source), to: .path(path), path: path))
        }
        if let mode = finalMode(st, isNew: isNew, ownershipKept: ownershipKept, isDirectory: isDirectory),
           case .failure(let e) = sys.chmod(path, mode) {
            note(CopyError(.preservePermissions, path, errno: e, syscall: .chmod))
        }
        return first
    }

    func applyToSymlink(_ st: FileStat, at path: Path) -> CopyError? {
        if preserve.timestamps, case .failure(let e) = sys.utimensat(path, st.atime, st.mtime, false) {
            return CopyError(.preserveTimes, path, errno: e, syscall: .utimensat)
        }
        if preserve.ownership, case .failure(let e) = sys.lchown(path, st.uid, st.gid) {
            return ownershipFailure(e, path: path)
        }
        return nil
    }

    /// The mode to set at the end, or nil when what the copy was created with is right.
    private func finalMode(_ st: FileStat, isNew: Bool, ownershipKept: Bool, isDirectory: Bool) -> UInt32? {
        if preserve.mode {
            // Set-id bits never survive a failed chown.
            return ownershipKept ? st.permissions : st.permissions & ~UInt32(S_ISUID | S_ISGID)
        }
        guard isNew else { return nil }
        let wanted = st.permissions & 0o777 & ~umask
        if isDirectory {
            // Made with u+rwx so its contents could arrive: give it what mkdir would have.
            return wanted != (st.permissions & 0o777 | 0o700) & ~umask ? wanted : nil
        }
        // Created owner-only while the data moved (when ownership is kept): widen now.
        return preserve.ownership ? wanted : nil
    }

    /// Not being allowed to give a file away is expected for ordinary users (GNU stays quiet).
    private func ownershipFailure(_ e: Errno, path: Path) -> CopyError? {
        if !isRoot && (e == .EPERM || e == .EINVAL) { return nil }
        return CopyError(.preserveOwnership, path, errno: e, syscall: .fchown)
    }
}
