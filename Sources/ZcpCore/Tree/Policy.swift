import Glibc

/// One object the copy works on: where the `*at` calls find it, and the path messages show.
struct Node: Sendable {
    var at: At
    var path: Path

    /// A command-line operand: relative to the working directory.
    static func operand(_ path: Path) -> Node { Node(at: At(path), path: path) }

    /// An entry of the directory open as `dirFd`, which is `self`; with AT_FDCWD (a walk by
    /// path, under a descriptor limit too low to hold directories), by its path.
    func child(_ name: Path, in dirFd: Int32) -> Node {
        let path = path.appending(name)
        return Node(at: dirFd == At.workingDirectory ? At(path) : At(dirFd, name), path: path)
    }
}

/// GNU cp's rules for an existing destination, in GNU's order, in one place. From the
/// source's status, the destination's (looked up here, through the syscall table) and the
/// options it returns one decision; the walker carries it out. It changes nothing on disk.
struct DestinationPolicy {
    let options: Options
    let sys: Syscalls

    /// What to do about an existing destination: a kind, and what that kind carries. A
    /// struct whose fields are always set, not an enum with payloads of several sizes: the
    /// latter's outlined tag read looked at bytes a smaller case left unset (valgrind's
    /// "uninitialised value" on every copy).
    struct Decision: Equatable {
        enum Kind: Equatable {
            /// Copy. `existing` is what stays at the name and is written into (a regular file,
            /// or what a symlink there leads to), or replaced by the link and special-file
            /// makers; nil when the name is free (or holds a dangling symlink, which the
            /// regular-file copy refuses to write through). `shared`: that file is reached by
            /// other names too (other hard links, or the symlink at the name led to it), so it
            /// may be a source of this very run.
            case copy
            /// `cp -fb a a`: the file is copied to its backup name (`node`), and stays as it is.
            case copyToBackupName
            /// Move the destination to `node` first, then copy to the free name.
            case backUp
            /// Remove the destination first (-v says "removed"), then copy to the free name.
            case remove
            /// Leave the destination as it is, successfully (-n, --update=none).
            case skip
            /// -i was answered no (exit status 1, as GNU 9.2+).
            case declined
            /// -u: the destination is not older; it still stands for the source's other links.
            case notNewer
            /// -l onto a name of the same file: already done.
            case nothingToDo
            /// --resume: the destination (`existing`) has the source's size and mtime, so an
            /// earlier run finished it; it is left as it is, unread.
            case complete
            /// Refused with `error`.
            case refuse
        }
        var kind: Kind
        var existing: FileStat? = nil
        var shared = false
        var node: Node? = nil
        var error: CopyError? = nil

        static func copy(existing: FileStat?, shared: Bool = false) -> Decision {
            Decision(kind: .copy, existing: existing, shared: shared)
        }
        static func copyToBackupName(_ node: Node, existing: FileStat?) -> Decision {
            Decision(kind: .copyToBackupName, existing: existing, node: node)
        }
        static func backUp(_ node: Node) -> Decision { Decision(kind: .backUp, node: node) }
        static var remove: Decision { Decision(kind: .remove) }
        static var skip: Decision { Decision(kind: .skip) }
        static var declined: Decision { Decision(kind: .declined) }
        static var notNewer: Decision { Decision(kind: .notNewer) }
        static var nothingToDo: Decision { Decision(kind: .nothingToDo) }
        static func complete(existing: FileStat) -> Decision { Decision(kind: .complete, existing: existing) }
        static func refuse(_ e: CopyError) -> Decision { Decision(kind: .refuse, error: e) }

        static func == (a: Decision, b: Decision) -> Bool { a.description == b.description }
    }

