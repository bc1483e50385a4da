import Glibc
import XCTest

@testable import ZcpCore

/// The tree copy's pool: the walker takes its share instead of sleeping.
final class PoolTests: XCTestCase {
    /// The pool's threads run jobs on their own, before any drain: two jobs that each wait
    /// for the other to start can only finish on two threads at once.
    func testThreadsRunJobsWithoutADrain() {
        let walker = Worker(sys: .live)
        let pool = Pool(threads: 2, walker: walker, sys: .live)
        let started = Box(Set<ObjectIdentifier>())
        for _ in 0..<2 {
            pool.submit { worker in
                started.with { _ = $0.insert(ObjectIdentifier(worker)) }
                for _ in 0..<10_000 where started.get.count < 2 { usleep(1000) }  // 10 s at the most
            }
        }
        for _ in 0..<10_000 where started.get.count < 2 { usleep(1000) }
        XCTAssertEqual(started.get.count, 2, "two pool threads ran a job each before any drain")
        XCTAssertFalse(started.get.contains(ObjectIdentifier(walker)))
        pool.finish()
    }

    /// Every job runs once, and `drain` returns only after all of them.
    func testEveryJobRunsOnceBeforeDrainReturns() {
        let walker = Worker(sys: .live)
        let pool = Pool(threads: 2, walker: walker, sys: .live)
        let runs = Box([Int](repeating: 0, count: 1000))
        for i in 0..<1000 {
            pool.submit { _ in runs.with { $0[i] += 1 } }
        }
        pool.drain()
        XCTAssertEqual(runs.get.filter { $0 != 1 }.count, 0)
        pool.finish()
    }

    /// With its only thread busy, a full queue makes the walker copy the oldest file itself
    /// (on its own worker) rather than wait for room. A walker that waited would see the
    /// thread's job end only after 10 s, and run nothing itself.
    func testWalkerRunsQueuedJobsWhenTheQueueIsFull() {
        let walker = Worker(sys: .live)
        let pool = Pool(threads: 1, walker: walker, sys: .live)
        let walkerRuns = Box(0)
        let held = Box(false)
        let walkerID = ObjectIdentifier(walker)
        pool.submit { worker in
            guard ObjectIdentifier(worker) != walkerID else { return }
            held.with { $0 = true }
            // Hold the only thread until the walker has run a job (10 s at the most).
            for _ in 0..<10_000 where walkerRuns.get == 0 { usleep(1000) }
        }
        // Wait until the thread holds that job (a condition, not a time).
        for _ in 0..<10_000 where !held.get { usleep(1000) }
        XCTAssertTrue(held.get)
        for _ in 0..<200 {
            pool.submit { worker in if ObjectIdentifier(worker) == walkerID { walkerRuns.with { $0 += 1 } } }
        }
        pool.drain()
        XCTAssertGreaterThan(walkerRuns.get, 0)
        pool.finish()
    }

    /// A queue that never runs dry (its only thread held, the walker running the oldest job
    /// whenever it is full) keeps slots for the jobs waiting, not one for every job of the run.
    func testAQueueThatNeverRunsDryLetsGoOfTakenSlots() {
        let walker = Worker(sys: .live)
        let pool = Pool(threads: 1, walker: walker, sys: .live)
        let held = Box(false)
        let release = Box(false)
        let walkerID = ObjectIdentifier(walker)
        pool.submit { worker in
            guard ObjectIdentifier(worker) != walkerID else { return }
            held.with { $0 = true }
            for _ in 0..<10_000 where !release.get { usleep(1000) }  // 10 s at the most
        }
        for _ in 0..<10_000 where !held.get { usleep(1000) }
        XCTAssertTrue(held.get)
        var most = 0
        for _ in 0..<10_000 {
            pool.submit { _ in }
            most = max(most, pool.queueSlots)
        }
        release.with { $0 = true }
        pool.drain()
        XCTAssertLessThanOrEqual(most, 2 * 16 * 2 + 1, "slots for the waiting jobs only (the capacity is 32)")
        pool.finish()
    }

    /// A pool with one copying thread and the thread count's rule on a clock and a process
    /// usage the test moves, so nothing depends on how fast this machine is.
    private struct Growth {
        let clock = Box(Int64(0)), usage = Box(ProcessUsage())
        let pool = Pool(threads: 1, walker: Worker(sys: .live), sys: .live)
        var depth: IODepth

