import Glibc
import XCTest

@testable import ZcpCore

/// The destination policy alone: GNU's decisions from the status of a source and of what is
/// at the destination, with the lookups answered from a table (no files, no process).
final class PolicyTests: XCTestCase {
    static let file = UInt32(S_IFREG) | 0o644
    static let dir = UInt32(S_IFDIR) | 0o755
    static let link = UInt32(S_IFLNK) | 0o777

    static func stat(_ mode: UInt32, ino: UInt64, nlink: UInt64 = 1, mtime: Int = 1_600_000_000) -> FileStat {
        var st = FileStat(mode: mode, size: 10, dev: 1, ino: ino)
        st.nlink = nlink
        st.mtime = timespec(tv_sec: mtime, tv_nsec: 0)
        return st
    }

    /// One row: the options, the source (`a`), what lstat and stat say of the destination
    /// (`b`; nil: no such file), and the decision GNU makes.
    struct Row {
        var name: String
        var options: (inout Options) -> Void = { _ in }
        var source: FileStat
        var lstat: FileStat?
        var followed: SysResult<FileStat>? = nil
        var justCreated: FileStat? = nil
        var commandLine = true
        var expected: String
    }

    static let src = stat(file, ino: 10)
    static let other = stat(file, ino: 20)
    static var rows: [Row] {
        [
            Row(name: "a free name is copied to", source: src, lstat: nil, expected: "copy(existing: nil)"),
            Row(name: "an existing file is written in place", source: src, lstat: other, expected: "copy(existing: file)"),
            Row(
                name: "-n leaves a file", options: { $0.interactive = .noClobber }, source: src, lstat: other,
                expected: "skip"),
            Row(
                name: "-n leaves even a directory (-n -T f d)", options: { $0.interactive = .noClobber },
                source: src, lstat: stat(dir, ino: 30), expected: "skip"),
            Row(
                name: "-n leaves another link of the same file", options: { $0.interactive = .noClobber },
                source: src, lstat: stat(file, ino: 10, nlink: 2), expected: "skip"),
            Row(
                name: "a file onto a directory", source: src, lstat: stat(dir, ino: 30),
                expected: "refuse(cannot overwrite directory 'b' with non-directory)"),
            Row(
                name: "a directory onto a file", options: { $0.recursive = true }, source: stat(dir, ino: 31),
                lstat: other, expected: "refuse(cannot overwrite non-directory 'b' with directory 'a')"),
            Row(
                name: "one file under two names", source: src, lstat: stat(file, ino: 10, nlink: 2),
                expected: "refuse('a' and 'b' are the same file)"),
            Row(
                name: "-l onto a link of the same file: done", options: { $0.hardLink = true }, source: src,
                lstat: stat(file, ino: 10, nlink: 2), expected: "nothingToDo"),
            Row(
                name: "-u keeps a newer destination", options: { $0.update = .older }, source: src,
                lstat: stat(file, ino: 20, mtime: 1_700_000_000), expected: "notNewer"),
            Row(
                name: "-u replaces an older one", options: { $0.update = .older }, source: src,
                lstat: stat(file, ino: 20, mtime: 1_500_000_000), expected: "copy(existing: file)"),
            Row(
                name: "--update=none-fail refuses", options: { $0.update = .noneFail }, source: src, lstat: other,
                expected: "refuse(not replacing 'b')"),
            Row(
                name: "-b moves it aside", options: { $0.backup = .simple }, source: src, lstat: other,
                expected: "backUp(b~)"),
            Row(
                name: "-b moves a symlink to a directory aside", options: { $0.backup = .simple }, source: src,
                lstat: stat(link, ino: 21), followed: .success(stat(dir, ino: 30)), expected: "backUp(b~)"),
            Row(
                name: "--remove-destination removes it", options: { $0.removeDestination = true }, source: src,
                lstat: other, expected: "remove"),
            Row(
                name: "-a removes a destination with other links", options: { $0.preserve.links = true },
                source: src, lstat: stat(file, ino: 20, nlink: 2), expected: "remove"),
            Row(
                name: "-P replaces a file with a symlink", options: { $0.dereference = .never }, source: stat(link, ino: 11),
                lstat: other, expected: "remove"),
            Row(
                name: "--attributes-only never replaces",
                options: {
                    $0.dereference = .never; $0.attributesOnly = true
                },
                source: stat(link, ino: 11), lstat: other, expected: "copy(existing: file)"),
            Row(
                name: "a dangling symlink leaves the name free", source: src, lstat: stat(link, ino: 21),
                followed: .failure(.ENOENT), expected: "copy(existing: nil)"),
            Row(
                name: "-n with a dangling symlink: the copy refuses it", options: { $0.interactive = .noClobber },
                source: src, lstat: stat(link, ino: 21), followed: .failure(.ENOENT), expected: "copy(existing: nil)"),
            Row(
                name: "written through a symlink: shared", source: src, lstat: stat(link, ino: 21),
                followed: .success(other), expected: "copy(existing: file, shared)"),
            Row(
                name: "a destination with other links is shared", source: src, lstat: stat(file, ino: 20, nlink: 3),
                expected: "copy(existing: file, shared)"),
            Row(
                name: "just created by an earlier operand", source: src, lstat: other, justCreated: other,
                expected: "refuse(will not overwrite just-created 'b' with 'a')"),
            Row(
                name: "just created, but numbered backups keep it", options: { $0.backup = .numbered }, source: src,
                lstat: other, justCreated: other, expected: "backUp(b.~1~)"),
            Row(
                name: "just created, but not by a command-line operand", source: src, lstat: other, justCreated: other,
                commandLine: false, expected: "copy(existing: file)"),
            Row(
                name: "through a symlink just made", source: src, lstat: stat(link, ino: 21),
                followed: .success(other), justCreated: stat(link, ino: 21),
                expected: "refuse(will not copy 'a' through just-created symlink 'b')"),
            Row(
                name: "through a dangling symlink just made", source: src, lstat: stat(link, ino: 21),
                followed: .failure(.ENOENT), justCreated: stat(link, ino: 21),
                expected: "refuse(will not copy 'a' through just-created symlink 'b')"),
            Row(
                name: "a symlink loop is refused", source: src, lstat: stat(link, ino: 21), followed: .failure(.ELOOP),
                expected: "refuse(cannot stat 'b': Too many levels of symbolic links)"),
            Row(
                name: "-f replaces a symlink loop", options: { $0.force = true }, source: src, lstat: stat(link, ino: 21),
                followed: .failure(.ELOOP), expected: "copy(existing: symlink, shared)"),
        ]
    }

