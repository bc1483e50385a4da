import Glibc
import XCTest
@testable import ZcpCore

/// The tree copy's pool: the walker takes its share instead of sleeping.
final class PoolTests: XCTestCase {
    /// Every job runs once, and `drain` returns only after all of them.
    func testEveryJobRunsOnceBeforeDrainReturns() {
        let walker = Worker(sys: .live)
        let pool = Pool(threads: 2, walker: walker, sys: .live)
        let lock = Lock()
        var runs = [Int](repeating: 0, count: 1000)
        for i in 0..<runs.count {
            pool.submit { _ in lock.locked { runs[i] += 1 } }
        }
        pool.drain()
        XCTAssertEqual(lock.locked { runs.filter { $0 != 1 }.count }, 0)
        pool.finish()
    }

    /// With its only thread busy, a full queue makes the walker copy the oldest file itself
    /// (on its own worker) rather than wait for room. A walker that waited would see the
    /// thread's job end only after 10 s, and run nothing itself.
    func testWalkerRunsQueuedJobsWhenTheQueueIsFull() {
        let walker = Worker(sys: .live)
        let pool = Pool(threads: 1, walker: walker, sys: .live)
        let lock = Lock()
        var walkerRuns = 0
        pool.submit { worker in
            guard worker !== walker else { return }
            // Hold the only thread until the walker has run a job (10 s at the most).
            for _ in 0..<10_000 where lock.locked({ walkerRuns }) == 0 { usleep(1000) }
        }
        usleep(20_000)  // let the thread take that job
        for _ in 0..<200 {
            pool.submit { worker in if worker === walker { lock.locked { walkerRuns += 1 } } }
        }
        pool.drain()
        XCTAssertGreaterThan(lock.locked { walkerRuns }, 0)
        pool.finish()
    }
}