        /// `sourceType`: the statfs type of the source directory (ext4 by default).
        init(maxThreads: Int = .max, sourceType: Int = 0xEF53) {
            var sys = Syscalls.live
            sys.usage = { [usage] in .success(usage.get) }
            sys.fsType = { _ in .success(sourceType) }
            depth = IODepth(cpus: 2, maxThreads: maxThreads, sys: sys, clock: { [clock] in clock.get })
        }

        /// 64 files queued over `ms` milliseconds, in which the process spent `busy` CPU-ms,
        /// its threads waited `waits` times and it read `blocks` 512-byte blocks from storage.
        mutating func round(ms: Int64, busy: Int64, waits: Int64, blocks: Int64 = 1280, directory: Int32? = 3) {
            clock.with { $0 += ms * 1_000_000 }
            usage.with {
                $0.cpuNs += busy * 1_000_000; $0.waits += waits; $0.blocksRead += blocks
            }
            for _ in 0..<64 { pool.submit { _ in }; depth.submitted(to: pool, sourceDirectory: directory) }
        }
    }

    /// The default thread count doubles while the process uses little CPU, its threads wait
    /// and it reads from storage (copying waits on a disk), never past eight threads per CPU,
    /// and stays while the CPUs are busy, while the CPU time went to other processes (threads
    /// preempted, not waiting) or while the threads wait with nothing read (on the kernel's
    /// locks: more threads would only contend more).
    func testThreadsGrowWhileCopyingWaitsAndStayWhileTheCPUsAreBusy() {
        var g = Growth()
        g.round(ms: 100, busy: 190, waits: 2)  // 1.9 of 2 CPUs: warm, CPU-bound
        XCTAssertEqual(g.pool.threadCount, 1)
        g.round(ms: 100, busy: 60, waits: 3)  // little CPU, but no waiting: other processes had it
        XCTAssertEqual(g.pool.threadCount, 1)
        g.round(ms: 100, busy: 60, waits: 15)  // waits for fewer than a quarter of the files
        XCTAssertEqual(g.pool.threadCount, 1)
        g.round(ms: 100, busy: 60, waits: 64, blocks: 0)  // waits with nothing read: kernel locks
        XCTAssertEqual(g.pool.threadCount, 1)
        g.round(ms: 100, busy: 60, waits: 64, blocks: 15)  // a block for fewer than a quarter
        XCTAssertEqual(g.pool.threadCount, 1)
        g.round(ms: 100, busy: 60, waits: 64)  // waiting on a disk
        XCTAssertEqual(g.pool.threadCount, 3)
        g.round(ms: 100, busy: 100, waits: 64)
        XCTAssertEqual(g.pool.threadCount, 7)
        g.round(ms: 100, busy: 140, waits: 64)
        XCTAssertEqual(g.pool.threadCount, 15)
        g.round(ms: 100, busy: 10, waits: 64)  // at eight threads per CPU it stops
        XCTAssertEqual(g.pool.threadCount, 15)
        g.round(ms: 10, busy: 0, waits: 64)  // under 30 ms since the last look: no decision
        XCTAssertEqual(g.pool.threadCount, 15)
        g.pool.finish()
    }

    /// A source whose reads never reach the block layer (NFS, SMB, FUSE: sshfs, bindfs) waits
    /// on a server with no blocks read: there, and for a --files-from list (no source
    /// directory to ask), waits alone make the count grow, as on a cold disk.
    func testThreadsGrowOnWaitsAloneWhereReadsAreNotCounted() {
        var nfs = Growth(sourceType: FilesystemMagic.nfs)
        nfs.round(ms: 100, busy: 60, waits: 64, blocks: 0)
        XCTAssertEqual(nfs.pool.threadCount, 3)
        nfs.pool.finish()
        var fuse = Growth(sourceType: FilesystemMagic.fuse)
        fuse.round(ms: 100, busy: 60, waits: 64, blocks: 0)
        XCTAssertEqual(fuse.pool.threadCount, 3)
        fuse.pool.finish()
        var list = Growth()
        list.round(ms: 100, busy: 60, waits: 64, blocks: 0, directory: nil)
        XCTAssertEqual(list.pool.threadCount, 3)
        list.pool.finish()
    }

    /// The descriptor limit caps the growth: never more copying threads than `maxThreads`.
    func testThreadsNeverGrowPastWhatTheDescriptorsAllow() {
        var g = Growth(maxThreads: 5)
        for expected in [3, 4, 4] {  // copying threads besides the walker: 2+2, then 4+1, then none
            g.round(ms: 100, busy: 0, waits: 64)
            XCTAssertEqual(g.pool.threadCount, expected)
        }
        g.pool.finish()
    }
}
