import CZcp

/// Walks the strategy chain over a file's data extents. A strategy that the kernel refuses
/// with an "unsupported here" errno hands over to the next one at the exact byte it reached,
/// and stays retired for the rest of the file; any other errno ends the file.
struct StrategySelector {
    let chain: [StrategyID]
    /// The user named the chain: a refusal at its end says so and suggests auto.
    let forced: Bool
    let detectHoles: Bool
    /// --sparse=always: zeros in the data become holes too (read_write does the looking).
    let holesForZeros: Bool
    /// --nocache: data moves in windows that are written back and dropped (see CacheKeeper).
    let nocache: Bool
    let memo = RefusalMemo()

    init(options: Options) {
        holesForZeros = options.sparse == .always
        // Looking at every byte needs the bytes in user space: unless the user chose the
        // strategies, --sparse=always copies with read_write (GNU does the same).
        chain = holesForZeros && !options.strategyForced ? [.readWrite] : options.strategyChain
        forced = options.strategyForced || options.reflink == .always
        detectHoles = options.sparse != .never
        nocache = options.nocache
    }

    init(chain: [StrategyID], forced: Bool, detectHoles: Bool = true, holesForZeros: Bool = false) {
        self.chain = chain
        self.forced = forced
        self.detectHoles = detectHoles
        self.holesForZeros = holesForZeros
        nocache = false
    }

