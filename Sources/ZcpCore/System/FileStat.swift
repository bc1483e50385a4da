import Glibc

/// What zcp needs of `struct stat`.
public struct FileStat: Sendable, Equatable {
    public var dev: UInt64
    public var ino: UInt64
    public var mode: UInt32
    public var nlink: UInt64
    public var uid: UInt32
    public var gid: UInt32
    public var rdev: UInt64
    public var size: Int64
    public var blksize: Int64
    public var blocks: Int64
    public var atime: timespec
    public var mtime: timespec
    public var ctime: timespec

    public init(_ st: stat) {
        dev = UInt64(st.st_dev); ino = UInt64(st.st_ino); mode = st.st_mode
        nlink = UInt64(st.st_nlink); uid = st.st_uid; gid = st.st_gid; rdev = UInt64(st.st_rdev)
        size = Int64(st.st_size); blksize = Int64(st.st_blksize); blocks = Int64(st.st_blocks)
        atime = st.st_atim; mtime = st.st_mtim; ctime = st.st_ctim
    }

    public init(mode: UInt32, size: Int64, blocks: Int64? = nil, dev: UInt64 = 1, ino: UInt64 = 1) {
        self.dev = dev; self.ino = ino; self.mode = mode; nlink = 1; uid = 0; gid = 0; rdev = 0
        self.size = size; blksize = 4096; self.blocks = blocks ?? ((size + 511) / 512)
        atime = timespec(); mtime = timespec(); ctime = timespec()
    }

    /// The same content as far as stat can tell: size, modification and change times.
    public func looksUnchanged(since before: FileStat) -> Bool {
        size == before.size && mtime.tv_sec == before.mtime.tv_sec && mtime.tv_nsec == before.mtime.tv_nsec
            && ctime.tv_sec == before.ctime.tv_sec && ctime.tv_nsec == before.ctime.tv_nsec
    }

    public var kind: FileKind { FileKind(mode: mode) }
    public var permissions: UInt32 { mode & 0o7777 }
    public var isDirectory: Bool { kind == .dir }
    /// Fewer blocks allocated than the size needs: worth walking SEEK_DATA/SEEK_HOLE.
    public var looksSparse: Bool { allocatedBytes < size }

    /// What the file has on storage, at most its size (st_blocks counts 512-byte units).
    public var allocatedBytes: Int64 {
        let (bytes, overflow) = blocks.multipliedReportingOverflow(by: 512)
        return overflow ? size : min(bytes, size)
    }

    public func isSameFile(as other: FileStat) -> Bool { dev == other.dev && ino == other.ino }

    public static func == (a: FileStat, b: FileStat) -> Bool {
        a.dev == b.dev && a.ino == b.ino && a.mode == b.mode && a.size == b.size
    }
}

public enum FileKind: String, Sendable {
    case file, dir, symlink, fifo, socket, char = "chardev", block = "blockdev", unknown

    /// A FIFO, socket or device: what mknod makes.
    var isSpecial: Bool { self == .fifo || self == .socket || self == .char || self == .block }

    public init(mode: UInt32) {
        switch mode & UInt32(S_IFMT) {
        case UInt32(S_IFREG): self = .file
        case UInt32(S_IFDIR): self = .dir
        case UInt32(S_IFLNK): self = .symlink
        case UInt32(S_IFIFO): self = .fifo
        case UInt32(S_IFSOCK): self = .socket
        case UInt32(S_IFCHR): self = .char
        case UInt32(S_IFBLK): self = .block
        default: self = .unknown
        }
    }

    /// GNU's words for the kind, as in "cannot create regular file".
    public var gnuName: String {
        switch self {
        case .file: return "regular file"
        case .dir: return "directory"
        case .symlink: return "symbolic link"
        case .fifo: return "fifo"
        case .socket: return "socket"
        case .char: return "character special file"
        case .block: return "block special file"
        case .unknown: return "file"
        }
    }
}

/// One name of a directory, as readdir gives it (`.` and `..` left out).
public struct DirectoryEntry: Sendable {
    public var name: Path
    public var ino: UInt64
    /// d_type: DT_DIR, DT_LNK, ... or DT_UNKNOWN where the filesystem does not say.
    public var type: UInt8

    public init(name: Path, ino: UInt64, type: UInt8 = UInt8(DT_UNKNOWN)) {
        self.name = name
        self.ino = ino
        self.type = type
    }
}
