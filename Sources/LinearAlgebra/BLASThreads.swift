import CBLAS

/// OpenBLAS's process-wide thread count.
///
/// OpenBLAS uses every core by default. Code that parallelises itself around BLAS calls
/// (one small solve per core) should run with one BLAS thread, or the two thread pools fight.
/// The setting is global to the process: set it from one coordinating thread, not from inside
/// concurrently running work items.
public enum BLASThreads {
    /// Threads OpenBLAS currently uses.
    public static var count: Int { Int(openblas_get_num_threads()) }

    /// Sets the OpenBLAS thread count (values below 1 are treated as 1).
    public static func set(_ count: Int) {
        openblas_set_num_threads(Int32(clamping: max(1, count)))
    }

    /// Stops OpenBLAS's idle worker threads; the next parallel BLAS call starts them again.
    ///
    /// OpenBLAS starts its workers when the library loads, before `main`, and each spins on
    /// `sched_yield` for ~0.1 s before it sleeps. A short command that never calls BLAS (monitor,
    /// predict with a tree model, serve) would lose a core to that spinning for most of its
    /// life — measured: `plumb monitor` 76 → 62 ms and 50 ms less system time. Call it first
    /// thing in `main`, before any other thread uses BLAS.
    public static func releaseIdleWorkers() {
        _ = blas_thread_shutdown_()
    }

    /// Runs `body` with OpenBLAS limited to `count` threads, then restores the previous count.
    public static func with<R>(_ count: Int, _ body: () throws -> R) rethrows -> R {
        let previous = Self.count
        set(count)
        defer { set(previous) }
        return try body()
    }
}
