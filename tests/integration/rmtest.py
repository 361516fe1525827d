"""The real-mode / protected-mode boot disk (guest/disk/rmtest.S, built by
scripts/make-rmtest-disk): what its console must show, natively and under
shoji, on Bochs (VT-x) and on QEMU (SVM)."""
import os
import subprocess

from conftest import ROOT, kv, num

MAKE = os.path.join(ROOT, "scripts", "make-rmtest-disk")

# The program's lines in the order it prints them (one mode switch each).
SEQUENCE = ("rmtest: stage=mbr mode=real drive=0x80", "rmtest: int13 read sectors=",
            "rmtest: e820 entries=", "rmtest: e801 ", "rmtest: mode=pm16 cr0=",
            "rmtest: mode=pm32 cr0=", "rmtest: acpi rsdp=", "rmtest: pm32 memory above 1 MiB ok",
            "rmtest: mode=pm16 back", "rmtest: mode=real again cr0=",
            "rmtest: int13 after protected mode ok", "rmtest: power-off pm1a_cnt=",
            "guest: script=rmtest status=ok")


def make_disk(path):
    subprocess.run([MAKE, str(path)], check=True, capture_output=True, text=True)
    return path


def records(b, subject):
    """key=value dicts of the lines 'rmtest: SUBJECT ...'."""
    p = f"rmtest: {subject} "
    return [kv(l[len(p):]) for l in b.lines if l.startswith(p)]


def check_run(b):
    """The program ran to its end in every mode; returns its E820 map as
    [(base, end, type)] (the BIOS's natively, shoji's under shoji)."""
    lines = [l for l in b.lines if l.startswith(("rmtest: ", "guest: script=rmtest"))]
    assert not any(l.startswith("rmtest: error") for l in lines), b
    at = 0
    for want in SEQUENCE:
        while at < len(lines) and not lines[at].startswith(want):
            at += 1
        assert at < len(lines), (want, b)
    modes = {r["mode"]: r for r in (kv(l[8:]) for l in lines if l.startswith("rmtest: mode="))
             if "cr0" in r}
    assert num(modes["pm16"]["cr0"]) & 1 and modes["pm16"]["cs"] == "0x08", b
    assert num(modes["pm32"]["cr0"]) & 1 and modes["pm32"]["cs"] == "0x18", b
    assert not num(modes["real"]["cr0"]) & 1, b
    e820 = [(num(r["base"]), num(r["base"]) + num(r["len"]), int(r["type"]))
            for r in records(b, "e820") if "base" in r]
    assert [len(e820)] == [num(r["entries"]) for r in records(b, "e820") if "entries" in r], b
    return e820


def covers_as_reserved(e820, base, end):
    """Whether [base, end) lies in type-2 (reserved) entries and no RAM
    entry (type 1) overlaps it."""
    if any(t == 1 and lo < end and base < hi for lo, hi, t in e820):
        return False
    at = base
    for lo, hi, t in sorted(e820):
        if t == 2 and lo <= at < hi:
            at = hi
    return at >= end
