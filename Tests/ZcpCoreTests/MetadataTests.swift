import CZcp
import Foundation
import Glibc
import XCTest

@testable import ZcpCore

/// Metadata steps with faults injected: the data stays, the failure is told and recorded.
final class MetadataTests: XCTestCase {
    func testACLRefusedKeepsTheCopyAndFailsWithGNUsMessage() {
        let s = Scratch()
        s.file("a", size: 1000)
        var sys = Syscalls.live
        sys.copyACL = { _, _, _ in .failure(.EOPNOTSUPP) }
        let status = runZcp(["-p", "--report", s.path("r.json"), s.path("a"), s.path("b")], sys: sys)
        XCTAssertEqual(status, 1)
        XCTAssertEqual(s.contents("a"), s.contents("b"), "a metadata failure never removes the data")
        let report = String(decoding: s.contents("r.json") ?? Data(), as: UTF8.self)
        XCTAssertTrue(report.contains("\"mode\":\"EOPNOTSUPP\""), report)
        XCTAssertTrue(report.contains("\"timestamps\":\"ok\""), report)
    }

    func testSetIDBitsNeverSurviveAFailedChown() {
        let s = Scratch()
        let a = s.file("a", size: 10)
        // Someone else's file (as root; an ordinary user's chown of it fails anyway), so the
        // copy's owner is not yet right and the chown is really made, and refused.
        if geteuid() == 0 { XCTAssertEqual(chown(a, 65534, 65534), 0) }
        chmod(a, 0o6755)
        var sys = Syscalls.live
        sys.fchown = { _, _, _ in .failure(.EPERM) }
        _ = runZcp(["-p", a, s.path("b")], sys: sys)
        var st = stat()
        XCTAssertEqual(stat(s.path("b"), &st), 0)
        XCTAssertEqual(st.st_mode & 0o7777, 0o755)
    }

    func testNewCopyIsNeverWiderThanTheSourceWhileDataMoves() {
        let s = Scratch()
        let a = s.file("a", size: 100_000)
        chmod(a, 0o600)
        let seen = Box<UInt32>(0)
        var sys = Syscalls.live
        let live = Syscalls.live
        sys.open = { path, flags, mode in
            if flags & O_CREAT != 0 { seen.with { $0 = mode } }
            return live.open(path, flags, mode)
        }
        XCTAssertEqual(runZcp(["-a", a, s.path("b")], sys: sys), 0)
        XCTAssertEqual(seen.get, 0o600)
    }

    func testXattrRefusedUnderExplicitPreserveIsAnError() {
        let s = Scratch()
        let a = s.file("a", size: 10)
        XCTAssertEqual(setxattr(a, "user.k", "v", 1, 0), 0)
        var sys = Syscalls.live
        sys.setXattr = { _, _, _ in .failure(.EOPNOTSUPP) }
        XCTAssertEqual(runZcp(["--preserve=xattr", a, s.path("b")], sys: sys), 1)
        XCTAssertEqual(runZcp(["-a", a, s.path("c")], sys: sys), 0, "-a stays quiet, as GNU")
    }
}
