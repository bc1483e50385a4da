import CZcp
import Glibc
import Synchronization

/// --compare-strategies: copies one source file into the destination's filesystem with every
/// strategy in turn, RUNS times each, and prints a table of what each path does between
/// these two filesystems: its speed, the calls it needed, and the errno of a refusal. Every
/// copy it makes is removed again.
struct StrategyComparison {
    let options: Options
    let sys: Syscalls
    let reporter: Reporter
    let runs: Int

    struct Row {
        var name: String
        var seconds: [Double] = []
        var calls: [Int] = []
        var error: String? = nil
        var note: String = ""
    }

    /// Counts the calls that move data (or try to), through the syscall table.
    final class CallCounter: Sendable {
        private let count = Atomic<Int>(0)
        func add() { count.add(1, ordering: .relaxed) }
        func take() -> Int { count.exchange(0, ordering: .relaxed) }
    }

    func run() -> Bool {
        guard options.sources.count == 1, let source = options.sources.first else {
            reporter.message("--compare-strategies takes one SOURCE file and a DIRECTORY")
            return false
        }
        let directory = options.targetDirectory ?? options.destination!
        guard case .success(let dirStat) = sys.stat(At(directory), true), dirStat.isDirectory else {
            reporter.message("target directory \(quoted(directory)): \(Errno.ENOTDIR.message)")
            return false
        }
        let st: FileStat
        switch sys.stat(At(source), true) {
        case .failure(let e):
            reporter.error(CopyError(.stat, source, errno: e, syscall: .stat))
            return false
        case .success(let s) where s.kind != .file:
            reporter.message("--compare-strategies copies a regular file; \(quoted(source)) is not one")
            return false
        case .success(let s): st = s
        }

        let counter = CallCounter()
        let counted = counting(sys, counter)
        let worker = Worker(sys: counted)
        // Each copy is a new file under an unpredictable name (Sibling), removed again.
        let scratch = Node.operand(directory.appending(Path(".zcp-compare")))
        var rows: [Row] = []
        // One untimed copy first, so that every strategy reads from the same warm cache.
        _ = copyOnce(source, to: scratch, selector: StrategySelector(options: options), worker: worker)
        _ = counter.take()
        var choices: [(String, StrategySelector)] = [("auto", StrategySelector(chain: autoChain, forced: false))]
        for s in StrategyID.allCases {
            choices.append((s.name, StrategySelector(chain: [s], forced: true, detectHoles: options.sparse != .never)))
        }
        for (name, selector) in choices {
            var row = Row(name: name)
            for _ in 0..<runs {
                if stopSignal != nil { break }
                let started = zcp_monotonic_ns()
                let outcome = copyOnce(source, to: scratch, selector: selector, worker: worker)
                let seconds = Double(zcp_monotonic_ns() - started) / 1e9
                let calls = counter.take()
                switch outcome {
                case .failure(let e):
                    row.error = e.errno.map { "\($0.name) (\($0.message))" } ?? Messages.text(for: e)
                case .success(let record):
                    row.seconds.append(seconds)
                    row.calls.append(calls)
                    if name == "auto" {
                        row.note = record.strategy?.name ?? "none"
                        if !record.fallbacks.isEmpty {
                            row.note +=
                                " after "
                                + record.fallbacks.map { "\($0.strategy.name) \($0.errno?.name ?? "no data")" }
                                .joined(separator: ", ")
                        }
                    }
                }
                if row.error != nil { break }
            }
            rows.append(row)
        }
        reporter.plain(table(rows, source: source, size: st.size, directory: directory))
        return stopSignal == nil
    }

    /// What auto would try for this command line (with --reflink and --sparse applied).
    private var autoChain: [StrategyID] { options.strategyChain }

