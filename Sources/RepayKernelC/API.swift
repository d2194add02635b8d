// The C functions of repaykernel.h.
//
// Every function is `@c @implementation` (SE-0495): the compiler checks its
// Swift signature against the declaration in the hand-written header, so the
// header stays the single source of truth. No function needed the `@c`-only
// or `@_cdecl` fallback: opaque handles import as `OpaquePointer`, `char **`
// as `UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>`, `size_t` as `Int`.
//
// Boundary rules, checked here because a Swift trap cannot be caught:
// NULL handles and output pointers give RK_MISUSE; strings are validated as
// UTF-8 before they reach the kernel; indexes are range-checked; the kernel
// itself never traps on bad input (it checks divisors before calling GMP).

import CRepayKernel
import RepaymentKernel
import RepaymentBatch
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Version, status codes, memory

/// `RepaymentKernel.version` (the one definition of the version, also printed
/// by `repay --version`), copied once into a C string that lives as long as
/// the process. The tests check that the header's RK_VERSION is the same.
nonisolated(unsafe) private let versionCString: UnsafeMutablePointer<CChar>? = strdup(RepaymentKernel.version)

/// `RepaymentKernel.version` as MAJOR*1000000 + MINOR*1000 + PATCH.
private let versionNumber: Int32 = RepaymentKernel.version.split(separator: ".")
    .reduce(Int32(0)) { $0 * 1000 + (Int32($1) ?? 0) }

@c @implementation
public func rk_version_number() -> Int32 { versionNumber }

@c @implementation
public func rk_version() -> UnsafePointer<CChar>? {
    versionCString.map { UnsafePointer($0) } ?? cString("unknown")
}

@c @implementation
public func rk_errstr(_ status: Int32) -> UnsafePointer<CChar>? {
    switch status {
    case RK_OK: return cString("RK_OK: not an error")
    case RK_ERROR: return cString("RK_ERROR: internal error (a kernel invariant failed)")
    case RK_INVALID: return cString("RK_INVALID: an input field is malformed, missing or not allowed")
    case RK_RANGE: return cString("RK_RANGE: a value is out of range or does not fit int64_t")
    case RK_FORMAT: return cString("RK_FORMAT: the document is unusable")
    case RK_MISUSE: return cString("RK_MISUSE: library misuse (NULL pointer or index out of range)")
    case RK_NOMEM: return cString("RK_NOMEM: out of memory")
    case RK_PARTIAL: return cString("RK_PARTIAL: some rows failed (the output is complete)")
    case RK_NODATA: return cString("RK_NODATA: the result holds no such value")
    default: return cString("unknown status code")
    }
}

@c @implementation
public func rk_free(_ p: UnsafeMutableRawPointer?) { free(p) }

// MARK: - Helpers

@inline(__always)
private func request(_ p: OpaquePointer?) -> RequestBox? {
    guard let p else { return nil }
    return Unmanaged<RequestBox>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
}

@inline(__always)
private func result(_ p: OpaquePointer?) -> ResultBox? {
    guard let p else { return nil }
    return Unmanaged<ResultBox>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
}

/// A NUL-terminated C string as Swift text, nil when it is not valid UTF-8.
private func utf8(_ p: UnsafePointer<CChar>) -> String? { String(validatingCString: p) }

/// Copies bytes into a new malloc'd, NUL-terminated buffer for the caller.
private func handOut(_ bytes: [UInt8], _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                     _ outLen: UnsafeMutablePointer<Int>?) -> Bool {
    guard let out else { return true }
    guard let p = malloc(bytes.count + 1)?.assumingMemoryBound(to: UInt8.self) else {
        out.pointee = nil
        outLen?.pointee = 0
        return false
    }
    bytes.withUnsafeBufferPointer { src in
        if let base = src.baseAddress { p.update(from: base, count: src.count) }
    }
    p[bytes.count] = 0
    out.pointee = UnsafeMutableRawPointer(p).assumingMemoryBound(to: CChar.self)
    outLen?.pointee = bytes.count
    return true
}

/// The bytes of an input buffer (NULL with length 0 is the empty document).
private func bytes(_ p: UnsafePointer<CChar>?, _ n: Int) -> [UInt8]? {
    guard n > 0 else { return [] }
    guard let p else { return nil }
    return Array(UnsafeRawBufferPointer(start: p, count: n))
}

