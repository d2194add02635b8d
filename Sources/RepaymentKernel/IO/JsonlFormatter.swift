/// `repay batch --format jsonl`: one JSON object per input row, one per line (LF), in input
/// order, for data pipelines.
///
/// Every amount and rate is a JSON **string** holding exactly the text of the CSV outputs
/// (`"890.13"`, `"0.125729"`): JSON numbers are read as binary floating point by most
/// consumers, which would silently break exactness. Counts (`line`, `period`, `payments`) are
/// JSON numbers. Keys always come in this order:
///
/// ```
/// {"id":"L1","status":"ok","line":2,
///  "rows":[{"period":1,"due_date":"2024-02-29","kind":"installment","payment":"890.13",
///           "principal":"787.29","interest":"102.84","carried":"0.00","balance":"9213.26"}, ...],
///  "summary":{"payments":12,"total_payable":"10695.41","total_interest":"694.86",
///             "waived_penalty":"0.00","waived_interest":"0.00","waived_fees":"0.00",
///             "last_due":"2025-01-31","apr":"0.125729","effective_apr":"0.133233"}}
/// {"id":"x","status":"error","line":3,"rows":[],"summary":null,
///  "error":{"column":"principal","message":"more than 2 decimals: '1.001'"}}
/// ```
///
/// (shown wrapped; each object is one line). `line` is the physical line of the input where
/// the row starts; `last_due` is `null` when there are no rows; `column` is the CSV column at
/// fault (`row` for a row with the wrong number of cells).
public enum JsonlFormatter {
    /// Appends the object of a computed row, with its trailing LF.
    public static func appendResult(id: String, line: Int, _ result: BatchResult, to out: inout [UInt8]) {
        out.append(contentsOf: #"{"id":"#.utf8)
        appendString(id, to: &out)
        out.append(contentsOf: #","status":"ok","line":"#.utf8)
        out.append(contentsOf: String(line).utf8)
        out.append(contentsOf: #","rows":["#.utf8)
        let rows = result.schedule.rows
        for (k, r) in rows.enumerated() {
            if k > 0 { out.append(44) }
            out.append(contentsOf: #"{"period":"#.utf8)
            MoneyFormat.append(Int128(r.period), scale: 0, to: &out)
            out.append(contentsOf: #","due_date":""#.utf8)
            r.dueDate.append(to: &out)
            out.append(contentsOf: #"","kind":""#.utf8)
            out.append(contentsOf: r.kind.rawValue.utf8)
            field("payment", r.payment, to: &out)
            field("principal", r.principal, to: &out)
            field("interest", r.interest, to: &out)
            field("carried", r.carried, to: &out)
            field("balance", r.balance, to: &out)
            out.append(contentsOf: "\"}".utf8)
        }
        out.append(contentsOf: #"],"summary":{"payments":"#.utf8)
        out.append(contentsOf: String(rows.count).utf8)
        out.append(contentsOf: #",""#.utf8)
        out.append(contentsOf: #"total_payable":""#.utf8)
        MoneyFormat.append(result.totalPayable.units, scale: result.totalPayable.scale, to: &out)
        field("total_interest", result.totalInterest, to: &out)
        field("waived_penalty", result.waivedPenalty, to: &out)
        field("waived_interest", result.waivedInterest, to: &out)
        field("waived_fees", result.waivedFees, to: &out)
        out.append(contentsOf: #"","last_due":"#.utf8)
        if let last = result.schedule.lastDue {
            out.append(34)
            last.append(to: &out)
            out.append(34)
        } else {
            out.append(contentsOf: "null".utf8)
        }
        out.append(contentsOf: #","apr":""#.utf8)
        out.append(contentsOf: result.apr.nominal.utf8)
        out.append(contentsOf: #"","effective_apr":""#.utf8)
        out.append(contentsOf: result.apr.effective.utf8)
        out.append(contentsOf: "\"}}\n".utf8)
    }

    /// Appends the object of a failed row, with its trailing LF.
    public static func appendError(id: String, line: Int, _ error: KernelError, to out: inout [UInt8]) {
        out.append(contentsOf: #"{"id":"#.utf8)
        appendString(id, to: &out)
        out.append(contentsOf: #","status":"error","line":"#.utf8)
        out.append(contentsOf: String(line).utf8)
        out.append(contentsOf: #","rows":[],"summary":null,"error":{"column":"#.utf8)
        appendString(error.field, to: &out)
        out.append(contentsOf: #","message":"#.utf8)
        appendString(error.problem, to: &out)
        out.append(contentsOf: "}}\n".utf8)
    }

    /// `","name":"amount` (the caller opened the previous string and closes this one).
    private static func field(_ name: String, _ m: Money, to out: inout [UInt8]) {
        out.append(contentsOf: "\",\"".utf8)
        out.append(contentsOf: name.utf8)
        out.append(contentsOf: "\":\"".utf8)
        MoneyFormat.append(m.units, scale: m.scale, to: &out)  // the text of Money.description
    }

    /// Appends `s` as a JSON string literal (RFC 8259): `"` and `\` escaped, control characters
    /// as `\n`, `\r`, `\t` or `\u00XX`; everything else, non-ASCII included, as UTF-8.
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(34)
        for b in s.utf8 {
            switch b {
            case 34: out.append(92); out.append(34)
            case 92: out.append(92); out.append(92)
            case 10: out.append(92); out.append(110)
            case 13: out.append(92); out.append(114)
            case 9: out.append(92); out.append(116)
            case 0..<32:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [92, 117, 48, 48, hex[Int(b >> 4)], hex[Int(b & 15)]])
            default: out.append(b)
            }
        }
        out.append(34)
    }
}
