import Glibc

/// The one way zcp makes a name beside a destination that is not the destination itself
/// (--atomic temporaries, --compare-strategies scratch copies, the link an --atomic backup is
/// made through): `O_CREAT|O_EXCL|O_NOFOLLOW` (or `link`, which never replaces), under a name
/// with 60 random bits (getrandom) that nobody sharing the directory can predict, within
/// NAME_MAX. A name that is taken (planted, or a race) is never followed, reused or removed:
/// another one is drawn.
enum Sibling {
    /// The longest name Linux filesystems take (NAME_MAX).
    static let nameMax = 255
    static let randomLength = 12
    static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)
    /// The --atomic temporary of NAME: `.NAME.zcp-XXXXXXXXXXXX`.
    static let temporaryMarker = Array(".zcp-".utf8)

    /// 12 characters of [a-z2-7]: 60 bits from the system's random source.
    static func randomTail() -> [UInt8] {
        var bits = UInt64.random(in: 0...UInt64.max)
        var out: [UInt8] = []
        out.reserveCapacity(randomLength)
        for _ in 0..<randomLength {
            out.append(alphabet[Int(bits & 31)])
            bits >>= 5
        }
        return out
    }

    /// The visible part of a destination's name that fits beside `extra` bytes within NAME_MAX
    /// (a long name is shortened at its end, as GNU shortens backup names).
    static func visiblePart(_ leaf: [UInt8], extra: Int) -> [UInt8] {
        leaf.count + extra <= nameMax ? leaf : Array(leaf.prefix(max(1, nameMax - extra)))
    }

    /// The --atomic temporary's name for a destination's last component, with a new random tail.
    static func temporaryName(for leaf: [UInt8]) -> [UInt8] {
        let extra = 1 + temporaryMarker.count + randomLength
        return [UInt8(ascii: ".")] + visiblePart(leaf, extra: extra) + temporaryMarker + randomTail()
    }

    /// The (shortened) NAME an --atomic temporary belongs to, nil for any other name.
    static func temporaryOwner(_ leaf: [UInt8]) -> [UInt8]? {
        let tail = temporaryMarker.count + randomLength
        guard leaf.count > tail + 1, leaf[0] == UInt8(ascii: "."),
            Array(leaf[(leaf.count - tail)..<(leaf.count - randomLength)]) == temporaryMarker,
            leaf[(leaf.count - randomLength)...].allSatisfy(alphabet.contains)
        else { return nil }
        return Array(leaf[1..<(leaf.count - tail)])
    }

    /// The key under which a destination's temporaries are found: its name as a temporary shows it.
    static func temporaryKey(for leaf: [UInt8]) -> [UInt8] {
        visiblePart(leaf, extra: 1 + temporaryMarker.count + randomLength)
    }

    /// `dst` with its last component replaced by `leaf`.
    static func node(beside dst: Node, leaf: [UInt8]) -> Node {
        Node(
            at: At(dst.at.dir, dst.at.name.replacingLastComponent(with: leaf)),
            path: dst.path.replacingLastComponent(with: leaf))
    }

    /// Makes something at a name beside `dst` drawn by `name`, with `make` (which must fail
    /// with EEXIST, never replace, when the name is taken): a taken name is left alone and
    /// another one drawn, up to 100 times.
    private static func draw<T>(
        beside dst: Node, name: () -> [UInt8],
        _ make: (Node) -> SysResult<T>
    ) -> Result<(node: Node, made: T), Errno> {
        for _ in 0..<100 {
            let node = node(beside: dst, leaf: name())
            switch make(node) {
            case .success(let made): return .success((node, made))
            case .failure(.EEXIST): continue
            case .failure(let e): return .failure(e)
            }
        }
        return .failure(.EEXIST)
    }

    /// Creates a new regular file beside `dst`, named by `name` (called again for each try),
    /// open with `access`; `mode` is what it is made with (the umask still applies).
    static func create(
        beside dst: Node, name: () -> [UInt8], access: Int32, mode: UInt32,
        sys: Syscalls
    ) -> Result<(node: Node, fd: Int32), Errno> {
        draw(beside: dst, name: name) { node in
            retryingEINTR({ sys.open(node.at, access | O_CREAT | O_EXCL | O_NOFOLLOW, mode) })
        }.map { ($0.node, $0.made) }
    }

    /// O_TMPFILE (with O_DIRECTORY, as the kernel wants it): a file with no name yet.
    static let unnamed: Int32 = 0o20_000_000 | O_DIRECTORY

    /// Like `create`, but `prepare` runs on the file before it has a name (O_TMPFILE, then
    /// linkat, which never replaces): no one, and no kill, ever sees it unprepared. Where the
    /// filesystem has no O_TMPFILE, made by name and prepared at once.
    static func create(
        beside dst: Node, name: () -> [UInt8], access: Int32, mode: UInt32, sys: Syscalls,
        prepare: (Int32) -> Void
    ) -> Result<(node: Node, fd: Int32), Errno> {
        let fd: Int32
        switch retryingEINTR({ sys.open(dst.at.directory, access | unnamed, mode) }) {
        case .success(let f): fd = f
        case .failure(.EOPNOTSUPP), .failure(.EISDIR), .failure(.EINVAL):
            let made = create(beside: dst, name: name, access: access, mode: mode, sys: sys)
            if case .success(let m) = made { prepare(m.fd) }
            return made
        case .failure(let e): return .failure(e)
        }
        prepare(fd)
        let handle = At(Path("/proc/self/fd/\(fd)"))
        switch draw(beside: dst, name: name, { sys.link(handle, $0.at, true) }) {
        case .success(let linked): return .success((linked.node, fd))
        case .failure(let e):
            _ = sys.close(fd)
            return .failure(e)
        }
    }

    /// A new hard link to `existing` beside `dst`, under a random name that `link` never
    /// replaces; the caller renames it where it belongs.
    static func link(_ existing: At, beside dst: Node, sys: Syscalls) -> Result<Node, Errno> {
        let leaf = dst.at.name.lastComponent.bytes
        return draw(beside: dst, name: { temporaryName(for: leaf) }, { sys.link(existing, $0.at, false) }).map(\.node)
    }
}