/// The answer of an `*_int64` amount getter: RK_MISUSE for a NULL `out` or no such amount
/// (`v` nil: NULL handle, index or selector out of range), RK_RANGE when it does not fit
/// int64_t; `*out` is 0 unless RK_OK.
private func amountOut(_ out: UnsafeMutablePointer<Int64>?, _ v: Int64??) -> Int32 {
    guard let out else { return RK_MISUSE }
    out.pointee = 0
    guard let v else { return RK_MISUSE }
    guard let v else { return RK_RANGE }
    out.pointee = v
    return RK_OK
}

// MARK: - Requests

@c @implementation
public func rk_request_new(_ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guard let out else { return RK_MISUSE }
    out.pointee = OpaquePointer(Unmanaged.passRetained(RequestBox()).toOpaque())
    return RK_OK
}

@c @implementation
public func rk_request_free(_ req: OpaquePointer?) {
    guard let req else { return }
    Unmanaged<RequestBox>.fromOpaque(UnsafeRawPointer(req)).release()
}

@c @implementation
public func rk_request_set(_ req: OpaquePointer?, _ key: UnsafePointer<CChar>?, _ value: UnsafePointer<CChar>?) -> Int32 {
    guard let box = request(req) else { return RK_MISUSE }
    guard let key else {
        return box.fail(RequestFailure(status: RK_MISUSE, field: "key", message: "key: NULL (expected a column name such as 'principal')"))
    }
    // Bound both strings before copying them: a key longer than any column name is
    // unknown, a value longer than RK_MAX_VALUE_BYTES is refused (strnlen stops there).
    let keyLength = strnlen(key, RequestBox.maximumKeyBytes + 1)
    guard keyLength <= RequestBox.maximumKeyBytes else {
        return box.fail(RequestFailure(status: RK_INVALID, field: "key",
                                       message: "key: unknown column (more than \(RequestBox.maximumKeyBytes) bytes; no column name is longer than \(RequestBox.longestKey))"))
    }
    guard let k = utf8(key) else {
        return box.fail(RequestFailure(status: RK_INVALID, field: "key", message: "key: not valid UTF-8"))
    }
    var v: String? = nil
    if let value {
        guard strnlen(value, Int(RK_MAX_VALUE_BYTES) + 1) <= Int(RK_MAX_VALUE_BYTES) else {
            return box.fail(RequestBox.valueTooLong(key: k))
        }
        guard let s = utf8(value) else {
            return box.fail(RequestFailure(status: RK_INVALID, field: k, message: "\(k): not valid UTF-8"))
        }
        v = s
    }
    do {
        try box.set(key: k, value: v)
    } catch {
        return box.fail(error)
    }
    box.succeed()
    return RK_OK
}

@c @implementation
public func rk_request_clear(_ req: OpaquePointer?) -> Int32 {
    guard let box = request(req) else { return RK_MISUSE }
    box.clear()
    box.succeed()
    return RK_OK
}

@c @implementation
public func rk_request_errmsg(_ req: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let box = request(req) else { return cString("NULL request handle") }
    return box.errorMessage
}

@c @implementation
public func rk_request_errfield(_ req: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let box = request(req) else { return cString("") }
    return box.errorField
}

@c @implementation
public func rk_request_errcode(_ req: OpaquePointer?) -> Int32 {
    request(req)?.errorCode ?? RK_MISUSE
}

// MARK: - Computing

private func compute(_ req: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?, _ expect: Expect) -> Int32 {
    out?.pointee = nil
    guard let box = request(req) else { return RK_MISUSE }
    guard let out else {
        return box.fail(RequestFailure(status: RK_MISUSE, field: "", message: "the result pointer is NULL"))
    }
    do {
        let r = try box.compute(expect: expect)
        out.pointee = OpaquePointer(Unmanaged.passRetained(r).toOpaque())
        box.succeed()
        return RK_OK
    } catch {
        return box.fail(error)
    }
}

@c @implementation
public func rk_compute(_ req: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    compute(req, out, .any)
}

@c @implementation
public func rk_schedule(_ req: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    compute(req, out, .loan)
}

@c @implementation
public func rk_plan(_ req: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    compute(req, out, .plan)
}

@c @implementation
public func rk_result_free(_ res: OpaquePointer?) {
    guard let res else { return }
    Unmanaged<ResultBox>.fromOpaque(UnsafeRawPointer(res)).release()
}

// MARK: - Reading a result

