import Glibc
import XCTest

@testable import ZcpCore

/// --exclude's patterns on their own (Tests/cli/exclude.sh compares whole trees with rsync).
final class ExcludeTests: XCTestCase {
    func excluded(_ pattern: String, _ path: String, dir: Bool = false) -> Bool {
        var list = ExcludeList()
        XCTAssertNil(list.add(pattern), pattern)
        return list.verdict(Array(path.utf8), isDirectory: dir) == .excluded
    }

    func testWildcards() {
        XCTAssertTrue(excluded("*.o", "a/b/c.o"))
        XCTAssertFalse(excluded("a*", "x/ya"))
        XCTAssertTrue(excluded("a/*/c", "a/b/c"))
        XCTAssertFalse(excluded("a/*/c", "a/b/x/c"))  // * stops at '/'
        XCTAssertTrue(excluded("a/**/c", "a/b/x/c"))  // ** does not
        XCTAssertTrue(excluded("**/c", "c"))  // a leading **/ matches at the top too
        XCTAssertTrue(excluded("?.txt", "d/1.txt"))
        XCTAssertFalse(excluded("?.txt", "d/10.txt"))
        XCTAssertTrue(excluded("[a-c]x", "bx"))
        XCTAssertFalse(excluded("[!a-c]x", "bx"))
        XCTAssertTrue(excluded("[^a-c]x", "dx"))
        XCTAssertTrue(excluded("[]]", "]"))
        XCTAssertTrue(excluded("[[:digit:]]*", "7up"))
        XCTAssertFalse(excluded("[[:digit:]]*", "up7"))
        XCTAssertTrue(excluded("a\\*b", "a*b"))
        XCTAssertFalse(excluded("a\\*b", "axb"))
    }

    func testAnchorsAndDirectories() {
        XCTAssertTrue(excluded("/a", "a"))
        XCTAssertFalse(excluded("/a", "x/a"))
        XCTAssertTrue(excluded("b/c", "a/b/c"))  // the last two names
        XCTAssertFalse(excluded("b/c", "b/c/d"))
        XCTAssertTrue(excluded("d/", "x/d", dir: true))
        XCTAssertFalse(excluded("d/", "x/d", dir: false))
        XCTAssertTrue(excluded("d/***", "d", dir: true))
        XCTAssertTrue(excluded("d/***", "d/e/f"))
        XCTAssertFalse(excluded("d/***", "d", dir: false))
    }

    func testTypeAskedOnlyWhenItDecides() {
        var list = ExcludeList()
        XCTAssertNil(list.add("build/"))
        XCTAssertEqual(list.verdict(Array("x/build".utf8), isDirectory: nil), .needsType)
        XCTAssertEqual(list.verdict(Array("x/other".utf8), isDirectory: nil), .included)
        XCTAssertNil(list.add("*.o"))
        XCTAssertEqual(list.verdict(Array("a.o".utf8), isDirectory: nil), .excluded)
    }

    func testInvalidPatterns() {
        var list = ExcludeList()
        XCTAssertEqual(list.add(""), .empty)
        XCTAssertEqual(list.add("/"), .empty)
        XCTAssertEqual(list.add("[ab"), .unterminatedBracket)
        XCTAssertEqual(list.add("[[:alpha:]"), .unterminatedBracket)
        XCTAssertEqual(list.add("ab\\"), .trailingBackslash)
        XCTAssertTrue(list.isEmpty)
    }

    func testPathologicalStarsEndQuickly() {
        // Each '*' gives up as soon as the rest cannot match: not exponential.
        let name = String(repeating: "a", count: 200)
        XCTAssertFalse(excluded(String(repeating: "*a", count: 30) + "b", name))
    }

    /// --progress counts what the copy will copy: excluded files and directories are left
    /// out of its totals (on the real filesystem).
    func testProgressTotalsLeaveExcludedEntriesOut() {
        let s = Scratch()
        mkdir(s.path("t"), 0o755)
        mkdir(s.path("t/skip"), 0o755)
        s.file("t/a", size: 100)
        s.file("t/b.tmp", size: 1000)
        s.file("t/skip/c", size: 10000)
        var options = Options()
        options.recursive = true
        let all = ProgressPlan(sys: .live, options: options).measure([Path(s.path("t"))])
        XCTAssertEqual(all.files, 3)
        XCTAssertEqual(all.bytes, 11100)
        XCTAssertNil(options.excludes.add("*.tmp"))
        XCTAssertNil(options.excludes.add("skip/"))
        let kept = ProgressPlan(sys: .live, options: options).measure([Path(s.path("t"))])
        XCTAssertEqual(kept.files, 1)
        XCTAssertEqual(kept.bytes, 100)
    }
}

extension ExcludeList {
    /// A pattern written as text in a test (patterns are bytes).
    mutating func add(_ text: String) -> PatternError? { add(Array(text.utf8)) }
}
