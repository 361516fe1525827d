"""shoji on Bochs: the only emulator here with Intel VT-x (docs/platforms.md).

Bochs has no IOMMU (no DMAR table), so shoji runs there only with
iommu=off. Bochs is an interpreter: a bring-up with no guest takes ~5 s,
loading the 8 MiB guest kernel through GRUB ~30-40 s; the Linux guest under
shoji's VT-x back-end is one run of a few minutes (the kernel gzipped by
scripts/gzip-vmlinux, GRUB inflates it)."""
import os
import re
import subprocess

from conftest import BUILD, BZIMAGE, END_MARKER, INITRD, ROOT, STOP_FAIL, STOP_OK, VMLINUX, Boot, num

LAUNCHER = os.path.join(ROOT, "scripts", "shoji-bochs")
BOCHS_KERNEL = os.path.join(BUILD, "bochs", "vmlinux.gz")


def bochs_kernel():
    """The guest's vmlinux, gzipped for GRUB (rebuilt when older)."""
    if (not os.path.exists(BOCHS_KERNEL) or
            os.path.getmtime(BOCHS_KERNEL) < os.path.getmtime(VMLINUX)):
        os.makedirs(os.path.dirname(BOCHS_KERNEL), exist_ok=True)
        subprocess.run([os.path.join(ROOT, "scripts", "gzip-vmlinux"), VMLINUX, BOCHS_KERNEL],
                       check=True, stdout=subprocess.DEVNULL)
    return BOCHS_KERNEL


def run_bochs(*args, timeout=120):
    cmd = [LAUNCHER, "--timeout", str(timeout), *args]
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=timeout + 60, errors="replace")
    b = Boot(args, p.returncode, p.stdout, p.stderr)
    assert b.rc != 124, f"Bochs timed out\n{b}"
    return b


def test_bochs_launcher_help_documents_every_option():
    out = subprocess.run([LAUNCHER, "--help"], capture_output=True, text=True,
                         check=True).stdout
    for opt in ("--image", "--iso", "--cmdline", "--kernel", "--append", "--initrd", "--key",
                "--cpu", "--mem", "--disk", "--timeout", "--log", "--no-bochs-exit",
                "--bochs-line", "--keep", "--dry-run", "--native", "--boot-disk", "0x8900", "COM2"):
        assert opt in out, opt


def test_bochs_configuration_from_options(tmp_path):
    out = subprocess.run([LAUNCHER, "--dry-run", "--cpu", "corei7_icelake_u", "--mem", "256",
                          "--keep", str(tmp_path)], capture_output=True, text=True,
                         check=True).stdout
    assert "cpu: model=corei7_icelake_u, count=1," in out
    assert "memory: guest=256, host=256" in out
    assert f"com1: enabled=1, mode=file, dev={tmp_path}/com1.log" in out
    assert f"ata0-master: type=cdrom, path={tmp_path}/shoji.iso" in out


def test_bochs_bring_up_and_exit_status():
    """exit=bochs ends Bochs through port 0x8900 and the launcher returns
    shoji's status: ok without a guest (iommu=off said loudly), failure
    when the IOMMU is wanted and Bochs has none."""
    b = run_bochs("--cmdline", "iommu=off")
    assert b.rc == 0, b
    assert b.has("(multiboot2, loader=GRUB"), b
    assert b.has(END_MARKER), b
    assert b.has("shoji: warning: iommu=off: DMA protection is OFF"), b
    assert b.lines[-1] == STOP_OK, b

    b = run_bochs()
    assert b.rc == 1, b
    assert b.has("shoji: dmar present=no"), b
    assert b.has("refusing to go on"), b
    assert b.lines[-1] == STOP_FAIL, b


# The CPU-side checks of guest/scripts/cpu.sh that must pass under shoji.
CPU_CHECKS = ("cpuid-no-vmx", "cpuid-hypervisor", "msr-vmx-basic-faults",
              "msr-feature-control-vmx-off", "msr-feature-control-write-refused",
              "vmx-instructions-ud", "region-reserved", "cpu-read-hv", "cpu-write-hv",
              "cpu-read-hv-last-page", "cpu-wakeup-refused", "hypervisor-unchanged")
