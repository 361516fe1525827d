"""Control-register writes the architecture refuses (issue 9). guest/pvh/
cr-attack.S is a bare PVH kernel of our own (ring 0, no Linux): it enters
long mode itself, then writes CR0 with bits 63:32 or NW without CD, and CR4
with reserved bits, VMXE/SMXE (no VMX/SMX in CPUID) or PAE cleared in long
mode, each with a #GP handler armed, then valid CR0/CR4 writes.

The APM (vol. 2 3.1.1, 3.1.3) and the SDM (MOV CRn) say each refused write
raises #GP. QEMU 7.2's TCG does not: natively it takes CR0[63:32] (dropped)
and NW without CD (kept), and hangs on the first reserved CR4 bit (the same
instruction re-executed forever, no exception: shown below). Under shoji
before this change the NW write landed in the VMCB and shoji stopped at the
next exit ("CR0.NW set without CR0.CD", guest state check). Under shoji now
the CR0 and CR4 write intercepts decide from the APM: every
refused case is #GP with the register unchanged and a log line, the valid
writes are taken, and shoji still answers the guest (its CPUID leaf)."""
import os
import subprocess
import time

import pytest

from conftest import LiveVM, native_cmd, shoji_cmd, ROOT

SRC = os.path.join(ROOT, "guest", "pvh", "cr-attack.S")
REFUSED = ["cr0-bit32", "cr0-bit63", "cr0-nw-without-cd", "cr4-bit15", "cr4-bit63",
           "cr4-pae-clear", "cr4-vmxe", "cr4-smxe"]
VALID = ["cr0-cd-set", "cr0-cd-clear", "cr0-wp-set", "cr4-pge-set", "cr4-pge-clear"]
CASE = r"guest: cr-attack case={} result=(\S+) before=0x(\S+) after=0x(\S+)"


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    d = tmp_path_factory.mktemp("cr")
    obj, elf = str(d / "cr.o"), str(d / "cr-attack.elf")
    subprocess.run(["cc", "-c", SRC, "-o", obj], check=True)
    subprocess.run(["ld", "-N", "--no-warn-rwx-segments", "-Ttext=0x200000", "-o", elf, obj],
                   check=True)
    return elf


def result(vm, name, timeout=60):
    m = vm.wait_line(CASE.format(name), timeout=timeout)
    return m.group(1), int(m.group(2), 16), int(m.group(3), 16)


def test_qemu_natively_takes_or_hangs(kernel, monitor_sock):
    cmd = native_cmd("none", kernel=kernel, edu=False, net=False, monitor=monitor_sock)
    with LiveVM(cmd, monitor=monitor_sock, timeout=150) as vm:
        vm.wait_line(r"guest: cr-attack long-mode", timeout=120)
        # TCG takes what the APM refuses: bit 32 is dropped, NW is kept.
        assert result(vm, "cr0-bit32")[0] == "taken"
        res, before, after = result(vm, "cr0-nw-without-cd")
        assert res == "taken" and after == before | (1 << 29), (before, after)
        for name in VALID:
            assert result(vm, name)[0] == "taken"
        assert not result(vm, "cr0-clts")[2] & 8
        # ...and never comes back from the first reserved CR4 bit.
        time.sleep(15)
        assert not vm.has("case=cr4-bit15"), vm
        assert not vm.has("cr-attack end"), vm
        regs = vm.hmp("info registers")
        assert "CR4=00000020" in regs, regs	# the reserved bit was not taken either


def test_refused_writes_raise_gp_under_shoji(kernel, monitor_sock):
    cmd = shoji_cmd("--kernel", kernel, "--no-qemu-exit", timeout=200, monitor=monitor_sock)
    with LiveVM(cmd, monitor=monitor_sock, timeout=200) as vm:
        vm.wait_line(r"guest: cr-attack long-mode", timeout=150)
        for name in REFUSED:
            res, before, after = result(vm, name)
            assert res == "gp" and after == before, (name, res, before, after)
        for name in VALID:
            assert result(vm, name)[0] == "taken", name
        assert not result(vm, "cr0-clts")[2] & 8		# CLTS emulated: TS clear
        vm.wait_line(r"guest: cr-attack end", timeout=60)
        # shoji still runs the guest: its hypervisor leaf answered after the attacks.
        assert vm.has("guest: cr-attack cpuid-40000000=shojishojish"), vm
        for why in ("CR0 bits 63:32 set", "CR0.NW set without CR0.CD", "CR4 reserved bit set",
                    "CR4.PAE cleared in long mode"):
            assert vm.has(f"refused (#GP) value=0x") and vm.has(why), (why, vm)
        assert sum("guest cr0 write refused (#GP)" in l for l in vm.lines) == 3, vm
        assert vm.has("refused (#GP) value=0x180000011: CR0 bits 63:32 set"), vm
        assert sum("guest cr4 write refused (#GP)" in l for l in vm.lines) == 5, vm
        assert not vm.has("shoji: stopped"), vm
        assert not vm.has("unexpected exception"), vm
