/// A strategy that gave up on a file, and where.
public struct Fallback: Sendable, Equatable {
    public var strategy: StrategyID
    /// nil when the strategy returned no data at offset 0 instead of failing (procfs, sysfs).
    public var errno: Errno?
    public var offset: Int64
    /// Not tried again: an earlier file between the same two filesystems got this errno.
    public var remembered = false
}

/// --verify's verdict on a copy.
public enum VerifyOutcome: String, Sendable { case ok, mismatch }

/// What --resume found at a regular file's destination.
public enum ResumeOutcome: Sendable, Equatable {
    /// Same size and mtime as the source: left as it was, not read.
    case complete
    /// It held the source's first N bytes: only the rest was copied.
    case resumed(at: Int64)
    /// Copied whole, and why (the prefix differs, the copy is longer, ...).
    case whole(reason: String)
}

/// What happened to one copied object: the source of `-v`, `--debug`, `--report` and `--stats`.
public struct FileRecord: Sendable {
    public enum Status: String, Sendable { case ok, error }
    public enum ReflinkOutcome: Sendable { case notTried, yes, unsupported }

    public var source: Path
    public var dest: Path
    public var kind: FileKind
    public var status = Status.ok
    public var size: Int64 = 0
    /// Bytes moved by each strategy, indexed by `StrategyID.rawValue`: held inline, so a
    /// record allocates nothing (one slot per row of `StrategyTable`, which a test checks).
    public var bytesByStrategy = InlineArray<5, Int64>(repeating: 0)
    public var fallbacks: [Fallback] = []
    /// Each attribute kept or not: ("timestamps", "ok"), ("xattr", "EOPNOTSUPP"), ...
    public var metadata: [(String, String)] = []
    /// Where an existing destination was moved first (--backup).
    public var backup: Path? = nil
    public var extents = 0
    public var holeBytes: Int64 = 0
    public var sparseDetection = false
    /// Zeros were looked for in the data (--sparse=always).
    public var zeroDetection = false
    public var reflink = ReflinkOutcome.notTried
    /// Left out because it could share extents under --reflink=never.
    public var copyFileRangeAvoided = false
    public var elapsedNs: Int64 = 0
    /// --verify: the verdict, the source's digest and (on a mismatch) the copy's.
    public var verify: VerifyOutcome? = nil
    public var sourceDigest: Digest? = nil
    public var copyDigest: Digest? = nil
    public var resume: ResumeOutcome? = nil
    /// --link-dest / --reflink-dest: linked, reflinked or copied, and why.
    public var snapshot: SnapshotOutcome? = nil
    /// --manifest: the digest of the copy as stored (hex, as the manifest line has it).
    public var manifestDigest: String? = nil
    /// --nocache: what the copy did to the page cache.
    var cache: CacheKeeper.Outcome? = nil
    /// The copy holds the source's bytes `[0, reached)` (what --partial keeps).
    public var reached: Int64 = 0
    public var error: CopyError? = nil
    /// The source's size changed while it was read (bytes read differ from fstat's size).
    public var sourceChanged = false
    /// Not told on -v or in the report (a directory that already existed, a --parents step).
    public var quiet = false
    /// Refused before anything was made (GNU prints no -v line for it); still in the report.
    public var printsVerboseLine = true

    public init(source: Path, dest: Path, kind: FileKind) {
        self.source = source
        self.dest = dest
        self.kind = kind
    }

    public var bytes: Int64 {
        var total: Int64 = 0
        for i in bytesByStrategy.indices { total = total.saturatingAdd(bytesByStrategy[i]) }
        return total
    }

    /// The strategy that moved the most bytes, nil when none moved any; a clone is the
    /// reflink's even when the file is all holes.
    public var strategy: StrategyID? {
        if reflink == .yes { return .reflink }
        var best: StrategyID? = nil
        var most: Int64 = 0
        for i in bytesByStrategy.indices where bytesByStrategy[i] > most {
            best = StrategyID(rawValue: i)
            most = bytesByStrategy[i]
        }
        return best
    }

    mutating func add(_ n: Int64, by strategy: StrategyID) {
        bytesByStrategy[strategy.rawValue] = bytesByStrategy[strategy.rawValue].saturatingAdd(n)
    }
}
