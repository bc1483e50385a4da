import Foundation
import Glibc
import XCTest

@testable import ZcpCore

/// --verify, --partial and --resume where the kernel cannot be made to misbehave on demand:
/// faults go through the syscall table.
final class VerifyTests: XCTestCase {
    /// Storage that does not hold what was written: a byte changes after the data landed
    /// (when the copy is flushed). Each strategy's copy is caught, and the new file removed.
    func testAByteChangedAfterItWasWrittenIsAMismatch() {
        for strategy in ["copy_file_range", "sendfile", "splice", "read_write"] {
            let s = Scratch()
            s.file("a", size: 700_000)
            var sys = Syscalls.live
            let live = Syscalls.live
            sys.fsync = { fd in
                var st = stat()
                if fstat(fd, &st) == 0, st.st_size > 123_456 {
                    var byte: UInt8 = 0
                    _ = pread(fd, &byte, 1, 123_456)
                    byte ^= 0x20
                    _ = pwrite(fd, &byte, 1, 123_456)
                }
                return live.fsync(fd)
            }
            let status = runZcp(
                ["--verify", "--strategy=" + strategy, "--report", s.path("r.json"), s.path("a"), s.path("b")], sys: sys)
            XCTAssertEqual(status, 1, strategy)
            XCTAssertNil(s.contents("b"), "\(strategy): a copy that does not verify is removed")
            let line = reportLines(s).last!
            XCTAssertEqual(line["verify"] as? String, "mismatch", strategy)
            XCTAssertEqual(line["status"] as? String, "error", strategy)
            let source = line["xxh3"] as? String, copy = line["xxh3_copy"] as? String
            XCTAssertEqual(source?.count, 32)
            XCTAssertNotNil(copy)
            XCTAssertNotEqual(source, copy)
            XCTAssertTrue((line["error"] as? String ?? "").hasPrefix("verification failed:"), strategy)
        }
    }

    /// The source changes while it is copied (after its first bytes moved): the digest of the
    /// source as it is now does not match the copy.
    func testASourceThatChangesWhileCopiedIsAMismatch() {
        let s = Scratch()
        let a = s.file("a", size: 1_000_000)
        var sys = Syscalls.live
        let live = Syscalls.live
        let path = a
        sys.copyFileRange = { fdIn, offIn, fdOut, offOut, n in
            let r = live.copyFileRange(fdIn, &offIn, fdOut, &offOut, min(n, 100_000))
            if offIn == 100_000 {
                let fd = open(path, O_WRONLY)
                var byte: UInt8 = 0xFF
                _ = pwrite(fd, &byte, 1, 10)  // already copied: only the digest can tell
                close(fd)
            }
            return r
        }
        let status = runZcp(["--verify", "--report", s.path("r.json"), a, s.path("b")], sys: sys)
        XCTAssertEqual(status, 1)
        XCTAssertEqual(reportLines(s).last?["verify"] as? String, "mismatch")
        XCTAssertNil(s.contents("b"))
    }

    /// The digest read_write makes on the way equals the one of reading the source again.
    func testOnTheWayDigestEqualsAReRead() {
        let s = Scratch()
        s.file("a", size: 3_000_000)
        XCTAssertEqual(runZcp(["--verify", "--strategy=rw", "--report", s.path("r.json"), s.path("a"), s.path("b")]), 0)
        XCTAssertEqual(runZcp(["--verify", "--strategy=cfr", "--report", s.path("r2.json"), s.path("a"), s.path("c")]), 0)
        let onTheWay = reportLines(s).last, reRead = reportLines(s, "r2.json").last
        XCTAssertEqual(onTheWay?["verify"] as? String, "ok")
        XCTAssertEqual(reRead?["verify"] as? String, "ok")
        XCTAssertNotNil(onTheWay?["xxh3"] as? String)
        XCTAssertEqual(onTheWay?["xxh3"] as? String, reRead?["xxh3"] as? String)
    }

    /// EIO at byte N under --partial: the new file stays, cut to exactly the N bytes that
    /// landed, and --resume copies only the rest.
    func testPartialKeepsTheBytesWrittenAndResumeTakesThemUp() {
        let s = Scratch()
        s.file("a", size: 1_000_000)
        let sys = eio(at: 300_000)
        XCTAssertEqual(runZcp(["--partial", "--report", s.path("r.json"), s.path("a"), s.path("b")], sys: sys), 1)
        XCTAssertEqual(s.contents("b"), s.contents("a")?.prefix(300_000))
        XCTAssertEqual(reportLines(s).last?["partial"] as? Int, 300_000)

        let offsets = Box<[Int64]>([])
        let live = Syscalls.live
        var watch = Syscalls.live
        watch.copyFileRange = { a, off, c, d, n in
            offsets.with { $0.append(off) }
            return live.copyFileRange(a, &off, c, &d, n)
        }
        XCTAssertEqual(runZcp(["--resume", "--report", s.path("r.json"), s.path("a"), s.path("b")], sys: watch), 0)
        XCTAssertEqual(s.contents("b"), s.contents("a"))
        XCTAssertEqual(reportLines(s).last?["resumed_at"] as? Int, 300_000)
        XCTAssertEqual(offsets.get.first, 300_000, "no data call before the resume offset")
    }

    /// Temporaries --atomic leaves are recognised by name only in their exact shape.
    func testLeftoverTemporaryNames() {
        XCTAssertEqual(Sibling.temporaryOwner(Array(".file.txt.zcp-abcdefgh2345".utf8)), Array("file.txt".utf8))
        XCTAssertNil(Sibling.temporaryOwner(Array(".file.zcp-abcdefgh234".utf8)))
        XCTAssertNil(Sibling.temporaryOwner(Array(".file.zcp-abcdefgh2341".utf8)))
        XCTAssertNil(Sibling.temporaryOwner(Array("file.zcp-abcdefgh2345".utf8)))
        XCTAssertNil(Sibling.temporaryOwner(Array("..zcp-abcdefgh2345".utf8)))
    }
}