    func testRows() {
        for row in Self.rows {
            var options = Options()
            row.options(&options)
            options.sources = [Path("a")]
            options.destination = Path("b")
            let lstat = row.lstat, followed = row.followed, source = row.source
            var sys = Syscalls.live
            sys.stat = { at, follow in
                switch at.name.description {
                case "a": return .success(source)
                case "b":
                    guard let l = lstat else { return .failure(.ENOENT) }
                    return follow && l.kind == .symlink ? followed ?? .failure(.ENOENT) : .success(l)
                case ".": return .success(PolicyTests.stat(PolicyTests.dir, ino: 2))
                default: return .failure(.ENOENT)
                }
            }
            sys.readDirectory = { _ in .success([]) }
            sys.open = { _, _, _ in .success(99) }
            sys.close = { _ in .success(()) }
            let policy = DestinationPolicy(options: options, sys: sys)
            let decision = policy.decide(
                .operand(Path("a")), stat: source, commandLine: row.commandLine,
                to: .operand(Path("b")), parentIsNew: false, justCreated: row.justCreated,
                ask: { _ in true })
            XCTAssertEqual(decision.description, row.expected, row.name)
        }
    }

    /// -i: the answer decides; a no is a skip that makes the exit status 1.
    func testInteractiveAnswer() {
        var options = Options()
        options.interactive = .always
        var sys = Syscalls.live
        sys.stat = { at, _ in at.name.description == "b" ? .success(PolicyTests.other) : .success(PolicyTests.src) }
        let policy = DestinationPolicy(options: options, sys: sys)
        let source = Node.operand(Path("a"))
        var asked: [String] = []
        let no = policy.decide(
            source, stat: Self.src, commandLine: true, to: .operand(Path("b")), parentIsNew: false, justCreated: nil,
            ask: {
                asked.append($0.description); return false
            })
        XCTAssertEqual(no.description, "declined")
        XCTAssertEqual(asked, ["b"])
        let yes = policy.decide(
            source, stat: Self.src, commandLine: true, to: .operand(Path("b")), parentIsNew: false, justCreated: nil,
            ask: { _ in true })
        XCTAssertEqual(yes.description, "copy(existing: file)")
    }

    /// In a directory this run made, nothing is looked up.
    func testNewParentLooksNothingUp() {
        var sys = Syscalls.live
        sys.stat = { _, _ in
            XCTFail("looked up"); return .failure(.EIO)
        }
        let policy = DestinationPolicy(options: Options(), sys: sys)
        let decision = policy.decide(
            .operand(Path("a")), stat: Self.src, commandLine: false,
            to: .operand(Path("b")), parentIsNew: true, justCreated: nil, ask: { _ in true })
        XCTAssertEqual(decision.description, "copy(existing: nil)")
    }
}
