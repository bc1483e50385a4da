/// --nocache for the file a worker is copying: the copy leaves the page cache as it found it.
///
/// read_write reads and writes with RWF_DONTCACHE, where the filesystem takes it (the kernel
/// then drops what the call brought in, and leaves pages that were cached already). For the
/// in-kernel strategies, and for a side that refuses RWF_DONTCACHE, the selector moves the data
/// in windows of `window` bytes: each window of the copy is written back in the background
/// while the next one is copied, then waited for and dropped; each window of the source is
/// dropped after it is copied, except the pages mincore found cached before. So at most about
/// two windows of the copy are dirty at a time. Files in memory (tmpfs, ramfs) are their own
/// storage: nothing is dropped there.
struct CacheKeeper {
    static let window: Int64 = 8 << 20
    static let page: Int64 = 4096

    enum Outcome: String, Sendable { case dontcache, dropped, kept }

    /// RWF_DONTCACHE on each side, until the filesystem refuses it.
    var readUncached: Bool
    var writeUncached: Bool
    let sourceInMemory: Bool
    let copyInMemory: Bool
    private(set) var usedDontcache = false
    private(set) var dropped = false
    /// The copy's range written back in the background, to wait for and drop next.
    private var writingBack: (start: Int64, end: Int64)? = nil
    /// Which pages of the source were cached before the copy read any of them (mincore), for
    /// a region of up to `region` bytes from `residentStart`: taken before the first window
    /// of the region is read, since readahead brings in pages beyond each window.
    private var resident: [UInt8] = []
    private var residentStart: Int64 = 0
    static let region: Int64 = 16 << 30
    let sourceSize: Int64

    init(sourceFsType: Int?, copyFsType: Int?, sourceSize: Int64) {
        sourceInMemory = sourceFsType.map(FilesystemMagic.isMemory) ?? false
        copyInMemory = copyFsType.map(FilesystemMagic.isMemory) ?? false
        readUncached = !sourceInMemory
        writeUncached = !copyInMemory
        self.sourceSize = sourceSize
    }

    var outcome: Outcome { dropped ? .dropped : usedDontcache ? .dontcache : .kept }

    /// Before `strategy` copies [start, end) of the source: what of it was cached before.
    mutating func before(_ io: CopyIO, _ strategy: StrategyID, from start: Int64, to end: Int64) {
        guard !sourceInMemory, !(strategy == .readWrite && readUncached), end > start else { return }
        let covered = residentStart + Int64(resident.count) * Self.page
        if start >= residentStart && end <= covered { return }
        residentStart = start / Self.page * Self.page
        let length = max(end, min(sourceSize, residentStart.saturatingAdd(Self.region))) - residentStart
        resident = [UInt8](repeating: 1, count: Int((length + Self.page - 1) / Self.page))  // unknown: kept
        var at: Int64 = 0
        while at < length {
            let n = min(length - at, 1 << 30)
            let ok = resident.withUnsafeMutableBufferPointer {
                io.sys.resident(io.src, residentStart + at, n, $0.baseAddress! + Int(at / Self.page))
            }
            if case .failure = ok {
                for i in Int(at / Self.page)..<resident.count { resident[i] = 1 }
                break
            }
            at += n
        }
    }

    /// `strategy` moved [start, end): let go of what it brought into the cache.
    mutating func after(_ io: CopyIO, _ strategy: StrategyID, from start: Int64, to end: Int64) {
        guard end > start else { return }
        let throughOwnBuffer = strategy == .readWrite
        if throughOwnBuffer && (readUncached || writeUncached) { usedDontcache = true }
        if !sourceInMemory && !(throughOwnBuffer && readUncached) && !resident.isEmpty {
            // The window's pages that were not cached before the copy.
            let first = max(0, Int((start - residentStart) / Self.page))
            let last = min(resident.count, Int((end - residentStart + Self.page - 1) / Self.page))
            if Self.dropUncached(io, resident, first..<last, from: residentStart) { dropped = true }
        }
        if !copyInMemory && !(throughOwnBuffer && writeUncached) && !io.destinationIsStream {
            _ = io.sys.syncRange(io.dst, start, end - start, false)
            settle(io)
            writingBack = (start, end)
        }
    }

    /// Readahead runs past the end of a data extent into the hole after it (up to several
    /// MiB with sequential advice): the range after each extent, as far as this, is looked at
    /// before the extent is copied and its pages that were not cached then are dropped after.
    static let tail: Int64 = 32 << 20
    /// The range after the extent being copied, and which of its pages were cached before.
    private var tailRange: (start: Int64, pages: [UInt8])? = nil

    /// Before a data extent that ends at `end` (before the source's size) is copied.
    mutating func beforeExtent(_ io: CopyIO, end: Int64?) {
        dropTail(io)
        guard !sourceInMemory, let end, end < sourceSize else { return }
        let start = (end + Self.page - 1) / Self.page * Self.page
        let length = min(sourceSize - start, Self.tail)
        guard length > 0 else { return }
        var pages = [UInt8](repeating: 1, count: Int((length + Self.page - 1) / Self.page))
        let ok = pages.withUnsafeMutableBufferPointer { io.sys.resident(io.src, start, length, $0.baseAddress!) }
        if case .success = ok { tailRange = (start, pages) }
    }

    /// Drops what readahead brought in after the last extent copied.
    mutating func dropTail(_ io: CopyIO) {
        guard let t = tailRange else { return }
        tailRange = nil
        _ = Self.dropUncached(io, t.pages, 0..<t.pages.count, from: t.start)
    }

    /// Drops the source's pages in `range` of a mincore map starting at `base` that were not
    /// cached when it was taken, a run at a time; whether any were.
    private static func dropUncached(_ io: CopyIO, _ pages: [UInt8], _ range: Range<Int>, from base: Int64) -> Bool {
        var any = false
        var i = range.lowerBound
        while i < range.upperBound {
            guard pages[i] & 1 == 0 else { i += 1; continue }
            var j = i
            while j < range.upperBound && pages[j] & 1 == 0 { j += 1 }
            _ = io.sys.dropCache(io.src, base + Int64(i) * page, Int64(j - i) * page)
            any = true
            i = j
        }
        return any
    }

    /// Waits for the window being written back, and drops it.
    mutating func settle(_ io: CopyIO) {
        guard let w = writingBack else { return }
        writingBack = nil
        _ = io.sys.syncRange(io.dst, w.start, w.end - w.start, true)
        _ = io.sys.dropCache(io.dst, w.start, w.end - w.start)
        dropped = true
    }
}
