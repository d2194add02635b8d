// The objects behind the opaque handles of repaykernel.h.
//
// `rk_request` is a `RequestBox`, `rk_result` a `ResultBox`; a handle is the
// object's address from `Unmanaged.passRetained(...).toOpaque()`, released by
// the matching `rk_*_free`. Nothing here traps on any input: every failure is
// a status code plus a message recorded on the request.

import CRepayKernel
import RepaymentKernel
#if canImport(Glibc)
import Glibc
#endif

/// The status code of a kernel error (the pinned `RK_*` values), from its
/// code alone: the wording of a message never decides a status.
func status(of error: KernelError) -> Int32 {
    switch error.code {
    case .invalidInput: return RK_INVALID
    case .outOfRange: return RK_RANGE
    case .unusableFile: return RK_FORMAT
    case .io: return RK_ERROR
    case .internalFailure: return RK_ERROR
    }
}

/// The name of a status code, for JSON output ("RK_INVALID").
func statusName(_ s: Int32) -> String {
    switch s {
    case RK_OK: return "RK_OK"
    case RK_ERROR: return "RK_ERROR"
    case RK_INVALID: return "RK_INVALID"
    case RK_RANGE: return "RK_RANGE"
    case RK_FORMAT: return "RK_FORMAT"
    case RK_MISUSE: return "RK_MISUSE"
    case RK_NOMEM: return "RK_NOMEM"
    case RK_PARTIAL: return "RK_PARTIAL"
    case RK_NODATA: return "RK_NODATA"
    default: return "RK_UNKNOWN"
    }
}

/// A static C string (never freed).
@inline(__always)
func cString(_ s: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(s.utf8Start).assumingMemoryBound(to: CChar.self)
}

/// Which kind of request a compute call accepts.
enum Expect { case any, loan, plan }

/// A failure of a request: status, field at fault, message (`field: problem`).
struct RequestFailure: Error {
    var status: Int32
    var field: String
    var message: String

    init(status: Int32, field: String, message: String) {
        self.status = status; self.field = field; self.message = message
    }

    init(_ e: KernelError) {
        self.init(status: RepayKernelC.status(of: e), field: e.field, message: e.description)
    }
}

/// The state of an `rk_request`: the cells set so far and the last error.
final class RequestBox {
    /// The length of the longest column name.
    static let longestKey = Column.longestName
    /// A key longer than this cannot be a column name, not even a typo of one.
    static var maximumKeyBytes: Int { longestKey + 2 }

    /// The failure of a value longer than RK_MAX_VALUE_BYTES.
    static func valueTooLong(key: String) -> RequestFailure {
        RequestFailure(status: RK_RANGE, field: key,
                       message: "\(key): too long (more than \(RK_MAX_VALUE_BYTES) bytes, RK_MAX_VALUE_BYTES)")
    }
    /// Column -> non-empty cell text.
    private(set) var cells: [Column: String] = [:]
    /// Last error message and field (malloc'd), nil when the last call succeeded.
    private var errmsg: UnsafeMutablePointer<CChar>? = nil
    private var errfield: UnsafeMutablePointer<CChar>? = nil
    /// The status the last call returned (RK_OK when it succeeded).
    private(set) var errorCode: Int32 = RK_OK

    deinit {
        free(errmsg)
        free(errfield)
    }

    var errorMessage: UnsafePointer<CChar> { errmsg.map { UnsafePointer($0) } ?? cString("") }
    var errorField: UnsafePointer<CChar> { errfield.map { UnsafePointer($0) } ?? cString("") }

    func succeed() {
        free(errmsg); errmsg = nil
        free(errfield); errfield = nil
        errorCode = RK_OK
    }

    /// Records a failure and returns its status.
    @discardableResult
    func fail(_ f: RequestFailure) -> Int32 {
        succeed()
        // strdup stops at an embedded NUL, which is what a C reader would see anyway.
        errmsg = strdup(f.message)
        errfield = strdup(f.field)
        errorCode = f.status
        return f.status
    }

