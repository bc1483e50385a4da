import Glibc

/// Applies the source's metadata to a copy, in GNU's order: timestamps, ownership, then mode
/// (after chown, which clears set-id bits). Works on the open descriptor where there is one.
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

    /// A regular file, through its descriptor.
    func applyToDescriptor(_ st: FileStat, fd: Int32, path: Path, isNew: Bool) -> CopyError? {
        if preserve.timestamps, case .failure(let e) = sys.futimens(fd, st.atime, st.mtime) {
            return CopyError(.preserveTimes, path, errno: e, syscall: .futimens)
        }
        var ownershipKept = true
        if preserve.ownership {
            if case .failure(let e) = sys.fchown(fd, st.uid, st.gid) {
                ownershipKept = false
                if let err = ownershipFailure(e, path: path) { return err }
                // Keep at least the group where we may.
                _ = sys.fchown(fd, UInt32.max, st.gid)
            }
        }
        if preserve.mode {
            var mode = st.permissions
            if !ownershipKept { mode &= ~UInt32(S_ISUID | S_ISGID) }
            if case .failure(let e) = sys.fchmod(fd, mode) {
                return CopyError(.preservePermissions, path, errno: e, syscall: .fchmod)
            }
        } else if isNew && preserve.ownership {
            // Created owner-only while the data moved: widen to what open() would have given.
            if case .failure(let e) = sys.fchmod(fd, st.permissions & 0o777 & ~umask) {
                return CopyError(.preservePermissions, path, errno: e, syscall: .fchmod)
            }
        }
        return nil
    }

    /// A directory (after its contents) or a special file, by name.
    func applyToPath(_ st: FileStat, at path: Path, isNew: Bool, isDirectory: Bool = false) -> CopyError? {
        if preserve.timestamps, case .failure(let e) = sys.utimensat(path, st.atime, st.mtime, false) {
            return CopyError(.preserveTimes, path, errno: e, syscall: .utimensat)
        }
        var ownershipKept = true
        if preserve.ownership, case .failure(let e) = sys.lchown(path, st.uid, st.gid) {
            ownershipKept = false
            if let err = ownershipFailure(e, path: path) { return err }
        }
        var mode: UInt32? = nil
        if preserve.mode {
            mode = st.permissions & (ownershipKept ? 0o7777 : ~UInt32(S_ISUID | S_ISGID) & 0o7777)
        } else if isNew && isDirectory {
            // Made with u+rwx so its contents could arrive: give it what mkdir would have.
            let wanted = st.permissions & 0o777 & ~umask
            if wanted != (st.permissions & 0o777 | 0o700) & ~umask { mode = wanted }
        }
        if let mode, case .failure(let e) = sys.chmod(path, mode) {
            return CopyError(.preservePermissions, path, errno: e, syscall: .chmod)
        }
        return nil
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

    /// Not being allowed to give a file away is expected for ordinary users (GNU stays quiet).
    private func ownershipFailure(_ e: Errno, path: Path) -> CopyError? {
        if !isRoot && (e == .EPERM || e == .EINVAL) { return nil }
        return CopyError(.preserveOwnership, path, errno: e, syscall: .fchown)
    }
}
