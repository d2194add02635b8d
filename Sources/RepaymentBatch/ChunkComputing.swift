#if canImport(Glibc)
import Glibc
#endif
import RepaymentKernel

/// What a worker does with a chunk.
struct ChunkWork: Sendable {
    let columns: BatchColumns
    let outputs: RowOutputs
    let wantErrors: Bool

    /// Computes every row of `chunk` into `buffers` (emptied, their capacity kept) with the
    /// worker's `processor`.
    func compute(_ chunk: InputChunk, buffers: [ByteBuffer], processor: inout RowProcessor) -> OutputChunk {
        let out = OutputChunk(primary: buffers[0], secondary: buffers[1], errors: buffers[2], ledger: buffers[3],
                              rows: chunk.cells.count, bytesRead: chunk.bytesRead)
        let rowBuffers = RowBuffers(primary: out.primary, summary: out.secondary, ledger: out.ledger)
        var failed = 0
        chunk.cells.forEachRow { k, row, line in
            guard let error = processor.process(row, line: line, into: rowBuffers) else { return }
            failed += 1
            if wantErrors {
                var text: [UInt8] = []
                BatchRunner.appendErrorLine(row: chunk.firstRow + k, line: line,
                                            id: String(decoding: columns.id(of: row), as: UTF8.self), error,
                                            excelSafe: outputs.excelSafe, to: &text)
                out.errors.append(text)
            }
        }
        var result = out
        result.failed = failed
        return result
    }
}

extension BatchRunner {
    /// Appends one line of the error report: `row,line,id,column,message` (row: the 1-based data
    /// row, header excluded; line: the physical line where the record starts). With
    /// `excelSafe`, the text cells go through `CSVWriter.formulaSafe`.
    public static func appendErrorLine(row: Int, line: Int, id: String, _ error: KernelError, excelSafe: Bool = false,
                                       to out: inout [UInt8]) {
        out.append(contentsOf: String(row).utf8)
        out.append(44)
        out.append(contentsOf: String(line).utf8)
        for text in [id, error.field, error.problem] {
            out.append(44)
            CSVWriter.appendField(excelSafe ? CSVWriter.formulaSafe(text) : text, to: &out)
        }
        out.append(10)
    }
}

/// A computed chunk's bytes.
struct OutputChunk: Sendable {
    let primary: ByteBuffer     // schedule CSV, or JSON lines
    let secondary: ByteBuffer   // summary CSV
    let errors: ByteBuffer      // error report lines
    let ledger: ByteBuffer      // ledger lines
    var rows: Int
    var failed = 0
    var bytesRead: Int
    var outputBytes: Int { primary.count + secondary.count + errors.count + ledger.count }
    var buffers: [ByteBuffer] { [primary, secondary, errors, ledger] }
}

extension Pipeline {
    /// A worker thread: computes the next chunk in the queue, with its own `RowProcessor`.

    func workLoop(_ work: ChunkWork) {
        // The worker's scratch, reused for every row it computes.
        var processor = RowProcessor(columns: work.columns, outputs: work.outputs)
        while true {
            lock()
            while !stopped && queueHead == queue.count && !readerDone { pthread_cond_wait(workReady, mutex) }
            if stopped || queueHead == queue.count {
                unlock()
                return
            }
            var chunk: InputChunk! = queue[queueHead]
            queue[queueHead] = nil   // the worker holds the only reference to the chunk's storage
            queueHead += 1
            let index = chunk.index
            if queueHead > 64 && queueHead * 2 > queue.count {
                queue.removeFirst(queueHead)
                queueHead = 0
            }
            var buffers: [ByteBuffer] = []
            while buffers.count < 4, let b = spare.popLast() { buffers.append(b) }
            unlock()
            while buffers.count < 4 { buffers.append(ByteBuffer(capacity: 1 << 16)) }
            let out = work.compute(chunk, buffers: buffers, processor: &processor)
            // The emptied chunk goes back to the reader with its capacity.
            var cells = chunk.cells
            chunk = nil
            cells.removeAll()
            lock()
            if spareChunks.count < window { spareChunks.append(cells) }
            results[index] = out
            pthread_cond_signal(resultReady)
            unlock()
        }
    }
}
