import Foundation
import Glibc
import XCTest

@testable import ZcpCore

/// The strategy table, the chain rule it implies, the --atomic temporary's name, and the
/// record every failure leaves.
final class ShapeTests: XCTestCase {
    /// Row N of the table is strategy N; names and aliases are unique; only reflink moves
    /// whole files.
    func testStrategyTableMatchesTheIDs() {
        XCTAssertEqual(StrategyTable.all.count, StrategyID.allCases.count)
        var names = Set<String>()
        for (i, entry) in StrategyTable.all.enumerated() {
            XCTAssertEqual(entry.id.rawValue, i, entry.name)
            for n in [entry.name] + entry.aliases { XCTAssertTrue(names.insert(n).inserted, n) }
            XCTAssertEqual(StrategyID(name: entry.name), entry.id)
            if case .wholeFile = entry.kind { XCTAssertEqual(entry.id, .reflink) }
        }
        XCTAssertEqual(
            FileRecord(source: Path("a"), dest: Path("b"), kind: .file).bytesByStrategy.count,
            StrategyTable.all.count)
    }

    /// A clone has no byte to resume at: reflink only heads a chain.
    func testReflinkOnlyFirstInAChain() {
        let (late, _, err) = parse(["--strategy=copy_file_range,reflink", "a", "b"])
        guard case .exit(1) = late else { return XCTFail("accepted reflink after copy_file_range") }
        XCTAssertTrue(err.contains("reflink clones whole files, so it can only come first in a chain"), err)
        let (first, _, _) = parse(["--strategy=reflink,copy_file_range", "a", "b"])
        guard case .run(let o) = first else { return XCTFail("refused reflink first") }
        XCTAssertEqual(o.strategies, [.reflink, .copyFileRange])
    }

    /// --atomic: a name someone planted where the temporary goes is left alone, and another
    /// unpredictable name is taken (the temporary is made without a name, then linked to
    /// one; link never replaces).
    func testAtomicTemporaryTakesAnotherNameWhenOneIsTaken() {
        let s = Scratch()
        s.file("a", size: 70_000)
        let tried = Box<[String]>([])
        var sys = Syscalls.live
        let live = Syscalls.live
        sys.link = { existing, new, follow in
            let name = new.name.description
            if name.contains(".zcp-") {
                let first = tried.with {
                    $0.append(name); return $0.count <= 2
                }
                if first { return .failure(.EEXIST) }  // planted: two names in a row
            }
            return live.link(existing, new, follow)
        }
        XCTAssertEqual(runZcp(["--atomic", s.path("a"), s.path("b")], sys: sys), 0)
        XCTAssertEqual(s.contents("a"), s.contents("b"))
        let names = tried.get
        XCTAssertEqual(names.count, 3)
        XCTAssertEqual(Set(names).count, 3, "each try takes a new name: \(names)")
        for n in names {
            let leaf = n.split(separator: "/").last.map(String.init) ?? n
            XCTAssertTrue(leaf.hasPrefix(".b.zcp-"), leaf)
            let random = leaf.dropFirst(".b.zcp-".count)
            XCTAssertEqual(random.count, 12, leaf)
            XCTAssertTrue(random.allSatisfy { "abcdefghijklmnopqrstuvwxyz234567".contains($0) }, leaf)
        }
        let left = (try? FileManager.default.contentsOfDirectory(atPath: s.url.path)) ?? []
        XCTAssertEqual(left.sorted(), ["a", "b"])
    }

    /// A source that cannot be looked at still has its line in the report, and counts.
    func testEveryFailureHasAReportRecord() {
        let s = Scratch()
        s.file("f1", size: 10)
        mkdir(s.path("d"), 0o755)
        let report = s.path("r.jsonl")
        XCTAssertEqual(runZcp(["--report=" + report, s.path("nope"), s.path("f1"), s.path("d")]), 1)
        let lines = (try? String(contentsOfFile: report, encoding: .utf8))?.split(separator: "\n") ?? []
        XCTAssertEqual(lines.count, 2)
        let failed = lines.first { $0.contains("\"source\":\"\(s.path("nope"))\"") }
        XCTAssertNotNil(failed, "\(lines)")
        XCTAssertTrue(failed?.contains("\"status\":\"error\"") == true, "\(lines)")
        XCTAssertTrue(failed?.contains("\"errno\":\"ENOENT\"") == true, "\(lines)")
    }
}
