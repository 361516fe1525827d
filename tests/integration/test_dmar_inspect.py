"""dmar-inspect against iasl and QEMU.

For every good table (tests/acpi/*.asl compiled by iasl into build/acpi/*.aml,
and the DMAR that QEMU itself builds for q35 + intel-iommu) the fields that
dmar-inspect prints are compared with `iasl -d`'s disassembly of the same
bytes: two independent parsers must agree. Malformed tables are made by
patching the good .aml files here, because iasl 20200925 recomputes lengths
and checksums and hangs on inconsistent structure lengths (see the comment in
tests/acpi/dmar-q35.asl).

`make integration` builds build/tools/dmar-inspect and build/acpi/*.aml first;
when one is missing the tests fail saying so, they do not skip.
Run: /usr/bin/python3 -m pytest tests/integration/test_dmar_inspect.py
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
TOOL = ROOT / "build" / "tools" / "dmar-inspect"
AML_DIR = ROOT / "build" / "acpi"
GOOD_TABLES = ["dmar-q35", "dmar-dq35joe", "dmar-server", "dmar-fwbugs"]
SCOPE_TYPES = {1: "endpoint", 2: "bridge", 3: "ioapic", 4: "hpet", 5: "acpi"}


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


def parse_path(text):
    return [tuple(int(x, 16) for x in hop.split(".")) for hop in text.split("/")]


def parse_inspect(stdout):
    """dmar-inspect's lines -> {'haw', 'flags', 'drhd': [...], 'rmrr': [...], ...}."""
    model = {"drhd": [], "rmrr": [], "atsr": [], "rhsa": [], "andd": [], "satc": []}
    current = None
    for line in stdout.splitlines():
        if not line.startswith("shoji: dmar "):
            continue
        body = line[len("shoji: dmar "):]
        if body.startswith("  scope "):
            f = kv(body)
            path = parse_path(f["path"])
            if "start_bus" in f:
                start = int(f["start_bus"], 16)
            else:       # single hop, resolved: the BDF's bus is the start bus
                assert len(path) == 1, line
                start = int(f["bdf"].split(":")[0], 16)
            current["scope_list"].append({
                "type": f["type"], "start_bus": start, "path": path,
                "id": int(f["id"]) if "id" in f else None, "bdf": f["bdf"],
                "line": line,
            })
            continue
        word, _, rest = body.partition(" ")
        f = kv(rest)
        if body.startswith("haw="):
            f = kv(body)
            model["haw"] = int(f["haw"])
            model["flags"] = int(f["flags"], 16)
            model["bits"] = (f["intr_remap"], f["x2apic_opt_out"], f["dma_ctrl_opt_in"])
        elif word in model:
            current = dict(f, scope_list=[])
            model[word].append(current)
        elif word in ("usable=yes", "usable=no"):
            model["usable"] = kv(body)
        elif word == "summary":
            model["summary"] = f
    return model


FIELD = re.compile(r"^\[([0-9A-F]+)h (\d+) +(\d+)\] +(.+?) : (.*)$")
SUBTABLES = {0: "drhd", 1: "rmrr", 2: "atsr", 3: "rhsa", 4: "andd", 5: "satc"}


def disassemble(path, tmp_path):
    """`iasl -d` of path -> the same model as parse_inspect, from iasl's text."""
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
    model = {k: [] for k in SUBTABLES.values()}
    sub = scope = None
    for line in dsl.read_text().splitlines():
        m = FIELD.match(line)
        if not m:
            continue
        name, value = m.group(4).strip(), m.group(5).strip()
        num = value.split()[0] if value else ""
        if name == "Host Address Width":
            model["haw_field"] = int(num, 16)
        elif name == "Flags" and sub is None:
            model["flags"] = int(num, 16)
        elif name == "Subtable Type":
            sub = {"kind": SUBTABLES[int(num, 16)], "scopes": []}
            model[sub["kind"]].append(sub)
            scope = None
        elif name == "Device Scope Type":
            scope = {"type": int(num, 16), "path": []}
            sub["scopes"].append(scope)
        elif scope is not None and name == "Enumeration ID":
            scope["id"] = int(num, 16)
        elif scope is not None and name == "PCI Bus Number":
            scope["bus"] = int(num, 16)
        elif scope is not None and name == "PCI Path":
            scope["path"].append(tuple(int(x, 16) for x in value.split(",")))
        elif sub is not None and name in ("Flags", "PCI Segment Number", "Register Base Address",
                                          "Base Address", "End Address (limit)",
                                          "Proximity Domain", "Device Number"):
            sub[name] = int(num, 16)
        elif sub is not None and name == "Device Name":
            sub[name] = value.strip('"')
    return model


