import CZcp
import Glibc
import Synchronization

/// Everything a run decided before its first copy: the options, the syscall table, the
/// strategy selector, the reporter, the umask. Immutable, and shared by the walker and every
/// pool thread; the one thing that changes, the failure count, keeps its own lock.
final class RunContext: Sendable {
    let options: Options
    let sys: Syscalls
    let reporter: Reporter
    let selector: StrategySelector
    let umask: UInt32
    /// Asked once: ownership failures are errors only for root (GNU).
    let isRoot: Bool
    /// Who a new file belongs to (outside set-group-ID directories).
    let euid: UInt32
    let egid: UInt32
    /// --link-dest / --reflink-dest: the earlier snapshots, opened before the first copy.
    let snapshot: SnapshotPlan?
    /// --manifest: where each regular file's checksum line goes.
    let manifest: Manifest?
    private let failures = Counter()

    init(options: Options, sys: Syscalls, reporter: Reporter, snapshot: SnapshotPlan? = nil, manifest: Manifest? = nil) {
        self.options = options
        self.snapshot = snapshot
        self.manifest = manifest
        self.sys = sys
        self.reporter = reporter
        selector = StrategySelector(options: options)
        let mask = Glibc.umask(0)
        Glibc.umask(mask)
        umask = UInt32(mask)
        euid = geteuid()
        egid = getegid()
        isRoot = euid == 0
    }

    var failureCount: Int { failures.value }

    /// Counts a failure that has already been told (a warning that makes the exit status 1).
    func countFailure() { failures.add(1) }

    /// A failure of `source` (to `dest`): told, counted and recorded, so the report, --stats
    /// and the exit status agree.
    func fail(_ e: CopyError, source: Path, dest: Path, kind: FileKind = .unknown) {
        var record = FileRecord(source: source, dest: dest, kind: kind)
        record.error = e
        record.printsVerboseLine = false
        finish(&record, started: nil)
    }

    /// Tells the reporter about a finished object and counts it if it failed.
    func finish(_ record: inout FileRecord, started: Int64?, announced: Bool = false) {
        if let started { record.elapsedNs = zcp_monotonic_ns() - started }
        if record.error != nil { record.status = .error }
        if record.error != nil || record.sourceChanged { countFailure() }
        if let manifest, let hex = record.manifestDigest, record.error?.isMetadata ?? true {
            manifest.add(hex, name: record.dest)
        }
        reporter.finished(record, announced: announced)
    }
}

/// A count several threads add to.
final class Counter: Sendable {
    private let count = Atomic<Int>(0)

    func add(_ n: Int) { count.add(n, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}
