import CZcp
import Glibc
import Synchronization

/// Where every finished object is told: `-v` and `--debug` lines on stdout, the JSON-lines
/// report, the `--stats` totals, and error messages on stderr. Safe to call from workers.
public final class Reporter: Sendable {
    public let program: String
    private let verbose: Bool
    private let debug: Bool
    /// No data moves, so there is no copy path to tell of.
    private let attributesOnly: Bool
    private let stats: Bool
    private let stdout: Output
    private let report: Output?
    private let started = zcp_monotonic_ns()
    /// --progress on a terminal.
    private let progress: ProgressLine?
    /// -v lines go to the terminal the progress line is on: erase it first.
    private let stdoutIsTerminal: Bool

    /// The --stats totals, from every thread that finishes a file.
    private struct Totals {
        var files = 0
        var bytes: Int128 = 0  // any number of exabyte files
        var errors = 0
        var filesByStrategy = [Int](repeating: 0, count: StrategyTable.all.count)
        var emptyFiles = 0
        var verified = 0, mismatches = 0, complete = 0, resumed = 0
        /// --link-dest / --reflink-dest: files and bytes linked, reflinked and copied.
        var snapshotFiles = [Int](repeating: 0, count: 3)
        var snapshotBytes = [Int128](repeating: 0, count: 3)
    }
    private let totals = Mutex(Totals())

    public init(program: String, options: Options, stdout: Output, report: Output?) {
        self.program = program
        verbose = options.verbose || options.debug
        debug = options.debug
        attributesOnly = options.attributesOnly
        stats = options.stats
        self.stdout = stdout
        self.report = report
        progress = options.progress && zcp_isatty(2) == 1 ? ProgressLine() : nil
        stdoutIsTerminal = zcp_isatty(stdout.fd) == 1
    }

    /// Whether a progress line will be drawn (so the sources are worth measuring first).
    public var showsProgress: Bool { progress != nil }

    /// Starts the progress line with what the copy will move.
    public func startProgress(bytes: Int128, files: Int) {
        progress?.start(bytes: bytes, files: files)
    }

    /// The file now being copied, for the progress line.
    func starting(_ path: Path) {
        progress?.setCurrent(path)
    }

    /// Writes a line to stdout; on the terminal the progress line is on, it is erased first
    /// and not drawn again while the line goes out.
    private func writeStdout(_ text: String) {
        if stdoutIsTerminal, let progress { progress.erased { stdout.write(text) } } else { stdout.write(text) }
    }

    /// Writes a message to stderr, where the progress line is: erased first.
    private func writeMessage(_ text: String) {
        if let progress { progress.erased { writeStderr(text) } } else { writeStderr(text) }
    }

    /// The `-v` line of an object whose record comes later (a directory, before its contents).
    public func announce(_ r: FileRecord) {
        guard verbose && !r.quiet else { return }
        let line = Self.verboseLine(r)
        writeStdout(line)
    }

    /// `'a' -> 'b'`, with the backup made on the way.
    private static func verboseLine(_ r: FileRecord) -> String {
        var text = quoted(r.source) + " -> " + quoted(r.dest)
        if let b = r.backup { text += " (backup: " + quoted(b) + ")" }
        return text + "\n"
    }

    /// -v: a failed copy's backup got its name back.
    public func unbackedUp(_ backup: Path, to dest: Path) {
        guard verbose else { return }
        writeStdout(quoted(backup) + " -> " + quoted(dest) + " (unbackup)\n")
    }

    /// -v: a destination was removed before being made again (GNU's "removed 'x'").
    public func removed(_ dest: Path) {
        guard verbose else { return }
        writeStdout("removed " + quoted(dest) + "\n")
    }

    /// One object is done (copied, or failed): tell everyone who listens. `announced`: its
    /// `-v` line was already printed.
    public func finished(_ r: FileRecord, announced: Bool = false) {
        if let e = r.error { error(e) }
        if r.sourceChanged && r.error == nil { message(Messages.text(for: CopyError(.sourceChanged, r.source))) }
        var text = ""
        if verbose && !r.quiet && !announced && r.printsVerboseLine { text = Self.verboseLine(r) }
        if debug && r.resume == .complete {
            text += "skipped " + quoted(r.dest) + " (complete)\n"
        } else if debug && !r.quiet && r.kind == .file && !attributesOnly && r.printsVerboseLine {
            text += Self.debugLine(r) + "\n"
        }
        if !text.isEmpty { writeStdout(text) }
        if r.kind != .dir { progress?.fileDone() }
        if stats {
            totals.withLock { t in
                switch r.verify {
                case .ok?: t.verified += 1
                case .mismatch?: t.mismatches += 1
                case nil: break
                }
                if case .resumed? = r.resume, r.status == .ok { t.resumed += 1 }
                if r.resume == .complete {
                    t.complete += 1
                } else if r.kind == .file && !r.quiet {
                    if r.status == .ok, let o = r.snapshot {
                        let i = Self.snapshotActions.firstIndex(of: o.action)!
                        t.snapshotFiles[i] += 1
                        t.snapshotBytes[i] += Int128(r.size)
                    }
                    if r.status == .ok && r.snapshot.map({ $0.action != .linked }) ?? true {
                        t.files += 1
                        t.bytes += Int128(r.bytes)
                        if let s = r.strategy { t.filesByStrategy[s.rawValue] += 1 } else { t.emptyFiles += 1 }
                    }
                }
                if r.status == .error { t.errors += 1 }
            }
        }
        if let report, !r.quiet { report.write(JSON.line(for: r)) }
    }

    /// --debug: an existing destination was left as it was (-n, -u, --update=none, -i declined).
    public func skipped(_ dest: Path) { debugNote("skipped", dest) }

