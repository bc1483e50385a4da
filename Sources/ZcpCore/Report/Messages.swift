/// The text of every error, in GNU cp's words where GNU has them.
public enum Messages {
    public static func text(for e: CopyError) -> String {
        let p = quoted(e.path)
        let q = e.path2.map(quoted) ?? ""
        let head: String
        switch e.what {
        case .stat: head = "cannot stat \(p)"
        case .openForReading: head = "cannot open \(p) for reading"
        case .fstat: head = "cannot fstat \(p)"
        case .create(let kind): head = "cannot create \(kind.gnuName) \(p)"
        case .openForWriting: head = "cannot create regular file \(p)"  // GNU 9's words for both
        case .read: head = "error reading \(p)"
        case .write: head = "error writing \(p)"
        case .copy: head = "error copying \(p) to \(q)"
        case .close: head = "failed to close \(p)"
        case .extend: head = "failed to extend \(p)"
        case .strategyRefused(let s):
            let errno = e.errno.map { "\($0.message) (\($0.name))" } ?? "refused"
            return "\(s.name): \(p) -> \(q): \(errno); try --strategy=auto"
        case .strategyNoData(let s):
            return "\(s.name): \(p) -> \(q): no data at offset 0 from a file that has some; try --strategy=auto"
        case .cloneFailed: head = "failed to clone \(p) from \(q)"
        case .mkdir: head = "cannot create directory \(p)"
        case .makeParent: head = "cannot make directory \(p)"
        case .symlink: head = "cannot create symbolic link \(p)" + (e.path2 == nil ? "" : " to \(q)")
        case .readlink: head = "cannot read symbolic link \(p)"
        case .readDirectory: head = "cannot access \(p)"
        case .mknod: head = "cannot create special file \(p)"
        case .sameFile: head = "\(p) and \(q) are the same file"
        case .omitDirectory: head = "-r not specified; omitting directory \(p)"
        case .overwriteDirectoryWithNonDirectory: head = "cannot overwrite directory \(p) with non-directory"
        case .overwriteNonDirectoryWithDirectory: head = "cannot overwrite non-directory \(p) with directory \(q)"
        case .intoItself: head = "cannot copy a directory, \(p), into itself, \(q)"
        case .preserveTimes: head = "preserving times for \(p)"
        case .preservePermissions: head = "preserving permissions for \(localeQuoted(e.path))"
        case .preserveOwnership: head = "failed to preserve ownership for \(p)"
        case .preserveXattr: head = "setting attributes for \(p)"
        case .removeExisting: head = "cannot remove \(p)"
        case .willNotOverwriteJustCreated: head = "will not overwrite just-created \(p) with \(q)"
        case .notReplacing: head = "not replacing \(p)"
        case .unbackup: head = "cannot un-backup \(p)"
        case .backup: head = "cannot backup \(p)"
        case .backupWouldDestroySource: head = "backing up \(p) might destroy source;  \(q) not copied"
        case .hardLink: head = "cannot create hard link \(p) to \(q)"
        case .relativeSymlinkOutsideCurrentDirectory:
            head = "\(quotedIfNeeded(e.path)): can make relative symbolic links only in current directory"
        case .hardLinkToDirectory: head = "will not create hard link \(p) to directory \(q)"
        case .cyclicSymlink: head = "cannot copy cyclic symbolic link \(p)"
        case .danglingDestination: head = "not writing through dangling symlink \(p)"
        case .throughJustCreatedSymlink: head = "will not copy \(q) through just-created symlink \(p)"
        case .existsNotDirectory: head = "\(p) exists but is not a directory"
        case .getAttributes: head = "failed to get attributes of \(p)"
        case .interrupted:
            let name = stopSignal.map { " by " + signalName($0) } ?? ""
            let fate =
                e.keptPartial.map(keptText)
                ?? (e.incompleteDestination != nil ? "\(q) may be incomplete" : "the partial copy was removed")
            return "copying \(p) to \(q) interrupted\(name); " + fate
        case .sourceChanged: return "\(p): file changed as we read it"
        case .sync: head = "failed to sync \(p)"
        case .atomicRename: head = "cannot move temporary file into place as \(q)"
        case .snapshotDirectory(let kind): head = "--\(kind)-dest: cannot open directory \(p)"
        case .manifest: head = "cannot write manifest \(p)"
        case .verifyMismatch(let source, let copy):
            return "verification failed: \(p) differs from \(q) (xxh3 \(copy.hex), source \(source.hex))"
        }
        guard let errno = e.errno else { return head }
        return head + ": " + errno.message
    }
}

/// "kept partial 'x' (N of M bytes)".
func keptText(_ k: CopyError.KeptPartial) -> String {
    "kept partial \(quoted(k.path)) (\(k.bytes) of \(k.of) bytes)"
}

/// "SIGINT" for 2, and so on for the signals zcp stops on.
func signalName(_ signal: Int32) -> String {
    switch signal {
    case 1: return "SIGHUP"
    case 2: return "SIGINT"
    case 15: return "SIGTERM"
    default: return "signal \(signal)"
    }
}
