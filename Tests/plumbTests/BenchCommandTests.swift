import ArgumentParser
import Testing
@testable import plumb

/// `plumb bench`: options parsed and checked at the edge.
@Suite struct BenchCommandTests {
    @Test func listsAndModesParse() throws {
        let c = try BenchCommand.parse(["m.plumb", "--batch", "1,64", "--threads", "2", "--seconds", "0.5"])
        #expect(c.model == "m.plumb" && c.batch.values == [1, 64] && c.threads.values == [2] && c.url == nil)
        let h = try BenchCommand.parse(["--url", "http://127.0.0.1:8080", "--protocol", "v2", "--concurrency", "1,16", "--rate", "500"])
        #expect(h.wire == .v2 && h.concurrency.values == [1, 16] && h.rate == 500 && h.model == nil)
        #expect(try BenchCommand.parse(["m.plumb"]).batch.values == [1, 8, 64, 1000])
    }

    @Test(arguments: [["m.plumb", "--batch", "1,0"], ["m.plumb", "--batch", "a"], ["m.plumb", "--batch", "1,,2"],
                      ["--url", "http://h:1", "m.plumb"], [], ["--url", "http://h:1", "--rate", "0"],
                      ["m.plumb", "--seconds", "0"], ["--url", "http://h:1", "--protocol", "grpc"]])
    func badOptionsAreUsageErrors(_ args: [String]) {
        do {
            _ = try BenchCommand.parse(args)
            Issue.record("accepted \(args)")
        } catch {
            #expect(BenchCommand.exitCode(for: error) == ExitCode(64), "\(args): \(error)")
        }
    }
}
