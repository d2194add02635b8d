import Foundation
import Testing
import RepaymentKernel

/// What a new user reads first: every `--help` (repay and each subcommand its
/// help lists), whose examples must paste and run as documented at any
/// terminal width, and `repay --version`.
@Suite("CLI: --help examples and --version")
struct HelpExamplesCLITests {
    /// One example of a help's EXAMPLES section.
    struct Example: CustomStringConvertible {
        /// The `#` lines above it, without the `# `.
        var comment: String
        /// The command exactly as printed (continuation lines with their ` \`), as a reader pastes it.
        var text: String
        /// The exit status its comment documents ("exit status N"); 0 when it says none.
        var exitStatus: Int32
        var description: String { text }
    }

    /// The help of `repay <command...>` at `columns` (COLUMNS, as a terminal of that width).
    static func help(_ command: [String], columns: Int = 80) throws -> String {
        let r = try BatchTestSupport.repay(command + ["--help"], environment: ["COLUMNS": String(columns)])
        #expect(r.status == 0, "repay \(command) --help: \(r.stderr)")
        return String(decoding: r.stdout, as: UTF8.self)
    }

    /// `[]` (repay itself) and every subcommand the root help lists under SUBCOMMANDS.
    static func commands() throws -> [[String]] {
        let lines = try help([]).split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(of: "SUBCOMMANDS:") else { return [[]] }
        var subcommands: [[String]] = []
        for line in lines[(start + 1)...] {
            if line.isEmpty || !line.hasPrefix("  ") { break }
            // "  name    abstract": a name at column 2; the abstract's continuation lines are indented further.
            if line.dropFirst(2).first != " ", let name = line.split(separator: " ").first {
                subcommands.append([String(name)])
            }
        }
        return [[]] + subcommands
    }

    /// The EXAMPLES section of a help text: everything after the line `EXAMPLES:`.
    static func examplesSection(_ help: String) -> [Substring] {
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(of: "EXAMPLES:") else { return [] }
        return Array(lines[(start + 1)...])
    }

    /// The examples of a help text: `#` comment lines, then a command whose
    /// lines but the last end in ` \`; a blank line between examples.
    static func examples(_ help: String) -> [Example] {
        var found: [Example] = []
        var comment: [String] = []
        var command: [Substring] = []
        for line in examplesSection(help) {
            let text = line.drop { $0 == " " }
            if !command.isEmpty {
                command.append(line)
            } else if text.hasPrefix("#") {
                comment.append(String(text.dropFirst().drop { $0 == " " }))
                continue
            } else if !text.isEmpty {
                command = [line]
            } else {
                continue
            }
            if !line.hasSuffix(" \\") {
                let said = comment.joined(separator: " ")
                let status = said.firstMatch(of: /exit status (\d+)/).flatMap { Int32($0.1) } ?? 0
                found.append(Example(comment: said, text: command.joined(separator: "\n"), exitStatus: status))
                comment = []
                command = []
            }
        }
        return found
    }

    /// A scratch directory in which `fixtures/` is the repository's: examples run as from a checkout.
    static func checkoutLikeDirectory() -> String {
        let dir = BatchTestSupport.tempDir("examples")
        try! FileManager.default.createSymbolicLink(
            atPath: dir + "/fixtures", withDestinationPath: BatchTestSupport.repoRoot.appendingPathComponent("fixtures").path)
        return dir
    }

    /// Runs an example's text with bash, `repay` being the binary under test.
    static func run(_ example: Example, in dir: String) throws -> BatchTestSupport.Run {
        let bin = URL(fileURLWithPath: BatchTestSupport.repayPath).deletingLastPathComponent().path
        let path = bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        return try BatchTestSupport.run("/bin/bash", ["-o", "pipefail", "-c", example.text],
                                        environment: ["PATH": path], directory: dir)
    }

    @Test("every help has examples, one command each, lines that continue with ' \\', at most 80 columns")
    func examplesArePasteable() throws {
        let commands = try Self.commands()
        #expect(commands.count >= 4, "repay, schedule, plan, batch: \(commands)")
        for command in commands {
            let help = try Self.help(command)
            let examples = Self.examples(help)
            #expect(!examples.isEmpty, "repay \(command.joined(separator: " ")) --help has no EXAMPLES")
            for example in examples {
                #expect(example.text.hasPrefix("  repay ") || example.text.hasPrefix("  repay\n"), "\(example)")
                // Only the command's last line lacks the continuation.
                let lines = example.text.split(separator: "\n")
                #expect(lines.dropLast().allSatisfy { $0.hasSuffix(" \\") }, "\(example)")
                #expect(!lines.last!.hasSuffix("\\"), "\(example)")
            }
            for line in Self.examplesSection(help) {
                #expect(line.count <= 80, "repay \(command.joined(separator: " ")) --help: longer than 80 columns: \(line)")
            }
        }
    }

