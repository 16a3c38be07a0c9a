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

    /// Runs `body` with OpenBLAS limited to `count` threads, then restores the previous count.
    public static func with<R>(_ count: Int, _ body: () throws -> R) rethrows -> R {
        let previous = Self.count
        set(count)
        defer { set(previous) }
        return try body()
    }
}
