import ArgumentParser
import Foundation
import Testing
@testable import plumb

/// `plumb serve`'s variant options, checked at the edge (usage errors, exit 64), and what they
/// serve; `plumb models promote --from-canary` and `rollback --server`.
@Suite struct ServeCommandTests {
    func served(_ args: [String]) throws -> [VariantArgument] { try ServeCommand.parse(args).servedVariants() }

    @Test func variantsFromEachForm() throws {
        #expect(try served(["--model", "m.plumb"]).map(\.name) == ["model"])
        #expect(try served(["--model", "models:/h@champion", "--canary", "models:/h@challenger", "--canary-percent", "10"])
            == [VariantArgument(name: "champion", reference: "models:/h@champion", weight: 90),
                VariantArgument(name: "canary", reference: "models:/h@challenger", weight: 10)])
        #expect(try served(["--model", "models:/h/3", "--standby", "models:/h/4"])
            == [VariantArgument(name: "blue", reference: "models:/h/3", weight: 100),
                VariantArgument(name: "green", reference: "models:/h/4", weight: 0)])
        // The weight follows the last colon: a registry URI keeps its own.
        #expect(try served(["--variant", "a=models:/h/3:70", "--variant", "b=models:/h/4:30", "--route-by", "Latitude"])
            == [VariantArgument(name: "a", reference: "models:/h/3", weight: 70),
                VariantArgument(name: "b", reference: "models:/h/4", weight: 30)])
    }

    @Test(arguments: [
        (["--model", "m", "--canary", "c", "--canary-percent", "0"], "--canary-percent must be in (0, 100)"),
        (["--model", "m", "--canary", "c", "--canary-percent", "100"], "--canary-percent must be in (0, 100)"),
        (["--model", "m", "--canary", "c"], "--canary needs --canary-percent"),
        (["--model", "m", "--canary-percent", "5"], "--canary-percent needs --canary"),
        (["--variant", "a=x:1", "--variant", "b=y:0"], "the weight must be > 0"),
        (["--variant", "a=x:1", "--variant", "a=y:2"], "the name 'a' is given twice"),
        (["--variant", "a=x:1"], "give two or more"),
        (["--variant", "a b=x:1", "--variant", "c=y:1"], "[A-Za-z0-9_-]+"),
        (["--model", "m", "--variant", "a=x:1", "--variant", "b=y:1"], "--model and --variant do not go together"),
        ([String](), "give --model"),
        (["--model", "m", "--route-by", "Latitude"], "--route-by needs variants"),
        (["--model", "m", "--canary", "c", "--canary-percent", "5", "--standby", "s"], "--standby goes with --model alone"),
    ] as [([String], String)])
    func badVariantOptionsAreUsageErrors(_ args: [String], _ message: String) {
        do {
            _ = try ServeCommand.parse(args)
            Issue.record("\(args) was accepted")
        } catch {
            #expect(ServeCommand.exitCode(for: error) == ExitCode(64))
            #expect(ServeCommand.message(for: error).contains(message), "\(ServeCommand.message(for: error))")
        }
    }

    @Test(arguments: ["a", "a=", "=x:1", "a=x", "a=x:y"])
    func malformedVariantIsRejected(_ text: String) {
        #expect(VariantArgument(argument: text) == nil)
    }

    @Test func promoteAndRollbackServerOptions() throws {
        let p = try ModelsPromoteCommand.parse(["h", "--from-canary", "--canary-alias", "cand", "--server", "http://127.0.0.1:8080", "--admin-token", "t"])
        #expect(p.fromCanary && p.canaryAlias == "cand" && p.serverOptions.server == "http://127.0.0.1:8080" && p.serverOptions.token == "t")
        #expect(try ModelsPromoteCommand.parse(["h", "--from-canary"]).canaryAlias == "challenger")
        #expect(throws: (any Error).self) { try ModelsPromoteCommand.parse(["h", "--from-canary", "--version", "3"]) }
        #expect(try ModelsPromoteCommand.parse(["h", "--from-canary", "--policy", "p.json"]).policy == "p.json")
        let r = try ModelsRollbackCommand.parse(["h", "--server", "http://127.0.0.1:8080", "--admin-token", "t"])
        #expect(r.serverOptions.server == "http://127.0.0.1:8080")
        if ProcessInfo.processInfo.environment["PLUMB_ADMIN_TOKEN"] == nil {
            #expect(throws: (any Error).self) { try ModelsRollbackCommand.parse(["h", "--server", "http://127.0.0.1:8080"]) }
        }
    }
}
