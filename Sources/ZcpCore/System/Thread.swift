import Glibc

/// The one way zcp starts a thread: `body` runs on a new pthread, which the caller joins;
/// nil when none could be made (the caller then does without it, or runs `body` itself).
func spawnThread(_ body: @escaping () -> Void) -> pthread_t? {
    let raw = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var thread = pthread_t()
    guard
        pthread_create(
            &thread, nil,
            { raw in
                Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue().body()
                return nil
            }, raw) == 0
    else {
        Unmanaged<ThreadBody>.fromOpaque(raw).release()
        return nil
    }
    return thread
}

/// What a new thread runs, handed over through pthread_create's one pointer.
private final class ThreadBody {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}