    func clear() { cells.removeAll(keepingCapacity: true) }

    /// Sets `key` to `value` (nil or empty: the default), checking that the key is a known column.
    func set(key: String, value: String?) throws(RequestFailure) {
        guard !key.isEmpty else {
            throw RequestFailure(status: RK_INVALID, field: "key", message: "key: must not be empty (expected a column name such as 'principal')")
        }
        if key.utf8.count > RequestBox.maximumKeyBytes {
            // Cannot be a column name, not even a typo of one; the "did you mean" search is
            // linear in the key's length, so a huge key is refused before it.
            throw RequestFailure(status: RK_INVALID, field: "key",
                                 message: "key: unknown column \(KernelError.quoted(key)) (no column name is longer than \(RequestBox.longestKey) bytes)")
        }
        guard let column = Column(name: key) else {
            // The header check of the CSV contract gives the message: the same "did you mean" hint.
            do {
                _ = try BatchColumns(header: ["id", key])
            } catch {
                throw RequestFailure(status: RK_INVALID, field: key, message: "\(key): \(error.problem)")
            }
            throw RequestFailure(status: RK_INVALID, field: key, message: "\(key): unknown column")
        }
        if let value, value.utf8.count > Int(RK_MAX_VALUE_BYTES) { throw RequestBox.valueTooLong(key: key) }
        if let value, !value.isEmpty { cells[column] = value } else { cells.removeValue(forKey: column) }
    }

    /// Computes the request through the batch contract's row parser.
    func compute(expect: Expect) throws(RequestFailure) -> ResultBox {
        let isPlan = cells[.asOf] != nil
        switch expect {
        case .loan where isPlan:
            throw RequestFailure(status: RK_INVALID, field: "as_of",
                                 message: "as_of: a loan schedule has no as_of (compute a negotiated plan with rk_plan or rk_compute)")
        case .plan where !isPlan:
            throw RequestFailure(status: RK_INVALID, field: "as_of", message: "as_of: required for a plan")
        default: break
        }
        let id = cells[.id] ?? (isPlan ? "plan" : "loan")
        // The cells go to the row parser by column, as a CSV row would, without a header to check.
        let given = Column.allCases.filter { $0 != .id && cells[$0] != nil }
        let columns = BatchColumns(columns: [.id] + given)
        var request = BatchRequest()
        do {
            try RowCells.withCells([id] + given.map { cells[$0]! }) { row throws(KernelError) in
                try columns.read(row, into: &request)
            }
            // A plan row with payments keeps its replay, for its ledger (rk_ledger_*).
            let result = try BatchResult.compute(request, ledger: true).get()
            return ResultBox(id: id, isPlan: isPlan, result, ledger: result.replay?.events ?? [])
        } catch {
            throw RequestFailure(error)
        }
    }
}

/// An immutable `rk_result`: every string the getters return is laid out once
/// in one NUL-separated arena, so reads never allocate and never mutate.
final class ResultBox {
    static let rowTexts = 7        // due_date, kind, payment, principal, interest, carried, balance
    static let rowAmounts = 5      // payment ... balance
    static let summaryTexts = 9    // total_payable ... effective_apr, id
    static let summaryAmounts = 5  // total_payable ... waived_fees
    static let debtStages = 3      // before, waived, after
    static let debtComponents = 7  // principal ... fees, total
    static let ledgerTexts = 9     // date, kind, amount, penalty, interest, principal, credit, overdue, balance
    static let ledgerAmounts = 7   // amount ... balance

