import CZcp
import Foundation
import Glibc
import XCTest

@testable import ZcpCore

/// A scratch directory on the real filesystem, removed after the test.
final class Scratch {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("zcp-unit-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// A file of `size` pseudo-random bytes (deterministic per seed).
    @discardableResult
    func file(_ name: String, size: Int, seed: UInt64 = 1) -> String {
        var state = seed &* 0x9E3779B97F4A7C15 | 1
        var bytes = [UInt8](repeating: 0, count: size)
        for i in 0..<size {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            bytes[i] = UInt8(truncatingIfNeeded: state)
        }
        FileManager.default.createFile(atPath: path(name), contents: Data(bytes))
        return path(name)
    }

    func contents(_ name: String) -> Data? { FileManager.default.contents(atPath: path(name)) }
}

/// A thread-safe counter/flag box for fault closures.
final class Box<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ v: T) { value = v }
    func with<R>(_ body: (inout T) -> R) -> R { lock.lock(); defer { lock.unlock() }; return body(&value) }
    var get: T { with { $0 } }
}

/// Opens `src` for reading and creates `dst`, runs the selector on them with `sys`, and closes.
func runSelector(
    _ chain: [StrategyID], forced: Bool = false, sys: Syscalls, src: String, dst: String,
    file: StaticString = #filePath, line: UInt = #line
) -> (FileRecord, CopyError?) {
    let sfd = open(src, O_RDONLY)
    let dfd = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    XCTAssertGreaterThanOrEqual(sfd, 0, file: file, line: line)
    XCTAssertGreaterThanOrEqual(dfd, 0, file: file, line: line)
    defer { close(sfd); close(dfd) }
    var st = stat()
    fstat(sfd, &st)
    let worker = Worker(sys: sys)
    let io = CopyIO(src: sfd, dst: dfd, worker: worker)
    var record = FileRecord(source: Path(src), dest: Path(dst), kind: .file)
    let selector = StrategySelector(chain: chain, forced: forced)
    let error = selector.copyData(io, stat: FileStat(st), record: &record)
    return (record, error)
}

/// Runs the whole program with `args` (argv[0] = "zcp") and the given table; returns the status.
func runZcp(_ args: [String], sys: Syscalls = .live) -> Int32 {
    let all = ["zcp"] + args
    var cArgs: [UnsafeMutablePointer<CChar>?] = all.map { strdup($0) }
    cArgs.append(nil)
    defer { cArgs.forEach { free($0) } }
    return cArgs.withUnsafeMutableBufferPointer { buf in
        Zcp.main(argc: Int32(all.count), argv: buf.baseAddress!, sys: sys)
    }
}

/// Parses `args` without running anything; collects what would be printed.
func parse(_ args: [String]) -> (ParseOutcome, String, String) {
    let all = ["zcp"] + args
    var cArgs: [UnsafeMutablePointer<CChar>?] = all.map { strdup($0) }
    cArgs.append(nil)
    defer { cArgs.forEach { free($0) } }
    let out = Box(""), err = Box("")
    let parser = CommandLineParser(program: "zcp", out: { s in out.with { $0 += s } }, err: { s in err.with { $0 += s } })
    // getopt_long reports unknown options itself, on stderr; keep test output clean.
    zcp_set_opterr_for_tests(0)
    defer { zcp_set_opterr_for_tests(1) }
    let outcome = cArgs.withUnsafeMutableBufferPointer { parser.parse(argc: Int32(all.count), argv: $0.baseAddress!) }
    return (outcome, out.get, err.get)
}

func zcp_set_opterr_for_tests(_ v: Int32) { zcp_set_opterr(v) }

/// The report lines a run wrote to `name` in the scratch directory.
/// With ZCP_REPORT_LOG set, every line read is also appended to that file: Tests/cli/report.sh
/// checks that each key man/zcp-report.5 documents is emitted by some test.
func reportLines(_ s: Scratch, _ name: String = "r.json") -> [[String: Any]] {
    let text = String(decoding: s.contents(name) ?? Data(), as: UTF8.self)
    if let log = ProcessInfo.processInfo.environment["ZCP_REPORT_LOG"], let h = FileHandle(forWritingAtPath: log) {
        h.seekToEndOfFile()
        h.write(Data(text.utf8))
        h.closeFile()
    }
    return text.split(separator: "\n").compactMap {
        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
}

/// The live table, but copy_file_range moves bytes only up to `offset` and fails with EIO there.
func eio(at offset: Int64) -> Syscalls {
    var sys = Syscalls.live
    let live = Syscalls.live
    sys.copyFileRange = { a, off, c, d, n in
        off >= offset ? .failure(.EIO) : live.copyFileRange(a, &off, c, &d, min(n, Int(offset - off)))
    }
    return sys
}

func errnoResult<T>(_ e: Errno) -> SysResult<T> { .failure(e) }

/// Runs `body` with file descriptor 2 sent to a file, and returns what was written there.
func capturingStderr<T>(_ body: () -> T) -> (T, String) {
    let s = Scratch()
    let path = s.path("stderr")
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    let saved = dup(2)
    dup2(fd, 2)
    close(fd)
    let result = body()
    dup2(saved, 2)
    close(saved)
    return (result, String(decoding: s.contents("stderr") ?? Data(), as: UTF8.self))
}
