/// The CSV lines of a payment ledger (SPEC §9.2): `repay ledger --format csv`
/// and `repay batch --ledger FILE`.
///
/// Columns: `id,date,event,installment,amount,penalty,interest,principal,credit,overdue,balance,days_past_due`
/// (see ``LedgerEvent`` for what each holds); amounts with exactly `scale`
/// decimals, `installment` empty for events that concern no single installment.
public enum LedgerFormat {
    /// The header line.
    public static let header = "id,date,event,installment,amount,penalty,interest,principal,credit,overdue,balance,days_past_due\n"

    /// Appends one line per event.
    public static func append(id: String, _ events: [LedgerEvent], to out: inout [UInt8]) {
        var quotedID: [UInt8] = []
        CSVWriter.appendField(id, to: &quotedID)
        for e in events {
            out.append(contentsOf: quotedID)
            out.append(44)
            e.date.append(to: &out)
            out.append(44)
            out.append(contentsOf: e.kind.rawValue.utf8)
            out.append(44)
            if let k = e.installment { out.append(contentsOf: String(k).utf8) }
            for m in [e.amount, e.penalty, e.interest, e.principal, e.credit, e.overdue, e.balance] {
                out.append(44)
                MoneyFormat.append(m.units, scale: m.scale, to: &out)
            }
            out.append(44)
            out.append(contentsOf: String(e.daysPastDue).utf8)
            out.append(10)
        }
    }
}
