import Glibc
import Synchronization

/// What a strategy works with: the syscall table, the two descriptors, the worker's
/// reusable resources (one buffer, one pipe), so that nothing is allocated per call, and the
/// file's own state (`FileState`).
public struct CopyIO {
    /// The worker's table: held once by the worker, not copied into every file's CopyIO.
    public var sys: Syscalls { worker.sys }
    public let src: Int32
    public let dst: Int32
    let worker: Worker
    /// What this file's copy keeps while it runs (hashing, zeros skipped, the cache's fate).
    let file: FileState
    /// --sparse=always: blocks of zeros are left as holes instead of written (read_write only).
    var holesForZeros = false
    /// The devices of the source and of the destination's directory, when known: refusals
    /// that hold for the whole pair of filesystems are remembered under it.
    var devices: (source: UInt64, destination: UInt64)? = nil
    /// The destination is a FIFO or a device: no offsets, no size to set, so holes are
    /// written as the zeros they read as.
    var destinationIsStream = false

    init(src: Int32, dst: Int32, worker: Worker, file: FileState = FileState(), holesForZeros: Bool = false) {
        self.src = src
        self.dst = dst
        self.worker = worker
        self.file = file
        self.holesForZeros = holesForZeros
    }
}

/// Resources one copying thread reuses for every file: the read/write buffer and the splice
/// pipe. What belongs to one file's copy is in its `FileState`.
public final class Worker {
    public let sys: Syscalls
    public static let bufferSize = 128 * 1024
    public static let pipeSize: Int32 = 1 << 20

    private var storage: UnsafeMutableRawPointer?
    /// Reads for digests (--verify, --resume, --manifest, --checksum) go in 4 MiB calls, so
    /// a copy read back from the disk is asked for in large requests; made on first use.
    public static let hashBufferSize = 4 << 20
    private var hashStorage: UnsafeMutableRawPointer?
    private var pipeFds: (read: Int32, write: Int32)?
    /// What the pipe holds at the most (the kernel's default until F_SETPIPE_SZ succeeds).
    private(set) var pipeCapacity = 65536

    public init(sys: Syscalls) { self.sys = sys }

    deinit {
        storage?.deallocate()
        hashStorage?.deallocate()
        if let p = pipeFds { _ = sys.close(p.read); _ = sys.close(p.write) }
    }

    var buffer: UnsafeMutableRawPointer {
        if let storage { return storage }
        let b = UnsafeMutableRawPointer.allocate(byteCount: Worker.bufferSize, alignment: 4096)
        storage = b
        return b
    }

    var hashBuffer: UnsafeMutableRawPointer {
        if let hashStorage { return hashStorage }
        let b = UnsafeMutableRawPointer.allocate(byteCount: Worker.hashBufferSize, alignment: 4096)
        hashStorage = b
        return b
    }

    /// The worker's pipe, made on first use and grown to 1 MiB where the kernel allows.
    func pipe() -> SysResult<(read: Int32, write: Int32)> {
        if let p = pipeFds { return .success(p) }
        switch sys.pipe() {
        case .failure(let e): return .failure(e)
        case .success(let p):
            if case .success(let size) = sys.setPipeSize(p.write, Worker.pipeSize) { pipeCapacity = Int(size) }
            pipeFds = p
            return .success(p)
        }
    }

    /// Drops a pipe whose contents could not be drained, so the next file starts clean.
    func discardPipe() {
        if let p = pipeFds { _ = sys.close(p.read); _ = sys.close(p.write) }
        pipeFds = nil
        pipeCapacity = 65536
    }
}

/// Refusals that depend only on the two filesystems (FICLONE or copy_file_range giving EXDEV,
/// EOPNOTSUPP or ENOTTY at offset 0), kept for the rest of the run, so that a tree of small
/// files does not ask the kernel the same question once per file. Only auto uses it; the
/// report marks such a fallback `remembered`.
public final class RefusalMemo: Sendable {
    public struct Pair: Equatable, Sendable {
        var source: UInt64
        var destination: UInt64
        var strategy: StrategyID
    }
    struct Refusal: Sendable {
        var pair: Pair
        var errno: Errno
    }
    // A run meets a handful of filesystem pairs, so a list searched in order is enough; a
    // dictionary would also cost every start-up a search of the runtime's conformance records
    // for the key's Hashable (about 2 % of a one-file copy).
    private let refusals = Mutex<[Refusal]>([])

    static func holdsForThePair(_ e: Errno) -> Bool { e == .EXDEV || e == .EOPNOTSUPP || e == .ENOTTY }

    func refusal(_ pair: Pair) -> Errno? {
        refusals.withLock { list in list.first { $0.pair == pair }?.errno }
    }
    func remember(_ pair: Pair, _ e: Errno) {
        refusals.withLock { list in
            if let i = list.firstIndex(where: { $0.pair == pair }) {
                list[i].errno = e
            } else {
                list.append(Refusal(pair: pair, errno: e))
            }
        }
    }
}
