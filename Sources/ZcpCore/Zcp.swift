import CZcp
import Glibc

/// The whole program, callable from `main.swift` and from tests.
public enum Zcp {
    /// Stop signals end the copy cleanly (see czcp.h); SIGXFSZ and SIGPIPE become errors.
    public static func installSignalHandlers() { zcp_install_signal_handlers() }

    /// Runs zcp on `argv` and returns the exit status.
    public static func main(
        argc: Int32, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
        sys: Syscalls = .live
    ) -> Int32 {
        let program = String(cString: argv[0]!)
        let stdout = Output(fd: 1)
        let parser = CommandLineParser(program: program, out: { stdout.write($0) }, err: writeStderr)
        var options: Options
        switch parser.parse(argc: argc, argv: argv) {
        case .exit(let status):
            stdout.flush()
            return status
        case .run(let o): options = o
        }
        if !options.excludePatterns.isEmpty || !options.excludeFiles.isEmpty {
            switch ExcludeList.load(patterns: options.excludePatterns, files: options.excludeFiles, sys: sys) {
            case .failure(let e):
                writeStderr("\(program): \(e.message)\n")
                return 1
            case .success(let list): options.excludes = list
            }
        }

        var report: Output? = nil
        if let path = options.reportPath {
            if path.bytes == Array("-".utf8) {
                report = stdout
            } else {
                switch sys.open(At(path), O_WRONLY | O_CREAT | O_TRUNC, 0o666) {
                case .success(let fd): report = Output(fd: fd)
                case .failure(let e):
                    writeStderr("\(program): cannot open report \(quoted(path)): \(e.message)\n")
                    return 1
                }
            }
        }
        let reporter = Reporter(program: program, options: options, stdout: stdout, report: report)
        if let runs = options.compareRuns {
            let ok = StrategyComparison(options: options, sys: sys, reporter: reporter, runs: runs).run()
            return reporter.close() && ok ? 0 : 1
        }
        var snapshot: SnapshotPlan? = nil
        if !options.snapshotDirs.isEmpty {
            switch SnapshotPlan.open(options, base: snapshotBase(options, sys: sys), sys: sys) {
            case .failure(let e):
                reporter.error(e)
                _ = reporter.close()
                return 1
            case .success(let plan): snapshot = plan
            }
        }
        var manifest: Manifest? = nil
        if let path = options.manifestPath {
            if path.bytes == Array("-".utf8) {
                manifest = Manifest(hash: options.manifestHash, output: stdout)
            } else {
                switch sys.open(At(path), O_WRONLY | O_CREAT | O_TRUNC, 0o666) {
                case .success(let fd): manifest = Manifest(hash: options.manifestHash, output: Output(fd: fd))
                case .failure(let e):
                    reporter.error(CopyError(.manifest, path, errno: e, syscall: .open))
                    _ = reporter.close()
                    return 1
                }
            }
        }
        let copier = Walker(options: options, sys: sys, reporter: reporter, snapshot: snapshot, manifest: manifest)
        if reporter.showsProgress {
            let plan = ProgressPlan(sys: sys, options: options).measure(options.sources)
            reporter.startProgress(bytes: plan.bytes, files: plan.files)
        }
        var ok = run(copier, options: options, sys: sys, reporter: reporter)
        copier.finish()
        if let manifest {
            manifest.output.flush()
            if let e = manifest.output.failure {
                reporter.error(CopyError(.manifest, options.manifestPath!, errno: e, syscall: .write))
                ok = false
            }
            if manifest.output.fd > 2 { _ = sys.close(manifest.output.fd) }
        }
        if !reporter.close() { ok = false }
        if let signal = stopSignal { return 128 + signal }
        return ok && !copier.failed ? 0 : 1
    }

