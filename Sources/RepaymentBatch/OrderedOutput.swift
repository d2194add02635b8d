#if canImport(Glibc)
import Glibc
#endif
import RepaymentKernel

extension Pipeline {

    /// The next chunk in input order, or what happened instead; waits at most `timeoutMillis`.
    func nextResult(shouldStop: (@Sendable () -> Bool)?, timeoutMillis: Int) -> Next {
        lock()
        defer { unlock() }
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let ns = Int(deadline.tv_nsec) + max(1, timeoutMillis) * 1_000_000
        deadline.tv_sec += ns / 1_000_000_000
        deadline.tv_nsec = ns % 1_000_000_000
        while true {
            if let stop = shouldStop, stop() { return .stopped }
            if let failure { return .failed(failure) }
            if let out = results.removeValue(forKey: chunksWritten) {
                chunksWritten += 1
                if out.rows > 0 { bytesPerRow = max(1, out.outputBytes / out.rows) }
                pthread_cond_signal(spaceReady)
                return .chunk(out)
            }
            if readerDone && chunksWritten == chunksRead { return .finished }
            if stopped { return .stopped }
            if pthread_cond_timedwait(resultReady, mutex, &deadline) == ETIMEDOUT {
                if let stop = shouldStop, stop() { return .stopped }
                return .waiting
            }
        }
    }

    /// Records the input position of the chunk just written and takes back its buffers.
    func written(_ out: consuming OutputChunk) {
        let buffers = out.buffers
        for b in buffers { b.removeAll() }
        lock()
        bytesWritten = out.bytesRead
        if spare.count < 4 * window { spare.append(contentsOf: buffers) }
        unlock()
    }
}
