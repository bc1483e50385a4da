import CZcp
import Glibc

/// Every system call the copy makes on files, directories and descriptors, as a table of
/// functions. A few process-wide calls are made directly: umask and getrlimit once per run,
/// writing messages to standard error, writing and closing the report, and what the signal
/// handlers and the C shim do on their own. The engine receives one table;
/// `Syscalls.live` calls the kernel, and tests swap single entries to fail any call with any
/// errno, return short counts or deliver EINTR. Entries return the raw kernel result (no EINTR
/// retry here: the engine retries, so injected EINTR exercises that code).
public struct Syscalls: Sendable {
    // Names, relative to a directory descriptor
    public var open: @Sendable (_ at: At, _ flags: Int32, _ mode: UInt32) -> SysResult<Int32>
    public var stat: @Sendable (_ at: At, _ followSymlinks: Bool) -> SysResult<FileStat>
    public var mkdir: @Sendable (_ at: At, _ mode: UInt32) -> SysResult<Void>
    public var mknod: @Sendable (_ at: At, _ mode: UInt32, _ dev: UInt64) -> SysResult<Void>
    public var symlink: @Sendable (_ target: Path, _ at: At) -> SysResult<Void>
    public var link: @Sendable (_ existing: At, _ new: At, _ followSymlinks: Bool) -> SysResult<Void>
    public var readlink: @Sendable (_ at: At) -> SysResult<Path>
    public var unlink: @Sendable (_ at: At) -> SysResult<Void>
    public var rename: @Sendable (_ from: At, _ to: At) -> SysResult<Void>
    public var lchown: @Sendable (_ at: At, _ uid: UInt32, _ gid: UInt32) -> SysResult<Void>
    public var chmod: @Sendable (_ at: At, _ mode: UInt32) -> SysResult<Void>
    public var utimensat: @Sendable (_ at: At, _ atime: timespec, _ mtime: timespec, _ followSymlinks: Bool) -> SysResult<Void>
    /// Names in an open directory with their inode numbers ("." and ".." left out).
    public var readDirectory: @Sendable (_ fd: Int32) -> SysResult<[DirectoryEntry]>

