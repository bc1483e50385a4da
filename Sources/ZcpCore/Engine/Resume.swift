import Glibc

/// Where --resume continues a file: an open copy that holds the source's first `at` bytes.
struct ResumePoint {
    var fd: Int32
    /// The destination, or an --atomic temporary an earlier run left beside it.
    var target: Node
    var at: Int64
}

extension RunContext {
    /// --resume for a regular file whose copy was not found complete: the copy an earlier
    /// run left (the destination itself, or under --atomic its temporary) is opened, and if
    /// its bytes are the source's first N bytes (XXH3-128 of both prefixes) the copy goes on
    /// from N. A copy that is not such a prefix is emptied (or, a temporary, removed) and
    /// copied whole; the record says why. nil: nothing to resume, copy as usual.
    func resumePoint(
        _ job: FileJob, st: FileStat, srcFd: Int32, atomic: Bool, worker: Worker, state: FileState,
        record: inout FileRecord
    ) -> Result<ResumePoint?, CopyError> {
        var found: (fd: Int32, node: Node, size: Int64, sparse: Bool)? = nil
        if atomic {
            // The largest leftover that is provably one of ours for this source: a regular
            // file with no other name, owned by this user or by the source's owner (-a gives
            // it to them before the rename), that carries the mark zcp put on it naming this
            // source. A file that only looks like a temporary is left alone; one of ours for
            // another source, or a smaller one, goes.
            for node in leftovers(of: job) {
                guard case .success(let fd) = openOwned(node.at) else { continue }
                guard case .success(let t) = sys.fstat(fd), t.kind == .file, t.uid == euid || t.uid == st.uid,
                    t.nlink == 1, let mark = temporaryMark(fd)
                else { _ = sys.close(fd); continue }
                if mark != Self.temporaryMark(of: st) || (found.map { $0.size >= t.size } ?? false) {
                    _ = sys.close(fd)
                    _ = sys.unlink(node.at)
                    continue
                }
                if let f = found { _ = sys.close(f.fd); _ = sys.unlink(f.node.at) }
                found = (fd, node, t.size, t.looksSparse)
            }
        } else if let e = job.existing, e.kind == .file {
            guard case .success(let fd) = openOwned(job.dest.at, follow: true) else { return .success(nil) }
            guard case .success(let t) = sys.fstat(fd), t.kind == .file else { _ = sys.close(fd); return .success(nil) }
            found = (fd, job.dest, t.size, t.looksSparse)
        }
        guard let f = found else { return .success(nil) }

        var reason: String? = nil
        if f.size > st.size {
            reason = "the copy is longer than the source"
        } else {
            // Both prefixes through the file's hashers; the source's digest goes on from
            // there if read_write verifies on the way.
            let source = state.sourceHash, copy = state.copyHash
            source.reset()
            copy.reset()
            // A large copy's prefix is hashed on a thread of its own meanwhile (its own buffer).
            let sys = self.sys
            let copyRead = alongside(f.size >= 8 << 20) { () -> SysResult<Void> in
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: Worker.hashBufferSize, alignment: 4096)
                defer { buffer.deallocate() }
                return copy.read(
                    f.fd, to: f.size, sparse: f.sparse, uncached: false, sys: sys,
                    buffer: buffer, size: Worker.hashBufferSize)
            }
            let sourceRead = source.read(
                srcFd, to: f.size, sparse: st.looksSparse, uncached: false, sys: sys,
                buffer: worker.hashBuffer, size: Worker.hashBufferSize)
            let copied = copyRead()
            if case .failure(let e) = sourceRead {
                _ = sys.close(f.fd)
                return .failure(CopyError(.read, job.source.path, errno: e, syscall: .pread, offset: source.position))
            }
            if case .failure(let e) = copied {
                reason = "the copy cannot be read: \(e.name)"
            } else if source.position != f.size || copy.position != f.size {
                reason = "the source is shorter than it was"
            } else if source.digest != copy.digest {
                reason = "the copy's first \(f.size) bytes differ from the source's"
            }
        }
        if let reason {
            record.resume = .whole(reason: reason)
            if atomic {
                _ = sys.close(f.fd)
                _ = sys.unlink(f.node.at)
                return .success(nil)
            }
            if case .failure(let e) = retryingEINTR({ sys.ftruncate(f.fd, 0) }) {
                _ = sys.close(f.fd)
                return .failure(CopyError(.extend, job.dest.path, errno: e, syscall: .ftruncate, offset: 0))
            }
            return .success(ResumePoint(fd: f.fd, target: f.node, at: 0))
        }
        record.resume = .resumed(at: f.size)
        return .success(ResumePoint(fd: f.fd, target: f.node, at: f.size))
    }

    /// The --atomic temporaries of a job's destination that earlier runs left: from its
    /// directory's list, read once when the walk entered it, or (a command-line operand) read now.
    private func leftovers(of job: FileJob) -> [Node] {
        let dst = job.dest
        let leaf = Path(bytes: Sibling.temporaryKey(for: dst.at.name.lastComponent.bytes))
        let names: [Path]
        if let parent = job.parent {
            names = parent.leftovers[leaf] ?? []
        } else {
            guard case .success(let fd) = sys.open(dst.at.directory, O_RDONLY | O_DIRECTORY, 0) else { return [] }
            names = leftoverTemporaries(in: fd)[leaf] ?? []
            _ = sys.close(fd)
        }
        return names.map {
            Node(
                at: At(dst.at.dir, dst.at.name.replacingLastComponent(with: $0.bytes)),
                path: dst.path.replacingLastComponent(with: $0.bytes))
        }
    }

    /// Names of --atomic temporaries in a directory (`.NAME.zcp-` and 12 base32 characters),
    /// by NAME (shortened as a temporary's name shortens it).
    func leftoverTemporaries(in dirFd: Int32) -> [Path: [Path]] {
        guard case .success(let entries) = sys.readDirectory(dirFd) else { return [:] }
        var found: [Path: [Path]] = [:]
        for entry in entries {
            if let owner = Sibling.temporaryOwner(entry.name.bytes) { found[Path(bytes: owner), default: []].append(entry.name) }
        }
        return found
    }

    /// The extended attribute that marks an --atomic temporary as zcp's own while its data
    /// moves: the source's identity. Set before the temporary has a name, taken off once the
    /// copy is renamed to its own, never copied from a source.
    static let temporaryMarkName = Array("user.zcp.temporary".utf8)

    static func temporaryMark(of st: FileStat) -> [UInt8] { Array("\(st.dev):\(st.ino)".utf8) }

    /// The mark a temporary carries, nil when it has none (not provably ours).
    func temporaryMark(_ fd: Int32) -> [UInt8]? {
        guard case .success(let value) = sys.getXattr(.fd(fd), Self.temporaryMarkName) else { return nil }
        return value
    }

    /// Marks a temporary zcp just made as its own, for a later --resume (where the filesystem
    /// keeps user attributes; elsewhere it is not resumed, and never mistaken for ours).
    func markTemporary(_ fd: Int32, source st: FileStat) {
        _ = asOwnerWritable(fd) { sys.setXattr(.fd(fd), Self.temporaryMarkName, Self.temporaryMark(of: st)) }
    }

    /// Takes the mark off a copy renamed to its name (by name: its descriptor is closed).
    func unmarkTemporary(_ at: At) {
        let named = XattrTarget.path(at.fullName)
        guard case .failure(.EACCES) = sys.removeXattr(named, Self.temporaryMarkName), !isRoot,
            case .success(let s) = sys.stat(at, false), s.kind == .file, s.uid == euid,
            case .success = sys.chmod(at, s.permissions | 0o200)
        else { return }
        _ = sys.removeXattr(named, Self.temporaryMarkName)
        _ = sys.chmod(at, s.permissions)
    }

    /// Runs an attribute call on a file its owner may not write (a read-only source's copy):
    /// if it is refused, the file is made writable for its owner for that call alone.
    func asOwnerWritable(_ fd: Int32, _ body: () -> SysResult<Void>) -> SysResult<Void> {
        let first = body()
        guard case .failure(.EACCES) = first, case .success(let s) = sys.fstat(fd), s.uid == euid,
            s.permissions & 0o200 == 0, case .success = sys.fchmod(fd, s.permissions | 0o200)
        else { return first }
        defer { _ = sys.fchmod(fd, s.permissions) }
        return body()
    }

    /// Opens a copy for reading and writing (--resume, --verify) that this user may not open
    /// so (a read-only or write-only copy of theirs): its owner's read and write bits are
    /// added for the open alone and its mode put back at once (access is checked at open).
    /// `follow`: the name may be a symlink to the copy (written through, as GNU does).
    func openOwned(_ at: At, follow: Bool = false, extra: Int32 = 0) -> SysResult<Int32> {
        let flags = O_RDWR | (follow ? 0 : O_NOFOLLOW) | extra
        let first = retryingEINTR({ sys.open(at, flags, 0) })
        guard case .failure(.EACCES) = first, !isRoot, case .success(let s) = sys.stat(at, follow), s.kind == .file,
            s.uid == euid, case .success = sys.chmod(at, s.permissions | 0o600)
        else { return first }
        let reopened = retryingEINTR({ sys.open(at, flags, 0) })
        if case .success(let fd) = reopened { _ = sys.fchmod(fd, s.permissions) } else { _ = sys.chmod(at, s.permissions) }
        return reopened
    }
}

/// Runs `body` on a thread of its own when `parallel` (else when asked): the returned function
/// waits for it and gives its result. What `body` touches is its alone until then.
func alongside(_ parallel: Bool, _ body: @escaping () -> SysResult<Void>) -> () -> SysResult<Void> {
    guard parallel else { return body }
    let task = AlongsideTask(body)
    guard let thread = spawnThread({ task.result = task.body() }) else {
        return body  // no thread to be had: on this one, when asked
    }
    return {
        pthread_join(thread, nil)
        return task.result ?? .failure(.EIO)
    }
}

/// `alongside`'s work and result: handed to one thread, read back only after pthread_join,
/// so never used by two threads at once.
private final class AlongsideTask: @unchecked Sendable {
    let body: () -> SysResult<Void>
    var result: SysResult<Void>?
    init(_ body: @escaping () -> SysResult<Void>) { self.body = body }
}
