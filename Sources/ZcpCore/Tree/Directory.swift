extension Copier {
    /// Copies a directory and everything below it. The directory is made writable for its
    /// owner while its contents arrive; its own metadata is applied after them.
    func copyDirectory(_ src: Path, _ st: FileStat, to dst: Path, top: (src: Path, dst: Path)) -> Bool {
        if newDirectories.contains(FileID(st)) {
            // Going on would copy the copy again: abandon this operand's whole tree, as GNU does.
            intoItself = true
            return fail(CopyError(.intoItself, top.src, top.dst))
        }
        var existing: FileStat?
        switch sys.stat(dst, true) {
        case .success(let d): existing = d
        case .failure(.ENOENT): existing = nil
        case .failure(let e): return fail(CopyError(.stat, dst, errno: e, syscall: .stat))
        }
        if let d = existing, !d.isDirectory {
            return fail(CopyError(.overwriteNonDirectoryWithDirectory, dst, src))
        }
        var record = FileRecord(source: src, dest: dst, kind: .dir)
        if existing == nil {
            if case .failure(let e) = sys.mkdir(dst, (st.permissions & 0o777) | 0o700) {
                return fail(CopyError(.mkdir, dst, errno: e, syscall: .mkdir))
            }
            if case .success(let made) = sys.stat(dst, false) { newDirectories.insert(FileID(made)) }
        } else {
            record.quiet = true  // GNU tells only of directories it makes
        }
        reporter.finished(record)

        let entries: [(name: Path, ino: UInt64)]
        switch sys.readDirectory(src) {
        case .failure(let e): return fail(CopyError(.readDirectory, src, errno: e, syscall: .readdir))
        case .success(let list): entries = list.sorted { $0.ino < $1.ino }  // disk order on ext4
        }
        var ok = true
        for entry in entries {
            if !copyObject(src.appending(entry.name), to: dst.appending(entry.name), top: top) { ok = false }
            if intoItself { break }
        }
        if let e = Metadata(copier: self).applyToPath(st, source: src, at: dst, isNew: existing == nil, isDirectory: true) {
            ok = fail(e)
        }
        return ok
    }
}
