"""Timing, process, environment and table helpers shared by compare.py's scenarios.

The one timing rule (issue #19): every side of a row is called once cold, then `repeats` times
warm, the sides taking turns (A B C A B C ...); warm minimum and median are reported, the cold call
apart. `alternate()` is the only place that implements it.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable


class Unavailable(Exception):
    """A side of a row could not run (missing binary, failed command, bad output); its cell says why."""


# ----------------------------------------------------------------------------------------------
# samples, sides and the alternation


@dataclass
class Sample:
    """One timed call. `seconds` is the figure compared; `info` keeps what else that call reported."""
    seconds: float
    info: dict = field(default_factory=dict)


@dataclass
class Side:
    """One contender of a row: Plumb, a peer counted by the goal, or a peer shown for information."""
    name: str
    role: str = "peer"                    # "plumb" | "peer" | "info"
    cold: Sample | None = None
    warm: list[Sample] = field(default_factory=list)
    error: str = ""                       # why this side is n/a
    extra: dict = field(default_factory=dict)   # per-side figures shown in the table: r2, peak_rss_mb, p99_ms
    note: str = ""                        # set-up facts (compile time, ...) for the notes under the table
    result: object = None                 # the last call's return value (a fitted model, ...); not saved

    @property
    def ok(self) -> bool:
        return not self.error and bool(self.warm)

    def best(self) -> float:
        return min(s.seconds for s in self.warm)

    def median(self) -> float:
        return statistics.median(s.seconds for s in self.warm)

    def info_values(self, key: str) -> list:
        return [s.info[key] for s in self.warm if s.info.get(key) is not None]

    def to_json(self) -> dict:
        return {"name": self.name, "role": self.role, "error": self.error or None,
                "cold": _sample_json(self.cold), "warm": [_sample_json(s) for s in self.warm],
                "warm_min": self.best() if self.ok else None, "warm_median": self.median() if self.ok else None,
                "extra": self.extra, "note": self.note or None}


def _sample_json(s: Sample | None) -> dict | None:
    return None if s is None else {"seconds": s.seconds, **s.info}


@dataclass
class Contender:
    """A side to time: `run()` is one call. `error` set means the side could not even be prepared."""
    name: str
    run: Callable[[], object] | None
    role: str = "peer"
    error: str = ""
    note: str = ""


def reason(e: BaseException) -> str:
    """Short, one-line reason for an n/a cell."""
    if isinstance(e, Unavailable):
        return str(e)
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0][:120] if text else ''}".rstrip(": ")


def contender(name: str, prepare: Callable, role: str = "peer") -> Contender:
    """A side whose preparation (import, training, compilation) may fail.

    `prepare()` returns the callable to time, or (callable, note) where the note (e.g. compile
    time) goes under the table. A failure makes only this side n/a (reason), never the row."""
    try:
        got = prepare()
    except Exception as e:  # noqa: BLE001 — any peer failure is that peer's n/a, by design
        return Contender(name, None, role, error=reason(e))
    run, note = got if isinstance(got, tuple) else (got, "")
    return Contender(name, run, role, note=note)


def _one_call(run: Callable[[], object], side: Side) -> Sample:
    # A callable that measures itself (a figure printed by a Plumb binary, a child process's wall
    # time) returns a Sample; otherwise the wall time of the call is the sample.
    t0 = time.perf_counter()
    out = run()
    elapsed = time.perf_counter() - t0
    if isinstance(out, Sample):
        return out
    side.result = out
    return Sample(elapsed)


def alternate(contenders: list[Contender], repeats: int) -> list[Side]:
    """Call each contender once (cold), then `repeats` rounds in turn (warm): A B C, A B C, ...

    Why alternate: a load spike or a clock change during one side's back-to-back repetitions would
    land on that side only; taking turns spreads it over all. Why keep the first call apart: it
    pays one-off costs (lazy imports, thread pools, first-touch page faults, files not yet in the
    page cache) that a warm process does not — LightGBM's first fit takes ~3× its warm time — so
    mixing it in would flatter whichever side is warmed elsewhere. A side that fails is n/a with
    its reason and skipped from then on; the others go on."""
    sides = [Side(c.name, c.role, error=c.error, note=c.note) for c in contenders]
    for round_no in range(max(1, repeats) + 1):
        for c, side in zip(contenders, sides):
            if side.error:
                continue
            try:
                sample = _one_call(c.run, side)
            except Exception as e:  # noqa: BLE001 — one side's failure must not stop the others
                side.error = reason(e)
                continue
            if round_no == 0:
                side.cold = sample
            else:
                side.warm.append(sample)
    return sides


# ----------------------------------------------------------------------------------------------
# rows


@dataclass
class Row:
    """One comparison: Plumb's side, the peers the goal counts, peers shown for information.

    ratio = Plumb warm min / best counted peer's warm min (for rates: best peer rate / Plumb rate),
    so lower is better for Plumb and every goal reads `ratio <= bound` plus `checks`."""
    key: str                      # the --only name
    title: str
    sides: list[Side]
    goal: str = ""
    bound: float | None = None
    unit: str = "s"               # "s", or a rate unit: rate = work / seconds
    work: float = 1.0
    other: str = ""               # which Side.extra figure the last column shows
    checks: dict = field(default_factory=dict)   # extra pass conditions, e.g. {"R² ≥ peer − 0.003": True}
    notes: list[str] = field(default_factory=list)
    load_before: float | None = None
    accuracy: list[dict] = field(default_factory=list)   # held-out metric comparisons (print_accuracy)

    @property
    def plumb(self) -> Side | None:
        return next((s for s in self.sides if s.role == "plumb"), None)

    @property
    def versus(self) -> Side | None:
        """The counted peer with the smallest warm minimum (the fastest)."""
        peers = [s for s in self.sides if s.role == "peer" and s.ok]
        return min(peers, key=Side.best) if peers else None

    @property
    def ratio(self) -> float | None:
        p, v = self.plumb, self.versus
        return p.best() / v.best() if p and p.ok and v else None

    @property
    def passed(self) -> bool | None:
        if self.ratio is None or (self.bound is None and not self.checks):
            return None
        return (self.bound is None or self.ratio <= self.bound) and all(self.checks.values())

    def to_json(self) -> dict:
        v = self.versus
        return {"key": self.key, "title": self.title, "goal": self.goal, "bound": self.bound, "unit": self.unit,
                "work": self.work, "ratio": self.ratio, "versus": v.name if v else None, "passed": self.passed,
                "checks": self.checks, "notes": self.notes, "load_before": self.load_before,
                "accuracy": self.accuracy or None, "sides": [s.to_json() for s in self.sides]}


def failed_row(key: str, title: str, why: str) -> Row:
    return Row(key, title, [Side("plumb", "plumb", error=why)])


# ----------------------------------------------------------------------------------------------
# child processes


_children: list[subprocess.Popen] = []


def kill_children() -> None:
    """Stop every child still running (servers, a process cut short by Ctrl-C)."""
    for p in list(_children):
        stop_process(p)


def stop_process(p: subprocess.Popen) -> None:
    if p.returncode is None and p.poll() is None:
        for sig, wait in ((15, 10), (9, 5)):
            try:
                os.killpg(p.pid, sig)
                p.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
            except (ProcessLookupError, PermissionError, ChildProcessError):
                break
    if p in _children:
        _children.remove(p)


def start_process(cmd: list[str], log: str, env: dict | None = None, cwd: str | None = None) -> subprocess.Popen:
    """A long-running child (a server) in its own process group, output to `log`."""
    with open(log, "w") as f:
        p = subprocess.Popen(cmd, env=env, stdout=f, stderr=subprocess.STDOUT, start_new_session=True, cwd=cwd)
    _children.append(p)
    return p


@dataclass
class Finished:
    seconds: float                  # wall time, start to exit
    peak_rss_mb: float | None       # the command's own peak resident set (None without /usr/bin/time)
    returncode: int
    stdout: str
    stderr: str


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, 9)
    except (ProcessLookupError, PermissionError):
        pass


GNU_TIME = "/usr/bin/time"


def run_process(cmd: list[str], timeout: float, what: str, ok_codes: tuple = (0,)) -> Finished:
    """Run `cmd` to completion; its wall time and its own peak RSS.

    The peak RSS comes from GNU time (`-f %M`), which forks the command from its own small
    process. Reading ru_maxrss of a child forked straight from this harness would be wrong: Linux
    carries the parent's RSS high-water mark across fork/exec into the child's maxrss, so a
    `/bin/true` started from a harness holding 800 MB reported 788 MB (checked). Wall time is taken
    here around the whole run (GNU time's own start-up adds about a millisecond). Raises Unavailable
    when the binary is missing, the run times out or it exits with a code not in ok_codes."""
    if os.sep in cmd[0] and not (os.path.isfile(cmd[0]) and os.access(cmd[0], os.X_OK)):
        raise Unavailable(f"{os.path.basename(cmd[0])} not built")
    has_time = os.access(GNU_TIME, os.X_OK)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err, \
            tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        full = [GNU_TIME, "-f", "%M", "-o", rss.name, *cmd] if has_time else cmd
        t0 = time.perf_counter()
        p = subprocess.Popen(full, stdout=out, stderr=err, start_new_session=True)
        _children.append(p)
        timer = threading.Timer(timeout, _kill_group, (p.pid,))
        timer.start()
        try:
            p.wait()
        finally:
            timer.cancel()
        seconds = time.perf_counter() - t0
        _children.remove(p)
        out.seek(0)
        err.seek(0)
        # GNU time writes "Command exited with non-zero status N" lines before the figure.
        lines = rss.read().split()
        peak = int(lines[-1]) / 1024 if has_time and lines and lines[-1].isdigit() else None
        done = Finished(seconds, peak, p.returncode, out.read(), err.read())
    if seconds >= timeout and done.returncode not in ok_codes:
        raise Unavailable(f"{what}: timeout after {timeout:.0f} s")
    if done.returncode not in ok_codes:
        msg = (done.stderr.strip().splitlines() or done.stdout.strip().splitlines() or ["no output"])[-1]
        raise Unavailable(f"{what}: exit {done.returncode}: {msg[:100]}")
    return done


def last_json(text: str, what: str) -> dict:
    """The last line of `text` that parses as a JSON object (tools print logs before it)."""
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                break
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise Unavailable(f"{what}: no JSON on stdout")


# ----------------------------------------------------------------------------------------------
# the machine: environment record and the load gate


def environment(repo: str, plumb: str) -> dict:
    """What a reader needs to judge the figures: machine, load, code version, time."""
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "")
    except OSError:
        pass
    return {"time_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "cpu": cpu or "unknown", "cores": os.cpu_count(), "load_1min": os.getloadavg()[0],
            "git_commit": _git(repo), "plumb": plumb, "plumb_version": _plumb_version(plumb),
            "python": sys.version.split()[0], "peers": _peer_versions()}


def _git(repo: str) -> str:
    try:
        head = subprocess.run(["git", "-C", repo, "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", repo, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return (head or "unknown") + (" (uncommitted changes)" if dirty else "")


def _plumb_version(plumb: str) -> str:
    try:
        r = subprocess.run([plumb, "--version"], capture_output=True, text=True, timeout=30)
        return r.stdout.strip() or "unknown"
    except (OSError, subprocess.TimeoutExpired):
        return "not built"


PEER_PACKAGES = ["numpy", "pandas", "scipy", "scikit-learn", "lightgbm", "xgboost", "polars", "pyarrow", "lleaves",
                 "llvmlite", "tl2cgen", "treelite", "ydf", "evidently", "fastapi", "uvicorn"]


def _peer_versions() -> dict:
    from importlib import metadata
    out = {}
    for name in PEER_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def busiest_processes(n: int = 5) -> list[str]:
    """Top n processes by %CPU as ps reports it (CPU time over each process's lifetime)."""
    try:
        r = subprocess.run(["ps", "-eo", "pid,pcpu,etime,args", "--sort=-pcpu"], capture_output=True, text=True,
                           timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ["(ps unavailable)"]
    lines = r.stdout.splitlines()
    own = {str(os.getpid())}
    body = [ln for ln in lines[1:] if ln.split(None, 1)[0] not in own and " ps -eo " not in ln]
    return [lines[0][:110]] + [ln[:110] for ln in body[:n]] if lines else []


def load_gate(max_load: float, settle: float, force: bool) -> tuple[float, bool]:
    """Wait up to `settle` s (polling every 5 s) for the 1-minute load to drop to max_load.

    Returns (load, forced). Exits with status 3 when the load stays high and force is off: on a
    2-core machine a second busy process halves what either side gets, and OpenMP peers suffer
    far more than that (spinning barriers), so figures from a loaded machine mislead."""
    load = os.getloadavg()[0]
    if force:
        return load, load > max_load
    deadline = time.time() + settle
    if load > max_load and settle > 0:
        print(f"1-minute load {load:.2f} > {max_load}: waiting up to {settle:.0f} s for it to settle …",
              file=sys.stderr, flush=True)
    while load > max_load and time.time() < deadline:
        time.sleep(min(5.0, max(0.1, deadline - time.time())))
        load = os.getloadavg()[0]
    if load > max_load:
        print(f"refusing to run: 1-minute load average is {load:.2f} (> {max_load}) after waiting {settle:.0f} s.\n"
              "Busiest processes (ps, %CPU over their lifetime):", file=sys.stderr)
        for ln in busiest_processes():
            print("  " + ln, file=sys.stderr)
        print("Wait for them to finish, or pass --force to run anyway (results are then marked as forced).",
              file=sys.stderr)
        sys.exit(3)
    return load, False


# ----------------------------------------------------------------------------------------------
# formatting and the table


def fmt_s(t: float) -> str:
    return f"{t * 1000:.1f} ms" if t < 1 else f"{t:.3f} s" if t < 100 else f"{t:.1f} s"


def fmt_rate(x: float, unit: str) -> str:
    if x >= 1e6:
        return f"{x / 1e6:.2f}M {unit}"
    if x >= 1e3:
        return f"{x / 1e3:.1f}k {unit}"
    return f"{x:.1f} {unit}"


def fmt_figure(row: Row, seconds: float) -> str:
    return fmt_s(seconds) if row.unit == "s" else fmt_rate(row.work / seconds, row.unit)


def fmt_other(key: str, value) -> str:
    if value is None:
        return ""
    if key == "r2":
        return f"R² {value:.4f}"
    if key == "peak_rss_mb":
        return f"RSS {value:,.0f} MB"
    if key == "p99_ms":
        return f"p99 {value:.2f} ms"
    if key == "log_loss":
        return f"log loss {value:.4f}"
    if key == "metrics":   # held-out classification metrics
        names = (("log_loss", "ll"), ("accuracy", "acc"), ("roc_auc", "AUC"))
        return " ".join(f"{short} {value[k]:.4f}" for k, short in names if value.get(k) is not None)
    return str(value)


def _wrap(text: str, width: int) -> list[str]:
    import textwrap
    return textwrap.wrap(text, width) or [""]


NA_CHARS = 32   # an n/a reason longer than this is cut in the table and given in full in the notes
HEAD = ["scenario", "side", "warm best", "warm median", "cold", "ratio (speedup)", "goal", "result", "other"]
TITLE_WIDTH, GOAL_WIDTH = 24, 24   # the scenario title and the goal wrap down a row's lines


def _block(row: Row) -> list[list[str]]:
    """The table lines of one row: Plumb first (with ratio, goal, result), then each peer.

    The scenario title and the goal wrap down the block's lines, so the table stays narrow."""
    v = row.versus
    lines = []
    for side in row.sides:
        mark = "* " if side is v else "(i) " if side.role == "info" else ""
        if side.error:
            figures = [f"n/a ({side.error[:NA_CHARS]}{'…' if len(side.error) > NA_CHARS else ''})", "", ""]
        elif not side.ok:
            figures = ["n/a (no warm run)", "", ""]
        else:
            figures = [fmt_figure(row, side.best()), fmt_figure(row, side.median()),
                       fmt_figure(row, side.cold.seconds) if side.cold else ""]
        lines.append(["", mark + side.name, *figures, "", "", "", fmt_other(row.other, side.extra.get(row.other))])
    if not lines:
        lines.append([""] * len(HEAD))
    first = lines[0]
    if row.ratio is not None:
        first[5] = f"{row.ratio:.3f} ({1 / row.ratio:.3g}×)"
    first[7] = "pass" if row.passed else "FAIL" if row.passed is False else (
        "n/a" if row.plumb is None or not row.plumb.ok else "-")
    # An n/a figure spans the three figure columns; long reasons go to the notes.
    for column, text, width in ((0, row.title, TITLE_WIDTH), (6, row.goal, GOAL_WIDTH)):
        for i, piece in enumerate(_wrap(text, width)):
            while i >= len(lines):
                lines.append([""] * len(HEAD))
            lines[i][column] = piece
    return lines


def print_table(rows: list[Row], header: list[str]) -> None:
    for h in header:
        print(h)
    body = [_block(r) for r in rows]
    widths = [max([len(h)] + [len(c[i]) for b in body for c in b]) for i, h in enumerate(HEAD)]
    # n/a reasons may run past their column into the next (empty) ones rather than widen the table.
    widths[2] = min(widths[2], 14)
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    print(line(HEAD))
    print(rule)
    for i, b in enumerate(body):
        if i:
            print(rule)
        for cells in b:
            print(_spill(cells, widths))
    # A note shared by several rows (same kind of row) is printed once, naming them all.
    notes: dict[str, list[str]] = {}
    for r in rows:
        for n in r.notes:
            notes.setdefault(n, []).append(r.title)
        for s in r.sides:
            if s.note:
                notes.setdefault(f"{s.name}: {s.note}", []).append(r.title)
            if len(s.error) > NA_CHARS:
                notes.setdefault(f"{s.name}: n/a ({s.error})", []).append(r.title)
    if notes:
        print("\nnotes:")
        for text, titles in notes.items():
            print(f"- {'; '.join(titles)} — {text}")


def _spill(cells: list[str], widths: list[int]) -> str:
    """One table line; a too-long n/a figure runs on over the empty figure cells after it."""
    out = []
    i = 0
    while i < len(cells):
        text, width = cells[i], widths[i]
        j = i + 1
        while len(text) > width and j < len(cells) and j <= 4 and not cells[j]:
            width += widths[j] + 3
            j += 1
        out.append(text.ljust(width))
        i = j
    return "| " + " | ".join(out) + " |"


# ----------------------------------------------------------------------------------------------
# the accuracy table: held-out metrics of each side and their difference against the goal's bar


METRIC_NAMES = {"log_loss": "log loss", "accuracy": "accuracy", "roc_auc": "ROC AUC"}


def comparison(metric: str, plumb: float | None, peer: str, value: float | None, slack: float | None,
               lower_is_better: bool) -> dict:
    """One line of the accuracy table. slack None: reported only. Otherwise the bar is
    plumb ≤ peer + slack (lower is better, e.g. log loss) or plumb ≥ peer − slack."""
    diff = None if plumb is None or value is None else plumb - value
    if slack is None:
        bar, passed = "report", None
    else:
        bar = f"≤ {peer} + {slack:g}" if lower_is_better else f"≥ {peer} − {slack:g}"
        passed = None if diff is None else (diff <= slack if lower_is_better else diff >= -slack)
    return {"metric": metric, "plumb": plumb, "peer": peer, "peer_value": value, "diff": diff, "bar": bar,
            "passed": passed}


def print_accuracy(rows: list[Row], header: str) -> None:
    """Each comparison of the rows that hold some: both sides' figures, Plumb − peer, the bar."""
    lines = []
    for r in rows:
        for i, c in enumerate(r.accuracy):
            f = lambda v: "n/a" if v is None else f"{v:.4f}"  # noqa: E731
            lines.append([r.title if i == 0 else "", METRIC_NAMES.get(c["metric"], c["metric"]), f(c["plumb"]),
                          c["peer"], f(c["peer_value"]), "" if c["diff"] is None else f"{c['diff']:+.4f}", c["bar"],
                          "-" if c["passed"] is None and c["bar"] == "report" and c["diff"] is not None
                          else "n/a" if c["passed"] is None else "pass" if c["passed"] else "FAIL"])
    if not lines:
        return
    head = ["row", "metric", "plumb", "peer", "peer's", "plumb − peer", "bar", "result"]
    widths = [max(len(h), *(len(ln[i]) for ln in lines)) for i, h in enumerate(head)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    print(header)
    print(line(head))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for ln in lines:
        print(line(ln))
