/// Copies extended attributes (--preserve=xattr, -a). POSIX ACLs travel with the mode, and
/// SELinux labels with the context, so their attributes are left to those steps.
struct XattrCopier {
    /// Named explicitly (--preserve=xattr): failures are errors. Under -a they are quiet.
    let required: Bool

    static let accessACL = Array("system.posix_acl_access".utf8)
    static let defaultACL = Array("system.posix_acl_default".utf8)

    static func isLeftOut(_ name: [UInt8]) -> Bool {
        let text = String(decoding: name, as: UTF8.self)
        // (and the mark of an --atomic temporary, which is zcp's own, never a copy's)
        return text.hasPrefix("system.posix_acl_") || text == "security.selinux" || name == RunContext.temporaryMarkName
    }

    /// What the source's attribute list said of its POSIX ACLs (nil: no list was read).
    struct ListedACLs {
        var access = false
        var `default` = false
    }

    /// Copies every attribute of `from` onto `to`; `path` names the copy in messages. `acls`
    /// tells which ACLs the list named, so the ACL step need not ask for absent ones.
    func copy(_ sys: Syscalls, from: XattrTarget, to: XattrTarget, path: Path, acls: inout ListedACLs?) -> CopyError? {
        let names: [[UInt8]]
        switch sys.listXattrs(from) {
        case .success(let n):
            names = n
            acls = ListedACLs(access: n.contains(Self.accessACL), default: n.contains(Self.defaultACL))
        case .failure(let e):
            if e == .EOPNOTSUPP || e == .ENODATA || !required { return nil }
            return CopyError(.preserveXattr, path, errno: e, syscall: .flistxattr)
        }
        var firstFailure: CopyError? = nil
        for name in names where !Self.isLeftOut(name) {
            guard case .success(let value) = sys.getXattr(from, name) else { continue }
            if case .failure(let e) = sys.setXattr(to, name, value) {
                // Without privilege, trusted.* and the like are not ours to copy (as GNU).
                if e == .EPERM && !String(decoding: name, as: UTF8.self).hasPrefix("user.") { continue }
                if required && firstFailure == nil {
                    firstFailure = CopyError(.preserveXattr, path, errno: e, syscall: .fsetxattr)
                }
                if e == .EOPNOTSUPP { break }
            }
        }
        return firstFailure
    }
}