    /// Decides what to do about `dst` for `src`. `parentIsNew`: the directory holding `dst`
    /// was made by this run, so it holds nothing this run did not put there.
    /// `justCreated`: what this run made at `dst` for an earlier command-line operand (its
    /// identity as lstat saw it), or nil.
    /// `ask`: puts -i's question and returns the answer.
    /// `src` is the source about to be copied, `st` what stat (or lstat) said of it, and
    /// `commandLine` whether the user named it (passed as they are: a struct of them would be
    /// a copy of the source's paths for every file).
    func decide(
        _ src: Node, stat st: FileStat, commandLine: Bool, to dst: Node, parentIsNew: Bool,
        justCreated made: FileStat?, ask: (Path) -> Bool
    ) -> Decision {
        guard !parentIsNew else { return .copy(existing: nil) }
        let lst: FileStat
        switch sys.stat(dst.at, false) {
        case .success(let d): lst = d
        case .failure(.ENOENT): return .copy(existing: nil)
        case .failure(let e): return .refuse(CopyError(.stat, dst.path, errno: e, syscall: .lstat))
        }
        let backups = makesBackups
        // Data can be written through a symlink only by a regular-file copy, and only when
        // the name is neither replaced nor moved away first (GNU's stat-or-lstat rule).
        let asRegular = copiesAsRegularFile(st)
        let writesThrough =
            asRegular
            && !(options.symbolicLink || options.hardLink || backups
                || options.removeDestination)
        var dstSt = lst
        var followed: SysResult<FileStat>? = nil
        if lst.kind == .symlink && (writesThrough || (st.isDirectory && options.keepDirectorySymlink)) {
            let through = sys.stat(dst.at, true)
            followed = through
            switch through {
            case .success(let target): dstSt = target
            case .failure(.ENOENT):
                // A dangling symlink leaves the name free as far as GNU is concerned; the
                // copy refuses to write through it (unless POSIXLY_CORRECT).
                if commandLine && made.map(lst.isSameFile) == true && !backups {
                    return .refuse(CopyError(.throughJustCreatedSymlink, dst.path, src.path))
                }
                return .copy(existing: nil)
            case .failure(.ELOOP) where options.force:
                break  // a loop is a name like any other: -f replaces it (GNU 8.30+)
            case .failure(let e):
                return .refuse(CopyError(.stat, dst.path, errno: e, syscall: .stat))
            }
        }

        // -n (GNU 9.1) leaves any existing file, before asking whether it is the source, and
        // copies a directory into an existing one without asking either.
        let noClobber = options.interactive == .noClobber
        if !st.isDirectory && noClobber { return .skip }
        if let backup = forcedBackupOfItself(src, dst) {
            // `cp -fb a a`: GNU makes the backup by copying, and leaves the file be.
            switch sys.stat(backup.at, false) {
            case .success(let b) where !b.isDirectory: return .copyToBackupName(backup, existing: b)
            default: return .copyToBackupName(backup, existing: nil)
            }
        }
        let verdict =
            noClobber ? .distinct : sameFileVerdict(src, st, dst, lst, followed: followed, commandLine: commandLine)
        if verdict == .same { return .refuse(CopyError(.sameFile, src.path, dst.path)) }
        // --resume: a regular file copy that an earlier run finished.
        let resumable =
            options.resume && st.kind == .file && dstSt.kind == .file && !options.symbolicLink
            && !options.hardLink && !options.attributesOnly && (lst.kind == .file || writesThrough)
        if resumable && dstSt.size == st.size && dstSt.mtime.tv_sec == st.mtime.tv_sec
            && dstSt.mtime.tv_nsec == st.mtime.tv_nsec
        {
            return .complete(existing: dstSt)
        }
        if !st.isDirectory {
            switch options.update {
            case .all: break
            case .none: return .skip
            case .noneFail: return .refuse(CopyError(.notReplacing, dst.path))
            case .older:
                let newer =
                    st.mtime.tv_sec > dstSt.mtime.tv_sec
                    || (st.mtime.tv_sec == dstSt.mtime.tv_sec && st.mtime.tv_nsec > dstSt.mtime.tv_nsec)
                // A copy of another size is unfinished, however new (the trap of `cp -au`
                // after a crash): --resume takes it up.
                if !newer && !(resumable && dstSt.size != st.size) { return .notNewer }
            }
            if options.interactive == .always && !ask(dst.path) { return .declined }
        }
        if verdict == .nothingToDo { return .nothingToDo }
        if !dstSt.isDirectory {
            if st.isDirectory {
                return .refuse(CopyError(.overwriteNonDirectoryWithDirectory, dst.path, src.path))
            }
            // Two operands onto one name would lose the first copy; numbered backups keep it.
            if commandLine && made.map(dstSt.isSameFile) == true && options.backup != .numbered {
                return .refuse(CopyError(.willNotOverwriteJustCreated, dst.path, src.path))
            }
        } else if !st.isDirectory {
            return .refuse(CopyError(.overwriteDirectoryWithNonDirectory, dst.path))
        }
        if backups && !src.path.lastComponent.isDotOrDotDot && !dstSt.isDirectory {
            let backup = backupNode(of: dst)
            if backup.path == src.path {
                return .refuse(CopyError(.backupWouldDestroySource, dst.path, src.path))
            }
            if case .success(let b) = sys.stat(backup.at, false), b.isSameFile(as: st), b.kind == st.kind {
                // The backup would take the source's own name, spelt another way.
                return .refuse(CopyError(.backupWouldDestroySource, dst.path, src.path))
            }
            return .backUp(backup)
        }
        // A name in the way of what is made anew (a symlink, a special file), or another link
        // of a file that -a keeps linked, is removed first; --attributes-only makes nothing
        // anew, so only --remove-destination removes there.
        let makesData = !options.attributesOnly
        if !dstSt.isDirectory
            && (options.removeDestination
                || (makesData && options.preserve.links && dstSt.nlink > 1)
                || (makesData && followsNoSymlink(commandLine: commandLine) && st.kind != .file))
        {
            return .remove
        }
        if commandLine && made.map(lst.isSameFile) == true && !backups && lst.kind == .symlink {
            return .refuse(CopyError(.throughJustCreatedSymlink, dst.path, src.path))
        }
        return .copy(existing: dstSt, shared: dstSt.nlink > 1 || lst.kind == .symlink)
    }

