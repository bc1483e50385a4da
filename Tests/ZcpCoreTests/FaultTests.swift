import Foundation
import Glibc
import XCTest

@testable import ZcpCore

/// Faults the machine cannot make on demand, injected through the syscall table: the copy
/// either completes or says so, and never damages what was there.
final class FaultTests: XCTestCase {
    func testEIOAtByteNRemovesTheNewFileAndReportsTheOffset() {
        let s = Scratch()
        s.file("a", size: 1_000_000)
        let sys = eio(at: 300_000)
        let status = runZcp(["--report", s.path("r.json"), s.path("a"), s.path("b")], sys: sys)
        XCTAssertEqual(status, 1)
        XCTAssertNil(s.contents("b"), "a failed new copy is removed")
        let line = reportLines(s).last!
        XCTAssertEqual(line["status"] as? String, "error")
        XCTAssertEqual(line["errno"] as? String, "EIO")
        XCTAssertEqual(line["offset"] as? Int, 300_000)
    }

    func testFailureInPlaceIsReportedAsPossiblyIncomplete() {
        let s = Scratch()
        s.file("a", size: 500_000)
        s.file("b", size: 10, seed: 9)
        var sys = Syscalls.live
        let live = Syscalls.live
        sys.copyFileRange = { a, off, c, d, n in off > 0 ? .failure(.ENOSPC) : live.copyFileRange(a, &off, c, &d, 4096) }
        let (status, err) = capturingStderr { runZcp([s.path("a"), s.path("b")], sys: sys) }
        XCTAssertEqual(status, 1)
        XCTAssertEqual(s.contents("b")?.count, 4096, "the existing file keeps what landed; the message says so")
        XCTAssertTrue(err.contains("zcp: '\(s.path("b"))' was overwritten in place and may be incomplete\n"), err)
    }

