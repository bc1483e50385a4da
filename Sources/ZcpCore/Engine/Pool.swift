import Glibc

/// A fixed set of copying threads fed by the tree walker (-j N). Each thread owns a `Worker`
/// (buffer and pipe). The queue is bounded, so the walker waits instead of holding the
/// descriptors of thousands of directories whose files are still queued.
final class Pool: @unchecked Sendable {
    typealias Job = (Worker) -> Void

    private var mutex = pthread_mutex_t()
    private var hasWork = pthread_cond_t()
    private var hasRoom = pthread_cond_t()
    private var idle = pthread_cond_t()
    private var queue: [Job?] = []
    private var head = 0
    private var running = 0
    private var stopping = false
    private var threads: [pthread_t] = []
    private let capacity: Int

    init(threads count: Int, sys: Syscalls) {
        capacity = max(4, count * 4)
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&hasWork, nil)
        pthread_cond_init(&hasRoom, nil)
        pthread_cond_init(&idle, nil)
        for _ in 0..<count {
            let context = Unmanaged.passRetained(ThreadContext(pool: self, worker: Worker(sys: sys))).toOpaque()
            var thread = pthread_t()
            if pthread_create(&thread, nil, { raw in
                let context = Unmanaged<ThreadContext>.fromOpaque(raw!).takeRetainedValue()
                context.pool.work(context.worker)
                return nil
            }, context) == 0 {
                threads.append(thread)
            } else {
                Unmanaged<ThreadContext>.fromOpaque(context).release()
            }
        }
    }

    private final class ThreadContext {
        let pool: Pool
        let worker: Worker
        init(pool: Pool, worker: Worker) { self.pool = pool; self.worker = worker }
    }

    /// No thread could be started: the caller copies on its own.
    var isEmpty: Bool { threads.isEmpty }

    /// Queues a job, waiting while the queue is full.
    func submit(_ job: @escaping Job) {
        pthread_mutex_lock(&mutex)
        while queue.count - head >= capacity { pthread_cond_wait(&hasRoom, &mutex) }
        queue.append(job)
        pthread_cond_signal(&hasWork)
        pthread_mutex_unlock(&mutex)
    }

    /// Waits until every queued job has run.
    func drain() {
        pthread_mutex_lock(&mutex)
        while queue.count > head || running > 0 { pthread_cond_wait(&idle, &mutex) }
        pthread_mutex_unlock(&mutex)
    }

    /// Runs what is queued, then ends the threads.
    func finish() {
        drain()
        pthread_mutex_lock(&mutex)
        stopping = true
        pthread_cond_broadcast(&hasWork)
        pthread_mutex_unlock(&mutex)
        for t in threads { pthread_join(t, nil) }
        threads = []
    }

    private func work(_ worker: Worker) {
        pthread_mutex_lock(&mutex)
        while true {
            while queue.count == head && !stopping { pthread_cond_wait(&hasWork, &mutex) }
            if queue.count == head && stopping { break }
            let job = queue[head]!
            queue[head] = nil
            head += 1
            if head == queue.count { queue.removeAll(keepingCapacity: true); head = 0 }
            running += 1
            pthread_cond_signal(&hasRoom)
            pthread_mutex_unlock(&mutex)
            job(worker)
            pthread_mutex_lock(&mutex)
            running -= 1
            if queue.count == head && running == 0 { pthread_cond_broadcast(&idle) }
        }
        pthread_mutex_unlock(&mutex)
    }
}
