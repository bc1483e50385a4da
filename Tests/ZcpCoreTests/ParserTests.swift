import XCTest

@testable import ZcpCore

final class ParserTests: XCTestCase {
    func options(_ args: [String], file: StaticString = #filePath, line: UInt = #line) -> Options? {
        let (outcome, _, err) = parse(args)
        guard case .run(let o) = outcome else { XCTFail("did not parse: \(err)", file: file, line: line); return nil }
        return o
    }

    func testPermutationAndBundling() {
        let o = options(["a", "-rv", "b", "--strategy=sendfile", "c"])!
        XCTAssertTrue(o.recursive)
        XCTAssertTrue(o.verbose)
        XCTAssertEqual(o.sources, [Path("a"), Path("b")])
        XCTAssertEqual(o.destination, Path("c"))
        XCTAssertEqual(o.strategies, [.sendfile])
        XCTAssertTrue(o.strategyForced)
    }

    func testDoubleDashEndsOptions() {
        let o = options(["--", "-v", "x"])!
        XCTAssertFalse(o.verbose)
        XCTAssertEqual(o.sources, [Path("-v")])
    }

    func testUniquePrefixAbbreviations() {
        let o = options(["--verb", "--strat", "cfr,rw", "--recur", "a", "b"])!
        XCTAssertTrue(o.verbose)
        XCTAssertTrue(o.recursive)
        XCTAssertEqual(o.strategies, [.copyFileRange, .readWrite])
    }

    func testAmbiguousAbbreviationIsAnError() {
        let (outcome, _, err) = parse(["--st", "a", "b"])  // --stats, --strategy, --strip-...
        guard case .exit(1) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertTrue(err.contains("Try 'zcp --help'"))
    }

    func testAutoIsNotForced() {
        let o = options(["--strategy=auto", "a", "b"])!
        XCTAssertFalse(o.strategyForced)
        XCTAssertEqual(o.strategies, StrategyID.allCases)
    }

    func testInvalidStrategyListsValidOnes() {
        let (outcome, _, err) = parse(["--strategy=mmap", "a", "b"])
        guard case .exit(1) = outcome else { return XCTFail() }
        let q: (String) -> String = localeQuoted
        XCTAssertTrue(err.hasPrefix("zcp: invalid argument \(q("mmap")) for \(q("--strategy"))\nValid arguments are:\n"), err)
        XCTAssertTrue(err.contains("  - \(q("copy_file_range"))\n"))
    }

    func testOptionalArgumentsOnlyWithEquals() {
        let o = options(["--reflink", "a", "b"])!
        XCTAssertEqual(o.reflink, .always)
        XCTAssertEqual(o.sources, [Path("a")])
        let n = options(["--reflink=never", "a", "b"])!
        XCTAssertEqual(n.strategyChain, [.copyFileRange, .sendfile, .splice, .readWrite])
        let p = options(["--preserve", "a", "b"])!
        XCTAssertTrue(p.preserve.mode && p.preserve.ownership && p.preserve.timestamps)
        XCTAssertFalse(p.preserve.links)
    }

    func testLastOfHLPWins() {
        XCTAssertEqual(options(["-L", "-P", "a", "b"])!.effectiveDereference, .never)
        XCTAssertEqual(options(["-P", "-H", "a", "b"])!.effectiveDereference, .commandLineOnly)
        XCTAssertEqual(options(["-r", "a", "b"])!.effectiveDereference, .never)
        XCTAssertEqual(options(["a", "b"])!.effectiveDereference, .always)
    }

    func testOperandErrorsInGNUWords() {
        let (_, _, none) = parse([])
        XCTAssertEqual(none, "zcp: missing file operand\nTry 'zcp --help' for more information.\n")
        let (_, _, one) = parse(["a"])
        XCTAssertEqual(one, "zcp: missing destination file operand after 'a'\nTry 'zcp --help' for more information.\n")
        let (_, _, extra) = parse(["-T", "a", "b", "c"])
        XCTAssertEqual(extra, "zcp: extra operand 'c'\nTry 'zcp --help' for more information.\n")
    }