    /// One copy of `source` to `dest`, removed again before returning.
    private func copyOnce(
        _ source: Path, to scratch: Node, selector: StrategySelector,
        worker: Worker
    ) -> Result<FileRecord, CopyError> {
        let src: Int32
        switch sys.open(At(source), O_RDONLY, 0) {
        case .failure(let e): return .failure(CopyError(.openForReading, source, errno: e, syscall: .open))
        case .success(let fd): src = fd
        }
        defer { _ = sys.close(src) }
        let dst: Int32, dest: Node
        let name = { Array(".zcp-compare-".utf8) + Sibling.randomTail() }
        switch Sibling.create(beside: scratch, name: name, access: O_WRONLY, mode: 0o600, sys: sys) {
        case .failure(let e): return .failure(CopyError(.create(.file), scratch.path, errno: e, syscall: .open))
        case .success(let made): (dest, dst) = made
        }
        defer {
            _ = sys.close(dst)
            _ = sys.unlink(dest.at)
        }
        let st: FileStat
        switch sys.fstat(src) {
        case .failure(let e): return .failure(CopyError(.fstat, source, errno: e, syscall: .fstat))
        case .success(let s): st = s
        }
        var record = FileRecord(source: source, dest: dest.path, kind: .file)
        let io = CopyIO(src: src, dst: dst, worker: worker)
        if let e = selector.copyData(io, stat: st, record: &record) { return .failure(e) }
        return .success(record)
    }

    private func counting(_ base: Syscalls, _ counter: CallCounter) -> Syscalls {
        var s = base
        s.copyFileRange = { a, b, c, d, n in
            counter.add(); return base.copyFileRange(a, &b, c, &d, n)
        }
        s.sendfile = { a, b, c, n in
            counter.add(); return base.sendfile(a, b, &c, n)
        }
        s.splice = { a, b, c, d, n in
            counter.add(); return base.splice(a, b, c, d, n)
        }
        s.pread = { a, b, n, o in
            counter.add(); return base.pread(a, b, n, o)
        }
        s.read = { a, b, n in
            counter.add(); return base.read(a, b, n)
        }
        s.pwrite = { a, b, n, o in
            counter.add(); return base.pwrite(a, b, n, o)
        }
        s.ficlone = { a, b in
            counter.add(); return base.ficlone(a, b)
        }
        return s
    }

    private func table(_ rows: [Row], source: Path, size: Int64, directory: Path) -> String {
        let from = filesystemName(At(source))
        let to = filesystemName(At(directory))
        var out = "\(quoted(source)) (\(size) bytes, \(from)) -> \(quoted(directory)) (\(to)), \(runs) runs each, warm cache\n"
        let header = ["strategy", "MB/s median", "min", "max", "calls", "result"]
        var lines: [[String]] = [header]
        for row in rows {
            if row.seconds.isEmpty {
                lines.append([row.name, "-", "-", "-", "-", "refused: " + (row.error ?? "interrupted")])
                continue
            }
            let rates = row.seconds.map { $0 > 0 ? Double(size) / 1e6 / $0 : 0 }.sorted()
            let calls = row.calls.sorted()[row.calls.count / 2]
            var result = row.error.map { "failed later: " + $0 } ?? "ok"
            if !row.note.isEmpty { result += " (" + row.note + ")" }
            lines.append([
                row.name, formatFixed(median(rates), decimals: 1), formatFixed(rates.first!, decimals: 1),
                formatFixed(rates.last!, decimals: 1), "\(calls)", result,
            ])
        }
        var widths = [Int](repeating: 0, count: header.count)
        for line in lines { for (i, cell) in line.enumerated() { widths[i] = max(widths[i], cell.count) } }
        for line in lines {
            var text = ""
            for (i, cell) in line.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                text += i == 0 || i == line.count - 1 ? cell + pad : pad + cell
                if i < line.count - 1 { text += "  " }
            }
            while text.last == " " { text.removeLast() }
            out += text + "\n"
        }
        out.removeLast()
        return out
    }

    private func median(_ sorted: [Double]) -> Double {
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }

    private func filesystemName(_ at: At) -> String {
        let pathOnly: Int32 = 0o10000000  // O_PATH: no read permission needed
        guard case .success(let fd) = sys.open(at, pathOnly, 0) else { return "?" }
        defer { _ = sys.close(fd) }
        guard case .success(let type) = sys.fsType(fd) else { return "?" }
        return FilesystemMagic.name(type)
    }
}
