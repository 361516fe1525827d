"""Helpers for integration tests: boot shoji in QEMU through scripts/shoji-qemu
and parse its log. Every boot has a timeout, and tests check explicit
markers (a crashed or hung QEMU never passes)."""
import os
import re
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
LAUNCHER = os.path.join(ROOT, "scripts", "shoji-qemu")
IMAGE = os.path.join(BUILD, "shoji.elf")

END_MARKER = "shoji: ---- end of boot report ----"
STOP_OK = "shoji: stopped status=ok"
STOP_FAIL = "shoji: stopped status=failure"


class Boot:
    """One finished QEMU run: exit status and the hypervisor's log lines."""

    def __init__(self, args, rc, out, err):
        self.args = args
        self.rc = rc
        self.out = out
        self.err = err
        self.lines = [l.rstrip("\r") for l in out.splitlines()]

    def __repr__(self):
        return f"Boot(rc={self.rc}, args={self.args})\n--- log ---\n{self.out}\n--- stderr ---\n{self.err}"

    def has(self, text):
        return any(text in l for l in self.lines)

    def records(self, subject):
        """key=value dicts of the lines 'shoji: SUBJECT ...' (or 'guest: ...')."""
        out = []
        prefix = f"{subject} " if subject.startswith("guest:") else f"shoji: {subject} "
        for l in self.lines:
            if l.startswith(prefix):
                out.append(kv(l[len(prefix):]))
        return out

    def record(self, subject, key=None):
        """The one 'subject' line (having `key`, when given)."""
        recs = [r for r in self.records(subject) if key is None or key in r]
        assert len(recs) == 1, f"expected one '{subject}' line, got {len(recs)}\n{self}"
        return recs[0]


def kv(text):
    """Parse 'word k=v k2=v2' into {'_': ['word'], 'k': 'v', ...}."""
    d = {"_": []}
    for tok in text.split():
        if "=" in tok:
            k, v = tok.split("=", 1)
            d[k] = v
        else:
            d["_"].append(tok)
    return d


def num(v):
    return int(v, 0)


def run_shoji(*args, timeout=60, expect_rc=None):
    """Boot shoji with launcher arguments; returns a Boot."""
    if not os.path.exists(IMAGE) and "--iso" not in args:
        pytest.fail(f"{IMAGE} missing: run 'make' first")
    cmd = [LAUNCHER, "--timeout", str(timeout), *args]
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=timeout + 30, errors="replace")
    b = Boot(args, p.returncode, p.stdout, p.stderr)
    assert b.rc != 124, f"QEMU timed out\n{b}"
    if expect_rc is not None:
        assert b.rc == expect_rc, f"exit status {b.rc}, expected {expect_rc}\n{b}"
    return b


@pytest.fixture(scope="session")
def default_boot():
    """One boot with the defaults (intel-iommu, 1 GiB), shared by tests that only read it."""
    return run_shoji(expect_rc=0)
