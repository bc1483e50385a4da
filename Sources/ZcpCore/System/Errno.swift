import CZcp
import Glibc

/// A POSIX error number, as the kernel returned it.
public struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(_ rawValue: Int32) { self.rawValue = rawValue }

    /// The errno the calling thread holds now.
    static var current: Errno { Errno(zcp_errno()) }

    /// Symbolic name, e.g. "EXDEV".
    public var name: String {
        let n = String(cString: zcp_errno_name(rawValue))
        return n.isEmpty ? "E\(rawValue)" : n
    }

    /// The C library's text, e.g. "Invalid cross-device link".
    public var message: String { String(cString: strerror(rawValue)) }

    public var description: String { name }

    public static let EPERM = Errno(Glibc.EPERM)
    public static let ENOENT = Errno(Glibc.ENOENT)
    public static let EINTR = Errno(Glibc.EINTR)
    public static let EIO = Errno(Glibc.EIO)
    public static let EBADF = Errno(Glibc.EBADF)
    public static let EAGAIN = Errno(Glibc.EAGAIN)
    public static let ENOMEM = Errno(Glibc.ENOMEM)
    public static let EACCES = Errno(Glibc.EACCES)
    public static let EEXIST = Errno(Glibc.EEXIST)
    public static let EXDEV = Errno(Glibc.EXDEV)
    public static let ENOTDIR = Errno(Glibc.ENOTDIR)
    public static let EISDIR = Errno(Glibc.EISDIR)
    public static let EINVAL = Errno(Glibc.EINVAL)
    public static let ENOTTY = Errno(Glibc.ENOTTY)
    public static let ETXTBSY = Errno(Glibc.ETXTBSY)
    public static let EFBIG = Errno(Glibc.EFBIG)
    public static let ENOSPC = Errno(Glibc.ENOSPC)
    public static let ESPIPE = Errno(Glibc.ESPIPE)
    public static let ENAMETOOLONG = Errno(Glibc.ENAMETOOLONG)
    public static let ENOSYS = Errno(Glibc.ENOSYS)
    public static let ENOTEMPTY = Errno(Glibc.ENOTEMPTY)
    public static let ELOOP = Errno(Glibc.ELOOP)
    public static let EOPNOTSUPP = Errno(Glibc.EOPNOTSUPP)
    public static let EDQUOT = Errno(Glibc.EDQUOT)
    public static let ENODATA = Errno(Glibc.ENODATA)
    public static let ENXIO = Errno(Glibc.ENXIO)
    public static let ERANGE = Errno(Glibc.ERANGE)

    /// Errnos that mean "this kernel path does not work for this pair of files", after which
    /// the next strategy may take over at the byte reached. Anything else is a real error.
    public var meansUnsupportedHere: Bool {
        switch self {
        case .EXDEV, .EINVAL, .ENOSYS, .EOPNOTSUPP, .ENOTTY, .EBADF, .EPERM, .ETXTBSY, .EACCES:
            return true
        default:
            return false
        }
    }
}

/// Which system call failed: kept in errors so the message can be made at the edge.
public enum Syscall: String, Sendable {
    /// Named as the kernel (and strace) names them.
    case open, openat, close, fstat, stat, lstat, lseek, read, write, pread = "pread64", pwrite = "pwrite64"
    case preadv2, pwritev2
    case copyFileRange = "copy_file_range", sendfile, splice, pipe, fcntl, ficlone = "ioctl(FICLONE)"
    case ftruncate, chmod, fchmod, fchown, lchown, futimens, utimensat, mkdir, mknod, symlink
    case readlink, unlink, link, opendir, readdir = "getdents64", fstatfs, rename, fsync
    case fgetxattr, fsetxattr, flistxattr, llistxattr, lgetxattr, lsetxattr
}

public typealias SysResult<T> = Result<T, Errno>

@inline(__always)
func valueOrErrno<I: FixedWidthInteger>(_ value: I) -> SysResult<I> {
    value == -1 ? .failure(.current) : .success(value)
}

@inline(__always)
func nothingOrErrno<I: FixedWidthInteger>(_ value: I) -> SysResult<Void> {
    value == -1 ? .failure(.current) : .success(())
}

/// Retries a call for as long as it fails with EINTR, unless the EINTR came from a signal that
/// asks zcp to stop (SIGINT, SIGTERM, SIGHUP): then the EINTR is the answer.
@inline(__always)
func retryingEINTR<T>(_ body: () -> SysResult<T>) -> SysResult<T> {
    while true {
        let result = body()
        if case .failure(.EINTR) = result {
            if zcp_pending_signal() != 0 { return result }
            continue
        }
        return result
    }
}

extension Result {
    /// The failure, if any.
    var error: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}

extension Errno {
    /// What preadv2/pwritev2 answer for RWF_DONTCACHE where the filesystem (or kernel) cannot.
    var refusesDontcache: Bool { self == .EOPNOTSUPP || self == .EINVAL || self == .ENOSYS }
}
