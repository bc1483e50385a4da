import Glibc
import XCTest

@testable import ZcpCore

/// Names made beside a destination, backup numbers and sums that files any user can make
/// must not turn into a crash, a followed symlink or a lost file.
final class HardeningTests: XCTestCase {
    /// Every sibling is made O_CREAT|O_EXCL|O_NOFOLLOW; a taken name is never reused, another
    /// random one is drawn; every name fits NAME_MAX.
    func testSiblingIsExclusiveAndRedrawsATakenName() {
        let s = Scratch()
        let tried = Box<[(String, Int32)]>([])
        var sys = Syscalls.live
        let live = Syscalls.live
        sys.open = { at, flags, mode in
            let n = tried.with {
                $0.append((at.name.description, flags)); return $0.count
            }
            return n <= 3 ? .failure(.EEXIST) : live.open(at, flags, mode)
        }
        let long = String(repeating: "n", count: 255)
        let dst = Node.operand(Path(s.path(long)))
        let leaf = Array(long.utf8)
        guard
            case .success(let made) = Sibling.create(
                beside: dst, name: { Sibling.temporaryName(for: leaf) },
                access: O_WRONLY, mode: 0o600, sys: sys)
        else {
            return XCTFail("no sibling made")
        }
        close(made.fd)
        let names = tried.get.map { $0.0 }
        XCTAssertEqual(names.count, 4)
        XCTAssertEqual(Set(names).count, 4, "a taken name is never tried again")
        for (_, flags) in tried.get {
            XCTAssertEqual(flags & (O_CREAT | O_EXCL | O_NOFOLLOW), O_CREAT | O_EXCL | O_NOFOLLOW)
        }
        let made255 = made.node.at.name.lastComponent.bytes
        XCTAssertLessThanOrEqual(made255.count, 255)
        XCTAssertEqual(Sibling.temporaryOwner(made255), Sibling.temporaryKey(for: leaf))
    }

    /// A name that stays taken (every try EEXIST) ends in EEXIST, not in a reuse.
    func testSiblingGivesUpWithoutReuse() {
        var sys = Syscalls.live
        sys.open = { _, _, _ in .failure(.EEXIST) }
        let dst = Node.operand(Path("/nonexistent/x"))
        guard
            case .failure(let e) = Sibling.create(
                beside: dst, name: { Sibling.temporaryName(for: [120]) },
                access: O_WRONLY, mode: 0o600, sys: sys)
        else {
            return XCTFail("made a file")
        }
        XCTAssertEqual(e, .EEXIST)
    }

    /// Numbered backups count in decimal strings of any length.
    func testBackupNumbersNeverOverflow() {
        XCTAssertEqual(Backup.increment(Array("9223372036854775807".utf8)), Array("9223372036854775808".utf8))
        XCTAssertEqual(Backup.increment(Array("99999999999999999999999".utf8)), Array("100000000000000000000000".utf8))
        XCTAssertEqual(Backup.increment(Array("0".utf8)), Array("1".utf8))
        XCTAssertEqual(Backup.name(Array(repeating: 110, count: 250), Array(".~1~".utf8)).count, 254)
        XCTAssertEqual(
            Backup.name(Array(repeating: 110, count: 255), Array("~".utf8)),
            Array(repeating: 110, count: 253) + [126])
    }

    func testSuffixMustBeOneNameComponent() {
        XCTAssertTrue(CommandLineParser.isSuffix(Array("~".utf8)))
        XCTAssertTrue(CommandLineParser.isSuffix(Array(".bak".utf8)))
        XCTAssertFalse(CommandLineParser.isSuffix(Array("".utf8)))
        XCTAssertFalse(CommandLineParser.isSuffix(Array("x/y".utf8)))
        XCTAssertFalse(CommandLineParser.isSuffix(Array("/y".utf8)))
    }

    /// Sums of exabyte sizes and rates of petabyte clones are drawn without trapping.
    func testHugeNumbersFormat() {
        XCTAssertEqual(Int64.max.saturatingAdd(1), .max)
        XCTAssertEqual(Int64(5 << 60).saturatingAdd(5 << 60), .max)
        let text = ProgressLine.text(
            bytes: .max, total: Int128(Int64.max) * 4, files: 1, totalFiles: 4,
            elapsedNs: 1, current: nil)
        XCTAssertTrue(text.contains("25%"), text)
        _ = ProgressLine.text(
            bytes: 1, total: Int128(Int64.max) * 2, files: 0, totalFiles: 2, elapsedNs: 1_000_000_000_000,
            current: nil)
        XCTAssertEqual(formatFixed(2.1e25, decimals: 1), "2.1e+25")
    }
}
