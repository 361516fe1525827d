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
                "--cpu", "--cpus", "--mem", "--disk", "--timeout", "--log", "--no-bochs-exit",
                "--bochs-line", "--keep", "--dry-run", "--native", "--boot-disk", "--stop-on-reset", "0x8900", "COM2"):
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


SMP_SRC = os.path.join(ROOT, "guest", "pvh", "smp-start.S")


def smp_kernel(d):
    """guest/pvh/smp-start.S: a bare kernel (PVH note and Multiboot header)
    that starts the other CPU with INIT-SIPI-SIPI, sends it an NMI, INITs it
    and starts it again, then triple-faults (-DTRIPLE)."""
    obj, elf = str(d / "smp.o"), str(d / "smp-start.elf")
    subprocess.run(["cc", "-DTRIPLE", "-c", SMP_SRC, "-o", obj], check=True)
    subprocess.run(["ld", "-N", "--no-warn-rwx-segments", "-Ttext=0x200000", "-o", elf, obj],
                   check=True)
    return elf


def ap_records(b):
    return [r for r in b.records("guest: smp-start ap") if "count" in r]


def test_bochs_ap_start_nmi_and_triple_fault_under_vtx(tmp_path):
    """issue 15 on VT-x, Bochs with 2 CPUs: shoji starts the AP itself
    (VMXON region and VMCS of its own) and parks it; the guest's INIT and
    start-up IPIs go to vmm/cpu_start.c, and the AP enters the guest in real
    mode at the vector (CS=0x1000, CR0=0x60000010, CPUID's hypervisor bit
    set: it runs in VMX non-root operation). The guest's NMI to the halted AP
    exits (NMI exiting), is given back at the NMI window and taken through
    the AP's real-mode vector table; an INIT to the running AP sends it back
    to wait for a start-up IPI, and it starts again. Then the guest
    triple-faults with the AP running: the triple-fault exit takes shoji's
    reset path (the wipe, the reset announced with this boot's token; the
    run ends there, --stop-on-reset). Natively (GRUB's multiboot, no shoji)
    the same kernel sees the same AP records, with hv=0."""
    elf = smp_kernel(tmp_path)
    n = run_bochs("--native", "--kernel", elf, "--cpus", "2", timeout=240)
    assert n.rc == 0, n
    assert n.has("guest: script=smp-start status=ok"), n
    native = ap_records(n)
    assert [(r["count"], r["nmis"], r["hv"]) for r in native] == \
        [("1", "0", "0"), ("1", "1", "0"), ("2", "1", "0")], n

    b = run_bochs("--kernel", elf, "--cmdline", "iommu=off", "--cpus", "2", "--stop-on-reset",
                  timeout=300)
    assert b.rc == 0, b
    assert b.has("shoji: smp guest_cpus=2 madt_cpus=2"), b
    assert [r["cpu"] for r in b.records("vmx enabled")] == ["0", "1"], b
    assert b.has("shoji: smp cpu=1 apic_id=1 parked: waits for the guest's start-up IPI"), b
    assert b.has("guest: smp-start bsp apic_id=0 ap=1"), b
    ap = ap_records(b)
    assert [(r["count"], r["nmis"], r["hv"]) for r in ap] == \
        [("1", "0", "1"), ("1", "1", "1"), ("2", "1", "1")], b
    for r in ap + native:
        assert (r["apic_id"], r["cs"], r["cr0"]) == ("1", "0x00001000", "0x60000010"), r
    starts = [l for l in b.lines if "enters the guest vector=0x10 cs=0x1000" in l]
    assert len(starts) == 2 and all("cpu start: cpu=1 apic_id=1" in l for l in starts), b
    assert b.has("shoji: cpu start: sipi cpu=1 apic_id=1 from=0 ignored=yes "
                 "(not waiting for one)"), b
    assert any(l.startswith("shoji: cpu start: cpu=1 leaves the guest for INIT")
               for l in b.lines), b
    assert any(l.startswith("shoji: vmx nmi cpu=1 given back to the guest at its NMI window")
               for l in b.lines), b
    # The triple fault: an exit (reason 2), the guest's reset request, the
    # wipe, the reset announced; Bochs itself never saw a triple fault.
    assert b.has("guest: smp-start triple fault"), b
    assert any(l.startswith("shoji: guest triple fault (shutdown) rip=") for l in b.lines), b
    assert b.has("shoji: guest reset request path=triple-fault"), b
    assert b.has("shoji: secrets wiped reason=reset"), b
    token = b.record("announce")["token"]
    assert b.has(f"shoji: machine reset path=triple-fault secrets=wiped token={token}"), b
    assert "shoji-bochs: the machine reset as shoji announced (--stop-on-reset)" in b.err, b
