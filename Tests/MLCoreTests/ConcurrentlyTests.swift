import Foundation
import Testing
@testable import MLCore

@Suite struct ConcurrentlyTests {
    struct Boom: Error, Equatable { var which: String }

    @Test func returnsBothResultsAndRunsBothSidesAtOnce() throws {
        // Each side waits for the other to have started: only possible when they overlap.
        let a = DispatchSemaphore(value: 0), b = DispatchSemaphore(value: 0)
        let (x, y) = try concurrently({ () -> Int in a.signal(); b.wait(); return 1 },
                                      { () -> String in b.signal(); a.wait(); return "two" })
        #expect(x == 1 && y == "two")
    }

    @Test func rethrowsTheFirstErrorInArgumentOrderAfterBothFinished() {
        let finished = Locked(0)
        #expect(throws: Boom(which: "a")) {
            _ = try concurrently({ () -> Int in finished.withLock { $0 += 1 }; throw Boom(which: "a") },
                                 { () -> Int in Thread.sleep(forTimeInterval: 0.02); finished.withLock { $0 += 1 }; throw Boom(which: "b") })
        }
        #expect(finished.current == 2)
        #expect(throws: Boom(which: "b")) {
            _ = try concurrently({ 1 }, { () -> Int in throw Boom(which: "b") })
        }
    }

    /// Jobs run one at a time in submission order, off the caller's thread; errors come back.
    @Test func backgroundWorkerRunsJobsInOrderAndRethrows() async throws {
        let worker = BackgroundWorker(name: "test-worker", niceness: 3)
        let seen = Locked([Int]())
        var results: [Int] = []
        for i in 0..<50 {
            worker.submit { seen.withLock { $0.append(i) } }
        }
        for i in 0..<5 {
            results.append(try await worker.run { () -> Int in
                precondition(!Thread.isMainThread)
                return seen.withLock { $0.count } + i
            })
        }
        #expect(seen.current == Array(0..<50))
        #expect(results == [50, 51, 52, 53, 54])
        await #expect(throws: Boom(which: "w")) {
            _ = try await worker.run { () -> Int in throw Boom(which: "w") }
        }
        // Still usable after a job threw.
        #expect(try await worker.run { 7 } == 7)
    }
}
