import Glibc

/// --manifest: a checksum line per regular file of the copy, in the format `xxhsum -H2` or
/// `sha256sum` writes and checks (`-c`), naming the destination as the command line names it.
/// The digest is of the bytes copied: for a file of 8 MiB or more, of the source read on a
/// second thread while the kernel copies it (when the source did not change meanwhile);
/// otherwise of the copy read back once its data is written (from the page cache); with
/// --verify and xxh128, the digest --verify read back from storage.
final class Manifest: Sendable {
    let hash: Options.ManifestHash
    let output: Output

    init(hash: Options.ManifestHash, output: Output) {
        self.hash = hash
        self.output = output
    }

    /// The digest of the copy open as `fd` (called `path` in messages), into the record.
    func digest(of fd: Int32, path: Path, record: inout FileRecord, worker: Worker) -> CopyError? {
        if hash == .xxh128, record.verify == .ok, let d = record.copyDigest {
            record.manifestDigest = d.hex
            return nil
        }
        let sys = worker.sys
        let st: FileStat
        switch sys.fstat(fd) {
        case .failure(let e): return CopyError(.fstat, path, errno: e, syscall: .fstat)
        case .success(let s): st = s
        }
        guard st.kind == .file else { return nil }  // a FIFO or device written into keeps nothing
        let digest: ContentDigest = hash == .xxh128 ? Hasher() : Sha256()
        if case .failure(let e) = digest.read(
            fd, to: st.size, sparse: st.looksSparse, uncached: false, sys: sys,
            buffer: worker.hashBuffer, size: Worker.hashBufferSize)
        {
            return CopyError(.read, path, errno: e, syscall: .pread, offset: digest.position)
        }
        record.manifestDigest = digest.hex
        return nil
    }

    /// A new digest of the manifest's kind.
    func newDigest() -> ContentDigest { hash == .xxh128 ? Hasher() : Sha256() }

    /// Files this large are hashed from the source on a thread of their own while the kernel
    /// copies them: the copy's time, not the copy's plus a second read.
    static let hashedAlongside: Int64 = 8 << 20

    /// Starts hashing a large source on its own thread; nil for small files.
    func startAlongside(_ srcFd: Int32, st: FileStat, sys: Syscalls) -> (ContentDigest, () -> SysResult<Void>)? {
        guard st.kind == .file, st.size >= Self.hashedAlongside else { return nil }
        let digest = newDigest()
        let done = alongside(true) { () -> SysResult<Void> in
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: Worker.hashBufferSize, alignment: 4096)
            defer { buffer.deallocate() }
            return digest.read(
                srcFd, to: st.size, sparse: st.looksSparse, uncached: false, sys: sys, buffer: buffer,
                size: Worker.hashBufferSize)
        }
        return (digest, done)
    }

    /// The digest of the file at `at` (another name of a copied file).
    func digest(at: At, path: Path, record: inout FileRecord, worker: Worker) -> CopyError? {
        switch worker.sys.open(at, O_RDONLY | O_NOFOLLOW, 0) {
        case .failure(let e): return CopyError(.openForReading, path, errno: e, syscall: .open)
        case .success(let fd):
            defer { _ = worker.sys.close(fd) }
            return digest(of: fd, path: path, record: &record, worker: worker)
        }
    }

    /// Writes a finished file's line.
    func add(_ hex: String, name: Path) { output.write(bytes: Self.line(hex: hex, name: name.bytes, hash: hash)) }

    /// `HEX  NAME\n`. A name with a newline, carriage return or backslash is escaped as
    /// sha256sum escapes it (a backslash starts the line; `\\`, `\n` and `\r` in the name);
    /// xxhsum 0.8.1 reads backslashes as they are and has no escapes, so an xxh128 line
    /// escapes only a name with a newline or carriage return (xxhsum 0.8.2 and later read it).
    static func line(hex: String, name: [UInt8], hash: Options.ManifestHash) -> [UInt8] {
        let newline = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r"), backslash = UInt8(ascii: "\\")
        let escapes =
            name.contains(newline) || name.contains(cr) || (hash == .sha256 && name.contains(backslash))
        var out: [UInt8] = []
        out.reserveCapacity(hex.utf8.count + name.count + 4)
        if escapes { out.append(backslash) }
        out.append(contentsOf: hex.utf8)
        out.append(contentsOf: [UInt8(ascii: " "), UInt8(ascii: " ")])
        for b in name {
            switch b {
            case newline where escapes: out.append(contentsOf: [backslash, UInt8(ascii: "n")])
            case cr where escapes: out.append(contentsOf: [backslash, UInt8(ascii: "r")])
            case backslash where escapes: out.append(contentsOf: [backslash, backslash])
            default: out.append(b)
            }
        }
        out.append(newline)
        return out
    }
}
