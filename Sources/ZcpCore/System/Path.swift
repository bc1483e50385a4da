/// A file name as the kernel sees it: bytes, not text (names may be invalid UTF-8).
///
/// A long path made by `appending` keeps its directory part by reference, shared with the
/// directory's other entries, and is spelled out only when asked (a message, the report): a
/// walk 100,000 levels deep then holds one name per level instead of every level's full path
/// (which would grow with the square of the depth).
public struct Path: Hashable, Sendable, CustomStringConvertible {
    /// The directory part when the path is kept in two: the path is `prefix/tail`.
    private var prefix: Prefix?
    private var tail: [UInt8]
    /// The length of the whole path, in bytes.
    public private(set) var count: Int

    /// A directory part, shared. @unchecked Sendable: `path` is never changed while the
    /// object is shared; only its deinit, holding the last reference, takes the chain apart.
    private final class Prefix: @unchecked Sendable {
        var path: Path
        init(_ path: Path) { self.path = path }

        /// Lets go of the chain of directory parts in a loop: released one inside the other,
        /// a chain as long as a walk 100,000 levels deep would overflow the stack.
        deinit {
            var next = path.prefix
            path.prefix = nil
            while next != nil {
                var node = next!
                next = nil
                guard isKnownUniquelyReferenced(&node) else { break }
                next = node.path.prefix
                node.path.prefix = nil
            }
        }
    }

    /// Below this length a path is one array: copying it is cheaper than a shared part.
    private static let sharedFrom = 512

    public var bytes: [UInt8] {
        get {
            guard prefix != nil else { return tail }
            // Spelled out in a loop (the chain is as long as the walk is deep).
            var parts: [[UInt8]] = []
            var p: Path? = self
            while let q = p {
                parts.append(q.tail)
                p = q.prefix?.path
            }
            var out: [UInt8] = []
            out.reserveCapacity(count)
            for (i, part) in parts.reversed().enumerated() {
                if i > 0 && out.last != UInt8(ascii: "/") { out.append(UInt8(ascii: "/")) }
                out.append(contentsOf: part)
            }
            return out
        }
        set {
            prefix = nil
            tail = newValue
            count = newValue.count
        }
    }

    public init(bytes: [UInt8]) {
        tail = bytes
        count = bytes.count
    }
    public init(_ string: String) { self.init(bytes: Array(string.utf8)) }
    public init(cString: UnsafePointer<CChar>) {
        self.init(
            bytes: Array(
                UnsafeBufferPointer(
                    start: UnsafeRawPointer(cString).assumingMemoryBound(to: UInt8.self),
                    count: strlenC(cString))))
    }

    public static func == (a: Path, b: Path) -> Bool { a.count == b.count && a.bytes == b.bytes }
    public func hash(into hasher: inout Swift.Hasher) { hasher.combine(bytes) }

    public var isEmpty: Bool { count == 0 }
    /// Lossy text, for messages and reports.
    public var description: String { String(decoding: bytes, as: UTF8.self) }

