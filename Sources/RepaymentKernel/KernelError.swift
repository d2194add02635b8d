/// Every failure the kernel reports: which input field is at fault and what
/// is wrong with it, in words a person can act on.
///
/// The description is `field: problem`, for example
/// `principal: more than 2 decimals: '100.005'`. Nothing in the kernel traps
/// on bad input: every check that can fail becomes a `KernelError`.
public struct KernelError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The broad class of a failure; the C API maps these to its status codes.
    public enum Code: Int, Sendable, Hashable {
        /// A field is malformed or missing (C API: `RK_INVALID`).
        case invalidInput = 1
        /// A value is well formed but outside what the kernel accepts (C API: `RK_RANGE`).
        case outOfRange = 2
        /// Reading or writing a file or stream failed (C API: `RK_ERROR`).
        case io = 3
        /// A CSV file as a whole is unusable: header, quoting (C API: `RK_FORMAT`).
        case unusableFile = 4
        /// A self-check of the kernel failed: a bug, not bad input (C API: `RK_ERROR`).
        /// No input is expected to produce it; please report one that does.
        case internalFailure = 5
    }

    /// The class of failure.
    public var code: Code
    /// The input field (CSV column or command-line option, without dashes) at fault; empty when none applies.
    public var field: String
    /// What is wrong, without the field name.
    public var problem: String

    /// Creates an error for `field`.
    public init(_ code: Code = .invalidInput, field: String, _ problem: String) {
        self.code = code
        self.field = field
        self.problem = problem
    }

    /// `field: problem`, or just the problem when no field applies.
    public var description: String { field.isEmpty ? problem : "\(field): \(problem)" }

    static func required(_ field: String) -> KernelError { KernelError(field: field, "required") }

    static func unknownValue(field: String, value: String, expected: [String]) -> KernelError {
        KernelError(field: field, "unknown value \(KernelError.quoted(value)) (expected one of \(expected.joined(separator: ", ")))")
    }

    /// A failed self-check of the kernel (code `.internalFailure`, no field):
    /// `problem` says which invariant failed.
    static func internalFailure(_ problem: String) -> KernelError {
        KernelError(.internalFailure, field: "", "internal error: " + problem)
    }

    static func tooLarge(_ field: String, _ what: String) -> KernelError {
        KernelError(.outOfRange, field: field, what)
    }
}