    let isPlan: Bool
    /// Whether the debt breakdown is laid out (a plan's result).
    let hasDebt: Bool
    let scale: Int32
    let rowCount: Int
    let periods: [Int64]
    /// Days past due at as_of (rk_result_days_past_due): nil for a loan, .some(nil) for a plan
    /// whose arrears were given directly.
    let daysPastDue: Int64??
    /// The ledger of a plan replayed from its payments: event count, installment (0 for none)
    /// and days past due per event.
    let ledgerCount: Int
    let ledgerInstallments: [Int64]
    let ledgerDaysPastDue: [Int64]
    /// Where the ledger's texts start in `offsets` and its amounts in `amounts`.
    private let ledgerTextBase: Int
    private let ledgerAmountBase: Int
    /// Offsets into `arena`: rowCount * rowTexts, then summaryTexts, then (plans) debtStages *
    /// debtComponents, then ledgerCount * ledgerTexts.
    private let offsets: [Int]
    /// rowCount * rowAmounts, summaryAmounts, then (plans) debtStages * debtComponents, then
    /// ledgerCount * ledgerAmounts; nil where the amount does not fit Int64.
    private let amounts: [Int64?]
    private let arena: UnsafeMutablePointer<CChar>

    /// Everything a getter can return, computed once.
    let id: String
    let result: BatchResult

