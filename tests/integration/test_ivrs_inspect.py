"""ivrs-inspect against iasl and QEMU.

For every good table (tests/acpi/ivrs-*.asl compiled by iasl into
build/acpi/*.aml, and the IVRS that QEMU itself builds for q35 + amd-iommu)
the fields that ivrs-inspect prints are compared with `iasl -d`'s
disassembly of the same bytes: two independent parsers must agree. iasl
20200925 decodes IVHD type 10h, its fixed-size device entries and IVMDs, but
neither IVHD types 11h/40h nor ACPI HID entries: those are checked on tables
built here byte by byte (and in tests/unit/test_ivrs.c). Malformed tables
whose rule iasl cannot express (lengths, checksum, truncation, reserved
codes) are made by patching the good .aml files.

`make integration` builds build/tools/ivrs-inspect and build/acpi/*.aml
first; when one is missing the tests fail saying so, they do not skip.
Run: /usr/bin/python3 -m pytest tests/integration/test_ivrs_inspect.py
"""

import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from qemu_acpi import checksum_fixed, qemu_acpi_table

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "build" / "tools" / "ivrs-inspect"
AML_DIR = ROOT / "build" / "acpi"
GOOD_TABLES = ["ivrs-qemu", "ivrs-server", "ivrs-fwbugs"]


def need(path):
    if not path.exists():
        rel = path.relative_to(ROOT)
        pytest.fail(f"{rel} is missing: build it first (`make {rel}`; "
                    "`make integration` does that)")
    return path


def aml(name):
    return need(AML_DIR / f"{name}.aml")


def inspect(path, *extra):
    need(TOOL)
    r = subprocess.run([str(TOOL), *extra, str(path)], capture_output=True,
                       text=True, timeout=60)
    # The sanitizers would print their report on stderr.
    assert "Sanitizer" not in r.stderr and "runtime error" not in r.stderr, r.stderr
    return r


# ---------------------------------------------------------------- parsing

KV = re.compile(r'(\w+)=("[^"]*"|\S*)')


def kv(text):
    return {k: v.strip('"') for k, v in KV.findall(text)}


def devid(text):
    """'bb:dd.f' -> 16-bit device ID."""
    bus, rest = text.split(":")
    dev, fn = rest.split(".")
    return int(bus, 16) << 8 | int(dev, 16) << 3 | int(fn, 16)


def devids(text):
    first, _, last = text.partition("-")
    return devid(first), devid(last or first)


def parse_inspect(stdout):
    """ivrs-inspect's lines -> {'ivinfo', 'ivhd': [...], 'ivmd': [...], ...}."""
    model = {"ivhd": [], "ivmd": []}
    current = None
    for line in stdout.splitlines():
        if not line.startswith("shoji: ivrs "):
            continue
        body = line[len("shoji: ivrs "):]
        f = kv(body)
        if body.startswith("  dev "):
            f["line"] = line
            current["devs"].append(f)
        elif body.startswith("  features "):
            current["decoded"] = f
        elif body.startswith("ivinfo="):
            model["ivinfo"] = f
        elif body.startswith("ivhd "):
            current = dict(f, devs=[])
            model["ivhd"].append(current)
        elif body.startswith("ivmd "):
            model["ivmd"].append(f)
        elif body.startswith("usable="):
            model["usable"] = f
        elif body.startswith("summary "):
            model["summary"] = f
        elif body.startswith("table "):
            model["table"] = f
    return model


FIELD = re.compile(r"^\[([0-9A-F]+)h (\d+) +(\d+)\] +(.+?) : (.*)$")
RANGE_KIND = {0x03: "range", 0x43: "alias_range", 0x47: "ext_range"}
SINGLE_KIND = {0x01: "all", 0x02: "select", 0x42: "alias_select", 0x46: "ext_select",
               0x48: "special"}


