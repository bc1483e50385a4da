import Foundation
import Glibc
import XCTest

@testable import ZcpCore

/// The selector's fallback rules, with faults injected through the syscall table on real files.
final class FallbackTests: XCTestCase {
    let size = 3 * 1024 * 1024 + 17

    func testEXDEVAtZeroFallsBackToSendfile() {
        let s = Scratch()
        let src = s.file("a", size: size)
        var sys = Syscalls.live
        sys.copyFileRange = { _, _, _, _, _ in .failure(.EXDEV) }
        let (r, err) = runSelector([.copyFileRange, .sendfile, .splice, .readWrite], sys: sys, src: src, dst: s.path("b"))
        XCTAssertNil(err)
        XCTAssertEqual(r.fallbacks, [Fallback(strategy: .copyFileRange, errno: .EXDEV, offset: 0)])
        XCTAssertEqual(r.strategy, .sendfile)
        XCTAssertEqual(r.bytesByStrategy[StrategyID.sendfile.rawValue], Int64(size))
        XCTAssertEqual(s.contents("a"), s.contents("b"))
    }

    func testSendfileEINVALAfterNBytesSpliceResumesAtN() {
        let s = Scratch()
        let src = s.file("a", size: size)
        let n = 1_000_003
        let sent = Box(0)
        var sys = Syscalls.live
        let live = Syscalls.live
        sys.sendfile = { out, inFd, off, count in
            let already = sent.get
            if already >= n { return .failure(.EINVAL) }
            let r = live.sendfile(out, inFd, &off, min(count, n - already))
            if case .success(let k) = r { sent.with { $0 += k } }
            return r
        }
        let (r, err) = runSelector([.sendfile, .splice, .readWrite], sys: sys, src: src, dst: s.path("b"))
        XCTAssertNil(err)
        XCTAssertEqual(r.fallbacks, [Fallback(strategy: .sendfile, errno: .EINVAL, offset: Int64(n))])
        XCTAssertEqual(r.bytesByStrategy[StrategyID.sendfile.rawValue], Int64(n))
        XCTAssertEqual(r.bytesByStrategy[StrategyID.splice.rawValue], Int64(size - n))
        XCTAssertEqual(r.bytes, Int64(size))
        XCTAssertEqual(s.contents("a"), s.contents("b"))
    }

    /// The pipe -> file splice moves part of a chunk and then fails: what is in the pipe must
    /// still land (once), and read/write goes on from the last byte that landed.
    func testSpliceFailureWithBytesInPipeLosesNothing() {
        let s = Scratch()
        let src = s.file("a", size: size)
        let outCalls = Box(0)
        var sys = Syscalls.live
        let live = Syscalls.live
        sys.splice = { fdIn, offIn, fdOut, offOut, count in
            if offOut != nil {  // pipe -> file
                let k = outCalls.with {
                    $0 += 1; return $0
                }
                if k == 3 { return live.splice(fdIn, offIn, fdOut, offOut, min(count, 1000)) }
                if k == 4 { return .failure(.EINVAL) }
            }
            return live.splice(fdIn, offIn, fdOut, offOut, count)
        }
        let (r, err) = runSelector([.splice, .readWrite], sys: sys, src: src, dst: s.path("b"))
        XCTAssertNil(err)
        XCTAssertEqual(r.fallbacks.count, 1)
        XCTAssertEqual(r.fallbacks.first?.strategy, .splice)
        XCTAssertEqual(r.fallbacks.first?.errno, .EINVAL)
        // Splice is credited with the drained bytes; the sum is exact, so nothing was doubled.
        let fallbackAt = r.fallbacks.first!.offset
        XCTAssertEqual(r.bytesByStrategy[StrategyID.splice.rawValue], fallbackAt)
        XCTAssertEqual(r.bytesByStrategy[StrategyID.readWrite.rawValue], Int64(size) - fallbackAt)
        XCTAssertEqual(fallbackAt % Int64(1 << 16), 0, "the drained chunk ends on a pipe-sized boundary")
        XCTAssertEqual(s.contents("a"), s.contents("b"))
    }