    /// Copies the data of `io.src` (described by `stat`) into `io.dst`, filling `record`.
    /// Returns the final size the destination must have, or the error that ended the file.
    /// `unshared`: the copy must not share extents with the source (--reflink=never on a
    /// filesystem whose copy_file_range may clone), so copy_file_range is left out.
    /// `start`: the copy already holds the source's bytes before it (--resume); no clone then.
    /// `inOrder`: the copy grows front to back, its size set only at the end, so that
    /// whatever stops it leaves a prefix of the source (--partial, --resume).
    func copyData(
        _ io: CopyIO, stat: FileStat, record: inout FileRecord, unshared: Bool = false,
        from start: Int64 = 0, inOrder: Bool = false
    ) -> CopyError? {
        var io = io
        let hasher: Hasher? = io.file.hashing ? io.file.sourceHash : nil
        record.reached = start
        io.holesForZeros = holesForZeros && !io.destinationIsStream
        io.file.zeroBytesSkipped = 0
        record.zeroDetection = holesForZeros
        var chain = unshared ? self.chain.filter { $0 != .copyFileRange } : self.chain
        if stat.kind != .file && !forced {
            // FIFOs, devices, sockets (--copy-contents, or no -R): no offsets to work on, so
            // the bytes are read as a stream.
            chain = [.readWrite]
        }
        if unshared && chain.count < self.chain.count { record.copyFileRangeAvoided = true }
        if chain.isEmpty {
            return CopyError(.strategyRefused(.copyFileRange), record.source, record.dest, errno: .EOPNOTSUPP, offset: 0)
        }
        if nocache && stat.kind == .file {
            let types = (try? io.sys.fsType(io.src).get(), try? io.sys.fsType(io.dst).get())
            io.file.cache = CacheKeeper(sourceFsType: types.0, copyFsType: types.1, sourceSize: stat.size)
        }
        defer {
            if var keeper = io.file.cache {
                keeper.settle(io)
                keeper.dropTail(io)
                record.cache = keeper.outcome
                io.file.cache = nil
            }
        }
        var index = 0
        var start = start
        if start > 0 && chain.first == .reflink {
            // A clone takes whole files only: with nothing after it in the chain
            // (--reflink=always), the whole file is cloned over the prefix; else the rest is
            // copied by the next strategy.
            if chain.count == 1 { start = 0 } else { index = 1 }
        }
        /// A refusal already seen between these two filesystems (never for a forced chain).
        func remembered(_ s: StrategyID) -> Errno? {
            guard !forced, let pair = io.devices else { return nil }
            return memo.refusal(RefusalMemo.Pair(source: pair.source, destination: pair.destination, strategy: s))
        }
        func remember(_ s: StrategyID, _ e: Errno) {
            guard !forced, let pair = io.devices, RefusalMemo.holdsForThePair(e) else { return }
            memo.remember(RefusalMemo.Pair(source: pair.source, destination: pair.destination, strategy: s), e)
        }
        if index == 0, chain.first == .reflink, chain.count > 1, let e = remembered(.reflink) {
            record.reflink = .unsupported
            record.fallbacks.append(Fallback(strategy: .reflink, errno: e, offset: 0, remembered: true))
            index = 1
        } else if index == 0, chain.first == .reflink {
            switch Reflink.clone(io) {
            case .success:
                hasher?.breakOff()
                record.reflink = .yes
                record.reached = stat.size
                // A clone shares the source's data: its allocated bytes (at most its size),
                // not its apparent size; the rest is holes.
                let shared = stat.allocatedBytes
                record.add(shared, by: .reflink)
                record.holeBytes = stat.size - shared
                zcp_progress_add(shared)
                record.extents = 1
                return nil
            case .failure(let e):
                record.reflink = .unsupported
                if chain.count == 1 || Reflink.isFatal(e) {
                    return CopyError(.cloneFailed, record.dest, record.source, errno: e, syscall: .ficlone, offset: 0)
                }
                record.fallbacks.append(Fallback(strategy: .reflink, errno: e, offset: 0))
                remember(.reflink, e)
                index = 1
            }
        }

        var walker = ExtentWalker(
            io, stat: stat,
            detectHoles: detectHoles && !io.destinationIsStream, from: start)
        record.sparseDetection = walker.seeksHoles
        let presized = walker.seeksHoles && !inOrder
        if presized {
            // Size first: data then lands inside EOF, so no filesystem preallocates past it
            // (xfs would keep such blocks once the size grew over them), and trailing holes
            // need no write.
            if case .failure(let e) = retryingEINTR({ io.sys.ftruncate(io.dst, stat.size) }) {
                return CopyError(.extend, record.dest, errno: e, syscall: .ftruncate, offset: 0)
            }
        }
        var reached: Int64 = start
        /// Set when a strategy returned no data at offset 0: read/write takes over until EOF.
        var zeroAtStart: StrategyID? = nil
        var zeroReported = false
        /// The source gave fewer bytes than its size said.
        var endedEarly = false

        extents: while let next = walker.next() {
            let extent: Extent
            switch next {
            case .failure(let e):
                return CopyError(.read, record.source, errno: e, syscall: .lseek, offset: reached)
            case .success(let x): extent = x
            }
            record.extents += 1
            io.file.cache?.beforeExtent(io, end: extent.end)
            var offset = extent.start
            hasher?.hole(upTo: offset)
            while true {
                if offset == 0 && zeroAtStart == nil && index + 1 < chain.count && chain[index] == .copyFileRange,
                    let e = remembered(.copyFileRange)
                {
                    record.fallbacks.append(Fallback(strategy: .copyFileRange, errno: e, offset: 0, remembered: true))
                    index += 1
                    continue
                }
                let strategy = zeroAtStart == nil ? chain[index] : .readWrite
                let before = offset
                // Under --nocache, one window at a time.
                let stepEnd =
                    io.file.cache == nil ? extent.end : min(extent.end ?? .max, offset.saturatingAdd(CacheKeeper.window))
                io.file.cache?.before(io, strategy, from: offset, to: stepEnd ?? offset)
                let result = Self.run(strategy, io, offset: &offset, end: stepEnd)
                io.file.cache?.after(io, strategy, from: before, to: offset)
                record.add(offset - before, by: strategy)
                if strategy != .readWrite && offset > before { hasher?.breakOff() }
                reached = offset
                record.reached = offset
                if let zero = zeroAtStart, !zeroReported, strategy == .readWrite, offset > 0 {
                    // read_write found the data the kernel path did not see (and goes on to the end).
                    record.fallbacks.append(Fallback(strategy: zero, errno: nil, offset: 0))
                    zeroReported = true
                }
                switch result {
                case .finished(hitEOF: false):
                    if stepEnd != extent.end && extent.end.map({ offset < $0 }) ?? true { continue }  // the next window
                    continue extents
                case .finished(hitEOF: true):
                    if offset == 0 && strategy != .readWrite {
                        // procfs/sysfs-style files: the offloaded paths see nothing.
                        if forced {
                            if let failure = Self.probeForData(io, stat: stat, strategy: strategy, record: record) {
                                return failure
                            }
                            break extents
                        }
                        zeroAtStart = strategy
                        continue
                    }
                    if let end = extent.end, offset < end { endedEarly = true }
                    break extents
                case .failed(let failure):
                    if failure.errno.meansUnsupportedHere && index + 1 < chain.count && zeroAtStart == nil {
                        record.fallbacks.append(Fallback(strategy: strategy, errno: failure.errno, offset: offset))
                        if offset == 0 && strategy == .copyFileRange { remember(strategy, failure.errno) }
                        index += 1
                        continue
                    }
                    return Self.error(
                        for: failure, strategy: strategy,
                        forced: forced && failure.errno.meansUnsupportedHere,
                        record: record, offset: offset)
                }
            }
        }
        // Zeros --sparse=always left as holes were read, not written: holes, not bytes.
        record.add(-io.file.zeroBytesSkipped, by: .readWrite)
        record.holeBytes = (walker.seeksHoles ? max(0, stat.size - walker.dataBytes) : 0) + io.file.zeroBytesSkipped
        if io.holesForZeros && io.file.zeroBytesSkipped > 0 {
            // Zeros left unwritten at the end would leave the file short: the size makes them.
            if case .failure(let e) = retryingEINTR({ io.sys.ftruncate(io.dst, reached) }) {
                return CopyError(.extend, record.dest, errno: e, syscall: .ftruncate, offset: reached)
            }
        }
        if !walker.seeksHoles && reached != stat.size && stat.kind == .file && stat.size != 0 { endedEarly = true }
        // sysfs, procfs and their kind give any size (4096, 0) and hand out what they have:
        // there a short read is the file's end, not a change (GNU reads to EOF and asks no more).
        if endedEarly && !FilesystemMagic.sizeIsFiction(io.sys, io.src) { record.sourceChanged = true }
        if walker.seeksHoles && endedEarly {
            // The source ended early: the copy ends where it did.
            if case .failure(let e) = retryingEINTR({ io.sys.ftruncate(io.dst, reached) }) {
                return CopyError(.extend, record.dest, errno: e, syscall: .ftruncate, offset: reached)
            }
        } else if walker.seeksHoles && !presized {
            // Written in order: a hole at the end is made by the size, now.
            if case .failure(let e) = retryingEINTR({ io.sys.ftruncate(io.dst, stat.size) }) {
                return CopyError(.extend, record.dest, errno: e, syscall: .ftruncate, offset: reached)
            }
            record.reached = stat.size
        }
        return nil
    }

