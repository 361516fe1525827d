"""The guest under shoji: an unmodified Linux boots on SVM with nested
paging, and a hostile guest program cannot reach the hypervisor (issue:
para-passthrough guest). One boot runs guest/scripts/attacks.sh; another
runs the demo that `make run` shows."""
import os
import subprocess

import pytest

from conftest import BUILD, num, run_shoji

VMLINUX = os.path.join(BUILD, "guest", "vmlinux")
INITRD = os.path.join(BUILD, "guest", "initrd.cpio.gz")
BRIDGE = "pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=0x6"


def guest_args(script, extra=""):
    for f in (VMLINUX, INITRD):
        if not os.path.exists(f):
            pytest.fail(f"{f} missing: run 'make guest'")
    return ["--kernel", VMLINUX, "--initrd", INITRD,
            "--append", f"console=ttyS0 iomem=relaxed shoji.script={script} {extra}".strip()]


def checks(boot):
    """name -> status of the 'guest: check name=... status=...' lines."""
    return {r["name"]: r["status"] for r in boot.records("guest: check") if "name" in r}


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    disk = tmp_path_factory.mktemp("disk") / "disk.img"
    subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(disk), "64M"], check=True)
    # Two CPUs, both the guest's: the attacks run with the other CPU live.
    return run_shoji(*guest_args("attacks", "shoji.disk=sda shoji.cpus=2"), "--smp", "2",
                     "--edu", "--net",
                     "--disk", str(disk), "--device", BRIDGE, timeout=180)


def test_guest_boots_to_success_marker(attacked):
    b = attacked
    assert b.rc == 0, b
    assert b.has("shoji: guest start rip="), b
    assert b.has("guest: script=attacks status=ok"), b
    assert b.has("guest: checks run=19 failed=0"), b
    init = [l for l in b.lines if l.startswith("guest: init uptime=")]
    assert init and float(init[0].split("=")[1]) < 60


def test_guest_sees_region_reserved_and_no_dmar(attacked):
    c = checks(attacked)
    assert c["region-reserved"] == "ok" and c["no-dmar-table"] == "ok", c
    assert c["guest-cpus"] == "ok"
    hv = attacked.record("hvregion")
    assert attacked.has(f"{num(hv['base']):x}-{num(hv['end']) - 1:x} : Reserved")
    assert attacked.has("guest acpi: DMAR hidden (1 root entries removed)")


def test_cpu_access_to_hypervisor_reads_nothing_and_changes_nothing(attacked):
    b, c = attacked, checks(attacked)
    for name in ("cpu-read-hv", "cpu-write-hv", "cpu-read-hv-last-page"):
        assert c[name] == "ok", (name, c)
    assert b.has("npt guest read of hypervisor-region"), b
    assert b.has("npt guest write of hypervisor-region"), b
    sc = [l for l in b.lines if l.startswith("guest: attacks selfcheck")][0]
    before, after = sc.split("before=")[1].split()[0], sc.split("after=")[1]
    assert before == after and before.startswith("0x"), sc
    assert c["hypervisor-unchanged"] == "ok"


def test_vtd_registers_unreachable(attacked):
    c = checks(attacked)
    assert c["vtd-registers-unreachable"] == "ok" and c["vtd-registers-write"] == "ok", c
    assert attacked.has("npt guest read of iommu-registers at gpa=0xfed90000")


def test_dma_attack_blocked_and_logged_while_guest_runs(attacked):
    b, c = attacked, checks(attacked)
    assert c["edu-fault-logged"] == "ok", c
    hv = num(b.record("hvregion")["base"])
    f = [r for r in b.records("warning: vtd fault")
         if num(r["addr"]) == hv + 0x80000 and r["type"] == "write"]
    assert f and f[0]["reason"] == "0x05" and f[0]["sid"] == "00:01.0", b
    # Logged while the guest ran: the line comes after the guest started and
    # before the guest's next line, delivered through the NMI path.
    idx = b.lines.index(next(l for l in b.lines if "addr=0x%x type=write" % (hv + 0x80000) in l
                             and l.startswith("shoji: warning: vtd fault")))
    assert idx > b.lines.index(next(l for l in b.lines if l.startswith("shoji: guest start")))
    # The same device still works on the guest's own memory.
    assert c["edu-own-buffer"] == "ok"


def test_pci_config_attacks_refused(attacked):
    b, c = attacked, checks(attacked)
    assert c["bar-over-hv-refused"] == "ok", c
    assert c["bridge-renumber-refused"] == "ok", c
    assert b.has("pci guard: refused guest write to 00:01.0 offset 0x10"), b
    assert b.has("bridge bus numbers are fixed"), b


def test_startup_ipis_never_reach_the_hardware(attacked):
    b, c = attacked, checks(attacked)
    assert b.has("smp guest_cpus=2 madt_cpus=2"), b
    assert not b.has("guest acpi: 1 CPU(s) hidden"), b
    assert b.has("cpu start: cpu=1 apic_id=1 enters the guest vector="), b
    assert c["cpu-wakeup-refused"] == "ok", c
    assert b.has("apic guard: refused the guest's INIT IPI (icr=0x44500"), b
    assert b.has("INIT to the sending CPU (a reset request)"), b
    assert b.has("apic guard: refused the guest's start-up IPI (icr=0x84608"), b
    assert b.has("start-up IPI to the sending CPU"), b
    # Both CPUs still run the guest: nothing reached the hardware.
    assert b.has("guest: check name=guest-cpus status=ok"), b
    assert c["cpu-wakeup-around-icr-refused"] == "ok", c
    assert b.has("apic guard: refused a guest write gpa=0xfee01000 size=4 value=0x4500: "
                 "outside the APIC page"), b
    assert b.has("apic guard: refused a guest write gpa=0xfee002fc size=8"), b


def test_passthrough_disk_and_nic_work(attacked):
    c = checks(attacked)
    assert c["blkverify"] == "ok" and c["net-dhcp"] == "ok", c


def test_demo_shows_status_and_blocked_attack():
    b = run_shoji(*guest_args("demo"), "--edu", timeout=180)
    assert b.rc == 0, b
    assert b.has("guest: shoji-ctl status iommu=on"), b
    assert checks(b).get("dma-attack-blocked") == "ok", b
    assert b.has("guest: script=demo status=ok"), b


def test_bad_kernel_module_is_refused_clearly(tmp_path):
    k = tmp_path / "vmlinux"
    k.write_bytes(b"\x7fELF" + b"\x00" * 200)
    b = run_shoji("--kernel", str(k), expect_rc=1)
    assert b.has("guest kernel: not a usable PVH ELF image"), b
