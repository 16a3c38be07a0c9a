import Foundation
import MLCore
import Testing
@testable import TreeModels

@Suite struct WorkerPoolTests {
    /// Every item runs exactly once, whether the pool takes the job or is busy with another
    /// caller's (then the caller does all of it): eight threads call parallelFor at once.
    @Test func concurrentCallersEachGetEveryItemOnce() {
        let callers = 8, items = 1_000
        let results = Locked([[Int]](repeating: [], count: callers))
        DispatchQueue.concurrentPerform(iterations: callers) { c in
            var seen = [Int](repeating: 0, count: items)
            seen.withUnsafeMutableBufferPointer { s in
                let counts = s
                parallelFor(items, threads: 2) { i in counts[i] += 1 }
            }
            results.withLock { $0[c] = seen }
        }
        for seen in results.current { #expect(seen == [Int](repeating: 1, count: items)) }
    }

    /// Many short jobs in a row, each handed over while the worker may be spinning, going to
    /// sleep or asleep (pauses between some of them): every item runs exactly once, and no
    /// hand-off is lost (a lost one would hang).
    @Test func shortJobsInARowEachRunEveryItemOnce() {
        let pool = WorkerPool(size: 2)
        for round in 0..<3_000 {
            let workers = 1 + round % 3, items = 1 + round % 7
            let counts = Locked([Int](repeating: 0, count: items))
            #expect(pool.run(workers) { w in
                for i in stride(from: w, to: items, by: workers) { counts.withLock { $0[i] += 1 } }
            })
            #expect(counts.current == [Int](repeating: 1, count: items))
            if round % 500 == 499 { usleep(80_000) }   // long enough for the workers to sleep
        }
    }

    @Test func aBusyPoolSaysSoAndRunsNothing() {
        let pool = WorkerPool(size: 1)
        let inside = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            _ = pool.run(2) { w in if w == 1 { inside.signal(); release.wait() } }
            done.signal()
        }
        inside.wait()
        let ran = Locked(false)
        #expect(pool.run(2) { _ in ran.withLock { $0 = true } } == false)
        #expect(ran.current == false)
        release.signal()
        done.wait()
        #expect(pool.run(2) { _ in ran.withLock { $0 = true } } == true)
        #expect(ran.current)
    }

    /// A worker that gets no core in time holds nothing up: the caller runs its part as well and
    /// returns; the late worker then finds the job closed and takes no part in it. The pool
    /// keeps working normally afterwards.
    @Test func aLateWorkersPartRunsOnTheCaller() {
        let pool = WorkerPool(size: 1)
        let hold = DispatchSemaphore(value: 0)
        pool.holdBeforeClaim = hold
        let parts = Locked([Int](repeating: 0, count: 4))
        #expect(pool.run(2) { w in parts.withLock { $0[w] += 1 } })
        #expect(parts.current == [1, 1, 0, 0])
        pool.holdBeforeClaim = nil
        hold.signal()   // the late worker tries to claim the closed job
        for _ in 0..<200 {
            #expect(pool.run(4) { w in parts.withLock { $0[w] += 1 } })
        }
        #expect(parts.current == [201, 201, 200, 200])
    }
}
