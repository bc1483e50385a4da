import Glibc

/// A pthread mutex shared by two objects: the reporter and its progress line (whose own thread
/// draws under it). State that one object guards is kept in Synchronization's Mutex instead.
/// A pthread mutex at an address that never moves: allocated once, as swift-nio's NIOLock
/// keeps its lock (a mutex stored inline in a class may be passed to pthread by a temporary
/// address under Swift's inout rules).
public final class Lock: @unchecked Sendable {  // the mutex itself serialises every access
    private let m: UnsafeMutablePointer<pthread_mutex_t>
    public init() {
        m = .allocate(capacity: 1)
        m.initialize(to: pthread_mutex_t())
        pthread_mutex_init(m, nil)
    }
    deinit {
        pthread_mutex_destroy(m)
        m.deallocate()
    }
    @inline(__always)
    public func locked<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(m)
        defer { pthread_mutex_unlock(m) }
        return try body()
    }
}