    // Descriptors
    public var close: @Sendable (_ fd: Int32) -> SysResult<Void>
    public var fstat: @Sendable (_ fd: Int32) -> SysResult<FileStat>
    public var seekData: @Sendable (_ fd: Int32, _ offset: Int64) -> SysResult<Int64>
    public var seekHole: @Sendable (_ fd: Int32, _ offset: Int64) -> SysResult<Int64>
    public var seekSet: @Sendable (_ fd: Int32, _ offset: Int64) -> SysResult<Int64>
    public var read: @Sendable (_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> SysResult<Int>
    /// poll(2) on `fd` and the stop signals' self-pipe: true once `fd` can be read (or is at
    /// EOF), false once a stop signal came, whenever it came (a read that would block cannot
    /// miss one that arrived just before it).
    public var waitReadable: @Sendable (_ fd: Int32) -> SysResult<Bool>
    public var pread: @Sendable (_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int, _ offset: Int64) -> SysResult<Int>
    /// pread that leaves no pages cached (preadv2 RWF_DONTCACHE; EOPNOTSUPP on tmpfs).
    public var readUncached:
        @Sendable (_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int, _ offset: Int64) -> SysResult<Int>
    public var pwrite: @Sendable (_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int, _ offset: Int64) -> SysResult<Int>
    /// write(2) at the file position, for destinations that cannot seek (FIFOs, terminals).
    public var write: @Sendable (_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> SysResult<Int>
    public var copyFileRange:
        @Sendable (_ fdIn: Int32, _ offIn: inout Int64, _ fdOut: Int32, _ offOut: inout Int64, _ count: Int) -> SysResult<Int>
    /// sendfile(2) with an input offset; writes at the output descriptor's file position.
    public var sendfile: @Sendable (_ fdOut: Int32, _ fdIn: Int32, _ offIn: inout Int64, _ count: Int) -> SysResult<Int>
    /// splice(2); a nil offset means the descriptor is the pipe side.
    public var splice:
        @Sendable (
            _ fdIn: Int32, _ offIn: UnsafeMutablePointer<Int64>?, _ fdOut: Int32, _ offOut: UnsafeMutablePointer<Int64>?,
            _ count: Int
        ) -> SysResult<Int>
    public var pipe: @Sendable () -> SysResult<(read: Int32, write: Int32)>
    public var setPipeSize: @Sendable (_ fd: Int32, _ size: Int32) -> SysResult<Int32>
    public var ficlone: @Sendable (_ destFd: Int32, _ srcFd: Int32) -> SysResult<Void>
    public var ftruncate: @Sendable (_ fd: Int32, _ length: Int64) -> SysResult<Void>
    public var fchmod: @Sendable (_ fd: Int32, _ mode: UInt32) -> SysResult<Void>
    public var fchown: @Sendable (_ fd: Int32, _ uid: UInt32, _ gid: UInt32) -> SysResult<Void>
    public var futimens: @Sendable (_ fd: Int32, _ atime: timespec, _ mtime: timespec) -> SysResult<Void>
    public var fsType: @Sendable (_ fd: Int32) -> SysResult<Int>
    public var fsync: @Sendable (_ fd: Int32) -> SysResult<Void>
    /// posix_fadvise(POSIX_FADV_SEQUENTIAL): a larger readahead window for the source.
    public var adviseSequential: @Sendable (_ fd: Int32) -> SysResult<Void>
    /// posix_fadvise(DONTNEED) over [offset, offset + length) (length 0: to the end).
    public var dropCache: @Sendable (_ fd: Int32, _ offset: Int64, _ length: Int64) -> SysResult<Void>
    /// pwritev2 with RWF_DONTCACHE.
    public var writeUncached: @Sendable (_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int, _ offset: Int64) -> SysResult<Int>
    /// sync_file_range: start writeback of the range, or (`wait`) write it and wait for it.
    public var syncRange: @Sendable (_ fd: Int32, _ offset: Int64, _ length: Int64, _ wait: Bool) -> SysResult<Void>
    /// What the process has used so far (getrusage).
    public var usage: @Sendable () -> SysResult<ProcessUsage>
    /// mincore of a file's range: one byte per page, bit 0 set for a page in the cache.
    public var resident:
        @Sendable (_ fd: Int32, _ offset: Int64, _ length: Int64, _ pages: UnsafeMutablePointer<UInt8>) -> SysResult<Void>
    /// Copies a POSIX ACL through libacl (see ACL.swift).
    public var copyACL: @Sendable (_ from: XattrTarget, _ to: XattrTarget, _ kind: ACLKind) -> SysResult<ACLCopy>
    /// Sets permission bits as the access ACL that says just them (acl_from_mode): how GNU
    /// sets a mode, which works where chmod is refused but ACLs are kept (bindfs --chmod-deny).
    public var setModeACL: @Sendable (_ to: XattrTarget, _ mode: UInt32) -> SysResult<Void>
    /// Extended attributes of an open file, or of a name without following a symlink.
    public var listXattrs: @Sendable (_ target: XattrTarget) -> SysResult<[[UInt8]]>
    public var getXattr: @Sendable (_ target: XattrTarget, _ name: [UInt8]) -> SysResult<[UInt8]>
    public var setXattr: @Sendable (_ target: XattrTarget, _ name: [UInt8], _ value: [UInt8]) -> SysResult<Void>
    public var removeXattr: @Sendable (_ target: XattrTarget, _ name: [UInt8]) -> SysResult<Void>
}

extension Syscalls {
    /// The kernel itself.
    public static let live = Syscalls(
        open: { at, flags, mode in at.name.withCString { valueOrErrno(openat(at.dir, $0, flags | O_CLOEXEC, mode)) } },
        stat: { at, follow in
            var st = Glibc.stat()
            let rc = at.name.withCString { zcp_fstatat(at.dir, $0, follow ? 1 : 0, &st) }
            return rc == -1 ? .failure(.current) : .success(FileStat(st))
        },
        mkdir: { at, mode in at.name.withCString { nothingOrErrno(mkdirat(at.dir, $0, mode)) } },
        mknod: { at, mode, dev in at.name.withCString { nothingOrErrno(mknodat(at.dir, $0, mode, dev_t(dev))) } },
        symlink: { target, at in
            target.withCString { t in at.name.withCString { nothingOrErrno(symlinkat(t, at.dir, $0)) } }
        },
        link: { existing, new, follow in
            existing.name.withCString { e in
                new.name.withCString { nothingOrErrno(linkat(existing.dir, e, new.dir, $0, follow ? AT_SYMLINK_FOLLOW : 0)) }
            }
        },
        readlink: { at in
            at.name.withCString { cpath in
                var size = 256
                while true {
                    var buf = [UInt8](repeating: 0, count: size)
                    let n = buf.withUnsafeMutableBufferPointer { b in
                        b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: size) { readlinkat(at.dir, cpath, $0, size) }
                    }
                    if n == -1 { return .failure(.current) }
                    if n < size { return .success(Path(bytes: Array(buf[0..<n]))) }
                    size *= 4
                }
            }
        },
        unlink: { at in at.name.withCString { nothingOrErrno(unlinkat(at.dir, $0, 0)) } },
        rename: { from, to in
            from.name.withCString { f in to.name.withCString { nothingOrErrno(renameat(from.dir, f, to.dir, $0)) } }
        },
        lchown: { at, uid, gid in at.name.withCString { nothingOrErrno(fchownat(at.dir, $0, uid, gid, AT_SYMLINK_NOFOLLOW)) } },
        chmod: { at, mode in at.name.withCString { nothingOrErrno(fchmodat(at.dir, $0, mode, 0)) } },
        utimensat: { at, atime, mtime, follow in
            var times = (atime, mtime)
            return withUnsafePointer(to: &times) { tp in
                tp.withMemoryRebound(to: timespec.self, capacity: 2) { t in
                    at.name.withCString { nothingOrErrno(Glibc.utimensat(at.dir, $0, t, follow ? 0 : AT_SYMLINK_NOFOLLOW)) }
                }
            }
        },
        readDirectory: { fd in
            final class Entries { var list: [DirectoryEntry] = [] }
            let entries = Entries()
            let rc = zcp_read_directory(fd, Unmanaged.passUnretained(entries).toOpaque()) { context, name, ino, type in
                let box = Unmanaged<Entries>.fromOpaque(context!).takeUnretainedValue()
                box.list.append(DirectoryEntry(name: Path(cString: name!), ino: ino, type: type))
            }
            return rc == -1 ? .failure(.current) : .success(entries.list)
        },
        close: { fd in nothingOrErrno(Glibc.close(fd)) },
        fstat: { fd in
            var st = Glibc.stat()
            return Glibc.fstat(fd, &st) == -1 ? .failure(.current) : .success(FileStat(st))
        },
        seekData: { fd, offset in valueOrErrno(zcp_seek_data(fd, offset)) },
        seekHole: { fd, offset in valueOrErrno(zcp_seek_hole(fd, offset)) },
        seekSet: { fd, offset in valueOrErrno(Int64(Glibc.lseek(fd, off_t(offset), SEEK_SET))) },
        read: { fd, buf, n in valueOrErrno(Glibc.read(fd, buf, n)) },
        waitReadable: { fd in
            switch zcp_wait_readable(fd) {
            case 1: return .success(true)
            case 0: return .success(false)
            default: return .failure(.current)
            }
        },
        pread: { fd, buf, n, off in valueOrErrno(Glibc.pread(fd, buf, n, off_t(off))) },
        readUncached: { fd, buf, n, off in valueOrErrno(zcp_pread_dontcache(fd, buf, n, off)) },
        pwrite: { fd, buf, n, off in valueOrErrno(Glibc.pwrite(fd, buf, n, off_t(off))) },
        write: { fd, buf, n in valueOrErrno(Glibc.write(fd, buf, n)) },
        copyFileRange: { fdIn, offIn, fdOut, offOut, n in valueOrErrno(zcp_copy_file_range(fdIn, &offIn, fdOut, &offOut, n, 0)) },
        sendfile: { fdOut, fdIn, offIn, n in valueOrErrno(zcp_sendfile(fdOut, fdIn, &offIn, n)) },
        splice: { fdIn, offIn, fdOut, offOut, n in valueOrErrno(zcp_splice(fdIn, offIn, fdOut, offOut, n, 0)) },
        pipe: {
            var fds: (Int32, Int32) = (-1, -1)
            let rc = withUnsafeMutablePointer(to: &fds) { p in
                p.withMemoryRebound(to: Int32.self, capacity: 2) { zcp_pipe($0) }
            }
            return rc == -1 ? .failure(.current) : .success((fds.0, fds.1))
        },
        setPipeSize: { fd, size in valueOrErrno(zcp_set_pipe_size(fd, size)) },
        ficlone: { dst, src in nothingOrErrno(zcp_ficlone(dst, src)) },
        ftruncate: { fd, length in nothingOrErrno(Glibc.ftruncate(fd, off_t(length))) },
        fchmod: { fd, mode in nothingOrErrno(Glibc.fchmod(fd, mode)) },
        fchown: { fd, uid, gid in nothingOrErrno(Glibc.fchown(fd, uid, gid)) },
        futimens: { fd, atime, mtime in
            var times = (atime, mtime)
            return withUnsafePointer(to: &times) { tp in
                tp.withMemoryRebound(to: timespec.self, capacity: 2) { nothingOrErrno(Glibc.futimens(fd, $0)) }
            }
        },
        fsType: { fd in valueOrErrno(zcp_fs_type(fd)) },
        fsync: { fd in nothingOrErrno(zcp_fsync(fd)) },
        adviseSequential: { fd in nothingOrErrno(zcp_fadvise_sequential(fd)) },
        dropCache: { fd, offset, length in nothingOrErrno(zcp_fadvise_dontneed(fd, offset, length)) },
        writeUncached: { fd, buf, n, off in valueOrErrno(zcp_pwrite_dontcache(fd, buf, n, off)) },
        syncRange: { fd, offset, length, wait in nothingOrErrno(zcp_sync_range(fd, offset, length, wait ? 1 : 0)) },
        usage: {
            var u = ProcessUsage()
            return zcp_usage(&u.cpuNs, &u.waits, &u.blocksRead) == 0 ? .success(u) : .failure(.current)
        },
        resident: { fd, offset, length, pages in nothingOrErrno(zcp_resident(fd, offset, length, pages)) },
        copyACL: { from, to, kind in liveCopyACL(from: from, to: to, kind: kind) },
        setModeACL: { to, mode in liveSetModeACL(to, mode: mode) },
        listXattrs: { target in
            let list = growingBuffer { buf, size in
                switch target {
                case .fd(let fd): return flistxattr(fd, buf, size)
                case .path(let p): return p.withCString { llistxattr($0, buf, size) }
                }
            }
            return list.map { bytes in bytes.split(separator: 0).map(Array.init) }
        },
        getXattr: { target, name in
            var cname = name
            cname.append(0)
            return cname.withUnsafeBufferPointer { n in
                n.baseAddress!.withMemoryRebound(to: CChar.self, capacity: n.count) { cn in
                    growingBuffer { buf, size in
                        switch target {
                        case .fd(let fd): return fgetxattr(fd, cn, buf, size)
                        case .path(let p): return p.withCString { lgetxattr($0, cn, buf, size) }
                        }
                    }
                }
            }
        },
        setXattr: { target, name, value in
            var cname = name
            cname.append(0)
            return cname.withUnsafeBufferPointer { n in
                n.baseAddress!.withMemoryRebound(to: CChar.self, capacity: n.count) { cn in
                    value.withUnsafeBytes { v in
                        switch target {
                        case .fd(let fd): return nothingOrErrno(fsetxattr(fd, cn, v.baseAddress, v.count, 0))
                        case .path(let p): return p.withCString { nothingOrErrno(lsetxattr($0, cn, v.baseAddress, v.count, 0)) }
                        }
                    }
                }
            }
        },
        removeXattr: { target, name in
            var cname = name
            cname.append(0)
            return cname.withUnsafeBufferPointer { n in
                n.baseAddress!.withMemoryRebound(to: CChar.self, capacity: n.count) { cn in
                    switch target {
                    case .fd(let fd): return nothingOrErrno(fremovexattr(fd, cn))
                    case .path(let p): return p.withCString { nothingOrErrno(lremovexattr($0, cn)) }
                    }
                }
            }
        }
    )
}

/// Where an extended-attribute call acts: an open descriptor, or a name (symlinks not followed).
public enum XattrTarget: Sendable {
    case fd(Int32)
    case path(Path)
}

/// CPU time and waits of the process, for the thread count's decisions.
public struct ProcessUsage: Sendable {
    /// CPU time of all threads, in nanoseconds.
    public var cpuNs: Int64 = 0
    /// Voluntary context switches: a thread gave up the CPU to wait (for storage, or a lock).
    public var waits: Int64 = 0
    /// 512-byte blocks read from storage on the process's behalf (data or metadata the page
    /// cache did not have).
    public var blocksRead: Int64 = 0
    public init(cpuNs: Int64 = 0, waits: Int64 = 0, blocksRead: Int64 = 0) {
        self.cpuNs = cpuNs
        self.waits = waits
        self.blocksRead = blocksRead
    }
}

/// Calls a size-query-then-fill function (listxattr, getxattr) until the buffer is big enough.
/// The first try is on the stack: most files have no attributes, or short ones, and an empty
/// answer allocates nothing.
private func growingBuffer(_ call: (UnsafeMutablePointer<CChar>?, Int) -> Int) -> SysResult<[UInt8]> {
    let first = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 512) { b -> SysResult<[UInt8]>? in
        let n = call(b.baseAddress!, b.count)
        if n == 0 { return .success([]) }
        if n > 0 { return .success(UnsafeRawBufferPointer(start: b.baseAddress!, count: n).map { $0 }) }
        let e = Errno.current
        return e == .ERANGE ? nil : .failure(e)
    }
    if let first { return first }
    var size = max(1024, call(nil, 0))
    while true {
        var buf = [UInt8](repeating: 0, count: size)
        let n = buf.withUnsafeMutableBufferPointer { b in
            b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: size) { call($0, size) }
        }
        if n >= 0 { return .success(Array(buf[0..<n])) }
        let e = Errno.current
        guard e == .ERANGE else { return .failure(e) }
        let needed = call(nil, 0)
        size = needed > size ? needed : size * 4
    }
}
