extension KernelError {
    /// The most characters of an input value that an error message quotes.
    static let quotedLimit = 40

    /// An input value as error messages quote it: `'value'`, with control and invisible
    /// formatting characters written as `\xNN` (ASCII and C1 controls) or `\u{NNNN}` (format
    /// characters such as U+202E, line and paragraph separators), and a value longer than
    /// `quotedLimit` characters cut: `'first 40…' (N bytes)`. A short printable value comes
    /// out exactly as `'\(value)'`, so messages stay as they were for ordinary input, while a
    /// 10 MB cell or raw NUL bytes never reach a terminal or a summary file whole.
    /// `quote` is the quotation mark (`"` where a message quotes a payment item).
    package static func quoted<S: StringProtocol>(_ value: S, quote: Character = "'") -> String {
        var out = String(quote)
        var count = 0
        var cut = false
        for scalar in value.unicodeScalars {
            if count == quotedLimit { cut = true; break }
            count += 1
            let v = scalar.value
            if v < 0x20 || (0x7F...0x9F).contains(v) {
                out += "\\x" + (v < 0x10 ? "0" : "") + String(v, radix: 16, uppercase: true)
            } else {
                switch scalar.properties.generalCategory {
                case .format, .lineSeparator, .paragraphSeparator:
                    out += "\\u{" + String(v, radix: 16, uppercase: true) + "}"
                default:
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return cut ? out + "…\(quote) (\(value.utf8.count) bytes)" : out + String(quote)
    }
}