def compare_scopes(ours, theirs, where):
    assert len(ours) == len(theirs), where
    for i, (o, t) in enumerate(zip(ours, theirs)):
        w = f"{where} scope {i}: {o['line']}"
        assert o["type"] == SCOPE_TYPES[t["type"]], w
        assert o["start_bus"] == t["bus"], w
        assert o["path"] == t["path"], w
        if t["type"] in (3, 4, 5):
            assert o["id"] == t["id"], w


def compare_with_iasl(ours, iasl):
    """Every field dmar-inspect prints that iasl also decodes must agree."""
    assert ours["haw"] == iasl["haw_field"] + 1
    assert ours["flags"] == iasl["flags"]
    bits = iasl["flags"]
    assert ours["bits"] == tuple("yes" if bits & b else "no" for b in (1, 2, 4))
    assert len(ours["drhd"]) == len(iasl["drhd"])
    for i, (o, t) in enumerate(zip(ours["drhd"], iasl["drhd"])):
        assert int(o["unit"]) == i
        assert int(o["base"], 16) == t["Register Base Address"], f"drhd {i}"
        assert int(o["segment"]) == t["PCI Segment Number"], f"drhd {i}"
        assert o["include_all"] == ("yes" if t["Flags"] & 1 else "no"), f"drhd {i}"
        assert int(o["scopes"]) == len(t["scopes"]), f"drhd {i}"
        compare_scopes(o["scope_list"], t["scopes"], f"drhd {i}")
    assert len(ours["rmrr"]) == len(iasl["rmrr"])
    for i, (o, t) in enumerate(zip(ours["rmrr"], iasl["rmrr"])):
        assert int(o["base"], 16) == t["Base Address"], f"rmrr {i}"
        assert int(o["limit"], 16) == t["End Address (limit)"], f"rmrr {i}"
        assert int(o["segment"]) == t["PCI Segment Number"], f"rmrr {i}"
        compare_scopes(o["scope_list"], t["scopes"], f"rmrr {i}")
    assert len(ours["atsr"]) == len(iasl["atsr"])
    for i, (o, t) in enumerate(zip(ours["atsr"], iasl["atsr"])):
        assert o["all_ports"] == ("yes" if t["Flags"] & 1 else "no"), f"atsr {i}"
        assert int(o["segment"]) == t["PCI Segment Number"], f"atsr {i}"
        compare_scopes(o["scope_list"], t["scopes"], f"atsr {i}")
    assert len(ours["rhsa"]) == len(iasl["rhsa"])
    for o, t in zip(ours["rhsa"], iasl["rhsa"]):
        assert int(o["base"], 16) == t["Base Address"]
        assert int(o["proximity"]) == t["Proximity Domain"]
    assert len(ours["andd"]) == len(iasl["andd"])
    for o, t in zip(ours["andd"], iasl["andd"]):
        assert int(o["number"]) == t["Device Number"]
        assert o["name"] == t["Device Name"]


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
    # Every output line carries the log prefix.
    assert all(line.startswith("shoji: ") for line in r.stdout.splitlines())


def test_q35_table_contents():
    r = inspect(aml("dmar-q35"))
    m = parse_inspect(r.stdout)
    assert (m["haw"], m["flags"]) == (39, 1)
    assert "shoji: dmar haw=39 flags=0x1 intr_remap=yes x2apic_opt_out=no " \
           "dma_ctrl_opt_in=no" in r.stdout.splitlines()
    assert "shoji: dmar drhd unit=0 base=0xfed90000 segment=0 size=4096 include_all=no " \
           "scopes=7" in r.stdout.splitlines()
    scopes = m["drhd"][0]["scope_list"]
    assert [(s["type"], s["bdf"]) for s in scopes] == [
        ("ioapic", "ff:00.0"), ("endpoint", "00:00.0"), ("endpoint", "00:01.0"),
        ("bridge", "00:02.0"), ("endpoint", "00:1f.0"), ("endpoint", "00:1f.2"),
        ("endpoint", "00:1f.3")]
    assert "shoji: warning:" not in r.stdout


def test_dq35joe_table_contents():
    r = inspect(aml("dmar-dq35joe"))
    m = parse_inspect(r.stdout)
    assert m["haw"] == 35
    assert [(d["base"], d["include_all"], d["scopes"]) for d in m["drhd"]] == [
        ("0xfeb00000", "no", "1"), ("0xfeb01000", "no", "2"),
        ("0xfeb02000", "no", "0"), ("0xfeb03000", "yes", "1")]
    assert [s["bdf"] for s in m["drhd"][0]["scope_list"]] == ["00:1b.0"]
    assert [s["bdf"] for s in m["drhd"][1]["scope_list"]] == ["00:02.0", "00:02.1"]
    assert [(s["type"], s["id"], s["bdf"]) for s in m["drhd"][3]["scope_list"]] == [
        ("acpi", 1, "00:1f.0")]
    # The multi-hop path is shown as a path, unresolved, and the tool says why.
    lines = r.stdout.splitlines()
    assert 'shoji: dmar   scope type=endpoint bdf=unresolved start_bus=00 path=1e.0/01.0 ' \
           'why="no PCI topology given"' in lines
    assert any(line.startswith("shoji: dmar note: 2 scope(s) not resolved: no live PCI "
                               "topology was given") for line in lines)
    assert "shoji: dmar rmrr base=0x3f6e8000 limit=0x3f6fffff segment=0 scopes=3" in lines
    assert "shoji: dmar rhsa base=0xfeb03000 proximity=0 unit=3" in lines
    assert "shoji: dmar andd number=1 name=\\_SB.PCI0.LPCB.DMAC" in lines
    assert "shoji: warning:" not in r.stdout