    /// --debug: an entry an --exclude pattern matched was left out (-v says nothing).
    public func excluded(_ source: Path) { debugNote("excluded", source) }

    /// --debug's "WORD 'path'" line.
    private func debugNote(_ word: String, _ path: Path) {
        guard debug else { return }
        writeStdout(word + " " + quoted(path) + "\n")
    }

    /// A line on stdout as it is (GNU's --parents -v lines are not quoted).
    public func plain(_ line: String) {
        writeStdout(line + "\n")
    }

    /// An error message on stderr, GNU-shaped.
    public func error(_ e: CopyError) {
        var text = program + ": " + Messages.text(for: e) + "\n"
        if let kept = e.keptPartial, e.what != .interrupted {
            text += program + ": " + keptText(kept) + "\n"
        } else if let dest = e.incompleteDestination, e.what != .interrupted {
            text += program + ": " + quoted(dest) + " was overwritten in place and may be incomplete\n"
        }
        writeMessage(text)
    }

    public func message(_ text: String) {
        writeMessage(program + ": " + text + "\n")
    }

    /// Flushes outputs and prints the totals; returns false when an output could not be written.
    public func close() -> Bool {
        progress?.stop()
        var ok = true
        stdout.flush()
        if let report {
            report.flush()
            if let e = report.failure {
                writeStderr(program + ": error writing report: \(e.message)\n")
                ok = false
            }
            if report.fd > 2 { Glibc.close(report.fd) }
        }
        if let e = stdout.failure {
            writeStderr(program + ": write error: \(e.message)\n")
            ok = false
        }
        if stats { writeStderr(statsLine() + "\n") }
        return ok
    }

    func statsLine() -> String {
        let t = totals.withLock { $0 }
        let (files, bytes, errors, emptyFiles) = (t.files, t.bytes, t.errors, t.emptyFiles)
        let (verified, mismatches, complete, resumed) = (t.verified, t.mismatches, t.complete, t.resumed)
        let seconds = Double(zcp_monotonic_ns() - started) / 1e9
        let rate = seconds > 0 ? Double(bytes) / 1e6 / seconds : 0
        var line = "\(program): \(files) files, \(bytes) bytes in \(formatFixed(seconds, decimals: 3)) s"
        line += " (\(formatFixed(rate, decimals: 1)) MB/s)"
        var parts: [String] = []
        for s in StrategyID.allCases where t.filesByStrategy[s.rawValue] > 0 {
            parts.append("\(s.name): \(t.filesByStrategy[s.rawValue])")
        }
        if emptyFiles > 0 { parts.append("none: \(emptyFiles)") }
        if !parts.isEmpty { line += "; " + parts.joined(separator: ", ") }
        if verified + mismatches > 0 { line += "; verified: \(verified), mismatches: \(mismatches)" }
        if complete + resumed > 0 { line += "; complete: \(complete), resumed: \(resumed)" }
        if t.snapshotFiles.contains(where: { $0 > 0 }) {
            line +=
                "; "
                + Self.snapshotActions.indices.map {
                    "\(Self.snapshotActions[$0].rawValue): \(t.snapshotFiles[$0]) (\(t.snapshotBytes[$0]) bytes)"
                }.joined(separator: ", ")
        }
        if errors > 0 { line += "; \(errors) failed" }
        return line
    }

    static let snapshotActions: [SnapshotOutcome.Action] = [.linked, .reflinked, .copied]

    private static func sparseWords(_ r: FileRecord) -> String {
        switch (r.sparseDetection, r.zeroDetection) {
        case (true, true): return "SEEK_HOLE + zeros"
        case (true, false): return "SEEK_HOLE"
        case (false, true): return "zeros"
        case (false, false): return "no"
        }
    }

    /// GNU 9.2+'s `--debug` words, then what zcp observed: the strategy and every fallback.
    static func debugLine(_ r: FileRecord) -> String {
        if let o = r.snapshot, o.action == .linked {
            return "snapshot: linked to \(quoted(o.dir!)) (\(o.reason))"
        }
        let cfrBytes = r.bytesByStrategy[StrategyID.copyFileRange.rawValue]
        let offload: String
        if cfrBytes > 0 {
            offload = "yes"
        } else if r.fallbacks.contains(where: { $0.strategy == .copyFileRange }) {
            offload = "unsupported"
        } else if r.reflink == .yes || r.copyFileRangeAvoided {
            offload = "avoided"
        } else {
            offload = "no"
        }
        let reflink: String
        switch r.reflink {
        case .yes: reflink = "yes"
        case .unsupported: reflink = "unsupported"
        case .notTried: reflink = "no"
        }
        var line = "copy offload: \(offload), reflink: \(reflink), sparse detection: \(sparseWords(r))"
        line += ", strategy: \(r.strategy?.name ?? "none")"
        if !r.fallbacks.isEmpty {
            line +=
                " ("
                + r.fallbacks.map { f in
                    "\(f.strategy.name): " + (f.errno.map { "\($0.name) at \(f.offset)" } ?? "no data at \(f.offset)")
                        + (f.remembered ? " as before" : "")
                }.joined(separator: ", ") + ")"
        }
        switch r.resume {
        case .resumed(let at)?: line += ", resumed at \(at)"
        case .whole(let reason)?: line += ", copied whole (\(reason))"
        default: break
        }
        if let c = r.cache { line += ", cache: \(c.rawValue)" }
        if let o = r.snapshot {
            line += ", snapshot: \(o.action.rawValue) (\(o.reason)" + (o.dir.map { ", " + quoted($0) } ?? "") + ")"
        }
        if let v = r.verify {
            line += ", verify: \(v.rawValue)" + (r.sourceDigest.map { " (xxh3 \($0.hex))" } ?? "")
        }
        return line
    }
}
