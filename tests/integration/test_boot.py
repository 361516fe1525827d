"""Foundation: shoji boots on q35 and reports its platform correctly."""
import os
import subprocess

from conftest import (BUILD, END_MARKER, ROOT, STOP_FAIL, STOP_OK, num, run_shoji)

GiB = 1 << 30
MiB = 1 << 20


def ranges(boot, type_):
    return [(num(r["base"]), num(r["end"])) for r in boot.records("memmap")
            if r["type"] == type_]


def check_complete(b):
    assert b.has(END_MARKER), b
    assert b.lines[-1] == STOP_OK, b


def test_boot_report_complete(default_boot):
    b = default_boot
    check_complete(b)
    assert b.has("shoji: shoji 0.1.0 starting (multiboot1, loader=qemu)")
    assert not any("error" in l for l in b.lines), b


def test_memory_matches_qemu(default_boot):
    b = default_boot
    usable = sum(e - s for s, e in ranges(b, "usable"))
    hv = sum(e - s for s, e in ranges(b, "hypervisor"))
    # -m 1G: all RAM below 4 GiB; the BIOS keeps a little (EBDA, tables).
    assert GiB - 2 * MiB <= usable + hv <= GiB, b
    mem = b.record("memory")
    assert num(mem["usable"].rstrip("K")) * 1024 == usable


def test_hypervisor_region_inside_ram(default_boot):
    b = default_boot
    r = b.record("hvregion")
    base, end, size = num(r["base"]), num(r["end"]), num(r["size"])
    assert size == 64 * MiB and end - base == size          # the default
    assert base % (2 * MiB) == 0 and end <= 4 * GiB
    assert ranges(b, "hypervisor") == [(base, end)]
    # It lies in what was RAM: the usable ranges touch it on both sides,
    # and it is the top of RAM below 4 GiB (only a tail below 2 MiB alignment
    # or reserved firmware memory may remain above it).
    usable = ranges(b, "usable")
    assert any(e == base for s, e in usable), b
    above = [s for s, e in usable if s >= end]
    assert all(e - s < 2 * MiB for s, e in usable if s >= end), above
    # The image moved into the region.
    p = b.record("paging")
    assert num(p["image"].split("-")[0]) == base


def test_hypervisor_region_size_option():
    b = run_shoji("--cmdline", "mem=32M", expect_rc=0)
    r = b.record("hvregion")
    assert num(r["size"]) == 32 * MiB
    check_complete(b)


def test_memory_above_4g():
    # q35 puts RAM above 2 GiB at 4 GiB when the machine has >= 2.75 GiB.
    b = run_shoji("--mem", "3G", expect_rc=0)
    usable = ranges(b, "usable")
    assert any(s == 4 * GiB and e == 5 * GiB for s, e in usable), b
    r = b.record("hvregion")
    assert num(r["end"]) <= 2 * GiB        # below the PCI hole, below 4 GiB


def test_region_too_large_is_refused():
    b = run_shoji("--mem", "256M", "--cmdline", "mem=512M", expect_rc=1)
    assert b.has("does not fit in usable RAM below 4 GiB"), b
    assert b.lines[-1] == STOP_FAIL


def test_cpus_ioapic_ecam(default_boot):
    b = default_boot
    cpus = b.records("cpu")
    assert len(cpus) == 1 and cpus[0]["apic_id"] == "0" and cpus[0]["enabled"] == "yes"
    io = b.record("ioapic")
    assert io["addr"] == "0xfec00000"
    ecam = b.record("ecam")
    assert ecam["base"] == "0xb0000000" and ecam["bus"] == "0-255"
    summary = [r for r in b.records("pci") if "devices" in r]
    assert summary and summary[0]["config"] == "ecam", b


def test_smp_cpus_listed():
    b = run_shoji("--smp", "2", expect_rc=0)
    assert sorted(r["apic_id"] for r in b.records("cpu")) == ["0", "1"]


def pci_devices(b):
    """BDF -> record for 'pci BB:DD.F vendor=...' lines."""
    out = {}
    for r in b.records("pci"):
        if r["_"] and "vendor" in r:
            out[r["_"][0]] = r
    return out


def test_q35_builtin_devices(default_boot):
    devs = pci_devices(default_boot)
    assert devs["00:00.0"]["vendor"] == "8086" and devs["00:00.0"]["device"] == "29c0"
    assert devs["00:1f.2"]["class"] == "010601"          # ICH9 AHCI
    summary = [r for r in default_boot.records("pci") if "devices" in r]
    assert summary and num(summary[0]["devices"]) == len(devs)


def test_edu_device_found_with_bar():
    b = run_shoji("--device", "edu,dma_mask=0xffffffffffffffff,addr=0x5", expect_rc=0)
    devs = pci_devices(b)
    assert devs["00:05.0"]["vendor"] == "1234" and devs["00:05.0"]["device"] == "11e8"
    bars = [r for r in b.records("pci") if r["_"][:2] == ["00:05.0", "bar0"]]
    assert bars and num(bars[0]["size"]) == MiB, b


