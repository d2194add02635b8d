import ArgumentParser
import RepaymentKernel

/// `--payment DATE AMOUNT [prepay]` (repeatable) and the settings of a replay
/// (SPEC §9.2), shared by `plan` and `ledger`.
struct PaymentOptions: ParsableArguments {
    @Option(name: .customLong("payment"), parsing: .upToNextOption,
            help: ArgumentHelp("A payment actually received: DATE AMOUNT, or DATE AMOUNT prepay for a prepayment (提前还款). Repeat for each, in date order.",
                               valueName: "date amount [prepay]"))
    var payment: [String] = []
    @Option(help: "How a payment settles what is due: installment (default: oldest installment first; penalty, interest, principal) or component (all penalty, then all interest, then all principal).")
    var allocation: String?
    @Option(name: .customLong("grace-days"), help: "Days after a due date within which full payment owes no penalty (default 0).")
    var graceDays: String?
    @Option(help: "After a prepayment: reduce-payment (default: keep the due dates, lower the installment) or reduce-term (keep the installment, end early).")
    var prepayment: String?

    /// The `payments` cell (SPEC §9) built from the `--payment` values, nil when none.
    func paymentsCell(option: String = "payment") throws(KernelError) -> String? {
        try PaymentOptions.cell(payment, option: option, prepayOnly: false)
    }

    var settingCells: [(String, String?)] {
        [("allocation", allocation), ("grace_days", graceDays), ("prepayment", prepayment)]
    }

    /// Groups option values `DATE AMOUNT [prepay] DATE AMOUNT ...` into `;`-separated items.
    /// With `prepayOnly`, every item is a prepayment and `prepay` is not written.
    static func cell(_ values: [String], option: String, prepayOnly: Bool) throws(KernelError) -> String? {
        guard !values.isEmpty else { return nil }
        let shape = prepayOnly ? "DATE AMOUNT, e.g. --\(option) 2025-06-01 20000"
                               : "DATE AMOUNT or DATE AMOUNT prepay, e.g. --\(option) 2024-02-10 1037.03"
        var items: [String] = []
        var i = 0
        while i < values.count {
            guard i + 1 < values.count else {
                throw KernelError(field: option, "'\(values[i])' has no amount; expected \(shape)")
            }
            var item = values[i] + " " + values[i + 1]
            i += 2
            if prepayOnly {
                item += " prepay"
            } else if i < values.count && values[i] == "prepay" {
                item += " prepay"
                i += 1
            }
            items.append(item)
        }
        return items.joined(separator: "; ")
    }
}

/// Penalty interest (罚息) and fees of arrears, shared by `plan` and `ledger`.
struct PenaltyOptions: ParsableArguments {
    @Option(help: "Penalty markup over the contract rate (default 50%: 1.5x the daily rate).")
    var markup: String?
    @Option(help: "Penalty also on overdue interest (复利): true/false.")
    var compound: String?
    @Option(help: "Fees owed.")
    var fees: String?

    var cells: [(String, String?)] { [("markup", markup), ("compound", compound), ("fees", fees)] }
}
