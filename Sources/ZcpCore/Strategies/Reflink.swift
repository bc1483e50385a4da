/// FICLONE: the destination shares the source's extents (btrfs, xfs with reflink=1). Whole
/// files only, so it is tried before any byte moves.
enum Reflink {
    static let entry = StrategyEntry(id: .reflink, name: "reflink", aliases: ["ficlone"], kind: .wholeFile)

    /// Errnos after which GNU cp (and zcp) stop instead of falling back to a byte copy.
    static func isFatal(_ e: Errno) -> Bool {
        e == .EIO || e == .ENOMEM || e == .ENOSPC || e == .EDQUOT
    }

    static func clone(_ io: CopyIO) -> SysResult<Void> {
        retryingEINTR { io.sys.ficlone(io.dst, io.src) }
    }
}
