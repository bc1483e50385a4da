import CZcp

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
        switch sys.stat(dst, false) {
        case .success(let d): existing = d
        case .failure(.ENOENT): existing = nil
        case .failure(let e): return fail(CopyError(.stat, dst, errno: e, syscall: .lstat))
        }
        if let d = existing, d.kind == .symlink, options.keepDirectorySymlink,
           case .success(let target) = sys.stat(dst, true) {
            existing = target  // a symlink to a directory is used as that directory
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
        reporter.announce(record)
        let started = zcp_monotonic_ns()

        if src == top.src { topDevice = st.dev }
        if options.oneFileSystem && st.dev != topDevice {
            // -x: the mount point is copied, not what is mounted on it.
            return finishDirectory(src, st, at: dst, isNew: existing == nil, record: &record, started: started)
        }
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
        return finishDirectory(src, st, at: dst, isNew: existing == nil, record: &record, started: started) && ok
    }

    /// Applies a directory's metadata after its contents and reports it.
    private func finishDirectory(_ src: Path, _ st: FileStat, at dst: Path, isNew: Bool,
                                 record: inout FileRecord, started: Int64) -> Bool {
        record.error = Metadata(copier: self).applyToPath(st, source: src, at: dst, isNew: isNew,
                                                          isDirectory: true, record: &record)
        if record.error != nil { record.status = .error }
        record.elapsedNs = zcp_monotonic_ns() - started
        reporter.finished(record, announced: true)
        return record.error == nil
    }

    /// --parents: makes the directories of `source` under `directory` as copies of the source's
    /// own (GNU prints them with -v as `a -> d/a`).
    func makeParents(of source: Path, under directory: Path) -> Bool {
        var components = source.bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map { Path(bytes: Array($0)) }
        guard !components.isEmpty else { return true }
        components.removeLast()
        var srcPrefix = source.bytes.first == UInt8(ascii: "/") ? Path("/") : Path("")
        var dstPrefix = directory
        for component in components {
            srcPrefix = srcPrefix.appending(component)
            dstPrefix = dstPrefix.appending(component)
            let st: FileStat
            switch sys.stat(srcPrefix, true) {
            case .success(let s): st = s
            case .failure(let e): return fail(CopyError(.stat, srcPrefix, errno: e, syscall: .stat))
            }
            switch sys.stat(dstPrefix, true) {
            case .success(let d) where d.isDirectory: continue
            case .success: return fail(CopyError(.overwriteNonDirectoryWithDirectory, dstPrefix, srcPrefix))
            case .failure: break
            }
            if case .failure(let e) = sys.mkdir(dstPrefix, (st.permissions & 0o777) | 0o700) {
                return fail(CopyError(.mkdir, dstPrefix, errno: e, syscall: .mkdir))
            }
            if options.verbose { reporter.plain("\(srcPrefix) -> \(dstPrefix)") }
            var record = FileRecord(source: srcPrefix, dest: dstPrefix, kind: .dir)
            record.quiet = true
            if let e = Metadata(copier: self).applyToPath(st, source: srcPrefix, at: dstPrefix, isNew: true,
                                                          isDirectory: true, record: &record) {
                return fail(e)
            }
        }
        return true
    }
}
