import CZcp
import Glibc

/// One regular file to copy: what a pool thread is handed. With the run's context it is all
/// the thread sees; the directory it belongs to is told when it is done.
struct FileJob: Sendable {
    var source: Node
    var dest: Node
    /// Open the source through a symlink (-L, -H on the command line).
    var follow: Bool
    /// What the destination policy left at the name, written into in place; nil: made anew.
    var existing: FileStat?
    var record: FileRecord
    /// The directory being copied that holds it, when the walker knows it.
    var parent: DirectoryTask?
    /// Where the destination was moved (--backup): moved back if the copy fails.
    var backup: Node? = nil
    /// The backup is a second name of the destination, which stays in place until an
    /// --atomic rename replaces it: a failed copy only takes the backup away again.
    var backupIsLink = false
    /// What the walker's lstat said of the source: --link-dest decides on it before the
    /// source is opened, so an unchanged file is linked without opening it.
    var stat: FileStat? = nil
}

extension RunContext {
    /// Copies a job's file on `worker`, reports it and tells its directory.
    func run(_ job: FileJob, on worker: Worker) {
        // Queued before a stop signal and not started: nothing was made, nothing to tell.
        if stopSignal != nil {
            if let parent = job.parent { release(parent, ok: false) }
            return
        }
        var record = job.record
        let started = zcp_monotonic_ns()
        record.error = RegularFileCopy(context: self, job: job, worker: worker).run(record: &record)
        undoBackup(job.backup, of: job.dest, after: record.error, linked: job.backupIsLink)
        finish(&record, started: started, announced: true)
        if let parent = job.parent { release(parent, ok: record.error == nil) }
    }

    /// A copy that failed gives its backup its name back (GNU's "unbackup").
    func undoBackup(_ backup: Node?, of dst: Node, after error: CopyError?, linked: Bool = false) {
        guard let backup, let error, !error.isMetadata else { return }
        if linked {
            _ = sys.unlink(backup.at)  // the link this run made; the destination never moved
            return
        }
        if case .failure(let e) = sys.rename(backup.at, dst.at) {
            reporter.error(CopyError(.unbackup, dst.path, errno: e, syscall: .rename))
        } else {
            reporter.unbackedUp(backup.path, to: dst.path)
        }
    }

}