    func testTargetDirectoryTakesAllOperandsAsSources() {
        let o = options(["-t", "dir", "a", "b"])!
        XCTAssertEqual(o.targetDirectory, Path("dir"))
        XCTAssertEqual(o.sources, [Path("a"), Path("b")])
        XCTAssertNil(o.destination)
    }

    func testHelpMentionsEveryLongOption() {
        let (outcome, out, _) = parse(["--help"])
        guard case .exit(0) = outcome else { return XCTFail() }
        for o in CommandLineParser.longOptions {
            XCTAssertTrue(out.contains("--\(o.name)"), "--help lacks --\(o.name)")
        }
    }
}

final class QuoteTests: XCTestCase {
    func testGNUQuoting() {
        XCTAssertEqual(quoted(Path("a b")), "'a b'")
        XCTAssertEqual(quoted(Path("it's")), "\"it's\"")
        XCTAssertEqual(quoted(Path("it's $x")), "'it'\\''s $x'")
        XCTAssertEqual(quoted(Path("a\nb")), "'a'$'\\n''b'")
        XCTAssertEqual(quoted(Path(bytes: [0x61, 0xff, 0x62])), "'a'$'\\377''b'")
        XCTAssertEqual(quoted(Path("é")), "'é'")
        XCTAssertEqual(quoted(Path("")), "''")
    }

    func testPathComponents() {
        XCTAssertEqual(Path("a/b/").lastComponent, Path("b"))
        XCTAssertEqual(Path("/").lastComponent, Path("/"))
        XCTAssertEqual(Path("d/.").lastComponent, Path("."))
        XCTAssertEqual(Path("a/").appending(Path("b")), Path("a/b"))
    }
}

final class ReportTests: XCTestCase {
    func testJSONLineHasEveryKey() {
        var r = FileRecord(source: Path("a\"b"), dest: Path("c\n"), kind: .file)
        r.size = 10
        r.add(6, by: .sendfile)
        r.add(4, by: .readWrite)
        r.fallbacks = [
            Fallback(strategy: .copyFileRange, errno: .EXDEV, offset: 0),
            Fallback(strategy: .sendfile, errno: .EINVAL, offset: 6),
        ]
        r.extents = 1
        let line = JSON.line(for: r)
        XCTAssertTrue(line.hasSuffix("}\n"))
        for key in [
            "source", "dest", "type", "status", "size", "bytes", "strategy", "bytes_by_strategy",
            "fallbacks", "extents", "hole_bytes", "elapsed_ns",
        ] {
            XCTAssertTrue(line.contains("\"\(key)\":"), key)
        }
        XCTAssertTrue(line.contains("\"source\":\"a\\\"b\",\"dest\":\"c\\n\""), line)
        XCTAssertTrue(line.contains("\"strategy\":\"sendfile\""), line)
        XCTAssertTrue(line.contains("{\"strategy\":\"sendfile\",\"errno\":\"EINVAL\",\"offset\":6}"), line)
        let data = line.data(using: .utf8)!
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: data))
    }

    func testDebugLineSaysWhatHappened() {
        var r = FileRecord(source: Path("a"), dest: Path("b"), kind: .file)
        r.reflink = .unsupported
        r.add(100, by: .sendfile)
        r.fallbacks = [
            Fallback(strategy: .reflink, errno: .EXDEV, offset: 0),
            Fallback(strategy: .copyFileRange, errno: .EXDEV, offset: 0),
        ]
        XCTAssertEqual(
            Reporter.debugLine(r),
            "copy offload: unsupported, reflink: unsupported, sparse detection: no, strategy: sendfile (reflink: EXDEV at 0, copy_file_range: EXDEV at 0)"
        )
    }
}
