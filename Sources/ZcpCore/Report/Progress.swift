import CZcp
import Glibc

/// --progress: one line on stderr, redrawn five times a second by its own thread: bytes done
/// of the total, files, rate, time left and the file being copied. Drawn only when stderr is
/// a terminal. The reporter erases it before any other line goes out, under its lock, so
/// `-v` lines and messages never share a line with it.
final class ProgressLine: @unchecked Sendable {  // its state changes only under the reporter's lock
    private let lock: Lock
    private let started = zcp_monotonic_ns()
    private let bytesAtStart = zcp_progress_bytes()
    private var thread: pthread_t?
    private var stopping = false
    /// Something is on the terminal's current line.
    private var drawn = false

    var totalBytes: Int128 = 0
    var totalFiles = 0
    var filesDone = 0
    var current: Path? = nil

    init(lock: Lock) { self.lock = lock }

    func start() {
        thread = spawnThread { [self] in tick() }
    }

    /// Ends the thread and leaves the terminal line empty.
    func stop() {
        lock.locked { stopping = true }
        if let thread { pthread_join(thread, nil) }
        thread = nil
        lock.locked { eraseLocked() }
    }

    private func tick() {
        while true {
            zcp_sleep_ms(200)
            let done = lock.locked { () -> Bool in
                if stopping { return true }
                drawLocked()
                return false
            }
            if done { return }
        }
    }

    /// Clears the line (the caller holds the lock).
    func eraseLocked() {
        guard drawn else { return }
        writeStderr("\r\u{1B}[K")
        drawn = false
    }

    private func drawLocked() {
        let text = Self.text(
            bytes: zcp_progress_bytes() - bytesAtStart, total: totalBytes, files: filesDone,
            totalFiles: totalFiles, elapsedNs: zcp_monotonic_ns() - started, current: current)
        let width = Int(zcp_terminal_width(2))
        var line = text
        if width > 1 && line.count >= width { line = String(line.prefix(width - 1)) }
        writeStderr("\r" + line + "\u{1B}[K")
        drawn = true
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
