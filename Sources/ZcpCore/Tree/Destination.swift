import Glibc

extension Copier {
    /// What to do about the destination of a non-directory.
    enum Overwrite {
        /// Go ahead; `existing` is what is still there (nil once moved away or removed).
        case proceed(existing: FileStat?, backup: Node?)
        /// Leave it; `ok` says whether that counts as success.
        case skip(ok: Bool)
        /// -u: the destination is not older than the source, so it stays (but still stands
        /// for the source's other hard links).
        case notNewer
        case fail(CopyError)
    }

    /// Applies GNU's rules for an existing destination: just-created files, -n, -u/--update,
    /// -i, --backup and --remove-destination.
    func decideOverwrite(_ src: Path, _ st: FileStat, _ node: Node, existing: FileStat?) -> Overwrite {
        guard let d = existing else { return .proceed(existing: nil, backup: nil) }
        let dst = node.path
        if justCreated.contains(dst) {
            return .fail(CopyError(.willNotOverwriteJustCreated, dst, src))
        }
        if options.interactive == .noClobber { return .skip(ok: true) }
        switch options.update {
        case .all: break
        case .none: return .skip(ok: true)
        case .noneFail: return .fail(CopyError(.notReplacing, dst))
        case .older:
            let newer = st.mtime.tv_sec > d.mtime.tv_sec
                || (st.mtime.tv_sec == d.mtime.tv_sec && st.mtime.tv_nsec > d.mtime.tv_nsec)
            if !newer { return .notNewer }
        }
        if options.interactive == .always && !Prompt.ask("\(reporter.program): overwrite \(quoted(dst))? ", sys: sys) {
            return .skip(ok: false)
        }
        if let control = options.backup, control != .none {
            let suffix = Backup.suffix(for: node.at, control: control, suffix: options.backupSuffix, sys: sys)
            let backup = Node(at: At(node.at.dir, Path(bytes: node.at.name.bytes + suffix)),
                              path: Path(bytes: dst.bytes + suffix))
            if case .success(let b) = sys.stat(backup.at, false), b.isSameFile(as: st) {
                // The backup would take the source's own name.
                return .fail(CopyError(.backupWouldDestroySource, dst, src))
            }
            if case .failure(let e) = sys.rename(node.at, backup.at) {
                return .fail(CopyError(.backup, dst, backup.path, errno: e, syscall: .rename))
            }
            return .proceed(existing: nil, backup: backup)
        }
        if options.removeDestination {
            if case .failure(let e) = sys.unlink(node.at), e != .ENOENT {
                return .fail(CopyError(.removeExisting, dst, errno: e, syscall: .unlink))
            }
            return .proceed(existing: nil, backup: nil)
        }
        return .proceed(existing: d, backup: nil)
    }
}

/// Asks a yes/no question on stderr and reads the answer from standard input.
enum Prompt {
    static func ask(_ question: String, sys: Syscalls) -> Bool {
        writeStderr(question)
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let r = withUnsafeMutableBytes(of: &byte) { b in retryingEINTR { sys.read(0, b.baseAddress!, 1) } }
            guard case .success(1) = r else { break }
            if byte == UInt8(ascii: "\n") { break }
            line.append(byte)
        }
        return line.first == UInt8(ascii: "y") || line.first == UInt8(ascii: "Y")
    }
}

/// Backup names: `name~` (simple, or the --suffix), `name.~N~` (numbered). What is appended
/// to the destination's name is returned.
enum Backup {
    static func suffix(for at: At, control: Options.BackupControl, suffix: String, sys: Syscalls) -> [UInt8] {
        switch control {
        case .none, .simple:
            return Array(suffix.utf8)
        case .numbered:
            return Array(".~\(highestNumber(at, sys: sys) + 1)~".utf8)
        case .existing:
            let n = highestNumber(at, sys: sys)
            return n > 0 ? Array(".~\(n + 1)~".utf8) : Array(suffix.utf8)
        }
    }

    /// The largest N of the existing `name.~N~` beside `at`, 0 when there is none.
    private static func highestNumber(_ at: At, sys: Syscalls) -> Int {
        let path = at.name
        let base = path.lastComponent.bytes
        var dirFd = at.dir
        if at.isRelativeToWorkingDirectory {
            guard case .success(let fd) = sys.open(at.directory, O_RDONLY | O_DIRECTORY, 0) else { return 0 }
            dirFd = fd
        }
        defer { if at.isRelativeToWorkingDirectory { _ = sys.close(dirFd) } }
        guard case .success(let entries) = sys.readDirectory(dirFd) else { return 0 }
        var highest = 0
        let prefix = base + Array(".~".utf8)
        for entry in entries {
            let name = entry.name.bytes
            guard name.count > prefix.count + 1, name.starts(with: prefix), name.last == UInt8(ascii: "~") else { continue }
            let digits = name[prefix.count..<(name.count - 1)]
            guard !digits.isEmpty, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }), digits.first != 48,
                  let n = Int(String(decoding: digits, as: UTF8.self)) else { continue }
            highest = max(highest, n)
        }
        return highest
    }
}
