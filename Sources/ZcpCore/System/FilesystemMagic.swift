/// statfs f_type values zcp needs to know.
enum FilesystemMagic {
    static let btrfs = 0x9123_683E
    static let xfs = 0x5846_5342
    static let bcachefs = 0xCA45_1A4E
    static let nfs = 0x6969
    static let cifs = 0xFF53_4D42
    static let smb2 = 0xFE53_4D42
    static let tmpfs = 0x0102_1994
    static let ramfs = 0x8584_58F6
    static let proc = 0x9FA0
    static let fuse = 0x6573_5546
    static let ceph = 0x00C3_6400
    static let v9fs = 0x0102_1997
    /// Kernel filesystems whose files have no true size: sysfs, debugfs, tracefs,
    /// securityfs, configfs, cgroup, cgroup2, efivarfs, pstore, bpf.
    static let fictionalSizes: [Int] = [
        proc, 0x6265_6572, 0x6462_6720, 0x7472_6163, 0x7363_6673, 0x6265_6570,
        0x0027_E0EB, 0x6367_7270, 0xDE5E_81E4, 0x6165_676C, 0xCAFE_4A11,
    ]

    /// Whether the file open as `fd` is on one of those (asked only after a short read).
    static func sizeIsFiction(_ sys: Syscalls, _ fd: Int32) -> Bool {
        guard case .success(let type) = sys.fsType(fd) else { return false }
        return fictionalSizes.contains(type)
    }

    /// Filesystems whose page cache is the file itself (--nocache drops nothing there).
    static func isMemory(_ type: Int) -> Bool { type == tmpfs || type == ramfs }

    static func name(_ type: Int) -> String {
        switch type {
        case btrfs: return "btrfs"
        case xfs: return "xfs"
        case bcachefs: return "bcachefs"
        case nfs: return "nfs"
        case cifs, smb2: return "smb"
        case 0xEF53: return "ext4"
        case tmpfs: return "tmpfs"
        case 0x794C_7630: return "overlayfs"
        case fuse: return "fuse"
        case proc: return "proc"
        default: return "0x" + String(type, radix: 16)
        }
    }

    /// Network and FUSE filesystems (NFS, SMB, FUSE, Ceph, 9p): their reads wait on a server,
    /// not a block device, so getrusage never counts them as blocks read.
    static func readsBypassBlockLayer(_ type: Int) -> Bool {
        [nfs, cifs, smb2, fuse, ceph, v9fs].contains(type)
    }

    /// Filesystems whose copy_file_range may share extents (or ask the server to clone).
    static func mayCloneInCopyFileRange(_ type: Int) -> Bool {
        [btrfs, xfs, bcachefs, nfs, cifs, smb2].contains(type)
    }
}