# The VMX instructions guest/src/vmx-insn.c executes that exit (VMFUNC
# without the VM-functions control is #UD without an exit, SDM 26.1.2).
VMX_EXITS = ("VMXON", "VMXOFF", "VMCLEAR", "VMPTRLD", "VMPTRST", "VMREAD", "VMWRITE",
             "VMLAUNCH", "VMRESUME", "INVEPT", "INVVPID")


def test_bochs_linux_guest_under_vtx(tmp_path):
    """The default Linux guest under shoji's VT-x back-end (EPT, unrestricted
    guest) on Bochs' corei7_skylake_x, iommu=off named loudly, running the
    CPU-side attacks (guest/scripts/cpu.sh): region reads and writes through
    /dev/mem, CPUID and MSR policy, every VMX instruction, the APIC guard.
    shoji-ctl talks to shoji with VMCALL (CPUID says GenuineIntel). The
    guest powers off through ACPI, which shoji announces and performs. The
    guest's console is COM2, shoji's log COM1: Bochs' UART paces output at
    its baud rate, two writers on one port lose characters."""
    log = tmp_path / "com1.log"
    b = run_bochs("--cmdline", "iommu=off", "--kernel", bochs_kernel(), "--initrd", INITRD,
                  "--append", "console=ttyS1,115200 quiet panic=-1 iomem=relaxed shoji.script=cpu",
                  "--log", str(log), timeout=900)
    assert b.has("shoji: warning: iommu=off: DMA protection is OFF"), b
    assert b.has("shoji: cpu backend=vmx svm=no vmx=yes"), b
    c = b.record("vmx controls")
    assert (c["pin"], c["proc"], c["proc2"], c["exit"], c["entry"]) == \
        ("0x0000003e", "0x96406172", "0x001010aa", "0x003f6ffb", "0x0000d1fb"), b
    assert b.records("vmx enabled"), b
    ept = b.record("ept", "root")
    assert ept["page"] == "1G", b
    assert any(r["_"][:1] == ["hypervisor-region"] for r in b.records("ept hole")), b
    g = b.record("vmx guest set up")
    assert g["proc"] == "0x96006172", b	# NMI-window exiting off until needed
    assert b.has("shoji: guest start rip="), b
    for name in CPU_CHECKS:
        assert b.has(f"guest: check name={name} status=ok"), (name, b)
    assert b.has(f"guest: checks run={len(CPU_CHECKS)} failed=0"), b
    assert b.has("guest: cpu shoji=yes vendor=GenuineIntel vmx_flag=no hypervisor_flag=yes"), b
    # What shoji saw: each VMX instruction exited and got #UD; the VMX MSRs
    # and IA32_FEATURE_CONTROL writes were refused; the touches of its
    # region went to stand-in pages.
    for insn in VMX_EXITS:
        assert any(re.match(rf"shoji: warning: guest {insn} at rip=0x[0-9a-f]+: #UD", l)
                   for l in b.lines), (insn, b)
    assert b.has("shoji: warning: guest msr 0x480 read refused (#GP)"), b
    assert b.has("shoji: warning: guest msr 0x3a write refused (#GP) value=0x5: "
                 "IA32_FEATURE_CONTROL is locked"), b
    hv = b.record("guest: cpu selfcheck")
    assert hv["before"] == hv["after"], b
    assert any("ept guest read of hypervisor-region" in l for l in b.lines), b
    assert any("ept guest write of hypervisor-region" in l for l in b.lines), b
    assert b.has("guest: script=cpu status=ok"), b
    # Bochs ends on the ACPI S5 write shoji makes after announcing it with
    # this boot's token; the launcher takes that as a clean end (exit 0).
    token = b.record("announce")["token"]
    assert b.lines[-1].startswith("shoji: machine power-off path=pm1a-cnt secrets=wiped "
                                  f"token={token}"), b
    assert b.rc == 0, b
    assert log.read_text(errors="replace").rstrip().endswith(f"token={token}")
    # The guest's console is COM2 (console=ttyS1): shoji's port has none of it.
    assert "guest: script=cpu" not in log.read_text(errors="replace")


