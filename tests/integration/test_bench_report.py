"""scripts/bench's report and command-line checks, without QEMU: results.md's
comparison rows computed from a results.json (issue 13's shoji-crypt against
dm-crypt inside the guest under shoji, shoji-dmcrypt), the configuration
that row needs, and the refusal of a guest command line longer than shoji
keeps of a module string. Well under a second."""
import importlib.machinery
import importlib.util
import json
import os
import re
import subprocess

import pytest

from conftest import ROOT

BENCH = os.path.join(ROOT, "scripts", "bench")


@pytest.fixture(scope="module")
def bench():
    """scripts/bench as a module (it has no .py suffix)."""
    loader = importlib.machinery.SourceFileLoader("bench_script", BENCH)
    spec = importlib.util.spec_from_loader("bench_script", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def fig(median, base):
    return {"values": [median], "median": median, "min": median, "max": median, "n": 1,
            "ratio": median / base if base else None}


# Medians as a run could give them: native, shoji-crypt, dmcrypt, shoji-dmcrypt.
NATIVE = {"seq_write_mbps": 668.0, "seq_read_mbps": 1290.0, "rand_write_iops": 6658.0,
          "rand_read_iops": 6952.0}
FIGS = {"native": NATIVE,
        "shoji-crypt": {"seq_write_mbps": 52.0, "seq_read_mbps": 50.0, "rand_write_iops": 1600.0,
                        "rand_read_iops": 1750.0},
        "dmcrypt": {"seq_write_mbps": 64.0, "seq_read_mbps": 71.0, "rand_write_iops": 4209.0,
                    "rand_read_iops": 4582.0, "xtsmem_seq_write_mbps": 59.0,
                    "xtsmem_seq_read_mbps": 76.0},
        "shoji-dmcrypt": {"seq_write_mbps": 43.0, "seq_read_mbps": 40.0, "rand_write_iops": 1274.0,
                          "rand_read_iops": 1512.0, "xtsmem_seq_write_mbps": 31.0,
                          "xtsmem_seq_read_mbps": 40.0}}


def results_json(bench, tmp_path, ran):
    """A results.json as scripts/bench writes it, read back: the configurations
    in `ran` ran (figures above), every other one was not run."""
    cfgs = {}
    for c in bench.all_configs(os.path.join(ROOT, "build", "shoji.elf")):
        cf = {"label": c.label, "kind": c.kind, "append": c.append, "baseline": c.baseline,
              "figures": {}, "not_applicable": {}, "status": "not run",
              "reason": "not selected with --configs"}
        if c.name in ran:
            # Ratios as main() makes them: to the baseline's median, none
            # where it has no such figure (xtsmem: native has none).
            cf.update(status="ok", reason=None,
                      figures={k: fig(v, NATIVE.get(k)) for k, v in FIGS[c.name].items()})
        cfgs[c.name] = cf
    res = {"date": "2026-12-03T06:00:00+00:00",
           "machine": {"nproc": 2, "cpu": "test", "qemu": "QEMU test", "guest_kernel": "6.1",
                       "shoji_commit": "test", "loadavg_start": "0.00 0.00 0.00"},
           "params": {"reps": 1, "secs": 2.0, "span": "64M", "idle": 2.0},
           "elapsed_s": 1.0, "baseline": "native", "configs": cfgs, "out_rel": "build/bench",
           "iopt_bench": None,
           "runs": [{"config": c, "ok": True, "shoji": {},
                     "dmcrypt": {"driver": "xts-aes-aesni"} if "dmcrypt" in c else None}
                    for c in ran]}
    path = tmp_path / "results.json"
    path.write_text(json.dumps(res))
    return json.loads(path.read_text())


ROWS = [("random 4 KiB write, shoji-crypt / shoji-dmcrypt", "shoji-crypt", "shoji-dmcrypt",
         "rand_write_iops"),
        ("random 4 KiB read, shoji-crypt / shoji-dmcrypt", "shoji-crypt", "shoji-dmcrypt",
         "rand_read_iops"),
        ("seq. write, shoji-crypt / shoji-dmcrypt", "shoji-crypt", "shoji-dmcrypt",
         "seq_write_mbps"),
        ("seq. read, shoji-crypt / shoji-dmcrypt", "shoji-crypt", "shoji-dmcrypt",
         "seq_read_mbps"),
        ("random 4 KiB write, shoji-dmcrypt / dmcrypt", "shoji-dmcrypt", "dmcrypt",
         "rand_write_iops"),
        ("random 4 KiB read, shoji-dmcrypt / dmcrypt", "shoji-dmcrypt", "dmcrypt",
         "rand_read_iops"),
        ("AES-XTS over memory, seq. write, shoji-dmcrypt / dmcrypt", "shoji-dmcrypt", "dmcrypt",
         "xtsmem_seq_write_mbps"),
        ("AES-XTS over memory, seq. read, shoji-dmcrypt / dmcrypt", "shoji-dmcrypt", "dmcrypt",
         "xtsmem_seq_read_mbps")]


def test_crypt_comparison_rows_are_the_quotients(bench, tmp_path):
    res = results_json(bench, tmp_path, ["native", "shoji-crypt", "dmcrypt", "shoji-dmcrypt"])
    md = bench.markdown(res)
    for label, a, b, key in ROWS:
        m = re.search(r"^- \*\*Crypt\*\* " + re.escape(label) + r"[^:]*: ([0-9.]+) \((.*)\)$",
                      md, re.M)
        assert m, (label, md)
        x, y = FIGS[a][key], FIGS[b][key]
        assert m.group(1) == f"{x / y:.2f}", (label, m.group(0))
        assert f"medians {x:.2f} / {y:.2f}" in m.group(2), m.group(0)
        # Each side's own ratio to native, as in the tables above (none
        # for AES-XTS over memory: native has no such figure).
        if key in NATIVE:
            assert f"to native {x / NATIVE[key]:.2f}x / {y / NATIVE[key]:.2f}x" in m.group(2), \
                m.group(0)
        else:
            assert "to native" not in m.group(2), m.group(0)
    # Issue 13's goal on the random rows; the dm-crypt pair is a control.
    assert re.search(r"random 4 KiB read, shoji-crypt / shoji-dmcrypt.*goal >= 1;", md)
    assert re.search(r"shoji-dmcrypt / dmcrypt.*no goal: the control", md)
    # Both dm-crypt configurations named in the initramfs note, with the driver.
    note = next(l for l in md.splitlines() if "boot a larger initramfs" in l)
    assert "dmcrypt, shoji-dmcrypt" in note and "xts-aes-aesni" in note, note


def test_no_crypt_rows_without_shoji_dmcrypt(bench, tmp_path):
    res = results_json(bench, tmp_path, ["native", "shoji-crypt", "dmcrypt"])
    md = bench.markdown(res)
    assert "**Crypt**" not in md
    note = next(l for l in md.splitlines() if "boot a larger initramfs" in l)
    assert "(dmcrypt)" in note, note


def test_shoji_dmcrypt_configuration(bench):
    cfgs = {c.name: c for c in bench.all_configs(os.path.join(ROOT, "build", "shoji.elf"))}
    c = cfgs["shoji-dmcrypt"]
    # Like shoji (passthrough: no intercept=, no key), with dm-crypt in the
    # guest as in dmcrypt, against native.
    assert c.kind == "shoji" and not c.hv_cmdline and not c.key and c.hv_iommu == "intel"
    assert c.needs_dm and f"shoji.dmcrypt={bench.CIPHER}" in c.append.split()
    # And the guest's own cipher over memory, against dmcrypt's.
    assert f"shoji.xtsmem={bench.CIPHER}" in c.append.split()
    assert c.baseline == "native" and c.smp == 1 and not c.ide
    assert "shoji-dmcrypt" in bench.__doc__, "--help lists every configuration"


def test_module_string_limit_is_shojis(bench):
    """The bench's limit is the one shoji enforces (BOOT_NAME_MAX - 1)."""
    hdr = open(os.path.join(ROOT, "src", "platform", "bootinfo.h")).read()
    m = re.search(r"#define BOOT_NAME_MAX (\d+)", hdr)
    assert m and bench.MODULE_STRING_MAX == int(m.group(1)) - 1


def test_too_long_command_line_is_refused(bench):
    cfgs = bench.all_configs(os.path.join(ROOT, "build", "shoji.elf"))
    base = "console=ttyS0 panic=-1 quiet shoji.script=bench shoji.bench=2:64M:2"
    # Every configuration fits with the tree's own kernel path.
    assert bench.too_long_for_shoji(cfgs, "build/guest/vmlinux", base) == []
    # A path that leaves the longest shoji configuration one byte too many:
    # refused, only the shoji configurations, each with its length.
    longest = max(len(bench.kernel_module_string("", bench.guest_append(base, c)))
                  for c in cfgs if c.kind == "shoji")
    path = "/" + "k" * (bench.MODULE_STRING_MAX - longest)
    bad = bench.too_long_for_shoji(cfgs, path, base)
    assert len(bad) >= 1 and all(b.endswith(f"({bench.MODULE_STRING_MAX + 1} bytes)") for b in bad)
    names = {b.split()[0] for b in bad}
    assert names <= {c.name for c in cfgs if c.kind == "shoji"}
    assert bench.too_long_for_shoji(cfgs, path[:-1], base) == []


def test_bench_refuses_before_booting(tmp_path):
    """scripts/bench itself: a --kernel path that makes shoji-dmcrypt's module
    string too long stops it at once, naming the configuration, before any
    initramfs is built or QEMU started."""
    d = tmp_path
    for _ in range(5):      # 1000+ bytes of path, 200 per name
        d = d / ("k" * 200)
    d.mkdir(parents=True)
    kernel = d / "vmlinux"
    kernel.symlink_to(BENCH)    # only its existence is checked before the refusal
    out = tmp_path / "out"
    p = subprocess.run([BENCH, "--configs", "native,shoji-dmcrypt", "--kernel", str(kernel),
                        "--initrd", BENCH, "--out", str(out)],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert p.returncode != 0, p
    assert "longer than the 1023 bytes shoji keeps" in p.stderr, p.stderr
    assert "for shoji-dmcrypt (" in p.stderr and "native" not in p.stderr.split(" for ")[-1]
    assert not out.exists(), "refused after it started"
