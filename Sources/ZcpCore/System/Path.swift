/// A file name as the kernel sees it: bytes, not text (names may be invalid UTF-8).
public struct Path: Hashable, Sendable, CustomStringConvertible {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }
    public init(_ string: String) { self.bytes = Array(string.utf8) }
    public init(cString: UnsafePointer<CChar>) {
        self.bytes = Array(
            UnsafeBufferPointer(
                start: UnsafeRawPointer(cString).assumingMemoryBound(to: UInt8.self),
                count: strlenC(cString)))
    }

    public var isEmpty: Bool { bytes.isEmpty }
    /// Lossy text, for messages and reports.
    public var description: String { String(decoding: bytes, as: UTF8.self) }

    /// The bytes with a terminating NUL, on the stack when they are short (every name-based
    /// system call makes one).
    public func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
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
        if bytes.isEmpty { return name }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 1 + name.bytes.count)
        out.append(contentsOf: bytes)
        if out.last != UInt8(ascii: "/") { out.append(UInt8(ascii: "/")) }
        out.append(contentsOf: name.bytes)
        return Path(bytes: out)
    }

    /// The last component, ignoring trailing slashes ("a/b/" -> "b", "/" -> "/").
    public var lastComponent: Path {
        var end = bytes.count
        while end > 1 && bytes[end - 1] == UInt8(ascii: "/") { end -= 1 }
        var start = end
        while start > 0 && bytes[start - 1] != UInt8(ascii: "/") { start -= 1 }
        if start == end { return Path(bytes: Array(bytes[0..<end])) }
        return Path(bytes: Array(bytes[start..<end]))
    }

    /// The directory part, as dirname(1) gives it: "a/b" -> "a", "a" -> ".", "/a" -> "/".
    public var parentDirectory: Path {
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

    public var hasTrailingSlash: Bool { bytes.count > 1 && bytes.last == UInt8(ascii: "/") }

    /// Without trailing slashes (but "/" stays "/").
    public var strippingTrailingSlashes: Path {
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