def test_firmware_bugs_are_warnings_not_failures():
    r = inspect(aml("dmar-fwbugs"))
    assert r.returncode == 0, r.stdout
    warnings = [line for line in r.stdout.splitlines()
                if line.startswith("shoji: warning: dmar ")]
    assert len(warnings) == 11, "\n".join(warnings)
    for text in ("INCLUDE_PCI_ALL unit is not the last DRHD of its segment",
                 "same register base as unit 1",
                 "second INCLUDE_PCI_ALL unit of this segment",
                 "overlaps rmrr 0",
                 "base is not 4 KiB aligned (8.4): region ignored",
                 "RMRR scopes must name PCI endpoints",
                 "names no remapping unit",
                 "acpi device number 7 has no andd"):
        assert sum(text in w for w in warnings) == 1, text
    assert parse_inspect(r.stdout)["summary"]["warnings"] == "11"
    assert r.stdout.splitlines()[-1] == "shoji: dmar usable=yes"


def test_bad_register_base_is_unusable():
    r = inspect(aml("dmar-badbase"))
    assert r.returncode == 1, r.stdout
    out = r.stdout
    assert "shoji: warning: dmar drhd unit=0 base=0x0: register base is zero" in out
    assert "register base is all-ones" in out
    assert "register base is not 4 KiB aligned" in out
    assert "shoji: error: dmar not usable: unit 0 has an invalid register base 0x0" in out
    assert out.splitlines()[-1] == (
        'shoji: dmar usable=no error=invalid malformed=no reason="unit 0 has an invalid '
        'register base 0x0: devices under it cannot be protected"')
    # Still printed in full, so a person can see what firmware said.
    assert "shoji: dmar drhd unit=2 base=0xffffffffffffffff segment=0 size=4096 " \
           "include_all=yes scopes=0 usable=no" in out


# ---------------------------------------------------------------- malformed tables

def patched(name, edit):
    b = bytearray(aml(name).read_bytes())
    edit(b)
    return bytes(b)


def set16(off, value):
    return lambda b: struct.pack_into("<H", b, off, value)