    /// --files-from (rsync's meaning): each listed name below SOURCE is copied to DEST/NAME,
    /// the directories on its way made as copies of SOURCE's (existing ones kept); a listed
    /// directory is made with its attributes, and entered only with -r/-R. Files go to the
    /// copying threads one queue for the whole list. At the end every directory the list
    /// went through gets its attributes again, innermost first, so that its times are its
    /// source's even when other names were written into it later (by this run, or by another
    /// run of a partitioned list, fpsync's way). A name that cannot be copied is told and the
    /// rest go on (exit 1).
    static func runList(_ copier: Walker, options: Options, sys: Syscalls, reporter: Reporter) -> Bool {
        let source = options.sources[0]
        let dest = options.targetDirectory ?? options.destination!
        switch sys.stat(At(source), true) {
        case .failure(let e):
            reporter.message("cannot access \(quoted(source)): \(e.message)")
            return false
        case .success(let st) where !st.isDirectory:
            reporter.message("--files-from: SOURCE \(quoted(source)) is not a directory")
            return false
        case .success: break
        }
        let list = options.filesFrom!
        let bytes: [UInt8]
        switch ListFile.read(list, separator: options.from0 ? 0 : UInt8(ascii: "\n"), maxEntry: 1 << 16, sys: sys) {
        case .failure(let e):
            reporter.message("cannot read the list \(quoted(list)): \(e.message)")
            return false
        case .success(let b): bytes = b
        }
        // DEST is made when it is not there (as rsync makes it).
        switch sys.stat(At(dest), true) {
        case .success(let st) where st.isDirectory: break
        case .success:
            reporter.message("target \(quoted(dest)): \(Errno.ENOTDIR.message)")
            return false
        case .failure(.ENOENT):
            if case .failure(let e) = sys.mkdir(At(dest), 0o777), e != .EEXIST {
                reporter.error(CopyError(.mkdir, dest, errno: e, syscall: .mkdir))
                return false
            }
        case .failure(let e):
            reporter.message("target \(quoted(dest)): \(e.message)")
            return false
        }
        // A listed name is a command-line operand for -H (GNU's rule for operands).
        let follow = options.effectiveDereference != .never
        var ok = true
        var parents: [Walker.ParentDirectory] = []
        var known: Set<Path> = []  // directories of DEST already in `parents`
        var listed: Set<Path> = []  // a name listed twice is copied once (as rsync does)
        for raw in ListFile.names(bytes, from0: options.from0) {
            if stopSignal != nil { return false }
            guard let name = ListFile.relativeName(raw) else {
                reporter.message("skipping \(quoted(Path(bytes: raw))): a listed name cannot go above SOURCE")
                ok = false
                continue
            }
            if name.isEmpty { continue }  // SOURCE itself: DEST stands for it
            guard listed.insert(name).inserted else { continue }
            let src = source.appending(name)
            let st = try? sys.stat(At(src), follow).get()
            if !options.excludes.isEmpty,
                options.excludes.verdict(name.bytes, isDirectory: st?.isDirectory) == .excluded
            {
                reporter.excluded(src)
                continue
            }
            // A directory not to be entered is made as the last directory on its own way.
            let entersNot = st?.isDirectory == true && !options.recursive
            let way = entersNot ? name.appending(Path("-")) : name
            if !known.contains(dest.appending(way.parentDirectory)) || way.parentDirectory.isEmpty {
                guard let made = copier.makeParents(of: way, under: dest, root: source, always: true) else {
                    ok = false
                    continue
                }
                for p in made where known.insert(p.dst).inserted { parents.append(p) }
            }
            if entersNot { continue }
            // A directory copied whole may hold names queued before it or listed after it:
            // its walk starts after what is queued and ends before the next name (one file
            // is never written by two copies at once).
            let whole = st?.isDirectory == true
            if whole { copier.drain() }
            if !copier.copy(source: src, to: dest.appending(name), drain: whole, known: st) { ok = false }
        }
        copier.drain()
        // Innermost first: a directory's times are set after its subdirectories'.
        parents.sort { $0.dst.count < $1.dst.count }
        copier.finishParents(parents)
        return ok
    }

