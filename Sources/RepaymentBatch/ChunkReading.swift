#if canImport(Glibc)
import Glibc
#endif
import RepaymentKernel

/// Rows read, in input order.
struct InputChunk: Sendable {
    let index: Int
    /// 1-based data-row number of the first record.
    let firstRow: Int
    /// The records' cells as bytes.
    let cells: CSVChunk
    /// `CSVReader.bytesConsumed` after the last record.
    let bytesRead: Int
}

extension Pipeline {
    /// The reader thread: reads chunks of records while fewer than `window` chunks are in
    /// flight, sized from the output bytes per row seen so far.

    func readLoop(_ reader: CSVReader, target: Int, minRows: Int, maxRows: Int) {
        var rowsRead = 0
        while true {
            lock()
            while !stopped && chunksRead - chunksWritten >= window { pthread_cond_wait(spaceReady, mutex) }
            let rows = min(maxRows, max(minRows, target / max(1, bytesPerRow)))
            let stop = stopped
            unlock()
            if stop { return }
            lock()
            var cells = spareChunks.popLast() ?? CSVChunk()
            unlock()
            do {
                try reader.nextChunk(into: &cells, max: rows, waitForMax: false)
            } catch {
                lock()
                if failure == nil { failure = BatchRunner.inputError(error) }
                readerDone = true
                pthread_cond_broadcast(workReady)
                pthread_cond_broadcast(resultReady)
                unlock()
                return
            }
            lock()
            if cells.isEmpty {
                readerDone = true
                pthread_cond_broadcast(workReady)
                pthread_cond_broadcast(resultReady)
                unlock()
                return
            }
            queue.append(InputChunk(index: chunksRead, firstRow: rowsRead + 1, cells: cells,
                                    bytesRead: reader.bytesConsumed))
            chunksRead += 1
            rowsRead += cells.count
            pthread_cond_signal(workReady)
            unlock()
        }
    }
}