    /// The bytes with a terminating NUL, on the stack when they are short (every name-based
    /// system call makes one).
    public func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        // A path kept whole is read where it is (no copy of the array, no reference taken).
        if prefix == nil { return try Path.terminated(tail, body) }
        return try Path.terminated(bytes, body)
    }

    private static func terminated<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        try withUnsafeTemporaryAllocation(of: CChar.self, capacity: bytes.count + 1) { buf in
            let start = buf.baseAddress!
            bytes.withUnsafeBufferPointer { src in
                if let from = src.baseAddress {
                    UnsafeMutableRawPointer(start).copyMemory(from: from, byteCount: src.count)
                }
            }
            start[bytes.count] = 0
            return try body(start)
        }
    }

    /// `self/name`, with no doubled slash.
    public func appending(_ name: Path) -> Path {
        if isEmpty { return name }
        if count >= Path.sharedFrom && name.prefix == nil && !name.tail.isEmpty {
            var joined = Path(bytes: name.tail)
            joined.prefix = Prefix(self)
            joined.count = count + (lastByte == UInt8(ascii: "/") ? 0 : 1) + name.count
            return joined
        }
        var out: [UInt8] = []
        out.reserveCapacity(count + 1 + name.count)
        append(to: &out)
        if out.last != UInt8(ascii: "/") { out.append(UInt8(ascii: "/")) }
        name.append(to: &out)
        return Path(bytes: out)
    }

    /// Appends the bytes; a path kept whole is read where it is (no copy, no reference taken).
    private func append(to out: inout [UInt8]) {
        if prefix == nil { out.append(contentsOf: tail) } else { out.append(contentsOf: bytes) }
    }

    private var lastByte: UInt8? { tail.last ?? prefix?.path.lastByte }

    /// Whether the path is kept in two and its last part is one component: `prefix/name`.
    private var isSharedName: Bool {
        prefix != nil && !tail.isEmpty && !tail.contains(UInt8(ascii: "/"))
    }

    /// The last component, ignoring trailing slashes ("a/b/" -> "b", "/" -> "/").
    public var lastComponent: Path {
        if isSharedName { return Path(bytes: tail) }
        var end = bytes.count
        while end > 1 && bytes[end - 1] == UInt8(ascii: "/") { end -= 1 }
        var start = end
        while start > 0 && bytes[start - 1] != UInt8(ascii: "/") { start -= 1 }
        if start == end { return Path(bytes: Array(bytes[0..<end])) }
        return Path(bytes: Array(bytes[start..<end]))
    }

    /// The directory part, as dirname(1) gives it: "a/b" -> "a", "a" -> ".", "/a" -> "/".
    public var parentDirectory: Path {
        if isSharedName, let prefix { return prefix.path.strippingTrailingSlashes }
        let trimmed = strippingTrailingSlashes.bytes
        guard let slash = trimmed.lastIndex(of: UInt8(ascii: "/")) else { return Path(".") }
        return Path(bytes: slash == 0 ? [UInt8(ascii: "/")] : Array(trimmed[..<slash]))
    }

    /// The same path with its last component replaced by `name`.
    public func replacingLastComponent(with name: [UInt8]) -> Path {
        let trimmed = strippingTrailingSlashes.bytes
        guard let slash = trimmed.lastIndex(of: UInt8(ascii: "/")) else { return Path(bytes: name) }
        return Path(bytes: Array(trimmed[...slash]) + name)
    }

    public var hasTrailingSlash: Bool { count > 1 && lastByte == UInt8(ascii: "/") }

    /// Without trailing slashes (but "/" stays "/").
    public var strippingTrailingSlashes: Path {
        if isSharedName || lastByte != UInt8(ascii: "/") { return self }
        var end = bytes.count
        while end > 1 && bytes[end - 1] == UInt8(ascii: "/") { end -= 1 }
        return Path(bytes: Array(bytes[0..<end]))
    }
}

@inline(__always)
private func strlenC(_ p: UnsafePointer<CChar>) -> Int {
    var n = 0
    while p[n] != 0 { n += 1 }
    return n
}

/// A name for the `*at` calls: relative to an open directory, or (AT_FDCWD) to the working
/// directory. Walking a tree by directory descriptors keeps every name short (trees deeper
/// than PATH_MAX copy) and never follows a symlink swapped in for a directory on the way.
public struct At: Sendable, Hashable {
    public var dir: Int32
    public var name: Path

    /// AT_FDCWD.
    public static let workingDirectory: Int32 = -100
    public init(_ path: Path) { dir = Self.workingDirectory; name = path }
    public init(_ dir: Int32, _ name: Path) { self.dir = dir; self.name = name }

    public var isRelativeToWorkingDirectory: Bool { dir == Self.workingDirectory }

    /// The directory that holds the name.
    public var directory: At {
        isRelativeToWorkingDirectory ? At(name.parentDirectory) : At(dir, Path("."))
    }

    /// The same file for calls that take only a name (xattrs and ACLs by name).
    public var fullName: Path {
        isRelativeToWorkingDirectory ? name : Path("/proc/self/fd/\(dir)").appending(name)
    }
}

extension Array where Element == UInt8 {
    /// Where `needle` first occurs, as an offset from the start (the engine matches names as
    /// bytes, without the string-processing library).
    func firstOffset(of needle: [UInt8]) -> Int? {
        guard needle.count <= count else { return nil }
        for start in 0...(count - needle.count) where self[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }
}
