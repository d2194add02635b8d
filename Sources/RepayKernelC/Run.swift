// The whole-request entry points: a batch CSV document in, the two batch CSV
// outputs out (rk_run_csv); a JSON request in, a JSON result out (rk_run_json).

import CRepayKernel
import RepaymentKernel

/// The outputs of a batch CSV document, computed exactly as `repay batch`
/// computes them (same reader, same row parser, same formatter), in memory
/// and on the calling thread.
struct CSVRun {
    var schedule: [UInt8] = []
    var summary: [UInt8] = []
    var failedRows = 0

    /// - Throws: a `KernelError` with `.unusableFile` for an unusable document
    ///   (the same messages as `repay batch`).
    init(_ bytes: [UInt8], wantSchedule: Bool) throws(KernelError) {
        let reader = CSVReader(bytes: bytes)
        let header: CSVRecord
        do {
            guard let h = try reader.next() else { throw KernelError(.unusableFile, field: "header", "the input is empty (no header row)") }
            header = h
        } catch let e as CSVSyntaxError {
            throw KernelError(.unusableFile, field: "input", "line \(e.line): \(e.message)")
        } catch let e as KernelError {
            throw e
        } catch {
            throw KernelError(.unusableFile, field: "input", "\(error)")
        }
        let columns = try BatchColumns(header: header.fields)
        schedule.append(contentsOf: BatchFormatter.scheduleHeader.utf8)
        summary.append(contentsOf: BatchFormatter.summaryHeader.utf8)
        // A syntax error after some rows makes the whole file unusable, as in `repay batch`
        // (which then commits nothing): read every record before computing any.
        var records: [CSVRecord] = []
        do {
            while let r = try reader.next() { records.append(r) }
        } catch {
            throw KernelError(.unusableFile, field: "input", "line \(error.line): \(error.message)")
        }
        for r in records {
            if !BatchFormatter.process(fields: r.fields, columns: columns, schedule: &schedule, summary: &summary) {
                failedRows += 1
            }
            if !wantSchedule { schedule.removeAll(keepingCapacity: true) }
        }
    }
}

/// One JSON request's outcome, appended to a JSON result.
enum JSONRun {
    /// Runs a parsed JSON document; returns the status and the result text.
    static func run(_ doc: JSONValue) -> (Int32, [UInt8]) {
        var w = JSONWriter()
        switch doc {
        case .object(let members):
            let status = request(members, into: &w)
            if w.out.count > Int(RK_MAX_RESULT_BYTES) { return resultTooLarge(after: 1, of: 1) }
            return (status, w.out)
        case .array(let items):
            var anyFailed = false
            w.raw("[")
            for (k, item) in items.enumerated() {
                if k > 0 { w.raw(",\n") }
                guard case .object(let members) = item else {
                    // Not a request object: an error entry for this element, the others still run.
                    writeError(id: nil, RequestFailure(status: RK_INVALID, field: "",
                                                       message: "element \(k) of the array is not a request object"), into: &w)
                    anyFailed = true
                    continue
                }
                if request(members, into: &w) != RK_OK { anyFailed = true }
                // One request's result is bounded (rows, amounts); stop between requests.
                if w.out.count > Int(RK_MAX_RESULT_BYTES) { return resultTooLarge(after: k + 1, of: items.count) }
            }
            w.raw("]")
            return (anyFailed ? RK_PARTIAL : RK_OK, w.out)
        default:
            return documentError(JSONSyntaxError(offset: 0, message: "expected a request object or an array of request objects"))
        }
    }

    /// `{"status":"error","error":{...}}` with RK_RANGE: a document or result beyond a limit.
    static func tooLarge(field: String, _ problem: String) -> (Int32, [UInt8]) {
        var w = JSONWriter()
        writeError(id: nil, RequestFailure(status: RK_RANGE, field: field, message: "\(field): \(problem)"), into: &w)
        return (RK_RANGE, w.out)
    }