def test_bochs_native_guest_sees_vmx():
    """The same guest and script without shoji (GRUB boots the bzImage on
    Bochs' corei7_skylake_x): the guest sees VT-x in CPUID, reads
    IA32_VMX_BASIC and IA32_FEATURE_CONTROL as the firmware left it: what
    test_bochs_linux_guest_under_vtx's checks take away under shoji."""
    b = run_bochs("--native", "--kernel", BZIMAGE, "--initrd", INITRD,
                  "--append", "console=ttyS1,115200 quiet panic=-1 iomem=relaxed shoji.script=cpu",
                  timeout=1200)
    assert b.rc == 0, b
    assert b.has("guest: cpu shoji=no vendor=GenuineIntel vmx_flag=yes"), b
    basic = [r for r in b.records("guest: platform-attack") if r.get("msr") == "0x480"]
    assert len(basic) == 1 and basic[0]["result"] == "ok", b
    basic = basic[0]
    assert int(basic["value"], 16) & 0x7fffffff == 0x2b, b	# Bochs' VMCS revision
    assert not any(l.startswith("shoji: ") for l in b.lines), b


def test_bochs_core2_refused():
    """Bochs' Core 2 (the seed machine's generation) has VT-x without EPT:
    a clear refusal naming the missing control."""
    b = run_bochs("--cpu", "core2_penryn_t9600", "--cmdline", "iommu=off",
                  "--kernel", BZIMAGE, timeout=240)
    assert b.rc == 1, b
    assert b.has("shoji: error: vmx: refused: secondary control 1 (EPT) is not supported"), b
    assert not b.records("vmx controls"), b
    assert b.lines[-1] == STOP_FAIL, b


def test_bochs_realmode_disk_native_and_under_vtx(tmp_path):
    """issue 17 on VT-x: a boot disk whose program stays in the BIOS's world
    (guest/disk/rmtest.S: INT 13h and INT 15h E820h/E801h in real mode,
    16-bit then 32-bit protected mode, back to real mode, INT 13h again,
    ACPI power-off) boots natively on Bochs (the BIOS's E820 map, Bochs'
    own soft power-off) and under shoji's VT-x back-end with guest=disk,
    where every mode runs through unrestricted guest, the stub's hypercall
    is VMCALL (VMMCALL is #UD on Intel), the map INT 15h gives has the
    hypervisor region reserved and the power-off is shoji's."""
    from rmtest import check_run, covers_as_reserved, make_disk

    disk = make_disk(tmp_path / "rm.img")
    n = run_bochs("--native", "--boot-disk", str(disk), timeout=120)
    assert n.rc == 0, n
    native = check_run(n)
    assert "shoji-bochs: the guest powered the machine off (ACPI S5)" in n.err, n
    assert not any(l.startswith("shoji: ") for l in n.lines), n

    b = run_bochs("--boot-disk", str(disk), "--cmdline", "iommu=off", timeout=240)
    assert b.rc == 0, b
    assert b.has("shoji: cpu backend=vmx svm=no vmx=yes"), b
    st = b.record("fwboot", "stub")
    assert st["drive"] == "0x80" and st["hypercall"] == "0f01c1", st
    assert b.has("shoji: guest start rip=0x4"), b
    e820 = check_run(b)
    hv = b.record("hvregion")
    base, end = num(hv["base"]), num(hv["end"])
    assert covers_as_reserved(e820, base, end), (e820, b)
    assert not covers_as_reserved(native, base, end), native	# natively it is RAM
    assert any(t == 1 and lo <= base < hi for lo, hi, t in native), native
    assert b.has("shoji: fwboot e820 answered entries="), b
    token = b.record("announce")["token"]
    assert b.lines[-1].startswith("shoji: machine power-off path=pm1a-cnt secrets=wiped "
                                  f"token={token}"), b
