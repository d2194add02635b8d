import Testing
@testable import RepaymentKernel

/// Asserts that `body` throws a `KernelError` for `field` whose message contains
/// every fragment (and, when given, has `code`); records an issue for no error,
/// another field, or an error of another type. Shared by every suite, so that a
/// test of a rejected input always says which field must fail and why.
func expectError(field: String, _ fragments: [String], code: KernelError.Code? = nil,
                 sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected an error for \(field)", sourceLocation: sourceLocation)
    } catch let e as KernelError {
        #expect(e.field == field, "field of \(e)", sourceLocation: sourceLocation)
        for f in fragments {
            #expect(e.description.contains(f), "'\(e.description)' should contain '\(f)'", sourceLocation: sourceLocation)
        }
        if let code { #expect(e.code == code, sourceLocation: sourceLocation) }
        #expect(e.description.hasPrefix(field.isEmpty ? "" : field + ": "), sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}
