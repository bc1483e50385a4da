/// Why an object was not (fully) copied. Carries the operation, the errno and the paths;
/// the text is made only where it is printed (`Messages`).
public struct CopyError: Error, Sendable {
    public enum What: Sendable, Equatable {
        case stat, openForReading, fstat, create(FileKind), openForWriting
        case read, write, copy, close, extend
        /// A strategy the user forced was refused by the kernel.
        case strategyRefused(StrategyID)
        /// A forced strategy returned no data for a file that has some (procfs, sysfs).
        case strategyNoData(StrategyID)
        case cloneFailed
        case mkdir, symlink, readlink, readDirectory, mknod
        /// --parents could not make a directory on the way (GNU's words differ from mkdir's).
        case makeParent
        case sameFile, omitDirectory, overwriteDirectoryWithNonDirectory
        case overwriteNonDirectoryWithDirectory, intoItself
        case preserveTimes, preservePermissions, preserveOwnership, preserveXattr
        case unbackup
        case removeExisting, willNotOverwriteJustCreated, notReplacing, backup, backupWouldDestroySource
        case hardLink, relativeSymlinkOutsideCurrentDirectory, danglingDestination
        /// A directory met again under another name (path: the new name, path2: the first).
        case hardLinkToDirectory
        /// A symlink followed (-L) to a directory being copied.
        case cyclicSymlink
        /// Data would go through a symlink this run made (path: the link, path2: the source).
        case throughJustCreatedSymlink
        /// --parents: a directory of the source's path is something else at the destination,
        /// or is no directory in the source.
        case existsNotDirectory, getAttributes
        /// A stop signal arrived while the data moved.
        case interrupted
        /// The source changed while it was read (a warning: the copy holds what was read).
        case sourceChanged
        /// --atomic: the finished temporary file could not be renamed over the destination.
        case atomicRename
        /// --fsync: the data could not be made durable.
        case sync
        /// --verify: the copy, read back, is not the source (path: the copy, path2: the source).
        case verifyMismatch(source: Digest, copy: Digest)
        /// --link-dest or --reflink-dest names no directory that can be opened.
        case snapshotDirectory(Options.SnapshotKind)
        /// --manifest: the file cannot be made, or a copy read back for its digest.
        case manifest
    }

    /// --partial: what a failed copy left at its name (a prefix of the source).
    public struct KeptPartial: Sendable {
        public var path: Path
        public var bytes: Int64
        public var of: Int64
    }

    public var what: What
    public var errno: Errno?
    public var syscall: Syscall?
    public var path: Path
    public var path2: Path?
    /// The byte the copy had reached, for data errors.
    public var offset: Int64?
    /// An existing destination was being overwritten in place when the data failed: it is
    /// neither the old file nor the new one.
    public var incompleteDestination: Path? = nil
    /// --partial kept the bytes written.
    public var keptPartial: KeptPartial? = nil

    /// The copy, read back, is not the source.
    public var isVerifyMismatch: Bool { if case .verifyMismatch = what { return true } else { return false } }

    /// The data arrived; only an attribute could not be kept (the copy stays).
    public var isMetadata: Bool {
        switch what {
        case .preserveTimes, .preservePermissions, .preserveOwnership, .preserveXattr: return true
        default: return false
        }
    }

    public init(
        _ what: What, _ path: Path, _ path2: Path? = nil, errno: Errno? = nil,
        syscall: Syscall? = nil, offset: Int64? = nil
    ) {
        self.what = what
        self.path = path
        self.path2 = path2
        self.errno = errno
        self.syscall = syscall
        self.offset = offset
    }
}