    func testSpliceDrainHitsENOSPCEndsTheFile() {
        let s = Scratch()
        let src = s.file("a", size: size)
        var sys = Syscalls.live
        let live = Syscalls.live
        sys.splice = { fdIn, offIn, fdOut, offOut, count in
            offOut != nil ? .failure(.EINVAL) : live.splice(fdIn, offIn, fdOut, offOut, count)
        }
        sys.pwrite = { _, _, _, _ in .failure(.ENOSPC) }
        let (r, err) = runSelector([.splice, .readWrite], sys: sys, src: src, dst: s.path("b"))
        XCTAssertEqual(err?.what, .write)
        XCTAssertEqual(err?.errno, .ENOSPC)
        XCTAssertEqual(r.fallbacks, [])
        XCTAssertEqual(r.bytes, 0)
    }

    func testEINTRStormsAreRetriedEverywhere() {
        let s = Scratch()
        let src = s.file("a", size: size)
        let tick = Box(0)
        let interrupted: @Sendable () -> Bool = {
            tick.with {
                $0 += 1; return $0 % 2 == 1
            }
        }
        var sys = Syscalls.live
        let live = Syscalls.live
        sys.copyFileRange = { a, b, c, d, n in interrupted() ? .failure(.EINTR) : live.copyFileRange(a, &b, c, &d, n) }
        sys.sendfile = { a, b, c, n in interrupted() ? .failure(.EINTR) : live.sendfile(a, b, &c, n) }
        sys.splice = { a, b, c, d, n in interrupted() ? .failure(.EINTR) : live.splice(a, b, c, d, n) }
        sys.pread = { a, b, n, o in interrupted() ? .failure(.EINTR) : live.pread(a, b, n, o) }
        sys.pwrite = { a, b, n, o in interrupted() ? .failure(.EINTR) : live.pwrite(a, b, n, o) }
        sys.ficlone = { a, b in interrupted() ? .failure(.EINTR) : live.ficlone(a, b) }
        for chain: [StrategyID] in [[.copyFileRange], [.sendfile], [.splice], [.readWrite]] {
            let (r, err) = runSelector(chain, forced: true, sys: sys, src: src, dst: s.path("b"))
            XCTAssertNil(err, "\(chain)")
            XCTAssertEqual(r.fallbacks, [], "\(chain)")
            XCTAssertEqual(r.bytesByStrategy[chain[0].rawValue], Int64(size), "\(chain)")
            XCTAssertEqual(s.contents("a"), s.contents("b"), "\(chain)")
        }
        XCTAssertGreaterThan(tick.get, 20)
    }

    func testShortWritesAndShortTransfersContinue() {
        let s = Scratch()
        let src = s.file("a", size: 200_003)
        var sys = Syscalls.live
        let live = Syscalls.live
        sys.pwrite = { fd, buf, n, off in live.pwrite(fd, buf, min(n, 7), off) }
        sys.copyFileRange = { a, b, c, d, n in live.copyFileRange(a, &b, c, &d, min(n, 4093)) }
        for chain: [StrategyID] in [[.readWrite], [.copyFileRange], [.splice]] {
            let (r, err) = runSelector(chain, forced: true, sys: sys, src: src, dst: s.path("b"))
            XCTAssertNil(err, "\(chain)")
            XCTAssertEqual(r.bytes, 200_003, "\(chain)")
            XCTAssertEqual(s.contents("a"), s.contents("b"), "\(chain)")
        }
    }

    func testENOSPCEndsTheFileWithoutFallback() {
        let s = Scratch()
        let src = s.file("a", size: size)
        let calls = Box(0)
        var sys = Syscalls.live
        let live = Syscalls.live
        sys.copyFileRange = { a, b, c, d, n in
            let k = calls.with {
                $0 += 1; return $0
            }
            return k > 1 ? .failure(.ENOSPC) : live.copyFileRange(a, &b, c, &d, min(n, 65536))
        }
        let (r, err) = runSelector(StrategyID.allCases.filter { $0 != .reflink }, sys: sys, src: src, dst: s.path("b"))
        XCTAssertEqual(err?.what, .write)
        XCTAssertEqual(err?.errno, .ENOSPC)
        XCTAssertEqual(err?.offset, 65536)
        XCTAssertEqual(r.fallbacks, [])
        XCTAssertEqual(r.bytes, 65536)
    }

