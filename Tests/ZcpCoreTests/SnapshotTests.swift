import XCTest

@testable import ZcpCore

/// Where --link-dest looks (names relative to the destination directory, a DIR joined with a
/// directory this run has yet to make) and what a manifest line looks like.
final class SnapshotTests: XCTestCase {
    private func plan(base: String) -> SnapshotPlan {
        SnapshotPlan(
            kind: .link, dirs: [], base: Path(base), checksum: false, window: 0, comparesMode: true,
            comparesOwnership: true, comparesTimes: true, comparesXattrs: true)
    }

    func testRelativeNames() {
        XCTAssertEqual(plan(base: "daily.0").relativeName(of: Path("daily.0/a/b")), Path("a/b"))
        XCTAssertEqual(plan(base: "daily.0/").relativeName(of: Path("daily.0/a")), Path("a"))
        XCTAssertEqual(plan(base: "daily.0").relativeName(of: Path("daily.0//a")), Path("a"))
        XCTAssertEqual(plan(base: ".").relativeName(of: Path("f")), Path("f"))
        // Only whole components: daily.01 is not under daily.0.
        XCTAssertNil(plan(base: "daily.0").relativeName(of: Path("daily.01/a")))
        XCTAssertNil(plan(base: "daily.0").relativeName(of: Path("daily.0")))
    }

    func testBase() {
        XCTAssertEqual(
            SnapshotPlan.base(destinationDirectory: Path("t"), destination: Path("x"), sourceIsDirectory: true), Path("t"))
        XCTAssertEqual(
            SnapshotPlan.base(destinationDirectory: nil, destination: Path("d/new"), sourceIsDirectory: true), Path("d/new"))
        XCTAssertEqual(
            SnapshotPlan.base(destinationDirectory: nil, destination: Path("d/file"), sourceIsDirectory: false), Path("d"))
        XCTAssertEqual(
            SnapshotPlan.base(destinationDirectory: nil, destination: Path("file"), sourceIsDirectory: false), Path("."))
    }

    func testLexicalJoin() {
        XCTAssertEqual(SnapshotPlan.lexicallyJoined(Path("daily.0"), Path("../daily.1")), Path("daily.1"))
        XCTAssertEqual(SnapshotPlan.lexicallyJoined(Path("/b/daily.0"), Path("../daily.1")), Path("/b/daily.1"))
        XCTAssertEqual(SnapshotPlan.lexicallyJoined(Path("new"), Path("../../up")), Path("../up"))
        XCTAssertEqual(SnapshotPlan.lexicallyJoined(Path("a/./b"), Path("./c")), Path("a/b/c"))
        XCTAssertEqual(SnapshotPlan.lexicallyJoined(Path("a"), Path("..")), Path("."))
    }

    private func line(_ name: String, _ hash: Options.ManifestHash) -> String {
        String(decoding: Manifest.line(hex: "ab", name: Array(name.utf8), hash: hash), as: UTF8.self)
    }

    func testManifestLines() {
        XCTAssertEqual(line("d/plain name", .sha256), "ab  d/plain name\n")
        // sha256sum's escapes: a backslash first, then \\, \n, \r in the name.
        XCTAssertEqual(line("back\\slash", .sha256), "\\ab  back\\\\slash\n")
        XCTAssertEqual(line("new\nline", .sha256), "\\ab  new\\nline\n")
        XCTAssertEqual(line("cr\rx\\", .sha256), "\\ab  cr\\rx\\\\\n")
        // xxhsum 0.8.1 reads a backslash as it is: escaped only with a newline or CR.
        XCTAssertEqual(line("back\\slash", .xxh128), "ab  back\\slash\n")
        XCTAssertEqual(line("new\nline\\", .xxh128), "\\ab  new\\nline\\\\\n")
        // Bytes that are not UTF-8 are written as they are.
        XCTAssertEqual(Manifest.line(hex: "ab", name: [0xff, 0x41], hash: .sha256), Array("ab  ".utf8) + [0xff, 0x41, 10])
    }

    func testSha256() {
        let d = Sha256()
        Array("abc".utf8).withUnsafeBytes { d.update($0.baseAddress!, 3) }
        XCTAssertEqual(d.hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

/// --files-from's list: rsync's way of reading names, and names kept below SOURCE.
final class ListFileTests: XCTestCase {
    func testNewlineLists() {
        let text = Array("a\n# comment\n\n; also\nb c\r\n/d/e\n".utf8)
        XCTAssertEqual(ListFile.names(text, from0: false), [Array("a".utf8), Array("b c".utf8), Array("/d/e".utf8)])
    }

    func testNulLists() {
        let names: [[UInt8]] = [Array("#not a comment".utf8), Array("new\nline".utf8), [0xff]]
        var text: [UInt8] = []
        for name in names { text += name + [0] }
        XCTAssertEqual(ListFile.names(text, from0: true), names)
    }

    func testRelativeNames() {
        XCTAssertEqual(ListFile.relativeName(Array("./a//b/./c".utf8)), Path("a/b/c"))
        XCTAssertEqual(ListFile.relativeName(Array("/abs/x".utf8)), Path("abs/x"))
        XCTAssertEqual(ListFile.relativeName(Array("./".utf8)), Path(""))
        XCTAssertNil(ListFile.relativeName(Array("a/../../etc".utf8)))
        XCTAssertNil(ListFile.relativeName(Array("..".utf8)))
    }
}
