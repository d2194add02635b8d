import Testing
import CRepayKernel
@testable import RepaymentKernel
@testable import RepayKernelC

/// Failures are classified by `KernelError.Code`, never by the wording of a
/// message: a failed self-check is `.internalFailure` (RK_ERROR in the C API).
@Suite("Error kinds and C status codes")
struct ErrorKindTests {
    @Test("Each code maps to its status; the message's wording plays no part")
    func statusOfEachCode() {
        #expect(status(of: KernelError(.invalidInput, field: "principal", "must be more than 0: '0'")) == RK_INVALID)
        #expect(status(of: KernelError(.outOfRange, field: "term", "must be at most 1200 months: '1201'")) == RK_RANGE)
        #expect(status(of: KernelError(.unusableFile, field: "header", "the input is empty")) == RK_FORMAT)
        #expect(status(of: KernelError(.io, field: "schedule", "cannot write")) == RK_ERROR)
        #expect(status(of: KernelError(.internalFailure, field: "", "anything at all")) == RK_ERROR)
        // the words "internal error" in a message of bad input do not make it RK_ERROR, and their absence
        // does not hide a failed self-check
        #expect(status(of: KernelError(.invalidInput, field: "id", "internal error: just words")) == RK_INVALID)
        #expect(status(of: KernelError(.outOfRange, field: "", "internal arithmetic failure")) == RK_RANGE)
    }

    @Test("The kernel's self-check failures carry the internal code and say so")
    func internalFailureHelper() {
        let e = KernelError.internalFailure("the plan does not conserve the debt (1 != 2)")
        #expect(e.code == .internalFailure && e.field.isEmpty)
        #expect(e.description == "internal error: the plan does not conserve the debt (1 != 2)")
        #expect(RequestFailure(e).status == RK_ERROR && RequestFailure(e).message == e.description)
    }

    @Test("A request failure records its code on the handle (rk_request_errcode)")
    func errcodeOnHandle() throws {
        var req: OpaquePointer? = nil
        #expect(rk_request_new(&req) == RK_OK)
        defer { rk_request_free(req) }
        #expect(rk_request_errcode(req) == RK_OK)
        #expect(rk_request_set(req, "principle", "1") == RK_INVALID && rk_request_errcode(req) == RK_INVALID)
        #expect(rk_request_set(req, "principal", "1") == RK_OK && rk_request_errcode(req) == RK_OK)
        for (k, v) in [("rate", "12%"), ("term", "1201"), ("start", "2024-01-15")] { _ = rk_request_set(req, k, v) }
        var res: OpaquePointer? = nil
        #expect(rk_compute(req, &res) == RK_RANGE && rk_request_errcode(req) == RK_RANGE && res == nil)
        #expect(rk_request_errcode(nil) == RK_MISUSE)
    }
}