    func testEIOAtByteNIsAReadError() {
        let s = Scratch()
        let src = s.file("a", size: size)
        var sys = Syscalls.live
        let live = Syscalls.live
        sys.pread = { fd, buf, n, off in off >= 524_288 ? .failure(.EIO) : live.pread(fd, buf, n, off) }
        let (r, err) = runSelector([.readWrite], sys: sys, src: src, dst: s.path("b"))
        XCTAssertEqual(err?.what, .read)
        XCTAssertEqual(err?.errno, .EIO)
        XCTAssertEqual(err?.offset, 524_288)
        XCTAssertEqual(r.bytes, 524_288)
        XCTAssertEqual(Messages.text(for: err!), "error reading '\(src)': Input/output error")
    }

    func testZeroAtOffsetZeroMeansReadWriteUntilEOF() {
        let s = Scratch()
        let src = s.file("a", size: 5000)
        var sys = Syscalls.live
        sys.copyFileRange = { _, _, _, _, _ in .success(0) }
        let (r, err) = runSelector([.copyFileRange, .sendfile, .readWrite], sys: sys, src: src, dst: s.path("b"))
        XCTAssertNil(err)
        XCTAssertEqual(r.strategy, .readWrite)
        XCTAssertEqual(r.fallbacks, [Fallback(strategy: .copyFileRange, errno: nil, offset: 0)])
        XCTAssertEqual(s.contents("a"), s.contents("b"))
    }

    func testZeroAtOffsetZeroIsReportedWithItsReason() {
        let s = Scratch()
        s.file("a", size: 5000)
        var sys = Syscalls.live
        sys.copyFileRange = { _, _, _, _, _ in .success(0) }  // procfs-like: nothing through the kernel path
        // The default chain (a forced one fails instead: see the next test).
        XCTAssertEqual(runZcp(["--report", s.path("r.json"), s.path("a"), s.path("b")], sys: sys), 0)
        let line = reportLines(s).last
        let fallbacks = line?["fallbacks"] as? [[String: Any]] ?? []
        let zero = fallbacks.filter { $0["strategy"] as? String == "copy_file_range" }
        XCTAssertEqual(zero.count, 1)
        XCTAssertEqual(zero.first?["reason"] as? String, "no data at offset 0")
        XCTAssertTrue(zero.first?["errno"] is NSNull)
        XCTAssertEqual(line?["strategy"] as? String, "read_write")
        XCTAssertEqual(s.contents("a"), s.contents("b"))
        // In --nocache's windows too, read_write goes on to the end once it took over.
        s.file("big", size: 20 * 1024 * 1024 + 3)
        XCTAssertEqual(runZcp(["--nocache", s.path("big"), s.path("big2")], sys: sys), 0)
        XCTAssertEqual(s.contents("big"), s.contents("big2"))
    }

    func testNocacheRefusedDontcacheFallsBackToWindowsAtTheExactByte() {
        let s = Scratch()
        s.file("a", size: 20 * 1024 * 1024 + 5)
        var sys = Syscalls.live
        let waited = Box(0), dropped = Box(0)
        let live = Syscalls.live
        sys.readUncached = { _, _, _, _ in .failure(.EOPNOTSUPP) }  // as tmpfs answers
        sys.writeUncached = { _, _, _, _ in .failure(.EOPNOTSUPP) }
        sys.syncRange = { fd, off, len, wait in
            if wait { waited.with { $0 += 1 } }
            return live.syncRange(fd, off, len, wait)
        }
        sys.dropCache = { fd, off, len in
            dropped.with { $0 += 1 }; return live.dropCache(fd, off, len)
        }
        XCTAssertEqual(
            runZcp(["--nocache", "--strategy=rw", "--report", s.path("r.json"), s.path("a"), s.path("b")], sys: sys), 0)
        XCTAssertEqual(s.contents("a"), s.contents("b"))
        XCTAssertEqual(reportLines(s).last?["cache"] as? String, "dropped")
        XCTAssertEqual(waited.get, 3)  // three 8 MiB windows, each waited for once
        XCTAssertGreaterThanOrEqual(dropped.get, 3)
    }

    func testForcedStrategyWithNoDataFromANonEmptyFileFails() {
        let s = Scratch()
        let src = s.file("a", size: 5000)
        var sys = Syscalls.live
        sys.copyFileRange = { _, _, _, _, _ in .success(0) }
        let (_, err) = runSelector([.copyFileRange], forced: true, sys: sys, src: src, dst: s.path("b"))
        XCTAssertEqual(err?.what, .strategyNoData(.copyFileRange))
    }