def test_device_behind_bridge():
    b = run_shoji("--device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=0x6",
                  "--device", "edu,dma_mask=0xffffffffffffffff,bus=rp1", expect_rc=0)
    devs = pci_devices(b)
    bridge = [r for r in b.records("pci") if r["_"][:2] == ["00:06.0", "bridge"]]
    assert bridge, b
    sec = int(bridge[0]["secondary"])
    assert sec >= 1
    assert devs[f"{sec:02x}:00.0"]["device"] == "11e8", b


def test_dmar_present_with_intel_iommu(default_boot):
    d = default_boot.record("dmar", "present")
    assert d["present"] == "yes"
    tables = [r["sig"] for r in default_boot.records("acpi table")]
    assert "DMAR" in tables


def test_dmar_absent_without_iommu():
    b = run_shoji("--iommu", "none", "--cmdline", "iommu=off", expect_rc=0)
    assert b.record("dmar", "present")["present"] == "no"
    assert "DMAR" not in [r["sig"] for r in b.records("acpi table")]
    check_complete(b)


def test_bad_options_stop_with_clear_errors():
    b = run_shoji("--cmdline", "mem=3X nosuch=1 log=loud", expect_rc=1)
    assert b.has("shoji: error: mem=3X: not a size"), b
    assert b.has("shoji: error: unknown option 'nosuch=1'"), b
    assert b.has("shoji: error: log=loud"), b
    assert not b.has(END_MARKER)
    assert b.lines[-1] == STOP_FAIL


def test_help_lists_options():
    b = run_shoji("--cmdline", "help", expect_rc=0)
    text = "\n".join(b.lines)
    for opt in ("mem=", "serial=", "log=", "exit=", "selftest="):
        assert opt in text, b
    assert not b.has(END_MARKER)


def test_serial_port_option(tmp_path):
    com2 = tmp_path / "com2.log"
    b = run_shoji("--cmdline", "serial=com2", "--qemu-arg=-serial",
                  f"--qemu-arg=file:{com2}", expect_rc=0)
    log = com2.read_text(errors="replace")
    assert END_MARKER in log and "options mem=64M serial=0x2f8" in log
    assert not b.has(END_MARKER)          # COM1 stayed quiet


def test_deliberate_page_fault_gives_readable_panic():
    b = run_shoji("--cmdline", "selftest=pagefault", expect_rc=1)
    assert b.has("shoji: error: panic: exception vector=14 (#PF page fault)"), b
    assert b.has("page not present, write, supervisor mode"), b
    assert b.has("cr2=0x00007fff00000000"), b
    for reg in ("rip=", "rsp=", "rax=", "r15=", "stack ", "backtrace: "):
        assert any(reg in l for l in b.lines), (reg, b)
    assert b.lines[-1] == STOP_FAIL


def test_deliberate_invalid_opcode():
    b = run_shoji("--cmdline", "selftest=invalid-opcode", expect_rc=1)
    assert b.has("exception vector=6 (#UD invalid opcode)"), b


def test_deliberate_gp():
    b = run_shoji("--cmdline", "selftest=gp", expect_rc=1)
    assert b.has("exception vector=13 (#GP general protection)"), b


def test_modules_listed(tmp_path):
    k = tmp_path / "vmlinux"
    k.write_bytes(b"K" * 5000)
    i = tmp_path / "initrd"
    i.write_bytes(b"I" * 12345)
    # Not a kernel: shoji lists the modules, then refuses it clearly.
    b = run_shoji("--kernel", str(k), "--initrd", str(i), expect_rc=1)
    assert b.has("guest kernel: not a usable PVH ELF image: no ELF header"), b
    assert b.has("stopping: the guest could not be started"), b
    mods = b.records("module")
    assert [num(m["size"]) for m in mods] == [5000, 12345], b
    assert mods[0]["role"] == "kernel" and mods[1]["role"] == "initrd"
    r = b.record("hvregion")
    for m in mods:                        # the region avoids the modules
        assert num(m["end"]) <= num(r["base"]) or num(m["start"]) >= num(r["end"])


def test_grub_iso_boots(tmp_path):
    iso = tmp_path / "shoji.iso"
    subprocess.run([os.path.join(ROOT, "scripts", "make-iso"), os.path.join(BUILD, "shoji.elf"),
                    str(iso), "exit=qemu", "mem=32M"], check=True, capture_output=True)
    b = run_shoji("--iso", str(iso), "--no-qemu-exit", "--qemu-arg=-device",
                  "--qemu-arg=isa-debug-exit,iobase=0xf4,iosize=0x04", timeout=90)
    assert b.rc == 33, b                  # isa-debug-exit status for "ok"
    assert b.has("(multiboot2, loader=GRUB"), b
    assert num(b.record("hvregion")["size"]) == 32 * MiB
    assert b.record("dmar", "present")["present"] == "yes"   # ACPI found through the RSDP tag
    check_complete(b)


def test_launcher_help_documents_every_option():
    out = subprocess.run([os.path.join(ROOT, "scripts", "shoji-qemu"), "--help"],
                         capture_output=True, text=True, check=True).stdout
    for opt in ("--kernel", "--initrd", "--disk", "--key", "--iommu", "--device", "--edu",
                "--timeout", "--log", "--cmdline", "--mem"):
        assert opt in out