    /// Whether symlinks are never followed for this source: -P, or below the command line
    /// with -H (GNU copies a directory's entries with DEREF_NEVER under -H).
    func followsNoSymlink(commandLine: Bool) -> Bool {
        let deref = options.effectiveDereference
        return deref == .never || (deref == .commandLineOnly && !commandLine)
    }

    var makesBackups: Bool { options.backup.map { $0 != .none } ?? false }

    /// Whether the source's data is copied as a regular file's (so it can go through a
    /// symlink at the destination): a regular file, or with --copy-contents or without -R
    /// anything but a directory or a symlink.
    func copiesAsRegularFile(_ st: FileStat) -> Bool {
        st.kind == .file || ((!options.recursive || options.copyContents) && !st.isDirectory && st.kind != .symlink)
    }

    /// The name an existing destination is moved to: `name~`, `name.~N~`.
    func backupNode(of dst: Node) -> Node {
        let control = options.backup ?? .existing
        let suffix = Backup.suffix(for: dst.at, control: control, suffix: options.backupSuffix, sys: sys)
        let leaf = Backup.name(dst.at.name.lastComponent.bytes, suffix)
        return Sibling.node(beside: dst, leaf: leaf)
    }

    enum SameFileVerdict {
        /// Copying may go ahead.
        case distinct
        /// Source and destination are one file in a way that loses data: refused.
        case same
        /// -l where the destination already is the source's file: nothing to do (success).
        case nothingToDo
    }

