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
}
