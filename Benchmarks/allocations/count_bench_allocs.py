# Counts heap allocations per call of `plumb bench`'s single-row in-process loop, under gdb:
# every malloc/calloc/realloc/posix_memalign/aligned_alloc on the worker thread while it runs
# its timed calls of RowMajorScorer.score (breakpoints that count and continue).
#
#   objcopy --strip-debug .build/debug/plumb /tmp/plumb-nodebug     # gdb chokes on Swift's DWARF
#   BENCH_MODEL=model.plumb gdb -batch -x Benchmarks/allocations/count_bench_allocs.py /tmp/plumb-nodebug
#
# Prints COUNTS {'score': calls, 'alloc': allocations}. Everything the worker allocates after its
# first timed call counts, so a handful of allocations (results handed back, thread exit) are not
# per call. Seen 2026-12-06 (GBM, 100 rounds, California housing): 41,600 for 20,792 calls, 2 a call, both in
# CTreeKernels' plumb_rank_tables_score scratch (keys, acc); after that scratch moved to the stack for
# small batches (GBM, 500 rounds): 14 for 82,840 calls, none per call.
import os
import gdb

gdb.execute("set pagination off")
gdb.execute("set confirm off")
SCORE = "'$s8Pipeline14RowMajorScorerC5score_5startySRySdG_SitF'"
counts = {"score": 0, "alloc": 0}


class Counter(gdb.Breakpoint):
    def __init__(self, spec, key, thread):
        super().__init__(spec)
        self.key = key
        self.thread = thread

    def stop(self):
        counts[self.key] += 1
        return False


first = gdb.Breakpoint(SCORE)
model = os.environ.get("BENCH_MODEL", "model.plumb")
gdb.execute(f"run bench {model} --batch 1 --threads 1 --seconds 20 --json > /dev/null")
gdb.execute("continue")  # past the cold call: now on the worker's first timed call
first.enabled = False
worker = gdb.selected_thread().num
Counter(SCORE, "score", worker)
for f in ["malloc", "calloc", "realloc", "posix_memalign", "aligned_alloc"]:
    Counter(f, "alloc", worker)
gdb.execute("continue")
print("COUNTS", counts)
