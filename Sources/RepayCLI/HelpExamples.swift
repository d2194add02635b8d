import ArgumentParser

/// One example of a command's `--help`: a command line a reader can paste.
///
/// ArgumentParser wraps a command's discussion to the terminal width, which
/// breaks a long command line in two without a `\` (pasted, it runs a
/// different command). Examples are therefore printed by `Repay.main()` after
/// the rest of the help, as written here: never wrapped, continued with ` \`.
/// Every example is run by the tests (HelpExamplesCLITests), from the
/// repository root, and must exit with `exitStatus`.
struct HelpExample {
    /// What the example shows; printed as `#` comment lines above it.
    var comment: [String]
    /// The command line, in pieces; every piece but the last is printed with a trailing ` \`.
    var lines: [String]
    /// The exit status the example ends with; when not 0 the help says so ("exit status 1").
    var exitStatus: Int32 = 0

    init(_ comment: String..., lines: [String], exitStatus: Int32 = 0) {
        self.comment = comment
        self.lines = lines
        self.exitStatus = exitStatus
    }

    /// The example as printed: comment lines, then the command indented by two
    /// spaces with continuation lines indented by six.
    var text: String {
        var out = ""
        for (i, c) in comment.enumerated() {
            let status = i == comment.count - 1 && exitStatus != 0 ? " (exit status \(exitStatus))" : ""
            out += "  # \(c)\(status)\n"
        }
        for (i, line) in lines.enumerated() {
            out += (i == 0 ? "  " : "      ") + line + (i == lines.count - 1 ? "\n" : " \\\n")
        }
        return out
    }
}

/// A command whose help ends with an EXAMPLES section.
protocol HasHelpExamples: ParsableCommand {
    /// The examples, in the order printed.
    static var examples: [HelpExample] { get }
}

extension HasHelpExamples {
    /// The EXAMPLES section appended to the command's help.
    static var examplesSection: String {
        "EXAMPLES:\n" + examples.map(\.text).joined(separator: "\n")
    }
}

extension Repay {
    /// Every command with examples; `--help` of each one ends with its EXAMPLES section.
    static let commandsWithExamples: [any HasHelpExamples.Type] = [
        Repay.self, ScheduleCommand.self, PlanCommand.self, LedgerCommand.self, BatchCommand.self,
    ]

    /// `help` (what ArgumentParser rendered for a help request, at the
    /// terminal's width) followed by the unwrapped EXAMPLES section of the
    /// command it is the help of; nil when it is no command's help.
    static func helpWithExamples(_ help: String) -> String? {
        for command in commandsWithExamples where helpMessage(for: command) == help {
            var trimmed = Substring(help)
            while trimmed.last == "\n" { trimmed.removeLast() }
            return trimmed + "\n\n" + command.examplesSection
        }
        return nil
    }
}