    func testForcedStrategyRefusalNamesStrategyAndErrno() {
        let s = Scratch()
        let src = s.file("a", size: 10)
        var sys = Syscalls.live
        sys.sendfile = { _, _, _, _ in .failure(.EINVAL) }
        let (r, err) = runSelector([.sendfile], forced: true, sys: sys, src: src, dst: s.path("b"))
        XCTAssertEqual(r.fallbacks, [])
        XCTAssertEqual(
            err.map(Messages.text), "sendfile: '\(src)' -> '\(s.path("b"))': Invalid argument (EINVAL); try --strategy=auto")
    }

    func testReflinkRefusedFallsBackAndAlwaysFails() {
        let s = Scratch()
        let src = s.file("a", size: 10_000)
        var sys = Syscalls.live
        sys.ficlone = { _, _ in .failure(.EOPNOTSUPP) }
        let (r, err) = runSelector(StrategyID.allCases, sys: sys, src: src, dst: s.path("b"))
        XCTAssertNil(err)
        XCTAssertEqual(r.reflink, .unsupported)
        XCTAssertEqual(r.fallbacks, [Fallback(strategy: .reflink, errno: .EOPNOTSUPP, offset: 0)])
        XCTAssertEqual(r.strategy, .copyFileRange)
        let (_, always) = runSelector([.reflink], forced: true, sys: sys, src: src, dst: s.path("c"))
        XCTAssertEqual(always.map(Messages.text), "failed to clone '\(s.path("c"))' from '\(src)': Operation not supported")
    }

    func testFatalReflinkErrnoStops() {
        let s = Scratch()
        let src = s.file("a", size: 10_000)
        var sys = Syscalls.live
        sys.ficlone = { _, _ in .failure(.ENOSPC) }
        let (r, err) = runSelector(StrategyID.allCases, sys: sys, src: src, dst: s.path("b"))
        XCTAssertEqual(err?.errno, .ENOSPC)
        XCTAssertEqual(r.bytes, 0)
    }

    /// A failed copy into a new file removes it: no silently short file is left.
    func testFailedCopyRemovesTheNewDestination() {
        let s = Scratch()
        s.file("a", size: size)
        var sys = Syscalls.live
        let live = Syscalls.live
        sys.copyFileRange = { a, b, c, d, n in b > 0 ? .failure(.EDQUOT) : live.copyFileRange(a, &b, c, &d, 4096) }
        let status = runZcp(["--report", s.path("r.json"), s.path("a"), s.path("b")], sys: sys)
        XCTAssertEqual(status, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: s.path("b")))
        let report = String(decoding: s.contents("r.json") ?? Data(), as: UTF8.self)
        XCTAssertTrue(report.contains("\"status\":\"error\""), report)
        XCTAssertTrue(report.contains("\"errno\":\"EDQUOT\""), report)
        XCTAssertTrue(report.contains("\"offset\":4096"), report)
    }

    /// --sparse=always: zero blocks become holes, data lands exactly, even with short writes.
    func testZeroBlocksBecomeHolesWithShortWrites() {
        let s = Scratch()
        var bytes = [UInt8](repeating: 0, count: 300_000)
        for i in 0..<5000 { bytes[i] = UInt8(i % 251 + 1) }
        for i in 150_001..<150_100 { bytes[i] = 7 }
        FileManager.default.createFile(atPath: s.path("a"), contents: Data(bytes))
        var sys = Syscalls.live
        let live = Syscalls.live
        sys.pwrite = { fd, buf, n, off in live.pwrite(fd, buf, min(n, 1000), off) }
        let selector = StrategySelector(chain: [.readWrite], forced: false, holesForZeros: true)
        let sfd = open(s.path("a"), O_RDONLY), dfd = open(s.path("b"), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(sfd); close(dfd) }
        var st = stat()
        fstat(sfd, &st)
        var record = FileRecord(source: Path("a"), dest: Path("b"), kind: .file)
        let err = selector.copyData(CopyIO(src: sfd, dst: dfd, worker: Worker(sys: sys)), stat: FileStat(st), record: &record)
        XCTAssertNil(err)
        XCTAssertEqual(s.contents("b"), Data(bytes))
        // Two data blocks at the start, one in the middle, and the 992-byte tail (not a whole
        // block, so written) are all that is not a hole.
        XCTAssertEqual(record.holeBytes, 300_000 - 8192 - 4096 - 992)
        var out = stat()
        fstat(dfd, &out)
        XCTAssertLessThan(Int(out.st_blocks) * 512, 300_000 / 2)
    }
}
