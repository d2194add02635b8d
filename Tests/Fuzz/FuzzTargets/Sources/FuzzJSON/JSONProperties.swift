// rk_run_json, the whole-request C entry point, on arbitrary bytes:
// - it returns a status of the header (never RK_ERROR: a kernel self-check
//   failing is a bug) and always a NUL-terminated result of the stated length;
// - it refuses a document (RK_FORMAT) exactly when an independent strict JSON
//   reader under the same limits does, or when it is not a request object or
//   an array of them;
// - the result is JSON: one entry per request, in order; an ok loan's rows
//   repay exactly its principal, a plan's debt before = waived + after and its
//   rows repay the debt after waivers (plus capitalized deferral interest);
//   every row's payment is principal + interest + carried;
// - the same document gives the same bytes twice.

#if canImport(Glibc)
import Glibc
#endif
import CRepayKernel
import FuzzSupport
import RepayKernelC
import RepaymentKernel

enum JSONProperties {
    static func run(_ data: UnsafePointer<UInt8>?, _ size: Int) -> (Int32, [UInt8]) {
        var out: UnsafeMutablePointer<CChar>? = nil
        var length = 0
        let status = UnsafeRawPointer(data).map { rk_run_json($0.assumingMemoryBound(to: CChar.self), size, &out, &length) }
            ?? rk_run_json(nil, 0, &out, &length)
        guard let out else { violated("rk_run_json returned status \(status) and no result") }
        require(strlen(out) == length, "result length \(length), strlen \(strlen(out))")
        let bytes = Array(UnsafeRawBufferPointer(start: out, count: length))
        rk_free(out)
        return (status, bytes)
    }

    static func check(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        let (status, result) = run(data, size)
        require([RK_OK, RK_INVALID, RK_RANGE, RK_FORMAT, RK_PARTIAL].contains(status), "status \(status)")
        let again = run(data, size)
        require(again.0 == status && again.1 == result, "a second run differs")

        guard case .success(let output) = RefJSONReader.parse(result) else {
            violated("the result is not JSON: \(String(decoding: result.prefix(200), as: UTF8.self))")
        }
        let document = RefJSONReader.parse(input(data, size))
        let requests: [RefJSON]
        switch document {
        case .failure:
            require(status == RK_FORMAT, "an invalid document gave status \(status)")
            return
        case .success(.array(let items)):
            requests = items
        case .success(let v):
            guard case .object = v else {
                require(status == RK_FORMAT, "a document that is not an object or array gave status \(status)")
                return
            }
            requests = [v]
        }
        if status == RK_RANGE, output["error"]?["field"]?.text == "result" { return }   // RK_MAX_RESULT_BYTES
        require(status != RK_FORMAT, "a valid document was refused: \(String(decoding: result.prefix(300), as: UTF8.self))")
        let entries: [RefJSON]
        if case .array(let items) = output { entries = items } else { entries = [output] }
        if case .array = document.successValue {
            guard case .array = output else { violated("an array of requests did not give an array") }
        }
        require(entries.count == requests.count, "\(entries.count) results for \(requests.count) requests")
        var anyFailed = false
        for (k, (request, entry)) in zip(requests, entries).enumerated() {
            let context = "request \(k)"
            guard entry["status"]?.text == "ok" || entry["status"] == .string("ok") else {
                require(entry["status"] == .string("error"), "\(context): status \(String(describing: entry["status"]))")
                let code = entry["error"]?["code"]?.text
                require(code != String(RK_ERROR), "\(context): internal error \(String(describing: entry["error"]))")
                anyFailed = true
                continue
            }
            checkResult(request, entry, context)
        }
        if requests.count == 1, case .object = document.successValue {
            require((status == RK_OK) == !anyFailed, "status \(status) for a request that \(anyFailed ? "failed" : "succeeded")")
        } else {
            require(status == (anyFailed ? RK_PARTIAL : RK_OK), "status \(status) for an array (\(anyFailed ? "some failed" : "all ok"))")
        }
    }

    static func money(_ j: RefJSON?, _ context: String) -> Money {
        guard let t = j?.text else { violated("\(context): missing amount") }
        let scale = t.split(separator: ".").dropFirst().first?.count ?? 0
        guard let m = try? Money(parsing: t.hasPrefix("-") ? String(t.dropFirst()) : t, scale: scale) else {
            violated("\(context): '\(t)' is not an amount")
        }
        return t.hasPrefix("-") ? .zero(scale: scale) - m : m
    }

    static func checkResult(_ request: RefJSON, _ entry: RefJSON, _ context: String) {
        guard case .array(let rows) = entry["rows"], let summary = entry["summary"] else { violated("\(context): no rows or summary") }
        require(summary["payments"]?.text == String(rows.count), "\(context): payments \(String(describing: summary["payments"]))")
        var principal = Money.zero(scale: 0), payable = Money.zero(scale: 0), repaid = Money.zero(scale: 0)
        for (n, row) in rows.enumerated() {
            let p = money(row["principal"], context), i = money(row["interest"], context), c = money(row["carried"], context)
            require(money(row["payment"], context) == p + i + c, "\(context): row \(n) payment != principal + interest + carried")
            principal = principal + p
            payable = payable + p + i + c
            repaid = repaid + p + c
        }
        require(money(summary["total_payable"], context) == payable, "\(context): total payable")
        if entry["plan"] == .bool(false) {
            // A loan: the rows repay exactly the principal asked for.
            if let asked = request["principal"]?.text, let want = try? Money(parsing: asked, scale: 6) {
                require(principal == want, "\(context): principal repaid \(principal), asked \(asked)")
            }
            require(!rows.isEmpty, "\(context): a loan without rows")
        } else {
            guard let debt = entry["debt"] else { violated("\(context): a plan without its debt") }
            for c in ["principal", "overdue_principal", "overdue_interest", "accrued_interest", "penalty", "fees", "total"] {
                require(money(debt["before"]?[c], context) == money(debt["waived"]?[c], context) + money(debt["after"]?[c], context),
                        "\(context): debt \(c): before != waived + after")
            }
            let after = money(debt["after"]?["total"], context)
            require(money(summary["total_interest"], context) == payable - after, "\(context): total interest")
            // Rows repay the debt after waivers, plus accrued deferral interest (capitalized, never negative).
            let accrued = request["deferral_interest"]?.text == "accrued"
            require(accrued ? !(repaid < after) : repaid == after, "\(context): rows repay \(repaid), debt after waivers \(after)")
        }
    }
}

extension Result {
    var successValue: Success? { if case .success(let v) = self { return v } else { return nil } }
}
