#if canImport(Glibc)
import Glibc
#endif
import RepaymentKernel

/// Hands a non-Sendable value to exactly one other thread.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Plain pthreads: the pipeline's threads block in condition variables and read(2), which
/// must not happen on Swift concurrency's cooperative pool.
enum Threads {
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// Starts a thread running `body`. The stop signals (SIGINT, SIGTERM, SIGHUP) and SIGPIPE
    /// are blocked in it, so that those signals reach the calling (writer) thread and interrupt
    /// its blocking reads and writes.
    static func spawn(_ body: @escaping @Sendable () -> Void) throws(KernelError) -> pthread_t {
        var block = sigset_t(), saved = sigset_t()
        sigemptyset(&block)
        for sig in BatchRunner.stopSignals { sigaddset(&block, sig) }
        sigaddset(&block, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &block, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let body = Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue()
            body.run()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            throw KernelError(.io, field: "jobs", "cannot start a thread: \(String(cString: strerror(rc)))")
        }
        return thread
    }
}
