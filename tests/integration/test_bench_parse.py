"""scripts/bench's parsing of the per-test counters lines (issue 13), fed
with canned guest output: the windows it builds per disk test (with N jobs
the earliest start and the latest end), the figures per command it derives
from them (exits by reason, shoji's µs by section, commands, KiB per
command), their medians over runs, the per-test tables in results.md, and
that the whole-run figures (disk-start..disk-end) are still computed from
their own two lines only. No QEMU: runs in well under a second."""
import importlib.machinery
import importlib.util
import os

import pytest

from conftest import ROOT


def load_bench():
    path = os.path.join(ROOT, "scripts", "bench")
    loader = importlib.machinery.SourceFileLoader("shoji_bench", path)
    spec = importlib.util.spec_from_loader("shoji_bench", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


bench = load_bench()

KHZ = 1000000	# 1 GHz: 1000 ticks per µs


def counters(at, uptime, reads, writes, exits, npf, reg_writes, tsc, dec_ticks, dec_n,
             sectors_read, sectors_written, test=None, job=None, flushes=0):
    """One 'guest: bench counters' line as bench.sh / blkverify print it."""
    head = "guest: bench counters " + (f"job={job} " if job is not None else "") + f"at={at}"
    if test:
        head += f" test={test}"
    return (f"{head} uptime={uptime} exits={exits} exits_npf={npf} exits_mmio={npf} "
            f"disk_reg_writes={reg_writes} exit_tsc_ticks={tsc} tsc_khz={KHZ} "
            f"prof_decrypt_ticks={dec_ticks} prof_decrypt_count={dec_n} "
            f"prof_exit_ticks={tsc - dec_ticks} prof_exit_count={exits} prof_pair_ticks=200 "
            f"disk_reads={reads} disk_writes={writes} disk_flushes={flushes} "
            f"disk_sectors_read={sectors_read} disk_sectors_written={sectors_written}")


# A run: the whole window around two tests. rand-read-4k: 100 reads of
# 4 KiB in 0.1 s, 450 exits (4.5 per command), 400 of them nested page
# faults, 400 AHCI register writes, 40 ms of shoji (400 µs per command) of
# which 6 ms decrypting (60 µs, 1 entry per command). seq-read-1m with two
# jobs: job 1 starts first and job 0 ends last; between them 16 reads of
# 128 KiB, 80 exits, 32 ms of shoji of which 24 ms decrypting.
LINES = [
    "guest: bench params secs=2 span=64M idle=2 storm=none dmcrypt=none xtsmem=none",
    counters("disk-start", 9.0, 0, 0, 900, 450, 300, 9_000_000, 0, 0, 0, 0),
    counters("test-start", 10.0, 100, 50, 1000, 500, 300, 10_000_000, 2_000_000, 10, 800, 400,
             test="rand-read-4k"),
    counters("test-end", 10.1, 200, 50, 1450, 900, 700, 50_000_000, 8_000_000, 110, 1600, 400,
             test="rand-read-4k"),
    "guest: bench name=rand-read-4k mbps=4.1 iops=1000 ops=100 bytes=409600 secs=0.100 device=/dev/sda",
    counters("test-start", 20.02, 210, 50, 1500, 900, 700, 51_000_000, 8_000_000, 110, 1700, 400,
             test="seq-read-1m", job=0),
    counters("test-end", 20.5, 224, 50, 1570, 960, 750, 80_000_000, 31_000_000, 270, 5300, 400,
             test="seq-read-1m", job=0),
    counters("test-start", 20.0, 208, 50, 1490, 890, 690, 50_500_000, 8_000_000, 110, 1664, 400,
             test="seq-read-1m", job=1),
    counters("test-end", 20.4, 220, 50, 1560, 950, 740, 79_000_000, 30_000_000, 260, 4800, 400,
             test="seq-read-1m", job=1),
    "guest: bench name=seq-read-1m mbps=40.0 iops=38 ops=16 jobs=2",
    counters("disk-end", 21.0, 230, 50, 1600, 1000, 760, 82_500_000, 32_000_000, 300, 6400, 400),
    "guest: script=bench status=ok",
]


@pytest.fixture(scope="module")
def run():
    r = bench.parse_run(LINES)
    r["pertest"] = bench.pertest_of(r)
    r["hist"] = bench.histogram_of(r)
    return r


def test_per_test_lines_are_windows_not_whole_run_samples(run):
    assert set(run["counters"]) == {"disk-start", "disk-end"}, run["counters"].keys()
    assert set(run["tests"]) == {"rand-read-4k", "seq-read-1m"}
    # With jobs: the earliest start (job 1 at 20.0), the latest end (job 0 at 20.5).
    t = run["tests"]["seq-read-1m"]
    assert t["start"]["uptime"] == 20.0 and t["start"]["disk_reads"] == 208
    assert t["end"]["uptime"] == 20.5 and t["end"]["disk_reads"] == 224
    assert "job" not in t["start"] and "test" not in t["end"]
    assert run["bench"]["seq-read-1m"]["ops"] == 16


def test_random_read_window_per_command(run):
    w = run["pertest"]["rand-read-4k"]
    assert w["cmds"] == 100
    assert w["kib_per_cmd"] == pytest.approx(4.0)
    assert w["secs"] == pytest.approx(0.1)
    assert w["wall_us_per_cmd"] == pytest.approx(1000.0)
    assert w["exits"]["exits"] == pytest.approx(4.5)
    assert w["exits"]["exits_npf"] == pytest.approx(4.0)
    assert w["exits"]["disk_reg_writes"] == pytest.approx(4.0)
    assert w["us_per_exit"] == pytest.approx(40_000 / 450)
    assert w["prof"]["decrypt"] == pytest.approx(60.0)
    assert w["prof_n"]["decrypt"] == pytest.approx(1.0)
    assert w["prof"]["exit"] == pytest.approx(340.0)
    assert w["prof"]["_exit_total"] == pytest.approx(400.0)
    # The profiler's cost: (1 + 4.5) pairs per command x 200 ticks.
    assert w["prof"]["_prof_cost"] == pytest.approx(5.5 * 0.2)


def test_sequential_window_with_jobs(run):
    w = run["pertest"]["seq-read-1m"]
    assert w["cmds"] == 16
    assert w["kib_per_cmd"] == pytest.approx((5300 - 1664) * 512 / 1024 / 16)
    assert w["exits"]["exits"] == pytest.approx(80 / 16)
    assert w["prof"]["decrypt"] == pytest.approx(23_000 / 16)
    assert w["prof"]["_exit_total"] == pytest.approx(29_500 / 16)
    assert w["wall_us_per_cmd"] == pytest.approx(0.5e6 / 16)


def test_whole_run_figures_unchanged(run):
    """disk-start..disk-end: 230 + 50 commands, 700 exits, 73.5 ms of
    shoji, whatever the per-test lines in between say."""
    h = run["hist"]
    assert h["disk"]["exits"] == pytest.approx(700 / 280)
    assert h["disk"]["exits_npf"] == pytest.approx(550 / 280)
    assert h["us_per_exit"]["disk"] == pytest.approx(73_500 / 700)
    assert h["prof"]["decrypt"] == pytest.approx(32_000 / 280)
    assert h["prof"]["_exit_total"] == pytest.approx(73_500 / 280)
    f = bench.figures_of(run, bench.all_configs("/nonexistent")[0])
    assert f["exits_per_cmd"] == pytest.approx(700 / 280)


def test_a_window_without_disk_stats_has_nothing():
    assert bench.window_of({"exits": 1, "uptime": 1.0}, {"exits": 9, "uptime": 2.0}) == {}
    w = bench.window_of({"disk_reads": 5, "disk_writes": 0, "disk_flushes": 0},
                        {"disk_reads": 5, "disk_writes": 0, "disk_flushes": 0})
    assert w == {"cmds": 0}


def test_medians_over_runs(run):
    other = {"rand-read-4k": dict(run["pertest"]["rand-read-4k"], cmds=300,
                                  exits=dict(run["pertest"]["rand-read-4k"]["exits"], exits=6.5)),
             "rand-write-4k": {"cmds": 50, "kib_per_cmd": 4.0}}
    third = {"rand-read-4k": dict(run["pertest"]["rand-read-4k"], cmds=200,
                                  exits=dict(run["pertest"]["rand-read-4k"]["exits"], exits=5.0))}
    m = bench.median_windows([run["pertest"], other, third])
    assert m["rand-read-4k"]["cmds"] == 200
    assert m["rand-read-4k"]["exits"]["exits"] == pytest.approx(5.0)
    assert m["rand-read-4k"]["prof"]["decrypt"] == pytest.approx(60.0)
    assert m["rand-write-4k"] == {"cmds": 50, "kib_per_cmd": 4.0}
    assert m["seq-read-1m"]["cmds"] == 16


def test_per_test_tables(run):
    res = {"configs": {
        "native": {"pertest": {"rand-read-4k": {"cmds": 999, "kib_per_cmd": 4.0}}},
        "shoji-crypt": {"pertest": bench.median_windows([run["pertest"]])}}}
    md = "\n".join(bench.pertest_md(res))
    # Only configurations with shoji's profile get the tables.
    assert "`native`" not in md and "999" not in md
    assert "Per disk test, `shoji-crypt`: VM exits per disk command by reason" in md
    assert "Per disk test, `shoji-crypt`: shoji time per disk command by section" in md
    lines = md.splitlines()
    # Columns in bench.sh's order, whatever order the runs gave.
    assert "| | seq. read 1 MiB | rand. read 4 KiB |" in lines
    assert lines.count("| disk commands in the test's window | 16 | 100 |") == 2
    assert "| KiB per command | 113.6 | 4.0 |" in lines
    assert "| **all exits** | 5.000 | 4.500 |" in lines
    assert "| nested page fault | 4.375 | 4.000 |" in lines
    assert "|     AHCI register writes" in md and "| 3.750 | 4.000 |" in md
    assert any(l.startswith("| `decrypt`:") and l.endswith("| 1437.5 (10.00) | 60.0 (1.00) |")
               for l in lines), md
    assert "| `exit_tsc_ticks` per command (the run loop's own measure) | 1843.8 | 400.0 |" in lines
    # The rest: wall time per command minus shoji's.
    assert any(l.startswith("| the rest of the wall time per command") and
               l.endswith(f"| {31250 - 1843.75:.0f} | 600 |") for l in lines), md