    static func run(_ strategy: StrategyID, _ io: CopyIO, offset: inout Int64, end: Int64?) -> StepResult {
        guard case .range(let copy) = strategy.entry.kind else {
            // A whole-file strategy past the head of a chain: the parser refuses such chains.
            return .failed(StrategyFailure(syscall: .ficlone, errno: .EINVAL, side: .either))
        }
        return copy(io, &offset, end)
    }

    /// A forced strategy saw EOF at offset 0: the copy is right only if the file is empty.
    private static func probeForData(
        _ io: CopyIO, stat: FileStat, strategy: StrategyID,
        record: FileRecord
    ) -> CopyError? {
        switch retryingEINTR({ io.sys.pread(io.src, io.worker.buffer, 1, 0) }) {
        case .success(0): return nil
        case .success: return CopyError(.strategyNoData(strategy), record.source, record.dest, offset: 0)
        case .failure(.ESPIPE): return CopyError(.strategyNoData(strategy), record.source, record.dest, offset: 0)
        case .failure(let e): return CopyError(.read, record.source, errno: e, syscall: .pread, offset: 0)
        }
    }

    private static func error(
        for failure: StrategyFailure, strategy: StrategyID, forced: Bool,
        record: FileRecord, offset: Int64
    ) -> CopyError {
        if failure.errno == .EINTR {
            // Only a stop signal gets EINTR this far (retryingEINTR retries the rest).
            return CopyError(.interrupted, record.source, record.dest, errno: .EINTR, syscall: failure.syscall, offset: offset)
        }
        if forced {
            return CopyError(
                .strategyRefused(strategy), record.source, record.dest,
                errno: failure.errno, syscall: failure.syscall, offset: offset)
        }
        let what: CopyError.What
        switch failure.side {
        case .read: what = .read
        case .write: what = .write
        case .either:
            let e = failure.errno
            what = (e == .ENOSPC || e == .EDQUOT || e == .EFBIG) ? .write : .copy
        }
        let path = what == .write ? record.dest : record.source
        return CopyError(
            what, path, what == .copy ? record.dest : nil,
            errno: failure.errno, syscall: failure.syscall, offset: offset)
    }
}