    /// The error document of a result that outgrew RK_MAX_RESULT_BYTES.
    static func resultTooLarge(after done: Int, of count: Int) -> (Int32, [UInt8]) {
        tooLarge(field: "result", "longer than \(RK_MAX_RESULT_BYTES) bytes (RK_MAX_RESULT_BYTES) after \(done) of \(count) requests; split them over several calls")
    }

    /// `{"status":"error","error":{...}}` for an unusable document.
    static func documentError(_ e: JSONSyntaxError) -> (Int32, [UInt8]) {
        var w = JSONWriter()
        writeError(id: nil, RequestFailure(status: RK_FORMAT, field: "input", message: "input: byte \(e.offset): \(e.message)"), into: &w)
        return (RK_FORMAT, w.out)
    }

    /// Runs one request object through the same path as rk_request_set + rk_compute.
    static func request(_ members: [(String, JSONValue)], into w: inout JSONWriter) -> Int32 {
        let box = RequestBox()
        var givenID: String? = nil
        var seen = Set<String>()
        do throws(RequestFailure) {
            for (key, value) in members {
                guard seen.insert(key).inserted else {
                    throw RequestFailure(status: RK_INVALID, field: key, message: "\(key): duplicate key")
                }
                let cell: String?
                switch value {
                case .string(let s): cell = s
                case .number(let s): cell = s
                case .bool(let v): cell = v ? "true" : "false"
                case .null: cell = nil
                case .array, .object:
                    throw RequestFailure(status: RK_INVALID, field: key.isEmpty ? "key" : key,
                                         message: "\(key.isEmpty ? "key" : key): must be a string, number, boolean or null")
                }
                try box.set(key: key, value: cell)
                if key == "id" { givenID = cell }
            }
            let result = try box.compute(expect: .any)
            writeResult(result, into: &w)
            return RK_OK
        } catch {
            let defaultID = box.cells["as_of"] != nil ? "plan" : "loan"
            writeError(id: givenID.flatMap { $0.isEmpty ? nil : $0 } ?? defaultID, error, into: &w)
            return error.status
        }
    }

    static func writeError(id: String?, _ f: RequestFailure, into w: inout JSONWriter) {
        w.raw("{")
        if let id { w.member("id", id, first: true); w.raw(",") }
        w.raw("\"status\":\"error\",\"error\":{\"code\":\(f.status),")
        w.member("name", statusName(f.status), first: true)
        w.member("field", f.field)
        w.member("message", f.message)
        w.raw("}}")
    }

    static func writeResult(_ r: ResultBox, into w: inout JSONWriter) {
        w.raw("{")
        w.member("id", r.id, first: true)
        w.raw(",\"status\":\"ok\",\"plan\":\(r.isPlan ? "true" : "false"),\"rows\":[")
        let names = ["due_date", "kind", "payment", "principal", "interest", "carried", "balance"]
        for row in 0..<r.rowCount {
            w.raw(row == 0 ? "\n{" : ",\n{")
            w.raw("\"period\":\(r.periods[row])")
            for (k, name) in names.enumerated() {
                w.member(name, String(cString: r.rowText(row, k)!))
            }
            w.raw("}")
        }
        w.raw("],\n\"summary\":{\"payments\":\(r.rowCount)")
        let summaryNames = ["total_payable", "total_interest", "waived_penalty", "waived_interest", "waived_fees",
                            "last_due", "apr", "effective_apr"]
        for (k, name) in summaryNames.enumerated() {
            w.member(name, String(cString: r.summaryText(k)!))
        }
        w.raw("}")
        if r.hasDebt {
            let components = ["principal", "overdue_principal", "overdue_interest", "accrued_interest", "penalty", "fees", "total"]
            w.raw(",\n\"debt\":{")
            for (stage, stageName) in ["before", "waived", "after"].enumerated() {
                if stage > 0 { w.raw(",") }
                w.string(stageName)
                w.raw(":{")
                for (c, name) in components.enumerated() {
                    w.member(name, String(cString: r.debtText(stage, c)!), first: c == 0)
                }
                w.raw("}")
            }
            w.raw("}")
        }
        w.raw("}")
    }
}
