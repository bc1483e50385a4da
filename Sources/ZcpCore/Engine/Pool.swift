import Glibc

/// The copying threads of a tree (-j N): N - 1 threads, plus the walker itself. The walker
/// queues file jobs; when the queue is full it runs the oldest one itself instead of
/// sleeping, and it does the same while draining. So N threads copy, the walker never
/// waits for room, and a thread is woken only when it found the queue empty. Each thread
/// owns a `Worker` (buffer and pipe); the walker's jobs use the walker's own.
///
/// Every mutable property is read and written with `mutex` held (the jobs themselves run
/// with it let go), which is why the class can be `@unchecked Sendable`. The mutex and the
/// conditions live at addresses allocated once, never inline in the object.
final class Pool: @unchecked Sendable {
    /// A job sees its own `FileJob` and the run's context, and the worker it runs on.
    typealias Job = @Sendable (Worker) -> Void

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let hasWork = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let idle = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var queue: [Job?] = []
    private var head = 0
    private var running = 0
    /// Threads asleep for want of work: only then does a new job need a wake-up call.
    private var sleeping = 0
    private var stopping = false
    private var threads: [pthread_t] = []
    private var capacity: Int
    /// The walker's worker, for the jobs it runs itself.
    private let walker: Worker
    private let sys: Syscalls

    /// `threads`: the copying threads besides the walker (-j N starts N - 1).
    init(threads count: Int, walker: Worker, sys: Syscalls) {
        capacity = 16 * (count + 1)
        self.walker = walker
        self.sys = sys
        mutex.initialize(to: pthread_mutex_t())
        hasWork.initialize(to: pthread_cond_t())
        idle.initialize(to: pthread_cond_t())
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(hasWork, nil)
        pthread_cond_init(idle, nil)
        start(count)
    }

    /// How many threads copy besides the walker.
    var threadCount: Int { threads.count }

    /// The slots the queue holds, waiting jobs and the taken ones not yet let go of (tests).
    var queueSlots: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return queue.count
    }

    /// Starts `count` more threads (called by the walker only, as `finish` is).
    func grow(by count: Int) {
        start(count)
        pthread_mutex_lock(mutex)
        capacity = 16 * (threads.count + 1)
        pthread_mutex_unlock(mutex)
    }

    private func start(_ count: Int) {
        for _ in 0..<count {
            let worker = Worker(sys: sys)  // the thread's own buffers
            if let thread = spawnThread({ [self] in work(worker) }) { threads.append(thread) }
        }
    }

    deinit {
        pthread_mutex_destroy(mutex)
        pthread_cond_destroy(hasWork)
        pthread_cond_destroy(idle)
        mutex.deallocate()
        hasWork.deallocate()
        idle.deallocate()
    }

    /// No thread could be started: the caller copies on its own.
    var isEmpty: Bool { threads.isEmpty }

    /// Queues a job; with the queue full, the caller first runs the oldest one itself.
    func submit(_ job: @escaping Job) {
        pthread_mutex_lock(mutex)
        if queue.count - head >= capacity, let oldest = take() { run(oldest, on: walker) }
        queue.append(job)
        if sleeping > 0 { pthread_cond_signal(hasWork) }
        pthread_mutex_unlock(mutex)
    }

    /// Runs what is queued (the caller takes its share) and waits until every job is done.
    func drain() {
        pthread_mutex_lock(mutex)
        while let job = take() { run(job, on: walker) }
        while running > 0 { pthread_cond_wait(idle, mutex) }
        pthread_mutex_unlock(mutex)
    }

    /// Runs what is queued, then ends the threads.
    func finish() {
        drain()
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_broadcast(hasWork)
        pthread_mutex_unlock(mutex)
        for t in threads { pthread_join(t, nil) }
        threads = []
    }

    /// The oldest queued job, counted as running; called with the mutex held.
    private func take() -> Job? {
        guard queue.count > head else { return nil }
        let job = queue[head]!
        queue[head] = nil
        head += 1
        if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= capacity && 2 * head >= queue.count {
            // A queue that never runs dry (the walker keeps up with the threads) would
            // otherwise keep a slot for every job of the run: the taken ones go, the few
            // still waiting move to the front.
            queue.removeFirst(head)
            head = 0
        }
        running += 1
        return job
    }

    /// Runs a job taken from the queue, with the mutex let go meanwhile, then counts it done;
    /// called, and returns, with the mutex held.
    private func run(_ job: Job, on worker: Worker) {
        pthread_mutex_unlock(mutex)
        job(worker)
        pthread_mutex_lock(mutex)
        running -= 1
        if queue.count == head && running == 0 { pthread_cond_broadcast(idle) }
    }

    private func work(_ worker: Worker) {
        pthread_mutex_lock(mutex)
        while true {
            guard let job = take() else {
                if stopping { break }
                sleeping += 1
                pthread_cond_wait(hasWork, mutex)
                sleeping -= 1
                continue
            }
            run(job, on: worker)
        }
        pthread_mutex_unlock(mutex)
    }
}