    init(id: String, isPlan: Bool, _ r: BatchResult, ledger: [LedgerEvent] = []) {
        self.id = id
        self.isPlan = isPlan
        self.result = r
        let rows = r.schedule.rows
        self.scale = Int32(r.schedule.scale)
        self.rowCount = rows.count
        var bytes: [UInt8] = []
        bytes.reserveCapacity(rows.count * 80 + 128)
        var offsets: [Int] = []
        offsets.reserveCapacity(rows.count * Self.rowTexts + Self.summaryTexts)
        var amounts: [Int64?] = []
        amounts.reserveCapacity(rows.count * Self.rowAmounts + Self.summaryAmounts)
        var periods: [Int64] = []
        periods.reserveCapacity(rows.count)
        func add(_ s: String) {
            offsets.append(bytes.count)
            bytes.append(contentsOf: s.utf8)
            bytes.append(0)
        }
        for row in rows {
            periods.append(Int64(row.period))
            offsets.append(bytes.count)
            row.dueDate.append(to: &bytes)
            bytes.append(0)
            add(row.kind.rawValue)
            for m in [row.payment, row.principal, row.interest, row.carried, row.balance] {
                add(m.description)
                amounts.append(m.minorUnitsInt64)
            }
        }
        for m in [r.totalPayable, r.totalInterest, r.waivedPenalty, r.waivedInterest, r.waivedFees] {
            add(m.description)
            amounts.append(m.minorUnitsInt64)
        }
        add(r.schedule.lastDue?.description ?? "")
        add(r.apr.nominal)
        add(r.apr.effective)
        add(id)
        var hasDebt = false
        if let before = r.debtBeforeWaivers, let after = r.debtAfterWaivers {
            hasDebt = true
            let b = Self.components(before), a = Self.components(after)
            for stage in [b, zip(b, a).map { $0 - $1 }, a] {
                for m in stage {
                    add(m.description)
                    amounts.append(m.minorUnitsInt64)
                }
            }
        }
        self.daysPastDue = r.debtBeforeWaivers.map { $0.daysPastDue.map(Int64.init) }
        let ledgerTextBase = offsets.count, ledgerAmountBase = amounts.count
        var installments: [Int64] = [], days: [Int64] = []
        installments.reserveCapacity(ledger.count)
        days.reserveCapacity(ledger.count)
        for e in ledger {
            installments.append(Int64(e.installment ?? 0))
            days.append(Int64(e.daysPastDue))
            offsets.append(bytes.count)
            e.date.append(to: &bytes)
            bytes.append(0)
            add(e.kind.rawValue)
            for m in [e.amount, e.penalty, e.interest, e.principal, e.credit, e.overdue, e.balance] {
                add(m.description)
                amounts.append(m.minorUnitsInt64)
            }
        }
        self.ledgerCount = ledger.count
        self.ledgerInstallments = installments
        self.ledgerDaysPastDue = days
        self.ledgerTextBase = ledgerTextBase
        self.ledgerAmountBase = ledgerAmountBase
        let arena = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, bytes.count))
        bytes.withUnsafeBufferPointer { src in
            src.withMemoryRebound(to: CChar.self) { arena.initialize(from: $0.baseAddress!, count: $0.count) }
        }
        self.arena = arena
        self.hasDebt = hasDebt
        self.offsets = offsets
        self.amounts = amounts
        self.periods = periods
    }

    deinit { arena.deallocate() }

    private func text(_ k: Int) -> UnsafePointer<CChar> { UnsafePointer(arena + offsets[k]) }

    /// Text `k` (0..<rowTexts) of row `row`; nil when out of range.
    func rowText(_ row: Int, _ k: Int) -> UnsafePointer<CChar>? {
        guard row >= 0, row < rowCount, k >= 0, k < Self.rowTexts else { return nil }
        return text(row * Self.rowTexts + k)
    }

    /// Amount `k` (0..<rowAmounts) of row `row`: .some(nil) when it does not fit Int64; nil when out of range.
    func rowAmount(_ row: Int, _ k: Int) -> Int64?? {
        guard row >= 0, row < rowCount, k >= 0, k < Self.rowAmounts else { return nil }
        return .some(amounts[row * Self.rowAmounts + k])
    }

    /// Summary text `k` (0..<summaryTexts: 5 amounts, last_due, apr, effective_apr, id).
    func summaryText(_ k: Int) -> UnsafePointer<CChar>? {
        guard k >= 0, k < Self.summaryTexts else { return nil }
        return text(rowCount * Self.rowTexts + k)
    }

    /// Summary amount `k` (0..<summaryAmounts), as `rowAmount`.
    func summaryAmount(_ k: Int) -> Int64?? {
        guard k >= 0, k < Self.summaryAmounts else { return nil }
        return .some(amounts[rowCount * Self.rowAmounts + k])
    }

    /// The debt components in the order of RK_DEBT_PRINCIPAL ... RK_DEBT_TOTAL.
    static func components(_ d: ArrearsSnapshot) -> [Money] {
        [d.principal, d.overduePrincipal, d.overdueInterest, d.accruedInterest, d.penalty, d.fees, d.total]
    }

    /// The index of debt amount (`stage` 0..<debtStages, `component` 0..<debtComponents); nil for a loan or out of range.
    private func debtIndex(_ stage: Int, _ component: Int) -> Int? {
        guard hasDebt, (0..<Self.debtStages).contains(stage), (0..<Self.debtComponents).contains(component) else { return nil }
        return stage * Self.debtComponents + component
    }

    /// Debt text of `stage` and `component` (0-based), nil for a loan or out of range.
    func debtText(_ stage: Int, _ component: Int) -> UnsafePointer<CChar>? {
        debtIndex(stage, component).map { text(rowCount * Self.rowTexts + Self.summaryTexts + $0) }
    }

    /// Debt amount of `stage` and `component`, as `rowAmount`.
    func debtAmount(_ stage: Int, _ component: Int) -> Int64?? {
        debtIndex(stage, component).map { amounts[rowCount * Self.rowAmounts + Self.summaryAmounts + $0] }
    }

    /// Text `k` (0..<ledgerTexts) of ledger event `i`; nil when out of range.
    func ledgerText(_ i: Int, _ k: Int) -> UnsafePointer<CChar>? {
        guard i >= 0, i < ledgerCount, k >= 0, k < Self.ledgerTexts else { return nil }
        return text(ledgerTextBase + i * Self.ledgerTexts + k)
    }

    /// Amount `k` (0..<ledgerAmounts) of ledger event `i`, as `rowAmount`.
    func ledgerAmount(_ i: Int, _ k: Int) -> Int64?? {
        guard i >= 0, i < ledgerCount, k >= 0, k < Self.ledgerAmounts else { return nil }
        return .some(amounts[ledgerAmountBase + i * Self.ledgerAmounts + k])
    }
}