    @Test("the examples are the same at any terminal width (never wrapped)")
    func examplesIgnoreTheWidth() throws {
        for command in try Self.commands() {
            let at80 = try Self.help(command)
            for columns in [30, 50, 200] {
                let other = try Self.help(command, columns: columns)
                #expect(Self.examplesSection(other) == Self.examplesSection(at80),
                        "repay \(command.joined(separator: " ")) --help at \(columns) columns")
            }
        }
        // The width does apply to the rest of the help, so the comparison above means something.
        #expect(try Self.help(["plan"], columns: 30) != Self.help(["plan"], columns: 200))
    }

    @Test("every example of every --help runs and exits as documented")
    func examplesRun() throws {
        let dir = Self.checkoutLikeDirectory()
        defer { BatchTestSupport.remove(dir) }
        var count = 0
        var nonZero = 0
        for command in try Self.commands() {
            for example in Self.examples(try Self.help(command)) {
                let r = try Self.run(example, in: dir)
                #expect(r.status == example.exitStatus, "\(example.text)\n-> exit \(r.status): \(r.stderr)")
                #expect(!r.stdout.isEmpty || !r.stderr.isEmpty || example.text.contains("--schedule"),
                        "\(example.text) printed nothing")
                count += 1
                if example.exitStatus != 0 { nonZero += 1 }
            }
        }
        #expect(count >= 10)
        #expect(nonZero >= 1, "an example shows the exit status of a batch with bad rows")
    }

    @Test("a plan example that says 'N days overdue' charges N days of penalty on its overdue principal")
    func overdueClaim() throws {
        let dir = Self.checkoutLikeDirectory()
        defer { BatchTestSupport.remove(dir) }
        var checked = 0
        for example in Self.examples(try Self.help(["plan"])) {
            guard let days = example.comment.firstMatch(of: /(\d+) days overdue/).flatMap({ Int($0.1) }) else { continue }
            var json = example
            json.text += " --format json"
            let r = try Self.run(json, in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            let doc = try #require(JSONSerialization.jsonObject(with: Data(r.stdout)) as? [String: Any])
            let debt = try #require(doc["debt_before"] as? [String: String])
            let overdue = try #require(Decimal(string: debt["overdue_principal"] ?? ""))
            let penalty = try #require(Decimal(string: debt["penalty"] ?? ""))
            #expect(overdue > 0, "'\(days) days overdue' but nothing is overdue: \(example.text)")
            // SPEC §4: overdue principal x rate x 1.5 (the default markup) / 360 x days, rounded half-up.
            let rate = try #require(example.text.firstMatch(of: /--rate (\d+(?:\.\d+)?)%/).flatMap { Decimal(string: String($0.1)) })
            var exact = overdue * rate / 100 * Decimal(string: "1.5")! / 360 * Decimal(days)
            var rounded = Decimal()
            NSDecimalRound(&rounded, &exact, 2, .plain)
            #expect(penalty == rounded, "\(days) days of penalty on \(overdue) is \(rounded), the plan says \(penalty)")
            checked += 1
        }
        #expect(checked >= 1, "repay plan --help has an example saying how many days are overdue")
    }

    @Test("repay --version prints RepaymentKernel.version")
    func version() throws {
        let r = try BatchTestSupport.repay(["--version"])
        #expect(r.status == 0)
        #expect(String(decoding: r.stdout, as: UTF8.self) == RepaymentKernel.version + "\n")
        #expect(RepaymentKernel.version.wholeMatch(of: /\d+\.\d+\.\d+/) != nil)
    }

    @Test("repaykernel.h's RK_VERSION and RK_VERSION_NUMBER are RepaymentKernel.version")
    func headerVersion() throws {
        let header = try String(contentsOf: BatchTestSupport.repoRoot
            .appendingPathComponent("Sources/CRepayKernel/include/repaykernel.h"), encoding: .utf8)
        let text = try #require(header.firstMatch(of: /#define RK_VERSION +"([^"]*)"/)).1
        let number = try #require(header.firstMatch(of: /#define RK_VERSION_NUMBER +(\d+)/)).1
        #expect(String(text) == RepaymentKernel.version)
        let parts = RepaymentKernel.version.split(separator: ".").compactMap { Int($0) }
        #expect(parts.count == 3)
        #expect(Int(number) == parts[0] * 1_000_000 + parts[1] * 1_000 + parts[2])
    }
}