def disassemble(path, tmp_path):
    """`iasl -d` of path -> {'ivinfo', 'ivhd': [...], 'ivmd': [...]} with the
    device entries folded as ivrs-inspect folds them (a start/end pair is one
    range)."""
    if shutil.which("iasl") is None:
        pytest.fail("iasl is not installed (Debian package acpica-tools; `make deps`)")
    work = tmp_path / "iasl"
    work.mkdir(exist_ok=True)
    copy = work / "table.aml"
    shutil.copyfile(path, copy)
    r = subprocess.run(["iasl", "-d", "table.aml"], cwd=work, capture_output=True,
                       text=True, timeout=60, stdin=subprocess.DEVNULL)
    dsl = work / "table.dsl"
    assert r.returncode == 0 and dsl.exists(), r.stdout + r.stderr
    model = {"ivhd": [], "ivmd": []}
    sub = entry = None
    for line in dsl.read_text().splitlines():
        m = FIELD.match(line)
        if not m:
            continue
        off = int(m.group(1), 16)
        name, value = m.group(4).strip(), m.group(5).strip()
        num = int(value.split()[0], 16) if value and value[0] != '"' else None
        if name == "Virtualization Info" and sub is None:
            model["ivinfo"] = num
        elif name == "Subtable Type":
            sub = {"type": num, "offset": off, "entries": []}
            model["ivhd" if num in (0x10, 0x11, 0x40) else "ivmd"].append(sub)
            entry = None
        elif name == "Entry Type":
            entry = {"type": num, "offset": off}
            sub["entries"].append(entry)
        elif entry is not None:
            entry[name] = num
        elif sub is not None:
            sub[name] = num
    for h in model["ivhd"]:
        h["devs"] = fold(h["entries"])
    return model


def fold(entries):
    devs, start = [], None
    for e in entries:
        t = e["type"]
        if t in RANGE_KIND:
            start = e
            continue
        if t == 0x04:
            assert start is not None
            devs.append(dict(start, kind=RANGE_KIND[start["type"]],
                             first=start["Device ID"], last=e["Device ID"]))
            start = None
            continue
        d = dict(e, kind=SINGLE_KIND[t])
        if t == 0x01:
            d["first"], d["last"] = 0, 0xFFFF
        elif t == 0x48:
            d["first"] = d["last"] = e["Source Used Device ID"]
        else:
            d["first"] = d["last"] = e["Device ID"]
        devs.append(d)
    return devs


def compare_with_iasl(ours, iasl):
    """Every field ivrs-inspect prints that iasl also decodes must agree."""
    assert int(ours["ivinfo"]["ivinfo"], 16) == iasl["ivinfo"]
    assert len(ours["ivhd"]) == len(iasl["ivhd"])
    for i, (o, t) in enumerate(zip(ours["ivhd"], iasl["ivhd"])):
        w = f"ivhd {i}"
        assert int(o["index"]) == i, w
        assert int(o["type"], 16) == t["type"], w
        assert int(o["offset"], 16) == t["offset"], w
        assert int(o["flags"], 16) == t["Flags"], w
        assert devid(o["devid"]) == t["DeviceId"], w
        assert int(o["cap_offset"], 16) == t["Capability Offset"], w
        assert int(o["base"], 16) == t["Base Address"], w
        assert int(o["segment"]) == t["PCI Segment Group"], w
        assert int(o["info"], 16) == t["Virtualization Info"], w
        assert int(o["features"], 16) == t["Feature Reporting"], w
        # ivrs-inspect skips (and warns about) special entries of a
        # reserved variety; iasl lists them.
        theirs = [d for d in t["devs"] if d["kind"] != "special" or d["Variety"] in (1, 2)]
        assert int(o["entries"]) == len(o["devs"]) == len(theirs), w
        for od, td in zip(o["devs"], theirs):
            wd = f"{w}: {od['line']}"
            assert od["kind"] == td["kind"], wd
            assert int(od["offset"], 16) == td["offset"], wd
            assert devids(od["devid"]) == (td["first"], td["last"]), wd
            assert int(od["dte"], 16) == td["Data Setting"], wd
            if od["kind"].startswith("alias"):
                assert devid(od["alias"]) == td["Source Used Device ID"], wd
            if od["kind"].startswith("ext"):
                assert int(od["ext"], 16) == td["Extended Data"], wd
            if od["kind"] == "special":
                assert int(od["handle"]) == td["Handle"], wd
                assert od["variety"] == {1: "ioapic", 2: "hpet"}[td["Variety"]], wd
    assert len(ours["ivmd"]) == len(iasl["ivmd"])
    for i, (o, t) in enumerate(zip(ours["ivmd"], iasl["ivmd"])):
        w = f"ivmd {i}"
        assert int(o["type"], 16) == t["type"], w
        assert int(o["offset"], 16) == t["offset"], w
        assert int(o["flags"], 16) == t["Flags"], w
        assert int(o["start"], 16) == t["Start Address"], w
        assert int(o["length"], 16) == t["Memory Length"], w
        flags = t["Flags"]
        assert (o["unity"], o["ir"], o["iw"], o["exclusion"]) == tuple(
            "yes" if flags & b else "no" for b in (1, 2, 4, 8)), w
        if t["type"] == 0x20:
            assert o["devid"] == "all", w
        elif t["type"] == 0x21:
            assert devids(o["devid"]) == (t["DeviceId"], t["DeviceId"]), w
        else:
            assert devids(o["devid"]) == (t["DeviceId"], t["Auxiliary Data"]), w