@c @implementation
public func rk_result_is_plan(_ res: OpaquePointer?) -> Int32 {
    (result(res)?.isPlan ?? false) ? 1 : 0
}

@c @implementation
public func rk_result_id(_ res: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let r = result(res) else { return cString("") }
    return r.summaryText(8)
}

@c @implementation
public func rk_result_scale(_ res: OpaquePointer?) -> Int32 {
    result(res)?.scale ?? -1
}

@c @implementation
public func rk_result_row_count(_ res: OpaquePointer?) -> Int {
    result(res)?.rowCount ?? 0
}

@c @implementation
public func rk_row_period(_ res: OpaquePointer?, _ row: Int) -> Int64 {
    guard let r = result(res), row >= 0, row < r.rowCount else { return -1 }
    return r.periods[row]
}

@c @implementation
public func rk_row_due_date(_ res: OpaquePointer?, _ row: Int) -> UnsafePointer<CChar>? {
    result(res)?.rowText(row, 0)
}

@c @implementation
public func rk_row_kind(_ res: OpaquePointer?, _ row: Int) -> UnsafePointer<CChar>? {
    result(res)?.rowText(row, 1)
}

/// A selector (RK_ROW_*, RK_SUM_*, RK_DEBT_*, RK_LEDGER_*) as a 0-based index into its range; -1 outside it.
private func index(_ selector: Int32, in range: ClosedRange<Int32>) -> Int {
    range.contains(selector) ? Int(selector - range.lowerBound) : -1
}

/// RK_ROW_PAYMENT ... RK_ROW_BALANCE as 0-based amount indexes; -1 otherwise.
private func amountIndex(_ column: Int32) -> Int { index(column, in: RK_ROW_PAYMENT...RK_ROW_BALANCE) }

@c @implementation
public func rk_row_amount(_ res: OpaquePointer?, _ row: Int, _ column: Int32) -> UnsafePointer<CChar>? {
    let k = amountIndex(column)
    guard k >= 0 else { return nil }
    return result(res)?.rowText(row, 2 + k)
}

@c @implementation
public func rk_row_amount_int64(_ res: OpaquePointer?, _ row: Int, _ column: Int32, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    amountOut(out, result(res)?.rowAmount(row, amountIndex(column)) ?? nil)
}

/// RK_SUM_* as 0-based summary text indexes; -1 otherwise.
private func summaryIndex(_ field: Int32) -> Int { index(field, in: RK_SUM_TOTAL_PAYABLE...RK_SUM_EFFECTIVE_APR) }

@c @implementation
public func rk_result_summary(_ res: OpaquePointer?, _ field: Int32) -> UnsafePointer<CChar>? {
    let k = summaryIndex(field)
    guard k >= 0 else { return nil }
    return result(res)?.summaryText(k)
}

@c @implementation
public func rk_result_summary_int64(_ res: OpaquePointer?, _ field: Int32, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    amountOut(out, result(res)?.summaryAmount(summaryIndex(field)) ?? nil)
}

/// RK_DEBT_BEFORE ... RK_DEBT_AFTER and RK_DEBT_PRINCIPAL ... RK_DEBT_TOTAL as 0-based indexes; -1 otherwise.
private func debtIndexes(_ stage: Int32, _ component: Int32) -> (Int, Int) {
    (index(stage, in: RK_DEBT_BEFORE...RK_DEBT_AFTER), index(component, in: RK_DEBT_PRINCIPAL...RK_DEBT_TOTAL))
}

@c @implementation
public func rk_result_debt(_ res: OpaquePointer?, _ stage: Int32, _ component: Int32) -> UnsafePointer<CChar>? {
    let (s, c) = debtIndexes(stage, component)
    return result(res)?.debtText(s, c)
}

@c @implementation
public func rk_result_debt_int64(_ res: OpaquePointer?, _ stage: Int32, _ component: Int32, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    let (s, c) = debtIndexes(stage, component)
    return amountOut(out, result(res)?.debtAmount(s, c) ?? nil)
}

// MARK: - Days past due and the ledger

@c @implementation
public func rk_result_days_past_due(_ res: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    guard let out else { return RK_MISUSE }
    out.pointee = 0
    guard let r = result(res), let days = r.daysPastDue else { return RK_MISUSE }
    guard let days else { return RK_NODATA }
    out.pointee = days
    return RK_OK
}

@c @implementation
public func rk_result_ledger_count(_ res: OpaquePointer?) -> Int {
    result(res)?.ledgerCount ?? 0
}

