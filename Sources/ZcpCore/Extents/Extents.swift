/// A run of data in the source: `[start, end)`, or from `start` to EOF when `end` is nil.
public struct Extent: Equatable, Sendable {
    public var start: Int64
    public var end: Int64?
}

/// Splits a source into its data extents. A file with fewer blocks allocated than its size
/// is walked with SEEK_DATA/SEEK_HOLE, so its holes are never read or written; any other file
/// is one extent read until EOF (which also copies files whose size lies, as /proc's do).
struct ExtentWalker {
    private let io: CopyIO
    private let size: Int64
    private var position: Int64 = 0
    private var dense: Bool
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
    }

    /// The next extent, nil after the last, or the errno of a failed lseek.
    mutating func next() -> SysResult<Extent>? {
        if finished { return nil }
        if dense {
            finished = true
            return .success(Extent(start: position, end: nil))
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
