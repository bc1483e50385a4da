import XCTest

@testable import ZcpCore

/// A long path keeps its directory part by reference: it must read, compare, hash and split
/// exactly as the same bytes kept in one array.
final class PathTests: XCTestCase {
    func testSharedPathsAreTheirBytes() {
        var shared = Path("top")
        var flat: [UInt8] = Array("top".utf8)
        for level in 0..<2_000 {
            let name = level % 7 == 0 ? "x y" : "d\(level % 10)"
            shared = shared.appending(Path(name))
            flat += Array("/\(name)".utf8)
            XCTAssertEqual(shared.count, flat.count)
        }
        let plain = Path(bytes: flat)
        XCTAssertEqual(shared.bytes, flat)
        XCTAssertEqual(shared, plain)
        XCTAssertEqual(shared.hashValue, plain.hashValue)
        XCTAssertEqual(shared.lastComponent, plain.lastComponent)
        XCTAssertEqual(shared.parentDirectory, plain.parentDirectory)
        XCTAssertEqual(shared.strippingTrailingSlashes, plain)
        XCTAssertEqual(shared.appending(Path("f")).bytes, flat + Array("/f".utf8))
        XCTAssertNotEqual(shared.appending(Path("f")), plain.appending(Path("g")))
        XCTAssertEqual(shared.withCString { String(cString: $0) }, String(decoding: flat, as: UTF8.self))
        // A directory part ending in a slash takes no second one.
        let slash = Path(bytes: flat + [UInt8(ascii: "/")])
        XCTAssertEqual(slash.appending(Path("z")).bytes, flat + Array("/z".utf8))
        XCTAssertEqual(slash.appending(Path("z")).count, flat.count + 2)
    }

    /// A chain of directory parts as long as a 1,000,000-level walk is let go of without
    /// running out of stack.
    func testAVeryLongChainIsReleasedInALoop() {
        var p = Path(bytes: Array(repeating: UInt8(ascii: "d"), count: 600))
        for _ in 0..<1_000_000 { p = p.appending(Path("d")) }
        XCTAssertEqual(p.count, 600 + 2 * 1_000_000)
        XCTAssertEqual(p.lastComponent, Path("d"))
        p = Path("")
        XCTAssertTrue(p.isEmpty)
    }
}