    /// GNU's rules for when an existing destination counts as "the same file" as the source:
    /// which of the two are looked at through their symlinks depends on -P/-L, and backups,
    /// --remove-destination, -l and -s each allow some cases. `lst`: the destination's lstat;
    /// `followed`: its stat through the symlink, when it is one.
    func sameFileVerdict(
        _ src: Node, _ st: FileStat, _ dst: Node, _ lst: FileStat,
        followed: SysResult<FileStat>?, commandLine: Bool
    ) -> SameFileVerdict {
        let backups = makesBackups
        let neverFollow = followsNoSymlink(commandLine: commandLine)
        // Data can be written through a destination symlink only for regular files.
        let lookAtLink =
            !copiesAsRegularFile(st) || options.symbolicLink || options.hardLink || backups
            || options.removeDestination
        var dstSt = lst
        if !lookAtLink && lst.kind == .symlink {
            guard case .success(let target) = followed ?? sys.stat(dst.at, true) else { return .distinct }
            dstSt = target
        }
        let same = st.isSameFile(as: dstSt)
        if same && options.hardLink { return .nothingToDo }
        let srcLink: FileStat, dstLink: FileStat, sameLink: Bool
        if neverFollow {
            sameLink = same
            if st.kind == .symlink && dstSt.kind == .symlink {
                // Two symlinks: fine unless they are one directory entry.
                let oneEntry = sameEntry(src, dst)
                if !oneEntry && !backups && sameLink { return .nothingToDo }
                return oneEntry ? .same : .distinct
            }
            srcLink = st
            dstLink = dstSt
        } else {
            guard same, case .success(let s) = sys.stat(src.at, false), case .success(let d) = sys.stat(dst.at, false)
            else { return .distinct }
            srcLink = s
            dstLink = d
            sameLink = s.isSameFile(as: d)
            if s.kind == .symlink && d.kind == .symlink && options.removeDestination { return .distinct }
        }
        if backups {
            // The backup moves the destination's name away, so only one entry is a problem,
            // and a symlink whose target would be moved (then dangle).
            if !sameLink { return !neverFollow && srcLink.kind == .symlink && dstLink.kind != .symlink ? .same : .distinct }
            return sameEntry(src, dst) ? .same : .distinct
        }
        if options.removeDestination {
            if dstLink.kind == .symlink { return .distinct }
            if sameLink && dstLink.nlink > 1 && !sameEntry(src, dst) { return .distinct }
        }
        if srcLink.kind != .symlink && dstLink.kind != .symlink {
            if !srcLink.isSameFile(as: dstLink) { return .distinct }
            if options.hardLink && !st.isDirectory { return .nothingToDo }
        }
        if options.symbolicLink && dstLink.kind == .symlink { return .distinct }  // it is made again
        if neverFollow {
            var s = srcLink, d = dstLink
            if s.kind == .symlink { guard case .success(let t) = sys.stat(src.at, true) else { return .distinct }; s = t }
            if d.kind == .symlink {
                guard case .success(let t) = followed ?? sys.stat(dst.at, true) else { return .distinct }; d = t
            }
            if !s.isSameFile(as: d) { return .distinct }
            if options.hardLink && !st.isDirectory { return dstLink.kind == .symlink ? .distinct : .nothingToDo }
        }
        return .same
    }

    /// Whether two names are one directory entry (the same directory, the same last name).
    func sameEntry(_ a: Node, _ b: Node) -> Bool {
        guard a.at.name.lastComponent == b.at.name.lastComponent,
            case .success(let p) = sys.stat(a.at.directory, true),
            case .success(let q) = sys.stat(b.at.directory, true)
        else { return false }
        return p.isSameFile(as: q)
    }

    /// GNU's exception to "are the same file" when backups are made: `cp -fb a a` (one name,
    /// spelt the same, with --force) copies the file to its backup name; returns that node.
    private func forcedBackupOfItself(_ src: Node, _ dst: Node) -> Node? {
        // Only for SOURCE DEST spelt alike (not into a directory), naming a regular file.
        guard makesBackups, options.force, src.path == dst.path, options.targetDirectory == nil,
            dst.path == options.destination
        else { return nil }
        guard case .success(let target) = sys.stat(dst.at, true), target.kind == .file else { return nil }
        return backupNode(of: dst)
    }
}

