// The whole-request entry points: a batch CSV document in, the two batch CSV
// outputs out (rk_run_csv, computed by RepaymentBatch.InMemoryBatch); a JSON request in, a
// JSON result out (rk_run_json).

import CRepayKernel
import RepaymentKernel

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
                case .array(let items) where key == "payments":
                    cell = try paymentsCell(items)
                case .object where key == "payments":
                    throw RequestFailure(status: RK_INVALID, field: key,
                                         message: "payments: must be an array of items or a string (\"DATE AMOUNT; ...\")")
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
            let defaultID = box.cells[.asOf] != nil ? "plan" : "loan"
            writeError(id: givenID.flatMap { $0.isEmpty ? nil : $0 } ?? defaultID, error, into: &w)
            return error.status
        }
    }

    /// A JSON `payments` array as the `payments` cell (SPEC §9): one `DATE AMOUNT[ prepay]`
    /// item per element, joined by `; `, so that the cell's item N is element N and the
    /// parser's messages ("payments: item N: ...") name the element. What the text form
    /// cannot carry is refused here: a `;` or an empty text element, a date or amount with
    /// a space or `;`, an amount that is a JSON number with a fraction or exponent.
    static func paymentsCell(_ items: [JSONValue]) throws(RequestFailure) -> String {
        var out = ""
        for (k, item) in items.enumerated() {
            func bad(_ problem: String) -> RequestFailure {
                RequestFailure(status: RK_INVALID, field: "payments", message: "payments: item \(k + 1): \(problem)")
            }
            /// A date or amount word: non-empty, no space, no `;`.
            func word(_ s: String, _ name: String) throws(RequestFailure) -> String {
                guard !s.isEmpty, !s.utf8.contains(where: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: ";") || $0 < 0x20 }) else {
                    throw bad("\(name) '\(excerpt(s))' is not a single word (expected \(name == "date" ? "YYYY-MM-DD" : "a decimal amount such as \"518.52\""))")
                }
                return s
            }
            let text: String
            switch item {
            case .string(let s):
                guard !s.utf8.contains(UInt8(ascii: ";")) else {
                    throw bad("\"\(excerpt(s))\": contains ';' (give one item per array element)")
                }
                guard s.utf8.contains(where: { $0 != UInt8(ascii: " ") }) else {
                    throw bad("empty (expected \"DATE AMOUNT\" or \"DATE AMOUNT prepay\")")
                }
                text = s
            case .object(let members):
                var date: String? = nil, amount: String? = nil, prepay = false
                var seen = Set<String>()
                for (name, value) in members {
                    guard seen.insert(name).inserted else { throw bad("duplicate member '\(excerpt(name))'") }
                    switch (name, value) {
                    case ("date", .string(let s)): date = try word(s, "date")
                    case ("date", _): throw bad("date must be a string \"YYYY-MM-DD\"")
                    case ("amount", .string(let s)): amount = try word(s, "amount")
                    case ("amount", .number(let s)):
                        guard s.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) }) else {
                            throw bad("amount \(s) is a JSON number with a fraction or exponent, which a binary float may have produced; write it as a string (\"\(s)\")")
                        }
                        amount = s
                    case ("amount", _): throw bad("amount must be a string (\"518.52\") or a JSON integer")
                    case ("prepay", .bool(let v)): prepay = v
                    case ("prepay", .null): prepay = false
                    case ("prepay", _): throw bad("prepay must be true or false")
                    default: throw bad("unknown member '\(excerpt(name))' (expected date, amount, prepay)")
                    }
                }
                guard let date else { throw bad("no \"date\" (expected {\"date\": \"YYYY-MM-DD\", \"amount\": \"...\"})") }
                guard let amount else { throw bad("no \"amount\" (expected {\"date\": \"YYYY-MM-DD\", \"amount\": \"...\"})") }
                text = prepay ? "\(date) \(amount) prepay" : "\(date) \(amount)"
            default:
                throw bad("must be a string \"DATE AMOUNT [prepay]\" or an object {\"date\", \"amount\", \"prepay\"}")
            }
            if k > 0 { out += "; " }
            out += text
        }
        return out
    }

    /// At most 40 characters of `s` for a message, control characters escaped.
    private static func excerpt(_ s: String) -> String {
        var out = ""
        for (n, c) in s.unicodeScalars.enumerated() {
            if n == 40 { return out + "..." }
            if c.value < 0x20 || c.value == 0x7F { out += "\\x" + String(c.value, radix: 16, uppercase: true) } else { out.unicodeScalars.append(c) }
        }
        return out
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
        if let days = r.daysPastDue {
            w.raw(",\n\"days_past_due\":\(days.map { String($0) } ?? "null")")
        }
        if r.ledgerCount > 0 {
            let amounts = ["amount", "penalty", "interest", "principal", "credit", "overdue", "balance"]
            w.raw(",\n\"ledger\":[")
            for i in 0..<r.ledgerCount {
                w.raw(i == 0 ? "\n{" : ",\n{")
                w.member("date", String(cString: r.ledgerText(i, 0)!), first: true)
                w.member("kind", String(cString: r.ledgerText(i, 1)!))
                let installment = r.ledgerInstallments[i]
                w.raw(",\"installment\":\(installment > 0 ? String(installment) : "null")")
                for (k, name) in amounts.enumerated() {
                    w.member(name, String(cString: r.ledgerText(i, 2 + k)!))
                }
                w.raw(",\"days_past_due\":\(r.ledgerDaysPastDue[i])}")
            }
            w.raw("]")
        }
        w.raw("}")
    }
}