    /// The destination directory that --link-dest and --reflink-dest names are relative to
    /// (rsync's rule): the target directory; DEST for a directory copied to a new DEST; DEST's
    /// directory for a file. One that does not exist yet is reached through its parent: a
    /// relative DIR is then joined with it by name (`daily.0/../daily.1` is `daily.1`).
    static func snapshotBase(_ options: Options, sys: Syscalls) -> Path {
        var directory = options.targetDirectory
        if directory == nil, !options.noTargetDirectory, let dest = options.destination,
            case .success(let st) = sys.stat(At(dest), true), st.isDirectory, options.sources.count >= 1
        {
            directory = dest
        }
        var sourceIsDirectory = false
        if let first = options.sources.first, case .success(let st) = sys.stat(At(first), true) {
            sourceIsDirectory = st.isDirectory
        }
        return SnapshotPlan.base(
            destinationDirectory: directory, destination: options.destination, sourceIsDirectory: sourceIsDirectory)
    }

    /// Decides where each source goes (into a directory, or onto DEST) and copies it.
    static func run(_ copier: Walker, options: Options, sys: Syscalls, reporter: Reporter) -> Bool {
        if options.filesFrom != nil { return runList(copier, options: options, sys: sys, reporter: reporter) }
        var directory = options.targetDirectory
        if directory == nil, !options.noTargetDirectory, let dest = options.destination {
            if case .success(let st) = sys.stat(At(dest), true), st.isDirectory {
                directory = dest
            } else if options.sources.count > 1 {
                // GNU names the target with why it cannot be one.
                var why = Errno.ENOTDIR
                if case .failure(let e) = sys.stat(At(dest), true) { why = e }
                reporter.message("target \(quoted(dest)): \(why.message)")
                return false
            }
        }
        if let directory, options.targetDirectory != nil {
            switch sys.stat(At(directory), true) {
            case .failure(let e):
                reporter.message("target directory \(quoted(directory)): \(e.message)")
                return false
            case .success(let st) where !st.isDirectory:
                reporter.message("target directory \(quoted(directory)): \(Errno.ENOTDIR.message)")
                return false
            case .success: break
            }
        }
        if options.parents && directory == nil {
            reporter.message("with --parents, the destination must be a directory")
            writeStderr("Try '\(reporter.program) --help' for more information.\n")
            return false
        }
        // The target directory is opened once and every destination made relative to it, as
        // GNU does; one that cannot be read is used by name.
        var targetFd: Int32? = nil
        if let directory, !options.parents, !copier.walksByPath,
            case .success(let fd) = sys.open(At(directory), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
        {
            targetFd = fd
        }
        defer { if let targetFd { _ = sys.close(targetFd) } }
        var ok = true
        var seen = Set<Walker.SourceEntry>()
        for operand in options.sources {
            if stopSignal != nil { return false }
            // --strip-trailing-slashes acts where GNU's does: on sources copied into a directory.
            let source = options.stripTrailingSlashes && directory != nil ? operand.strippingTrailingSlashes : operand
            if directory != nil, options.sources.count > 1, !copier.policy.makesBackups,
                let (entry, isDirectory) = copier.sourceEntry(source), !isDirectory
            {
                // GNU: one file named twice is copied once, with a warning (not an error); with
                // backups it is copied again (onto its own backup's place). Directories are
                // told apart by the walker, which knows what each one became.
                guard seen.insert(entry).inserted else {
                    reporter.message("warning: source file \(quoted(source)) specified more than once")
                    continue
                }
            }
            if options.parents, let directory {
                guard let parents = copier.makeParents(of: source, under: directory) else { ok = false; continue }
                if !copier.copy(source: source, to: directory.appending(source.strippingTrailingSlashes)) { ok = false }
                copier.finishParents(parents)
            } else {
                // `cp -R a/.. d` copies into d itself (d/.), as GNU does.
                let last = source.lastComponent
                let leaf = last.bytes == [46, 46] ? Path(".") : last
                let dest = directory.map { $0.appending(leaf) } ?? options.destination!
                // ("/" has no name to make in the directory: it is used by name, as before.)
                let at = leaf.bytes.first == UInt8(ascii: "/") ? nil : targetFd.map { At($0, leaf) }
                if !copier.copy(source: source, to: dest, at: at) { ok = false }
            }
        }
        return ok
    }
}
