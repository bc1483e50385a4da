import CZcp
import Glibc
import Synchronization

/// --progress: one line on stderr, redrawn five times a second by its own thread: bytes done
/// of the total, files, rate, time left and the file being copied. Drawn only when stderr is
/// a terminal. Every other line that goes to the terminal is written inside `erased`, under
/// the line's own mutex, so `-v` lines and messages never share a line with it.
final class ProgressLine: Sendable {
    private struct State {
        var stopping = false
        /// Something is on the terminal's current line.
        var drawn = false
        var totalBytes: Int128 = 0
        var totalFiles = 0
        var filesDone = 0
        var current: Path? = nil
    }
    private let state = Mutex(State())
    private let thread = Mutex<pthread_t?>(nil)
    private let started = zcp_monotonic_ns()
    private let bytesAtStart = zcp_progress_bytes()

    /// Starts drawing, with what the copy will move.
    func start(bytes: Int128, files: Int) {
        state.withLock {
            $0.totalBytes = bytes
            $0.totalFiles = files
        }
        let t = spawnThread { [self] in tick() }
        thread.withLock { $0 = t }
    }

    /// Ends the thread and leaves the terminal line empty.
    func stop() {
        state.withLock { $0.stopping = true }
        if let t = thread.withLock({ $0 }) { pthread_join(t, nil) }
        thread.withLock { $0 = nil }
        state.withLock { erase(&$0) }
    }

    func fileDone() { state.withLock { $0.filesDone += 1 } }

    /// The file now being copied.
    func setCurrent(_ path: Path) { state.withLock { $0.current = path } }

    /// Runs `write` (a line for the terminal) with the progress line erased, and not drawn
    /// again until it is done.
    func erased(_ write: () -> Void) {
        state.withLock { s in
            erase(&s)
            write()
        }
    }

    private func tick() {
        while true {
            zcp_sleep_ms(200)
            let done = state.withLock { s -> Bool in
                if s.stopping { return true }
                draw(&s)
                return false
            }
            if done { return }
        }
    }

    private func erase(_ s: inout State) {
        guard s.drawn else { return }
        writeStderr("\r\u{1B}[K")
        s.drawn = false
    }

    private func draw(_ s: inout State) {
        let text = Self.text(
            bytes: zcp_progress_bytes() - bytesAtStart, total: s.totalBytes, files: s.filesDone,
            totalFiles: s.totalFiles, elapsedNs: zcp_monotonic_ns() - started, current: s.current)
        let width = Int(zcp_terminal_width(2))
        var line = text
        if width > 1 && line.count >= width { line = String(line.prefix(width - 1)) }
        writeStderr("\r" + line + "\u{1B}[K")
        s.drawn = true
    }

    /// The line's text, without terminal controls.
    static func text(
        bytes: Int64, total: Int128, files: Int, totalFiles: Int, elapsedNs: Int64,
        current: Path?
    ) -> String {
        let seconds = Double(elapsedNs) / 1e9
        let rate = seconds > 0 ? Double(bytes) / seconds : 0
        // In Double and Int128: exabyte totals and clone-speed rates must not trap.
        var parts = [size(Int128(bytes)) + " / " + size(max(total, Int128(bytes)))]
        if total > 0 { parts.append("\(Int(min(100, (Double(bytes) * 100 / Double(total)).rounded(.down))))%") }
        parts.append("\(files)/\(max(files, totalFiles)) files")
        parts.append(size(Int128(min(rate, 1e30))) + "/s")
        if rate > 0 && total > Int128(bytes) {
            let left = (Double(total - Int128(bytes)) / rate).rounded(.up)
            parts.append(left < 1e12 ? clock(Int(left)) + " left" : "- left")
        }
        if let current { parts.append(quotedIfNeeded(current)) }  // no byte of a name reaches the terminal raw
        return parts.joined(separator: "  ")
    }

    static func size(_ bytes: Int128) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB"]
        var value = Double(bytes)
        var i = 0
        while value >= 1000 && i < units.count - 1 { value /= 1000; i += 1 }
        return i == 0 ? "\(bytes) B" : formatFixed(value, decimals: value < 10 ? 2 : 1) + " " + units[i]
    }

    static func clock(_ seconds: Int) -> String {
        let h = seconds / 3600, m = seconds / 60 % 60, s = seconds % 60
        let ss = s < 10 ? "0\(s)" : "\(s)"
        if h > 0 { return "\(h):" + (m < 10 ? "0\(m)" : "\(m)") + ":" + ss }
        return "\(m):" + ss
    }
}

/// What --progress counts before copying: the bytes and files of every source, by a walk
/// that follows the same symlink rules as the copy. One loop over a stack of directories (no
/// call per level), and at most two descriptors: a directory is listed and its entries looked
/// at, then let go; the subdirectories waiting on the stack are found again by name from their
/// parent's path, or, deeper than PATH_MAX allows, not counted (the totals are then short, the
/// copy is not).
struct ProgressPlan {
    let sys: Syscalls
    let options: Options

    func measure(_ sources: [Path]) -> (bytes: Int128, files: Int) {
        var total: (bytes: Int128, files: Int) = (0, 0)
        var seen = Set<Walker.FileID>()  // a directory met again (a symlink loop under -L) counts once
        let follow = options.effectiveDereference == .always
        for source in sources {
            guard case .success(let st) = sys.stat(At(source), options.effectiveDereference != .never) else { continue }
            // Directories to list: their path and their path below the operand (for --exclude).
            var stack: [(path: Path, relative: [UInt8], st: FileStat)] = []
            count(st, into: &total)
            if st.isDirectory && options.recursive { stack.append((source, [], st)) }
            while let (path, relative, dirStat) = stack.popLast() {
                guard seen.insert(Walker.FileID(dirStat)).inserted,
                    case .success(let fd) = sys.open(At(path), O_RDONLY | O_DIRECTORY, 0)
                else { continue }
                defer { _ = sys.close(fd) }
                guard case .success(let entries) = sys.readDirectory(fd) else { continue }
                for entry in entries {
                    let child = At(fd, entry.name)
                    let below = options.excludes.isEmpty ? [] : ExcludeList.path(relative, entry.name)
                    if !options.excludes.isEmpty,
                        options.excludes.excludes(entry, at: below, follow: follow, stat: { try? sys.stat(child, follow).get() })
                    {
                        continue  // left out of the copy, so out of its totals
                    }
                    guard case .success(let s) = sys.stat(child, follow) else { continue }
                    count(s, into: &total)
                    if s.isDirectory { stack.append((path.appending(entry.name), below, s)) }
                }
            }
        }
        return total
    }

    private func count(_ st: FileStat, into total: inout (bytes: Int128, files: Int)) {
        guard !st.isDirectory else { return }
        total.files += 1
        if st.kind == .file { total.bytes += Int128(st.size) }
    }
}