# ---------------------------------------------------------------- good tables

@pytest.mark.parametrize("name", GOOD_TABLES)
def test_good_table_agrees_with_iasl(name, tmp_path):
    path = aml(name)
    r = inspect(path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stderr == ""
    ours = parse_inspect(r.stdout)
    assert ours["usable"] == {"usable": "yes"}
    compare_with_iasl(ours, disassemble(path, tmp_path))
    assert all(line.startswith("shoji: ") for line in r.stdout.splitlines())


def test_qemu_table_contents():
    r = inspect(aml("ivrs-qemu"))
    lines = r.stdout.splitlines()
    assert "shoji: ivrs ivinfo=0x2800 efr_sup=no dma_remap=no gva_size=0 pa_size=40 " \
           "va_size=0 ht_ats_resv=no" in lines
    assert "shoji: ivrs ivhd index=0 type=0x10 offset=0x30 iommu=0 devid=00:01.0 segment=0 " \
           "base=0xfed80000 cap_offset=0x40 flags=0xd1 info=0x0 msi_num=0 unit_id=0 " \
           "features=0x44 entries=9" in lines
    assert "shoji: ivrs   features source=feature_reporting xt=no nx=no gt=yes ia=no ga=yes " \
           "he=no hats=0 gats=0" in lines
    m = parse_inspect(r.stdout)
    assert [(d["kind"], d["devid"]) for d in m["ivhd"][0]["devs"]] == [
        ("select", "00:00.0"), ("select", "00:01.0"), ("select", "00:02.0"),
        ("select", "00:03.0"), ("range", "00:00.0-00:1f.7"), ("select", "00:1f.0"),
        ("select", "00:1f.2"), ("select", "00:1f.3"), ("special", "00:14.0")]
    assert "shoji: ivrs   dev kind=special devid=00:14.0 variety=ioapic handle=0 dte=0x00 " \
           "offset=0x6c" in lines
    assert "shoji: warning:" not in r.stdout


def test_server_table_contents():
    r = inspect(aml("ivrs-server"))
    lines = r.stdout.splitlines()
    m = parse_inspect(r.stdout)
    assert [(h["iommu"], h["devid"], h["segment"], h["base"]) for h in m["ivhd"]] == [
        ("0", "00:00.2", "0", "0xfd200000"), ("1", "40:00.2", "0", "0xfd300000"),
        ("2", "00:00.2", "1", "0xfe200000")]
    for text in ("shoji: ivrs   dev kind=alias_range devid=02:00.0-02:1f.7 alias=01:00.0 "
                 "dte=0x00 offset=0x54",
                 "shoji: ivrs   dev kind=alias_select devid=03:00.0 alias=00:14.4 dte=0x00 "
                 "offset=0x60",
                 "shoji: ivrs   dev kind=ext_select devid=00:08.1 ext=0x80000000 ats=disabled "
                 "dte=0x00 offset=0x68",
                 "shoji: ivrs   dev kind=ext_range devid=04:00.0-3f:1f.7 ext=0x0 ats=allowed "
                 "dte=0x00 offset=0x70",
                 "shoji: ivrs   dev kind=special devid=00:14.0 variety=ioapic handle=33 "
                 "dte=0xd7 offset=0x7c",
                 "shoji: ivrs   dev kind=special devid=00:14.0 variety=hpet handle=0 dte=0x00 "
                 "offset=0x8c",
                 "shoji: ivrs   dev kind=all devid=00:00.0-ff:1f.7 dte=0x00 offset=0xcc",
                 "shoji: ivrs ivmd index=2 type=0x22 offset=0x110 devid=40:00.0-40:1f.7 "
                 "start=0x7ee00000 length=0x200000 flags=0x08 unity=no ir=no iw=no "
                 "exclusion=yes",
                 "shoji: ivrs summary ivhds=3 iommus=3 devs=11 ivmds=3 unknown=0 dropped=0 "
                 "warnings=0"):
        assert text in lines, text
    assert "shoji: warning:" not in r.stdout


def test_firmware_bugs_are_warnings_not_failures():
    r = inspect(aml("ivrs-fwbugs"))
    assert r.returncode == 0, r.stdout
    warnings = [line for line in r.stdout.splitlines()
                if line.startswith("shoji: warning: ivrs ")]
    assert len(warnings) == 10, "\n".join(warnings)
    for text in ("has reserved variety 3 (5.2.2: 1 IOAPIC, 2 HPET): skipped",
                 "ivmd 0 at offset 0x9c start=0x7ec00800 length=0x1000: start is not 4 KiB "
                 "aligned (5.2.3): block ignored",
                 "ivmd 1 at offset 0xbc start=0x7ec00000 length=0x0: length is 0",
                 "ivmd 2 at offset 0xdc start=0x7ec00000 length=0x1000: neither unity map "
                 "nor exclusion range",
                 "flags 0x17 set reserved bits 7:4",
                 "ivhd 1 at offset 0x60 repeats ivhd 0",
                 "ivhd 0: range entry at offset 0x48 (0x0000-0x00ff) overlaps range entry at "
                 "offset 0x50 (0x0080-0x00bf)",
                 "overlap across IOMMUs: the first is used",
                 "ivmd 4 start=0x7ec11000 length=0x2000 flags=0x3 overlaps ivmd 3",
                 "ivmd 5 device IDs 0x7f00-0x7f00 are under no IOMMU"):
        assert sum(text in w for w in warnings) == 1, text
    m = parse_inspect(r.stdout)
    assert m["summary"]["warnings"] == "10"
    assert m["ivhd"][1]["superseded_by"] == "0"
    assert r.stdout.splitlines()[-1] == "shoji: ivrs usable=yes"


# ------------------------------------------------ IVHD 11h/40h, built here

def ivrs_table(blocks, revision=2, ivinfo=0x2801):
    body = b"".join(blocks)
    hdr = struct.pack("<4sIBB6s8sI4sI", b"IVRS", 48 + len(body), revision, 0, b"SHOJI ",
                      b"TYPE40  ", 1, b"SHOJ", 1)
    return checksum_fixed(hdr + struct.pack("<IQ", ivinfo, 0) + body)


def ivhd(type_, devid_, base, entries, efr=0, attrs=0, flags=0x30):
    fixed = 24 if type_ == 0x10 else 40
    head = struct.pack("<BBHHHQHHI", type_, flags, fixed + len(entries), devid_, 0x40, base,
                       0, 0, attrs)
    if type_ != 0x10:
        head += struct.pack("<QQ", efr, 0)
    return head + entries


def acpi_hid(devid_, hid, cid, uid, dte=0):
    return struct.pack("<BHB8s8sBB", 0xF0, devid_, dte, hid, cid, 2, len(uid)) + uid


def test_type_40h_supersedes_10h_and_acpi_hid(tmp_path):
    sel = struct.pack("<BHB", 2, 0x0010, 0) + struct.pack("<BHB", 3, 0x0100, 0) + \
        struct.pack("<BHB", 4, 0x01FF, 0)
    # EFR image: XTSup, NXSup, GTSup, IASup, GASup, HATS=01b (5 levels).
    efr = (1 << 2) | (1 << 3) | (1 << 4) | (1 << 6) | (1 << 7) | (1 << 10)
    table = ivrs_table([
        ivhd(0x10, 0x0002, 0xFEB80000, sel),
        ivhd(0x40, 0x0002, 0xFEB80000, sel + acpi_hid(0x00A5, b"AMDI0020", b"PNP0C01\0",
                                                        b"ID00", dte=0x40), efr=efr),
        ivhd(0x11, 0x0002, 0xFEB80000, sel, efr=efr),
    ])
    path = tmp_path / "type40.aml"
    path.write_bytes(table)
    r = inspect(path)
    assert r.returncode == 0, r.stdout
    lines = r.stdout.splitlines()
    m = parse_inspect(r.stdout)
    assert [(h["type"], h.get("iommu"), h.get("superseded_by")) for h in m["ivhd"]] == [
        ("0x10", None, "1"), ("0x40", "0", None), ("0x11", None, "1")]
    assert m["ivhd"][1]["efr"] == hex(efr)
    assert m["ivhd"][1]["decoded"] == {
        "source": "efr", "xt": "yes", "nx": "yes", "gt": "yes", "ia": "yes", "ga": "yes",
        "he": "no", "hats": "1", "gats": "0"}
    assert "shoji: ivrs   dev kind=acpi_hid devid=00:14.5 hid=AMDI0020 cid=PNP0C01 " \
           "uid_format=string uid=ID00 dte=0x40 offset=0x88" in lines
    assert m["summary"]["iommus"] == "1"
    assert "shoji: warning:" not in r.stdout


# ---------------------------------------------------------------- malformed tables

def patched(name, edit):
    b = bytearray(aml(name).read_bytes())
    edit(b)
    return bytes(b)


def set16(off, value):
    return lambda b: struct.pack_into("<H", b, off, value)


def setb(off, value):
    return lambda b: b.__setitem__(off, value)


def shortened(name, cut, ivhd_len_at):
    """The table minus its last `cut` bytes, with the header and the IVHD
    length (at ivhd_len_at) shrunk to match."""
    def edit(b):
        del b[len(b) - cut:]
        struct.pack_into("<I", b, 4, len(b))
        struct.pack_into("<H", b, ivhd_len_at, struct.unpack_from("<H", b, ivhd_len_at)[0] - cut)
    return checksum_fixed(patched(name, edit))


def extended(name, extra):
    def edit(b):
        b.extend(extra)
        struct.pack_into("<I", b, 4, len(b))
    return checksum_fixed(patched(name, edit))


# QEMU's table: IVHD at 0x30 (length field at 0x32, 0x44 bytes), device
# entries every 4 bytes from 0x48, the special entry (8 bytes) at 0x6c.
# The server table's first IVMD is at 0xd0.
MALFORMED = {
    "truncated": (
        lambda: aml("ivrs-qemu").read_bytes()[:100],
        "table truncated: header length 116 exceeds the 100 bytes available"),
    "truncated-in-header": (
        lambda: aml("ivrs-qemu").read_bytes()[:20],
        "only 20 bytes available, an ACPI table header needs 36"),
    "bad-signature": (
        lambda: checksum_fixed(patched("ivrs-qemu", lambda b: b.__setitem__(slice(0, 4), b"IVRX"))),
        "signature is 'IVRX', not 'IVRS'"),
    "header-length-below-minimum": (
        lambda: checksum_fixed(patched("ivrs-qemu", lambda b: struct.pack_into("<I", b, 4, 40))),
        "header length 40 is below the IVRS minimum of 48 (5.2.1)"),
    "zero-length-block": (
        lambda: checksum_fixed(patched("ivrs-qemu", set16(0x32, 0))),
        "ivhd type=0x10 at offset 0x30 has length 0, below its minimum of 24"),
    "type-11h-below-its-minimum": (
        lambda: checksum_fixed(patched("ivrs-qemu", lambda b: (setb(0x30, 0x11)(b),
                                                              set16(0x32, 36)(b)))),
        "ivhd type=0x11 at offset 0x30 has length 36, below its minimum of 40"),
    "block-overruns-table": (
        lambda: checksum_fixed(patched("ivrs-qemu", set16(0x32, 0x45))),
        "ivhd type=0x10 at offset 0x30 (length 69) overruns the table (68 bytes left)"),
    "entry-overruns-block": (
        lambda: shortened("ivrs-qemu", 4, 0x32),
        "ivhd at offset 0x30: device entry type=0x48 at offset 0x6c (8 bytes) overruns its "
        "block (4 bytes left)"),
    "reserved-variable-length-entry": (
        lambda: checksum_fixed(patched("ivrs-qemu", setb(0x48, 0x80))),
        "ivhd at offset 0x30: device entry at offset 0x48 has type 0x80, a reserved "
        "variable-length code whose size is unknown"),
    "trailing-bytes": (
        lambda: extended("ivrs-qemu", b"\x10\x00\x00"),
        "3 trailing byte(s) at offset 0x74 are too short for a block header (5.2.1)"),
    "ivmd-length-not-32": (
        lambda: checksum_fixed(patched("ivrs-server", set16(0xD2, 0x40))),
        "ivmd type=0x20 at offset 0xd0 has length 64, not 32 (5.2.3)"),
    "end-without-start": (
        lambda: checksum_fixed(patched("ivrs-qemu", setb(0x58, 0x02))),
        "ivhd at offset 0x30: end-of-range entry (04h) at offset 0x5c has no start-of-range "
        "entry (03h, 43h or 47h) right before it (5.2.2)"),
}

# ASL-built tables for the rules iasl can express.
MALFORMED_ASL = {
    "ivrs-bad-unclosed":
        "ivhd at offset 0x30: start-of-range entry type=0x03 at offset 0x48 is followed by "
        "type 0x02 at offset 0x4c, not by an end-of-range entry (04h) (5.2.2)",
    "ivrs-bad-orphan-end":
        "ivhd at offset 0x30: end-of-range entry (04h) at offset 0x4c has no start-of-range "
        "entry (03h, 43h or 47h) right before it (5.2.2)",
    "ivrs-bad-backwards":
        "ivhd at offset 0x30: range from device ID 0x0300 (offset 0x48) to 0x02ff (offset "
        "0x50) ends below its start (5.2.2)",
    "ivrs-bad-open-at-end":
        "ivhd at offset 0x30: start-of-range entry type=0x47 at offset 0x4c has no "
        "end-of-range entry (04h) before the end of the block (5.2.2)",
}

# Well-formed but not usable: fail closed, malformed=no.
UNUSABLE_ASL = {
    "ivrs-badbase": ("invalid", "ivhd 0 has an invalid register base 0x0: devices under it "
                                "cannot be protected"),
    "ivrs-bad-alias-conflict": (
        "invalid", "alias conflict: entries at offsets 0x48 and 0x50 alias device IDs "
                   "0x0300-0x0300 and 0x0300-0x03ff of segment 0 to different requester IDs "
                   "0x00a4 and 0x0100 (5.2.2)"),
    "ivrs-bad-base-mismatch": (
        "invalid", "ivhd 0 (offset 0x30) and ivhd 1 (offset 0x50) describe the same IOMMU "
                   "(segment 0, device ID 0x0008) with different register bases 0xfed80000 "
                   "and 0xfed90000 (5.2.2)"),
    "ivrs-bad-no-ivhd": ("no_iommu", "no IOMMU (IVHD block) in the table"),
}


def check_malformed(r, message):
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"shoji: error: ivrs malformed: {message}" in r.stdout
    last = r.stdout.splitlines()[-1]
    assert last.startswith("shoji: ivrs usable=no error=")
    assert "malformed=yes" in last and message in last


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_table_exits_1(case, tmp_path):
    make, message = MALFORMED[case]
    path = tmp_path / f"{case}.aml"
    path.write_bytes(make())
    check_malformed(inspect(path), message)


def test_bad_checksum(tmp_path):
    path = tmp_path / "sum.aml"
    path.write_bytes(patched("ivrs-qemu", lambda b: b.__setitem__(0x3A, b[0x3A] ^ 1)))
    r = inspect(path)
    assert r.returncode == 1
    assert r.stdout.splitlines()[-1] == (
        'shoji: ivrs usable=no error=checksum malformed=yes reason="bad checksum: the 116 '
        'bytes sum to 0x01, not 0"')


@pytest.mark.parametrize("name", sorted(MALFORMED_ASL))
def test_malformed_asl_table_exits_1(name):
    check_malformed(inspect(aml(name)), MALFORMED_ASL[name])


@pytest.mark.parametrize("name", sorted(UNUSABLE_ASL))
def test_unusable_table_fails_closed(name):
    token, reason = UNUSABLE_ASL[name]
    r = inspect(aml(name))
    assert r.returncode == 1, r.stdout
    assert f"shoji: error: ivrs not usable: {reason}" in r.stdout
    assert r.stdout.splitlines()[-1] == (
        f'shoji: ivrs usable=no error={token} malformed=no reason="{reason}"')


def test_unknown_block_type_is_skipped(tmp_path):
    """A block of a type the parser does not know is stepped over by its
    length and noted; without an IVHD left the table is not usable."""
    path = tmp_path / "unknown.aml"
    path.write_bytes(checksum_fixed(patched("ivrs-qemu", setb(0x30, 0x12))))
    r = inspect(path)
    assert r.returncode == 1
    assert "shoji: ivrs note: block type=0x12 length=68 at offset 0x30 is of a type this " \
           "parser does not know: skipped" in r.stdout
    assert 'error=no_iommu malformed=no' in r.stdout.splitlines()[-1]


def test_every_truncation_is_rejected(tmp_path):
    """Each prefix of a good table is malformed (the sanitizers in the tool's
    build would abort on any read past the data)."""
    for name in ("ivrs-server", "ivrs-qemu"):
        data = aml(name).read_bytes()
        for n in range(1, len(data)):
            path = tmp_path / "cut.aml"
            path.write_bytes(data[:n])
            r = inspect(path)
            assert r.returncode == 1, (name, n, r.stdout)
            assert "malformed=yes" in r.stdout.splitlines()[-1], (name, n)


def test_every_shortened_block(tmp_path):
    """QEMU's table and its IVHD shortened together by 1..44 bytes (all of
    its device entries), checksum fixed. A cut on an entry boundary that
    leaves no range open is a shorter, well-formed table; every other cut
    lands inside an entry or leaves the 03h entry without its 04h and must
    be refused with a named rule, never read past the block."""
    entries = 0x44 - 24
    # Entry boundaries, counted from the end of the block: the special entry
    # (8 bytes), three selects, 04h, 03h, four selects.
    boundaries = [8, 12, 16, 20, 24, 28, 32, 36, 40, 44]
    for cut in range(1, entries + 1):
        path = tmp_path / "short.aml"
        path.write_bytes(shortened("ivrs-qemu", cut, 0x32))
        r = inspect(path)
        last = r.stdout.splitlines()[-1]
        if cut in boundaries and cut != 24:     # 24: the 04h is gone, 03h left open
            assert r.returncode == 0, (cut, r.stdout)
            assert last == "shoji: ivrs usable=yes"
        else:
            assert r.returncode == 1, (cut, r.stdout)
            assert "malformed=yes" in last, (cut, r.stdout)


# ---------------------------------------------------------------- usage and I/O

def test_help():
    r = inspect("--help")
    assert r.returncode == 0
    assert r.stdout.startswith("usage: ivrs-inspect FILE")
    assert "Exit status: 0" in r.stdout
    assert "superseded_by=N" in r.stdout


def test_usage_errors(tmp_path):
    need(TOOL)
    for args in ([], ["--bogus", str(aml("ivrs-qemu"))],
                 [str(aml("ivrs-qemu")), str(aml("ivrs-qemu"))]):
        r = subprocess.run([str(TOOL), *args], capture_output=True, text=True, timeout=60)
        assert r.returncode == 2, args
        assert "ivrs-inspect: error:" in r.stderr and "usage:" in r.stderr
        assert r.stdout == ""


def test_io_errors(tmp_path):
    missing = tmp_path / "nope"
    r = inspect(missing)
    assert r.returncode == 2
    assert r.stderr == f"ivrs-inspect: error: cannot open {missing}: No such file or directory\n"
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    r = inspect(empty)
    assert r.returncode == 2
    assert r.stderr == f"ivrs-inspect: error: {empty} is empty\n"
    r = inspect(tmp_path)
    assert r.returncode == 2
    assert r.stderr == f"ivrs-inspect: error: cannot read {tmp_path}: Is a directory\n"
    if os.geteuid() != 0:       # root reads mode-000 files anyway
        locked = tmp_path / "locked"
        locked.write_bytes(aml("ivrs-qemu").read_bytes())
        locked.chmod(0)
        r = inspect(locked)
        assert r.returncode == 2
        assert "Permission denied" in r.stderr


# ---------------------------------------------------------------- QEMU's own IVRS

QEMU_DEVICES = ["-device", "amd-iommu,intremap=on",
                "-device", "edu,dma_mask=0xffffffffffffffff",
                "-device", "pcie-root-port,id=rp1,chassis=1", "-device", "e1000e,bus=rp1"]


def test_qemu_own_ivrs(tmp_path):
    table = qemu_acpi_table(b"IVRS", QEMU_DEVICES)
    path = tmp_path / "qemu-ivrs.aml"
    path.write_bytes(table)
    r = inspect(path)
    assert r.returncode == 0, r.stdout + r.stderr
    ours = parse_inspect(r.stdout)
    compare_with_iasl(ours, disassemble(path, tmp_path))
    # What design.md records about QEMU 7.2: the IOMMU is the PCI function
    # 00:01.0, interrupt remapping brings the IOAPIC's special entry.
    h = ours["ivhd"]
    assert [(x["type"], x["devid"], x["base"]) for x in h] == [("0x10", "00:01.0", "0xfed80000")]
    kinds = {(d["kind"], d["devid"]) for d in h[0]["devs"]}
    assert ("select", "00:01.0") in kinds          # the IOMMU itself
    assert ("select", "00:02.0") in kinds          # edu
    assert ("select", "00:03.0") in kinds          # the root port above e1000e
    assert ("special", "00:14.0") in kinds         # IOAPIC (intremap=on)
    assert "shoji: warning:" not in r.stdout
    # tests/acpi/ivrs-qemu.asl reproduces this table byte for byte, apart
    # from the checksum and the creator id/revision iasl writes.
    ours_aml = aml("ivrs-qemu").read_bytes()
    assert len(ours_aml) == len(table)
    diff = [i for i in range(len(table)) if ours_aml[i] != table[i]]
    assert set(diff) <= {9} | set(range(28, 36)), diff
