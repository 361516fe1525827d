"""16-bit code touching an emulated MMIO page (issue 17: a guest that never
leaves real mode, booted through the firmware, runs correctly under shoji).

guest/disk/rm-apic.S is a boot sector of our own: from real mode ("unreal"
mode: DS flat, FS based at the APIC page) it reads the local APIC's ID and
version, writes the TPR three ways (67 A3 to an absolute 32-bit address,
67 89 through a 32-bit base register, and the 16-bit ModRM form FS:[BX])
reading each back, then sends INIT to its own APIC ID through FS:[BX] and
FS:[SI]. The APIC page is write-trapped under shoji (the APIC guard), so
every write is a nested page fault decoded as 16-bit code.

Natively the INIT resets the CPU (the firmware restarts and, with
-no-reboot, QEMU ends the run): nothing after "init-self" is printed.
Under shoji the TPR values read back exactly as natively, the INIT is
refused by the APIC guard with a log line, and the program goes on to its
ACPI power-off, which shoji announces. Before shoji decoded 16-bit code, the
first TPR write stopped it: "mmio refused local-apic ... 16-bit code
segment is not emulated"."""
import os
import re
import subprocess

import pytest

from conftest import ROOT, run_shoji

SRC = os.path.join(ROOT, "guest", "disk", "rm-apic.S")
TPR = re.compile(r"guest: rm-apic tpr-eax=([0-9a-f]{8}) tpr-edi=([0-9a-f]{8}) "
                 r"tpr-fs-bx=([0-9a-f]{8}) tpr-imm=([0-9a-f]{8})")
IDV = re.compile(r"guest: rm-apic id=([0-9a-f]{8}) version=([0-9a-f]{8})")


@pytest.fixture(scope="module")
def disk(tmp_path_factory):
    """The boot sector on an otherwise empty 1 MiB raw disk."""
    d = tmp_path_factory.mktemp("rm")
    obj, img = d / "rm.o", d / "rm.img"
    subprocess.run(["as", "--32", "-o", str(obj), SRC], check=True)
    subprocess.run(["ld", "-m", "elf_i386", "-Ttext=0x7c00", "--oformat", "binary",
                    "-o", str(img), str(obj)], check=True)
    data = img.read_bytes()
    assert len(data) == 512 and data[510:] == b"\x55\xaa"
    with open(img, "r+b") as f:
        f.truncate(1 << 20)
    return img


def native_run(img, timeout=90):
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-machine", "q35", "-cpu", "max",
           "-m", "256M", "-nodefaults", "-display", "none", "-no-reboot",
           "-serial", "stdio", "-monitor", "none",
           "-drive", f"id=d0,file={img},format=raw,if=none",
           "-device", "ide-hd,drive=d0,bus=ide.0"]
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout, text=True, errors="replace")
    return p.returncode, p.stdout.replace("\r", "")


@pytest.fixture(scope="module")
def native(disk):
    return native_run(disk)


def test_native_init_from_real_mode_resets_the_machine(native):
    rc, out = native
    assert "guest: rm-apic init-self" in out, out
    # The INIT restarted the CPU at the reset vector: the program never
    # resumed, the firmware asked for a reset and -no-reboot ended QEMU.
    assert "rm-apic after-init" not in out and "rm-apic end" not in out, out
    assert rc == 0, out
    assert TPR.search(out), out


def test_shoji_emulates_16bit_apic_accesses_and_refuses_the_init(disk, native):
    b = run_shoji("--boot-disk", str(disk), timeout=150, expect_rc=0)
    out = b.out.replace("\r", "")
    assert "mmio refused" not in out, b
    # Every access gave what it gives natively.
    nat = TPR.search(native[1]).groups()
    got = TPR.search(out)
    assert got and got.groups() == nat == ("00000020", "00000010", "00000030", "00000000"), (nat, b)
    assert IDV.search(out).groups() == IDV.search(native[1]).groups(), b
    # The INIT through FS:[SI] reached the APIC guard, not the CPU.
    assert b.has("apic guard: refused the guest's INIT IPI (icr=0x4500 dest=0x0 cpu=0): "
                 "the boot CPU is not started by IPIs"), b
    assert "guest: rm-apic after-init" in out and "guest: rm-apic end" in out, b
    assert b.has("shoji: machine power-off path=pm1a-cnt secrets=wiped"), b