    func testAtomicLeavesTheOldFileAndNoTemporaryOnFailure() throws {
        let s = Scratch()
        s.file("a", size: 200_000)
        s.file("b", size: 10, seed: 7)
        let old = s.contents("b")
        var sys = Syscalls.live
        sys.copyFileRange = { _, _, _, _, _ in .failure(.EIO) }
        XCTAssertEqual(runZcp(["--atomic", s.path("a"), s.path("b")], sys: sys), 1)
        XCTAssertEqual(s.contents("b"), old)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: s.url.path).sorted(), ["a", "b"])
    }

    func testAtomicRenamesOverAndKeepsTheOldMode() throws {
        let s = Scratch()
        s.file("a", size: 200_000)
        let b = s.file("b", size: 10, seed: 7)
        chmod(b, 0o640)
        var inode = stat()
        stat(b, &inode)
        let renames = Box(0)
        var sys = Syscalls.live
        let live = Syscalls.live
        sys.rename = { from, to in
            renames.with { $0 += 1 }; return live.rename(from, to)
        }
        XCTAssertEqual(runZcp(["--atomic", s.path("a"), b], sys: sys), 0)
        XCTAssertEqual(s.contents("a"), s.contents("b"))
        var st = stat()
        stat(b, &st)
        XCTAssertEqual(st.st_mode & 0o777, 0o640, "as an in-place overwrite would keep it")
        XCTAssertNotEqual(st.st_ino, inode.st_ino, "a new inode took the name")
        XCTAssertEqual(renames.get, 1)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: s.url.path).sorted(), ["a", "b"])
    }

    func testFsyncSyncsTheFileAndUnderAtomicTheDirectory() {
        let s = Scratch()
        s.file("a", size: 1000)
        let synced = Box<[FileStat]>([])
        var sys = Syscalls.live
        let live = Syscalls.live
        sys.fsync = { fd in
            if case .success(let st) = live.fstat(fd) { synced.with { $0.append(st) } }
            return live.fsync(fd)
        }
        XCTAssertEqual(runZcp(["--fsync", s.path("a"), s.path("b")], sys: sys), 0)
        XCTAssertEqual(synced.get.map(\.kind), [.file])
        XCTAssertEqual(runZcp(["--fsync", "--atomic", s.path("a"), s.path("c")], sys: sys), 0)
        XCTAssertEqual(synced.get.map(\.kind), [.file, .file, .dir])
        sys.fsync = { _ in .failure(.EIO) }
        XCTAssertEqual(runZcp(["--fsync", s.path("a"), s.path("d")], sys: sys), 1)
        XCTAssertNil(s.contents("d"), "a copy that could not be made durable is not kept")
    }

    func testShrinkingSourceIsCopiedAsReadAndWarned() {
        let s = Scratch()
        s.file("a", size: 300_000)
        var sys = Syscalls.live
        let live = Syscalls.live
        // The file "ends" at 100,000 bytes as it is read: reads past it see EOF.
        sys.copyFileRange = { a, off, c, d, n in
            off >= 100_000 ? .success(0) : live.copyFileRange(a, &off, c, &d, min(n, 100_000 - Int(off)))
        }
        let status = runZcp(["--report", s.path("r.json"), s.path("a"), s.path("b")], sys: sys)
        XCTAssertEqual(status, 1, "a warning makes the exit status 1")
        XCTAssertEqual(s.contents("b"), s.contents("a")?.prefix(100_000))
        XCTAssertEqual(reportLines(s).last?["source_changed"] as? Bool, true)
        XCTAssertEqual(reportLines(s).last?["status"] as? String, "ok")
    }

    func testSourceChangingSizeAfterTheCopyIsWarned() {
        let s = Scratch()
        s.file("a", size: 50_000)
        let calls = Box(0)
        var sys = Syscalls.live
        let live = Syscalls.live
        sys.fstat = { fd in
            let n = calls.with {
                $0 += 1; return $0
            }
            guard case .success(var st) = live.fstat(fd) else { return live.fstat(fd) }
            if n > 1 && st.kind == .file && st.size == 50_000 { st.size += 1 }  // grew after the first look
            return .success(st)
        }
        XCTAssertEqual(runZcp(["--report", s.path("r.json"), s.path("a"), s.path("b")], sys: sys), 1)
        XCTAssertEqual(s.contents("b"), s.contents("a"))
        XCTAssertEqual(reportLines(s).last?["source_changed"] as? Bool, true)
    }

    func testEveryCallInterruptedStillCopiesATree() {
        let s = Scratch()
        mkdir(s.path("t"), 0o755)
        mkdir(s.path("t/sub"), 0o755)
        for i in 0..<20 { s.file("t/sub/f\(i)", size: 1000 * i, seed: UInt64(i + 1)) }
        let flip = Box(false)
        let interrupted: @Sendable () -> Bool = {
            flip.with {
                $0.toggle(); return $0
            }
        }
        var sys = Syscalls.live
        let live = Syscalls.live
        sys.open = { at, f, m in interrupted() ? .failure(.EINTR) : live.open(at, f, m) }
        sys.copyFileRange = { a, b, c, d, n in interrupted() ? .failure(.EINTR) : live.copyFileRange(a, &b, c, &d, n) }
        sys.pwrite = { a, b, n, o in interrupted() ? .failure(.EINTR) : live.pwrite(a, b, n, o) }
        XCTAssertEqual(runZcp(["-R", "-j", "3", s.path("t"), s.path("u")], sys: sys), 0)
        for i in 0..<20 { XCTAssertEqual(s.contents("t/sub/f\(i)"), s.contents("u/sub/f\(i)")) }
    }

    func testParallelCopyKeepsHardLinksAndTellsEveryFileOnce() throws {
        let s = Scratch()
        mkdir(s.path("t"), 0o755)
        for i in 0..<200 { s.file("t/f\(i)", size: i * 37, seed: UInt64(i + 1)) }
        link(s.path("t/f5"), s.path("t/link5"))
        XCTAssertEqual(runZcp(["-a", "-j", "4", "--report", s.path("r.json"), s.path("t"), s.path("u")]), 0)
        var a = stat(), b = stat()
        stat(s.path("u/f5"), &a)
        stat(s.path("u/link5"), &b)
        XCTAssertEqual(a.st_ino, b.st_ino, "a hard link stays one under -j")
        let lines = reportLines(s)
        XCTAssertEqual(lines.count, 202, "200 files, the link and the directory")
        XCTAssertEqual(Set(lines.compactMap { $0["dest"] as? String }).count, 202)
        XCTAssertEqual(lines.last?["type"] as? String, "dir", "the directory is told after its contents")
    }
}
