import ArgumentParser
import RepaymentKernel

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plan", abstract: "Compute a negotiated repayment plan (协商还款).")
    func run() throws { throw ValidationError("plan: not implemented yet") }
}