# QEMU's table: DRHD at 0x30 (length field at 0x32), scopes every 8 bytes
# from 0x40; the last scope (00:1f.3) at 0x70, its length byte at 0x71.
MALFORMED = {
    "truncated": (
        lambda: aml("dmar-q35").read_bytes()[:100],
        "table truncated: header length 120 exceeds the 100 bytes available"),
    "truncated-in-header": (
        lambda: aml("dmar-q35").read_bytes()[:20],
        "only 20 bytes available, an ACPI table header needs 36"),
    "bad-checksum": (
        lambda: patched("dmar-q35", lambda b: b.__setitem__(0x3A, b[0x3A] ^ 1)),
        "bad checksum: the 120 bytes sum to 0xff, not 0"),
    "zero-length-structure": (
        lambda: checksum_fixed(patched("dmar-q35", set16(0x32, 0))),
        "drhd type=0 at offset 0x30 has length 0, below its minimum of 16"),
    "scope-overruns-structure": (
        lambda: checksum_fixed(patched("dmar-q35", lambda b: b.__setitem__(0x71, 10))),
        "drhd at offset 0x30: device scope at offset 0x70 (length 10) overruns its "
        "structure (8 bytes left)"),
    "zero-length-scope": (
        lambda: checksum_fixed(patched("dmar-q35", lambda b: b.__setitem__(0x49, 0))),
        "drhd at offset 0x30: device scope at offset 0x48 has length 0, below the minimum "
        "of 8 (8.3.1)"),
    "structure-overruns-table": (
        lambda: checksum_fixed(patched("dmar-q35", set16(0x32, 0x49))),
        "drhd type=0 at offset 0x30 (length 73) overruns the table (72 bytes left)"),
    "bad-signature": (
        lambda: checksum_fixed(patched("dmar-q35", lambda b: b.__setitem__(slice(0, 4), b"DMAX"))),
        "signature is 'DMAX', not 'DMAR'"),
    # The ANDD (last structure of dq35joe, at 0xe6) claims one byte more than
    # the table has.
    "andd-overruns-table": (
        lambda: checksum_fixed(patched("dmar-dq35joe", set16(0xE8, 0x1D))),
        "andd type=4 at offset 0xe6 (length 29) overruns the table (28 bytes left)"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_table_exits_1(case, tmp_path):
    make, message = MALFORMED[case]
    path = tmp_path / f"{case}.aml"
    path.write_bytes(make())
    r = inspect(path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"shoji: error: dmar malformed: {message}\n" in r.stdout
    last = r.stdout.splitlines()[-1]
    assert last.startswith("shoji: dmar usable=no error=")
    assert "malformed=yes" in last and message in last


def test_every_truncation_is_rejected(tmp_path):
    """Each prefix of a good table is malformed (the sanitizers in the tool's
    build would abort on any read past the data)."""
    data = aml("dmar-server").read_bytes()
    for n in list(range(1, 60)) + list(range(60, len(data), 7)):
        path = tmp_path / "cut.aml"
        path.write_bytes(data[:n])
        r = inspect(path)
        assert r.returncode == 1, (n, r.stdout)
        assert "malformed=yes" in r.stdout.splitlines()[-1]


# ---------------------------------------------------------------- usage and I/O

def test_help():
    r = inspect("--help")
    assert r.returncode == 0
    assert r.stdout.startswith("usage: dmar-inspect FILE")
    assert "Exit status: 0" in r.stdout
    assert "multi-hop paths are shown as paths" in r.stdout


def test_usage_errors(tmp_path):
    need(TOOL)
    for args in ([], ["--bogus", str(aml("dmar-q35"))],
                 [str(aml("dmar-q35")), str(aml("dmar-q35"))]):
        r = subprocess.run([str(TOOL), *args], capture_output=True, text=True, timeout=60)
        assert r.returncode == 2, args
        assert "dmar-inspect: error:" in r.stderr and "usage:" in r.stderr
        assert r.stdout == ""


def test_io_errors(tmp_path):
    missing = tmp_path / "nope"
    r = inspect(missing)
    assert r.returncode == 2
    assert r.stderr == f"dmar-inspect: error: cannot open {missing}: No such file or directory\n"
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    r = inspect(empty)
    assert r.returncode == 2
    assert r.stderr == f"dmar-inspect: error: {empty} is empty\n"
    r = inspect(tmp_path)
    assert r.returncode == 2
    assert r.stderr == f"dmar-inspect: error: cannot read {tmp_path}: Is a directory\n"
    if os.geteuid() != 0:       # root reads mode-000 files anyway
        locked = tmp_path / "locked"
        locked.write_bytes(aml("dmar-q35").read_bytes())
        locked.chmod(0)
        r = inspect(locked)
        assert r.returncode == 2
        assert "Permission denied" in r.stderr


# ---------------------------------------------------------------- QEMU's own DMAR

QEMU_DEVICES = ["-device", "intel-iommu,intremap=on",
                "-device", "edu,dma_mask=0xffffffffffffffff",
                "-device", "pcie-root-port,id=rp1,chassis=1", "-device", "e1000e,bus=rp1"]


def qemu_dmar():
    """The DMAR QEMU builds, read out of fw_cfg (qemu_acpi.py)."""
    return qemu_acpi_table(b"DMAR", QEMU_DEVICES)


def test_qemu_own_dmar(tmp_path):
    table = qemu_dmar()
    path = tmp_path / "qemu-dmar.aml"
    path.write_bytes(table)
    r = inspect(path)
    assert r.returncode == 0, r.stdout + r.stderr
    ours = parse_inspect(r.stdout)
    compare_with_iasl(ours, disassemble(path, tmp_path))
    # What design.md records about QEMU 7.2's table, and our devices in it.
    assert (ours["haw"], ours["bits"][0]) == (39, "yes")
    assert [d["base"] for d in ours["drhd"]] == ["0xfed90000"]
    assert ours["drhd"][0]["include_all"] == "no"
    kinds = {(s["type"], s["bdf"]) for s in ours["drhd"][0]["scope_list"]}
    assert ("ioapic", "ff:00.0") in kinds
    assert ("endpoint", "00:01.0") in kinds        # edu
    assert ("bridge", "00:02.0") in kinds          # the root port above e1000e
    assert "shoji: warning:" not in r.stdout
    # tests/acpi/dmar-q35.asl reproduces this table byte for byte, apart from
    # the checksum and the creator id/revision iasl writes.
    ours_aml = aml("dmar-q35").read_bytes()
    assert len(ours_aml) == len(table)
    diff = [i for i in range(len(table)) if ours_aml[i] != table[i]]
    assert set(diff) <= {9} | set(range(28, 36)), diff
