/// Everything the command line decided, immutable once parsed.
public struct Options: Sendable {
    public enum Dereference: Sendable, Equatable { case never, commandLineOnly, always }
    public enum ReflinkMode: String, Sendable { case auto, always, never }
    public enum SparseMode: String, Sendable { case auto, always, never }
    public enum UpdateMode: String, Sendable { case all, none, noneFail = "none-fail", older }
    public enum Interactive: Sendable, Equatable { case always, noClobber, unset }
    public enum BackupControl: String, Sendable { case none, numbered, existing, simple }
    public enum Attribute: String, CaseIterable, Sendable {
        case mode, ownership, timestamps, links, context, xattr
    }

    public struct Preserve: Sendable, Equatable {
        public var mode = false, ownership = false, timestamps = false
        public var links = false, context = false, xattr = false
        /// Failures to preserve these are errors (explicit --preserve or -a), not silent.
        public var xattrRequired = false
        public var contextRequired = false
        public init() {}

        subscript(_ a: Attribute) -> Bool {
            get {
                switch a {
                case .mode: return mode
                case .ownership: return ownership
                case .timestamps: return timestamps
                case .links: return links
                case .context: return context
                case .xattr: return xattr
                }
            }
            set {
                switch a {
                case .mode: mode = newValue
                case .ownership: ownership = newValue
                case .timestamps: timestamps = newValue
                case .links: links = newValue
                case .context: context = newValue
                case .xattr: xattr = newValue
                }
            }
        }
    }

    // Operands
    public var sources: [Path] = []
    public var destination: Path?
    public var targetDirectory: Path?
    public var noTargetDirectory = false

    // What to copy and how to treat the tree
    public var recursive = false
    public var dereference: Dereference? = nil
    public var copyContents = false
    public var oneFileSystem = false
    public var parents = false
    public var stripTrailingSlashes = false
    public var keepDirectorySymlink = false
    public var attributesOnly = false
    /// --exclude patterns and --exclude-from files, as given; `excludes` is what they compile
    /// to (Zcp.main reads the files before anything is copied).
    /// Bytes, as given: patterns match names byte for byte (rsync's way).
    public var excludePatterns: [[UInt8]] = []
    public var excludeFiles: [Path] = []
    public var excludes = ExcludeList()
    public var hardLink = false
    public var symbolicLink = false
    /// --files-from: the list of names below the one SOURCE to copy into DEST (rsync's
    /// meaning); --from0: its names end in NUL. -r/-R given by name (-a's recursion does
    /// not count for a list, as in rsync).
    public var filesFrom: Path? = nil
    public var from0 = false
    public var recursiveNamed = false

    // Existing destinations
    public var force = false
    public var interactive = Interactive.unset
    public var removeDestination = false
    public var update = UpdateMode.all
    public var backup: BackupControl? = nil
    /// Bytes, as given (a suffix need not be UTF-8).
    public var backupSuffix: [UInt8] = Array("~".utf8)

    // Data
    public var reflink = ReflinkMode.auto
    public var sparse = SparseMode.auto
    /// The strategies to try in order; `strategyForced` when the user named them.
    public var strategies: [StrategyID] = StrategyID.allCases
    public var strategyForced = false

    // Metadata
    public var preserve = Preserve()
    /// --no-preserve=mode: new files get the default modes (0666, directories 0777) less the
    /// umask, not the source's (GNU).
    public var defaultModes = false

    // Safety and speed
    /// Write each file to a hidden temporary beside the destination, then rename it over.
    public var atomic = false
    /// fsync each copied file (and, with --atomic, its directory after the rename).
    public var fsync = false
    /// Compare each copy, as stored, with its source by XXH3-128 digests before keeping it.
    public var verify = false
    /// Keep what a failed or stopped copy wrote (as a prefix of the source) instead of removing it.
    public var partial = false
    /// Skip destinations that are complete; continue those that hold a prefix of the source.
    public var resume = false
    /// Copy without filling the page cache (RWF_DONTCACHE, or windows written back and dropped).
    public var nocache = false
    /// Threads copying the files of a tree; nil: one per online CPU (recursive copies only).
    public var jobs: Int? = nil

    // Snapshots and manifests
    public enum SnapshotKind: String, Sendable { case link, reflink }
    public enum ManifestHash: String, Sendable { case xxh128, sha256 }
    /// --link-dest or --reflink-dest: the earlier snapshots, as given (a relative one is
    /// relative to the destination directory), tried in order.
    public var snapshotDirs: [Path] = []
    public var snapshotKind = SnapshotKind.link
    /// --checksum: equal size and equal XXH3-128 of content decide, instead of the mtime.
    public var checksum = false
    /// --modify-window: mtimes this many seconds apart count as equal (0: to the nanosecond).
    public var modifyWindow: Int64 = 0
    /// --manifest: where a line per regular file copied goes, and its digest.
    public var manifestPath: Path? = nil
    public var manifestHash = ManifestHash.xxh128

    // Reporting
    public var verbose = false
    public var debug = false
    public var stats = false
    public var reportPath: Path? = nil
    /// Draw a progress line on stderr when it is a terminal.
    public var progress = false
    /// --compare-strategies: copy SOURCE this many times with each strategy and print a table.
    public var compareRuns: Int? = nil

    public init() {}

    /// `-R` without -L/-H copies symlinks as symlinks; without -R (or with -l), they are followed.
    public var effectiveDereference: Dereference {
        dereference ?? (recursive && !hardLink ? .never : .always)
    }

    /// The chain the engine walks for each file, after --reflink and --sparse had their say.
    public var strategyChain: [StrategyID] {
        switch reflink {
        case .always:
            return [.reflink]
        case .never:
            return strategies.filter { $0 != .reflink }
        case .auto:
            if sparse == .never { return strategies.filter { $0 != .reflink } }
            return strategies
        }
    }
}
