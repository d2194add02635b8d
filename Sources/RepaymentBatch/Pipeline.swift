#if canImport(Glibc)
import Glibc
#endif
import RepaymentKernel

// The shared state of a run; what each thread does with it lives beside it:
// ChunkReading.swift (the reader thread), ChunkComputing.swift (the workers),
// OrderedOutput.swift (the writer, on the calling thread).

/// The shared state of one run: a mutex, three condition variables, the queue of chunks to
/// compute and the computed chunks waiting to be written in order.
final class Pipeline: @unchecked Sendable {
    enum Next { case chunk(OutputChunk), waiting, finished, failed(KernelError), stopped }

    let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    let workReady = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    let spaceReady = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    let resultReady = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    let window: Int
    var queue: [InputChunk?] = []
    var queueHead = 0
    var results: [Int: OutputChunk] = [:]
    var chunksRead = 0
    var chunksWritten = 0
    var readerDone = false
    var failure: KernelError?
    var stopped = false
    /// Output bytes per row of the last chunk written (sizes the next chunks).
    var bytesPerRow: Int
    /// Input bytes consumed up to the last chunk written.
    var bytesWritten = 0
    /// Emptied output buffers, kept with their capacity: reusing them spares a fresh
    /// allocation (and its page faults) for every chunk.
    var spare: [ByteBuffer] = []
    /// Emptied input chunks, kept with their capacity, for the reader to refill.
    var spareChunks: [CSVChunk] = []

    init(window: Int, initialEstimate: Int) {
        self.window = max(2, window)
        bytesPerRow = initialEstimate
        pthread_mutex_init(mutex, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        for c in [workReady, spaceReady, resultReady] { pthread_cond_init(c, &attr) }
        pthread_condattr_destroy(&attr)
    }

    deinit {
        for c in [workReady, spaceReady, resultReady] { pthread_cond_destroy(c); c.deallocate() }
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }

    /// Ends the run: every thread returns at its next check.
    func stop() {
        lock()
        stopped = true
        pthread_cond_broadcast(workReady)
        pthread_cond_broadcast(spaceReady)
        pthread_cond_broadcast(resultReady)
        unlock()
    }
}