@c @implementation
public func rk_ledger_date(_ res: OpaquePointer?, _ i: Int) -> UnsafePointer<CChar>? {
    result(res)?.ledgerText(i, 0)
}

@c @implementation
public func rk_ledger_kind(_ res: OpaquePointer?, _ i: Int) -> UnsafePointer<CChar>? {
    result(res)?.ledgerText(i, 1)
}

@c @implementation
public func rk_ledger_installment(_ res: OpaquePointer?, _ i: Int) -> Int64 {
    guard let r = result(res), i >= 0, i < r.ledgerCount else { return -1 }
    return r.ledgerInstallments[i]
}

@c @implementation
public func rk_ledger_days_past_due(_ res: OpaquePointer?, _ i: Int) -> Int64 {
    guard let r = result(res), i >= 0, i < r.ledgerCount else { return -1 }
    return r.ledgerDaysPastDue[i]
}

/// RK_LEDGER_AMOUNT ... RK_LEDGER_BALANCE as 0-based amount indexes; -1 otherwise.
private func ledgerIndex(_ column: Int32) -> Int { index(column, in: RK_LEDGER_AMOUNT...RK_LEDGER_BALANCE) }

@c @implementation
public func rk_ledger_amount(_ res: OpaquePointer?, _ i: Int, _ column: Int32) -> UnsafePointer<CChar>? {
    let k = ledgerIndex(column)
    guard k >= 0 else { return nil }
    return result(res)?.ledgerText(i, 2 + k)
}

@c @implementation
public func rk_ledger_amount_int64(_ res: OpaquePointer?, _ i: Int, _ column: Int32, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    amountOut(out, result(res)?.ledgerAmount(i, ledgerIndex(column)) ?? nil)
}

// MARK: - Whole-request entry points

@c @implementation
public func rk_run_csv(_ csv: UnsafePointer<CChar>?, _ csvLen: Int,
                       _ schedule: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ scheduleLen: UnsafeMutablePointer<Int>?,
                       _ summary: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ summaryLen: UnsafeMutablePointer<Int>?,
                       _ errmsg: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    schedule?.pointee = nil; scheduleLen?.pointee = 0
    summary?.pointee = nil; summaryLen?.pointee = 0
    errmsg?.pointee = nil
    func finish(_ status: Int32, _ message: String) -> Int32 {
        if !handOut(Array(message.utf8), errmsg, nil) { return RK_NOMEM }
        return status
    }
    guard csvLen >= 0, let input = bytes(csv, csvLen) else {
        return finish(RK_MISUSE, "csv is NULL but csv_len is not 0")
    }
    let run: InMemoryBatch
    do {
        run = try InMemoryBatch(input, wantSchedule: schedule != nil)
    } catch {
        return finish(status(of: error), error.description)
    }
    if !handOut(run.schedule, schedule, scheduleLen) || !handOut(run.summary, summary, summaryLen) {
        free(schedule?.pointee); schedule?.pointee = nil; scheduleLen?.pointee = 0
        free(summary?.pointee); summary?.pointee = nil; summaryLen?.pointee = 0
        return RK_NOMEM
    }
    return finish(run.failedRows > 0 ? RK_PARTIAL : RK_OK, "")
}

@c @implementation
public func rk_run_json(_ json: UnsafePointer<CChar>?, _ jsonLen: Int,
                        _ result: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ resultLen: UnsafeMutablePointer<Int>?) -> Int32 {
    resultLen?.pointee = 0
    guard let result else { return RK_MISUSE }
    result.pointee = nil
    guard jsonLen >= 0, jsonLen <= Int(RK_MAX_JSON_BYTES) || json != nil else { return RK_MISUSE }
    let status: Int32, text: [UInt8]
    if jsonLen > Int(RK_MAX_JSON_BYTES) {
        // Refused before a byte is read or copied.
        (status, text) = JSONRun.tooLarge(field: "input", "\(jsonLen) bytes; a document has at most \(RK_MAX_JSON_BYTES) bytes (RK_MAX_JSON_BYTES)")
        return handOut(text, result, resultLen) ? status : RK_NOMEM
    }
    guard let input = bytes(json, jsonLen) else { return RK_MISUSE }
    do {
        (status, text) = JSONRun.run(try JSONReader.parse(input))
    } catch {
        (status, text) = JSONRun.documentError(error)
    }
    return handOut(text, result, resultLen) ? status : RK_NOMEM
}
