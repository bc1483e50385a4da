/// A run of data in the source: `[start, end)`, or from `start` to EOF when `end` is nil.
public struct Extent: Equatable, Sendable {
    public var start: Int64
    public var end: Int64?
}

/// Splits a source into its data extents. A file with fewer blocks allocated than its size
/// is walked with SEEK_DATA/SEEK_HOLE, so its holes are never read or written; any other
/// regular file is one extent of its size (no call is spent finding EOF: a source that grows
/// meanwhile is caught by the fstat after the copy), and one that says its size is 0, as
/// /proc's do, or that is not a regular file, is read until EOF.
struct ExtentWalker {
    private let io: CopyIO
    private let size: Int64
    private var position: Int64 = 0
    private var dense: Bool
    /// Where a dense file's one extent ends (nil: at EOF).
    private let denseEnd: Int64?
    private var finished = false
    /// Whether SEEK_DATA/SEEK_HOLE is in use (it stops being when the filesystem refuses it).
    private(set) var seeksHoles: Bool
    private(set) var dataBytes: Int64 = 0

    /// Walks the source of `io` from `start` on.
    init(_ io: CopyIO, stat: FileStat, detectHoles: Bool, from start: Int64 = 0) {
        self.io = io
        self.size = stat.size
        self.position = start
        self.dense = !(detectHoles && stat.looksSparse)
        self.seeksHoles = !dense
        denseEnd = stat.kind == .file && stat.size > 0 ? stat.size : nil
    }

    /// The next extent, nil after the last, or the errno of a failed lseek.
    mutating func next() -> SysResult<Extent>? {
        if finished { return nil }
        if dense {
            finished = true
            if let end = denseEnd, position >= end { return nil }
            return .success(Extent(start: position, end: denseEnd))
        }
        if position >= size { finished = true; return nil }
        let dataStart: Int64
        switch io.sys.seekData(io.src, position) {
        case .success(let d): dataStart = d
        case .failure(.ENXIO): finished = true; return nil  // only a hole is left
        case .failure(let e) where e == .EINVAL || e == .EOPNOTSUPP:
            // The filesystem cannot tell: copy the rest as data.
            dense = true
            seeksHoles = false
            return next()
        case .failure(let e): finished = true; return .failure(e)
        }
        let holeStart: Int64
        switch io.sys.seekHole(io.src, dataStart) {
        case .success(let h): holeStart = h
        case .failure(.ENXIO): finished = true; return nil
        case .failure(let e): finished = true; return .failure(e)
        }
        if holeStart <= dataStart { finished = true; return nil }
        position = holeStart
        dataBytes += holeStart - dataStart
        return .success(Extent(start: dataStart, end: holeStart))
    }
}
