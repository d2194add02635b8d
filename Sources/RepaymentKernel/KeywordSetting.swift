/// A setting written as one lower-case keyword (SPEC §8): `method`, `basis`,
/// `rounding`, `capitalize`, `deferral_interest`, `then`, `prepayment`,
/// `allocation`. Keywords are matched exactly as written, case included.
///
/// ```swift
/// try RoundingMode(parsing: "half-even")   // .halfEven
/// try RoundingMode(parsing: "HALF-EVEN")   // throws: rounding: unknown value 'HALF-EVEN' (expected one of ...)
/// ```
public protocol KeywordSetting: RawRepresentable, CaseIterable, Sendable where RawValue == String {
    /// The CSV column (and command-line option) that holds the setting.
    static var fieldName: String { get }
}

extension KeywordSetting {
    /// Parses a keyword; an unknown one is an error naming `field` and listing the keywords.
    public init(parsing text: String, field: String = Self.fieldName) throws(KernelError) {
        guard let value = Self(rawValue: text) else {
            throw KernelError.unknownValue(field: field, value: text, expected: Self.allCases.map(\.rawValue))
        }
        self = value
    }

    /// Parses a keyword from its UTF-8 bytes (no `String` for a known keyword).
    public init(bytes: UnsafeBufferPointer<UInt8>, field: String = Self.fieldName) throws(KernelError) {
        for c in Self.allCases where c.rawValue.utf8.elementsEqual(bytes) {
            self = c
            return
        }
        try self.init(parsing: String(decoding: bytes, as: UTF8.self), field: field)
    }
}

extension RepaymentMethod: KeywordSetting { public static var fieldName: String { "method" } }
extension DayCountBasis: KeywordSetting { public static var fieldName: String { "basis" } }
extension RoundingMode: KeywordSetting { public static var fieldName: String { "rounding" } }
extension Capitalization: KeywordSetting { public static var fieldName: String { "capitalize" } }
extension DeferralInterest: KeywordSetting { public static var fieldName: String { "deferral_interest" } }
extension PlanEnding: KeywordSetting { public static var fieldName: String { "then" } }
extension PrepaymentMode: KeywordSetting { public static var fieldName: String { "prepayment" } }
extension AllocationOrder: KeywordSetting { public static var fieldName: String { "allocation" } }
