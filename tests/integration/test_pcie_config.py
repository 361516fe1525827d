"""The guest's PCI Express configuration space under shoji (issue 12): the
guest keeps the MCFG, its kernel uses MMCONFIG, and a passthrough PCIe
device's extended capabilities (QEMU's e1000e: AER at 0x100, DSN at 0x140)
read the same as on the bare machine. The ECAM window is read-only for the
guest: a BAR written through it (not through CF8/CFC) moves natively, and
under shoji the PCI guard refuses it when it lands on shoji's region; the
value read back comes from the device's own config space. The first 256
bytes of every function read the same through the ports (sysfs) and through
the ECAM window, natively and under shoji, where the functions whose MSI
capability shoji virtualises trap ECAM reads to get the same fix-up as the
ports (guest/scripts/pcie.sh)."""
import subprocess

import pytest

from conftest import kv, native_cmd, run_shoji, INITRD, VMLINUX

E1000E = "8086:10d3"


def pcie_lines(lines):
    """dev -> key=value dict of the 'guest: pcie dev=...' lines."""
    out = {}
    for l in lines:
        if l.startswith("guest: pcie dev="):
            d = kv(l[len("guest: pcie "):])
            out[d["id"]] = d
    return out


def one(lines, prefix):
    found = [kv(l[len(prefix):]) for l in lines if l.startswith(prefix)]
    assert found, f"no '{prefix}' line"
    return found[0]


@pytest.fixture(scope="module")
def native():
    cmd = native_cmd("pcie", devices=("e1000e",), append=("iomem=relaxed",))
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=240, errors="replace")
    lines = [l.rstrip("\r") for l in p.stdout.splitlines()]
    assert any(l.startswith("guest: script=pcie status=ok") for l in lines), \
        "\n".join(lines[-40:])
    return lines


@pytest.fixture(scope="module")
def shoji():
    b = run_shoji("--kernel", VMLINUX, "--initrd", INITRD, "--edu", "--device", "e1000e",
                  "--append", "console=ttyS0 iomem=relaxed shoji.script=pcie", timeout=300)
    assert b.rc == 0, b
    assert b.has("guest: script=pcie status=ok"), b
    return b


def test_early_config_reads_fused(native, shoji):
    """Linux's early read_pci_config() (CF8 write, then "mov $0xcfc,%edx; in")
    scans all 256 buses twice for an AGP bridge on this CPU model; under
    shoji each such read is done in its CF8 write's exit (one exit, not two).
    The kernel finds what it finds natively (no AGP bridge, both scans), and
    at least the two scans of buses 1-255 (2 x 255 x 32 reads) went through
    the fused path."""
    n, s = one(native, "guest: pcie early "), one(shoji.lines, "guest: pcie early ")
    assert n["agp_none"] == s["agp_none"] == "2", (n, s)
    assert n["fused"] == "none", n
    assert int(s["fused"]) >= 2 * 255 * 32, s


def test_guest_kernel_uses_mmconfig(native, shoji):
    for lines in (native, shoji.lines):
        k = one(lines, "guest: pcie kernel ")
        assert (k["mmconfig"], k["extended"]) == ("yes", "yes"), k
    assert shoji.has("shoji: guest pci: ECAM window 0xb0000000-0xc0000000 given to the guest "
                     "read-only"), shoji
    assert shoji.has("shoji: npt hole pci-ecam 0xb0000000-0xc0000000 "
                     "traps=writes(reads of some pages)"), shoji
    assert not shoji.has("MCFG hidden"), shoji


def test_extended_capabilities_same_as_native(native, shoji):
    n, s = pcie_lines(native), pcie_lines(shoji.lines)
    assert E1000E in n and E1000E in s, (n, s)
    assert n[E1000E]["cfg_size"] == "4096", n[E1000E]
    assert n[E1000E]["ext_caps"].startswith("0001@100:"), n[E1000E]	# AER first
    assert "0003@" in n[E1000E]["ext_caps"], n[E1000E]			# serial number
    for k in ("cfg_size", "ext_caps", "ext_sum"):
        assert s[E1000E][k] == n[E1000E][k], (k, n[E1000E], s[E1000E])
    # Every device both boots have reads the same.
    for dev in set(n) & set(s):
        assert (s[dev]["cfg_size"], s[dev]["ext_caps"], s[dev]["ext_sum"]) == \
               (n[dev]["cfg_size"], n[dev]["ext_caps"], n[dev]["ext_sum"]), dev


def ports_vs_ecam(lines):
    out = {}
    for l in lines:
        if l.startswith("guest: pcie ports-vs-ecam "):
            d = kv(l[len("guest: pcie ports-vs-ecam "):])
            out[d["dev"]] = d
    return out


def test_ports_and_ecam_read_the_same(native, shoji):
    n, s = ports_vs_ecam(native), ports_vs_ecam(shoji.lines)
    assert len(set(n) & set(s)) >= 5, (n, s)	# the native boot also has a NIC
    for d in list(n.values()) + list(s.values()):
        assert d["same"] == "yes", d
    # At least one of them has its MSI virtualised by shoji (its ECAM page
    # traps reads): the comparison covered the fix-up.
    virt = [l for l in shoji.lines if l.startswith("shoji: msi virt device=")]
    assert virt, shoji


def test_bar_through_ecam_moves_natively(native):
    r = one(native, "guest: pcie ecam-bar ")
    assert int(r["after"], 16) == int(r["target"], 16), r
    assert int(r["restored"], 16) == int(r["before"], 16), r


def test_bar_through_ecam_refused_under_shoji(shoji):
    r = one(shoji.lines, "guest: pcie ecam-bar ")
    assert int(r["target"], 16) >= 0x3b000000, r	# shoji's region, from its status
    assert int(r["after"], 16) == int(r["before"], 16), r
    assert shoji.has(f"pci guard: refused guest write to 00:01.0 offset 0x10 "
                     f"value=0x{int(r['target'], 16):08x}: hypervisor-region"), shoji
