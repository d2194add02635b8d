import ArgumentParser
import RepaymentKernel

struct ScheduleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "schedule", abstract: "Compute a loan's repayment schedule.")
    func run() throws { throw ValidationError("schedule: not implemented yet") }
}