extension DestinationPolicy.Decision: CustomStringConvertible {
    var description: String {
        switch kind {
        case .copy:
            return "copy(existing: \(existing.map { String($0.kind.rawValue) } ?? "nil")\(shared ? ", shared" : ""))"
        case .copyToBackupName: return "copyToBackupName(\(node?.path.description ?? ""))"
        case .backUp: return "backUp(\(node?.path.description ?? ""))"
        case .remove: return "remove"
        case .skip: return "skip"
        case .declined: return "declined"
        case .notNewer: return "notNewer"
        case .nothingToDo: return "nothingToDo"
        case .complete: return "complete"
        case .refuse: return "refuse(\(error.map(Messages.text(for:)) ?? ""))"
        }
    }
}

extension Path {
    /// "." or "..": a source named so is never backed up over (GNU).
    var isDotOrDotDot: Bool { bytes == [46] || bytes == [46, 46] }
}

/// Backup names: `name~` (simple, or the --suffix), `name.~N~` (numbered). What is appended
/// to the destination's name is returned.
enum Backup {
    static func suffix(for at: At, control: Options.BackupControl, suffix: [UInt8], sys: Syscalls) -> [UInt8] {
        switch control {
        case .none, .simple:
            return suffix
        case .numbered:
            return Array(".~".utf8) + increment(highestNumber(at, sys: sys) ?? [UInt8(ascii: "0")]) + [UInt8(ascii: "~")]
        case .existing:
            guard let n = highestNumber(at, sys: sys) else { return suffix }
            return Array(".~".utf8) + increment(n) + [UInt8(ascii: "~")]
        }
    }

    /// The backup's last component: the name and its suffix or, when they come to NAME_MAX
    /// or more, the name cut to NAME_MAX - 2 bytes and "~" (what GNU 9.1 makes).
    static func name(_ leaf: [UInt8], _ suffix: [UInt8]) -> [UInt8] {
        guard leaf.count + suffix.count >= Sibling.nameMax else { return leaf + suffix }
        return Array(leaf.prefix(Sibling.nameMax - 2)) + [UInt8(ascii: "~")]
    }

    /// A decimal number one larger, as digits: any length, so no planted name can overflow it.
    static func increment(_ digits: [UInt8]) -> [UInt8] {
        var out = digits
        var i = out.count - 1
        while i >= 0 {
            if out[i] < UInt8(ascii: "9") { out[i] += 1; return out }
            out[i] = UInt8(ascii: "0")
            i -= 1
        }
        return [UInt8(ascii: "1")] + out
    }

    /// The digits of the largest N of the existing `name.~N~` beside `at` (no leading zero),
    /// compared as numbers of any length; nil when there is none.
    private static func highestNumber(_ at: At, sys: Syscalls) -> [UInt8]? {
        let path = at.name
        let base = path.lastComponent.bytes
        var dirFd = at.dir
        if at.isRelativeToWorkingDirectory {
            guard case .success(let fd) = sys.open(at.directory, O_RDONLY | O_DIRECTORY, 0) else { return nil }
            dirFd = fd
        }
        defer { if at.isRelativeToWorkingDirectory { _ = sys.close(dirFd) } }
        guard case .success(let entries) = sys.readDirectory(dirFd) else { return nil }
        var highest: [UInt8]? = nil
        let prefix = base + Array(".~".utf8)
        for entry in entries {
            let name = entry.name.bytes
            guard name.count > prefix.count + 1, name.starts(with: prefix), name.last == UInt8(ascii: "~") else { continue }
            let digits = Array(name[prefix.count..<(name.count - 1)])
            guard !digits.isEmpty, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }), digits.first != 48 else { continue }
            if let h = highest, h.count > digits.count || (h.count == digits.count && !h.lexicographicallyPrecedes(digits)) {
                continue
            }
            highest = digits
        }
        return highest
    }
}
