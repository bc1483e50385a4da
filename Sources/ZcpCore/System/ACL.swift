import CAcl
import CZcp
import Glibc

/// Which ACL of a file: the access ACL, or a directory's default ACL (inherited by new entries).
public enum ACLKind: Sendable { case access, `default` }

/// What copying one ACL found.
public enum ACLCopy: Sendable, Equatable {
    /// The source has no ACL beyond its mode bits (or none at all): the mode says everything.
    case trivial
    /// A real ACL was set on the copy.
    case copied
}

/// Copies an ACL with libacl. Access ACLs of open files go through the descriptors; default
/// ACLs (directories only) go by name. A source whose filesystem has no ACLs counts as trivial.
func liveCopyACL(from: XattrTarget, to: XattrTarget, kind: ACLKind) -> SysResult<ACLCopy> {
    let type = acl_type_t(kind == .access ? ACL_TYPE_ACCESS : ACL_TYPE_DEFAULT)
    let acl: acl_t?
    switch from {
    case .fd(let fd): acl = kind == .access ? acl_get_fd(fd) : nil
    case .path(let p): acl = p.withCString { acl_get_file($0, type) }
    }
    guard let acl else {
        let e = Errno.current
        return e == .EOPNOTSUPP || e == .ENOSYS || e == .ENODATA ? .success(.trivial) : .failure(e)
    }
    defer { acl_free(UnsafeMutableRawPointer(acl)) }

    if kind == .access {
        var mode: mode_t = 0
        if acl_equiv_mode(acl, &mode) == 0 {
            // The copy must not keep an ACL it inherited from a default ACL: without one,
            // the mode set next says everything (as GNU's acl_from_mode does).
            let rc: Int32
            switch to {
            case .fd(let fd): rc = fremovexattr(fd, "system.posix_acl_access")
            case .path(let p): rc = p.withCString { lremovexattr($0, "system.posix_acl_access") }
            }
            if rc != 0 {
                let e = Errno.current
                if e != .ENODATA && e != .EOPNOTSUPP && e != .ENOSYS { return .failure(e) }
            }
            return .success(.trivial)
        }
    } else if acl_entries(acl) <= 0 {
        // No default ACL on the source: the copy must not keep one inherited from its parent.
        if case .path(let p) = to {
            let rc = p.withCString { acl_delete_def_file($0) }
            if rc != 0 {
                let e = Errno.current
                if e != .EOPNOTSUPP && e != .ENOSYS { return .failure(e) }
            }
        }
        return .success(.trivial)
    }
    let rc: Int32
    switch to {
    case .fd(let fd): rc = acl_set_fd(fd, acl)
    case .path(let p): rc = p.withCString { acl_set_file($0, type, acl) }
    }
    return rc == 0 ? .success(.copied) : .failure(.current)
}

/// The access ACL equivalent to `mode`'s permission bits (libacl's acl_from_mode), set on the file.
func liveSetModeACL(_ to: XattrTarget, mode: UInt32) -> SysResult<Void> {
    guard let acl = acl_from_mode(mode_t(mode & 0o777)) else { return .failure(.current) }
    defer { acl_free(UnsafeMutableRawPointer(acl)) }
    let rc: Int32
    switch to {
    case .fd(let fd): rc = acl_set_fd(fd, acl)
    case .path(let p): rc = p.withCString { acl_set_file($0, acl_type_t(ACL_TYPE_ACCESS), acl) }
    }
    return rc == 0 ? .success(()) : .failure(.current)
}
