"""Every CPU for the guest (issue 15): shoji starts the application processors
itself, parks them, and enters the guest on each at the vector of the guest's
own start-up IPI (real mode, CS = vector << 8). The guest's nproc equals the
machine's CPUs, a job pinned to each CPU runs at once, and a CPU the guest
takes offline and back online (INIT-SIPI-SIPI to a CPU that already ran)
comes back: the architectural wait-for-SIPI, not a dead CPU. -smp 2 and one
-smp 4 boot (MTTCG: one host thread per vCPU, slow on 2 host cores)."""
import os

import pytest

from conftest import BUILD, run_shoji

VMLINUX = os.path.join(BUILD, "guest", "vmlinux")
INITRD = os.path.join(BUILD, "guest", "initrd.cpio.gz")


def smp_boot(cpus, timeout, extra="", *args):
    for f in (VMLINUX, INITRD):
        if not os.path.exists(f):
            pytest.fail(f"{f} missing: run 'make guest'")
    return run_shoji("--kernel", VMLINUX, "--initrd", INITRD, "--smp", str(cpus), *args,
                     "--append", f"console=ttyS0 shoji.script=smp shoji.cpus={cpus} {extra}",
                     timeout=timeout)


def checks(boot):
    return {r["name"]: r["status"] for r in boot.records("guest: check") if "name" in r}


def assert_every_cpu_the_guests(b, cpus):
    assert b.rc == 0, b
    assert b.has(f"smp guest_cpus={cpus} madt_cpus={cpus}"), b
    for i in range(1, cpus):
        assert b.has(f"smp cpu={i} apic_id={i} parked: waits for the guest's start-up IPI"), b
        assert b.has(f"guest start rip=0x0 cpu={i}"), b
    c = checks(b)
    assert c.get("smp-nproc") == "ok", c
    assert c.get("smp-parallel") == "ok", c
    assert c.get("smp-pci-latch-shared") == "ok", (c, b.records("guest: smp pci-latch"))
    assert b.has(f"guest: smp work=first jobs={cpus} ok={cpus}"), b
    assert b.has("guest: script=smp status=ok"), b


def test_two_cpus_all_the_guests_and_replug():
    b = smp_boot(2, 300, "shoji.smpdma=1", "--edu")
    assert_every_cpu_the_guests(b, 2)
    # The DMA attacker on CPU 1, the fault NMIs on CPU 0: blocked, counted.
    assert checks(b).get("smp-dma-other-cpu") == "ok", b
    dma = b.records("guest: smp dma")[0]
    assert dma["attacker_cpu"] == "1" and int(dma["faults_after"]) > int(dma["faults_before"]), b
    assert b.has("vtd fault unit="), b
    # Linux's bring-up: INIT (the CPU already waits), SIPI (taken), SIPI (ignored).
    assert b.has("cpu start: sipi cpu=1 apic_id=1 from=0 ignored=yes (not waiting for one)"), b
    # Offline and online again: the running CPU takes the INIT, waits, restarts.
    c = checks(b)
    assert c.get("smp-replug") == "ok", c
    assert b.has("cpu start: cpu=1 leaves the guest for INIT"), b
    assert sum(1 for l in b.lines if "cpu start: cpu=1 apic_id=1 enters the guest" in l) == 2, b
    assert c.get("smp-parallel-after-replug") == "ok", c
    assert not b.has("did not answer"), b


def test_native_pci_latch_is_one_per_machine():
    """The control for smp-pci-latch-shared: on QEMU's q35 without shoji,
    CONFIG_ADDRESS written on CPU 0 reads back on CPU 1 and CPU 1's data read
    returns the host bridge's ID. Under shoji the same check runs in
    assert_every_cpu_the_guests (the latch was per CPU before: CPU 1 read
    back its own)."""
    import subprocess
    from conftest import native_cmd
    for f in (VMLINUX, INITRD):
        if not os.path.exists(f):
            pytest.fail(f"{f} missing: run 'make guest'")
    cmd = native_cmd("smp", append=["shoji.cpus=2"], edu=False, net=False, smp=2)
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=240, text=True, errors="replace")
    out = p.stdout
    assert "guest: check name=smp-pci-latch-shared status=ok" in out, out[-3000:]
    assert "guest: script=smp status=ok" in out, out[-3000:]


def test_four_cpus():
    b = smp_boot(4, 600)
    assert_every_cpu_the_guests(b, 4)
    assert checks(b).get("smp-replug") == "ok", b


def test_launcher_runs_several_cpus_on_host_threads():
    import subprocess
    from conftest import LAUNCHER
    out = subprocess.run([LAUNCHER, "--dry-run", "--smp", "2"], capture_output=True, text=True,
                         check=True).stdout
    assert "-accel tcg,thread=multi" in out and "-smp 2" in out, out
    out = subprocess.run([LAUNCHER, "--dry-run"], capture_output=True, text=True,
                         check=True).stdout
    assert "-accel tcg " in out, out


# ---- the cross-CPU race on a command's PRDT (ahci-attack --rewrite-cpu) ----
#
# CPU 0 issues a READ DMA EXT behind 30 (natively) or 24 (under shoji) queued
# decoys; from the PxCI write on, a thread pinned to CPU 1 rewrites the
# command's PRD in a tight loop (to buffer B; under shoji also to the
# hypervisor region). Natively the device follows the PRD it fetches when it
# gets to the command: the rewrite wins (the data lands in B). Under shoji the
# command was copied inside the trapped PxCI write, before CPU 0 ran another
# instruction, and the device only sees that copy: A gets the data, B and the
# hypervisor stay unchanged, no IOMMU fault.

def race_runs(lines):
    from test_ahci_attack import program_runs
    return [r for r in program_runs(lines) if "race" in r]


@pytest.fixture(scope="module")
def native_race(tmp_path_factory):
    import subprocess
    from conftest import native_cmd
    from test_ahci_attack import APPEND, make_image, need_guest
    need_guest()
    img = tmp_path_factory.mktemp("race-native") / "disk.img"
    make_image(img)
    cmd = native_cmd("ahci-attack", append=APPEND.split()[1:] + ["shoji.racecpu=1"], edu=False,
                     net=False, disk=str(img), smp=2)
    # native_cmd's own shoji.script comes first; the APPEND's repeats it.
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=240, text=True, errors="replace")
    return [l.rstrip("\r") for l in p.stdout.splitlines()], p.stdout


@pytest.fixture(scope="module")
def shoji_race(tmp_path_factory):
    from test_ahci_attack import APPEND, make_image, need_guest
    need_guest()
    tmp = tmp_path_factory.mktemp("race-shoji")
    key = os.urandom(64)
    img, keyfile = tmp / "disk.img", tmp / "disk.key"
    make_image(img, key)
    keyfile.write_bytes(key)
    return run_shoji("--kernel", VMLINUX, "--initrd", INITRD, "--key", str(keyfile),
                     "--disk", str(img), "--cmdline", "intercept=ahci", "--smp", "2",
                     "--append", APPEND + " shoji.racecpu=1", timeout=240, expect_rc=0)


def test_native_cross_cpu_rewrite_wins(native_race):
    from test_ahci_attack import landed
    lines, out = native_race
    runs = race_runs(lines)
    assert runs, out
    for r in runs:
        assert r["race"]["issuer_cpu"] != r["race"]["rewriter_cpu"], out
    assert any(landed(r["result"]) and int(r["race"]["rewrites"]) > 0 for r in runs), \
        f"the rewrite from CPU 1 never won in {len(runs)} tries\n" + "\n".join(
            l for l in lines if "ahci-attack race" in l or "ahci-attack result" in l)


def test_shoji_cross_cpu_rewrite_never_wins(shoji_race):
    """Every race run: A got the disk's data, B and the hypervisor are
    unchanged, no IOMMU fault. At least one run had the rewriter writing
    while the command was still queued (its PxCI bit still set when the
    issuing CPU's write returned): a PxCI write that shoji handles for long
    (it shadows and encrypts the decoys' data first) can leave the other CPU
    nothing to race, which is not a win either: the script then tries again
    (up to 10 times, every try checked) until the race was on."""
    from test_ahci_attack import landed
    b = shoji_race
    runs = race_runs(b.lines)
    c = checks(b)
    assert c.get("ahci-read-buffer-race") == "ok" and c.get("ahci-read-hv-race") == "ok", b
    assert {r["race"]["variant"] for r in runs} == {"read-buffer", "read-hv"}, b
    for r in runs:
        assert r["race"]["issuer_cpu"] != r["race"]["rewriter_cpu"], b
        assert not landed(r["result"]), b
        assert r["result"]["a"] == "disk-data" and r["result"]["b"] == "unchanged", b
        assert r["checks"].get("hv-selfcheck-unchanged") == "ok", b
        assert r["checks"].get("no-new-iommu-fault") == "ok", b
    assert any(int(r["race"]["rewrites"]) > 0 and int(r["result"]["ci_after_rewrite"], 16)
               for r in runs), [r["race"] for r in runs]
    assert b.has("guest: script=ahci-attack status=ok"), b


def test_encrypted_disk_io_from_every_cpu_at_once(tmp_path):
    """Verified random I/O from both CPUs at once on the intercepted,
    encrypted disk (four blkverify jobs, two pinned to each CPU): every job
    reads back what it wrote. shoji's counters say both CPUs moved (and
    encrypted or decrypted) command data outside the engine lock, and that
    pages of one CPU's commands were done by the other CPU while the first
    still worked on them (disk_helped_pages: the slot is published to
    helpers only while its owner moves its pages)."""
    import subprocess
    key = os.urandom(64)
    img, kf = tmp_path / "disk.img", tmp_path / "disk.key"
    subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(img), "64M"], check=True)
    kf.write_bytes(key)
    b = smp_boot(2, 500, "shoji.smpdisk=sda shoji.net=0", "--disk", str(img), "--key", str(kf),
                 "--cmdline", "intercept=ahci")
    assert b.rc == 0, b
    assert checks(b).get("smp-disk-jobs") == "ok", b
    assert b.has("guest: smp disk jobs=4 cpus=2 ok=4"), b
    n = {}
    for l in b.lines:
        if "guest: smp disk disk_" in l:
            k, v = l.split("guest: smp disk ", 1)[1].strip().split("=", 1)
            n[k] = int(v)
    assert n.get("disk_cpu0_pages", 0) > 0 and n.get("disk_cpu1_pages", 0) > 0, n
    assert n.get("disk_helped_pages", 0) > 0, n
    assert b.has("disk: the guest has 2 CPUs: the AHCI register image is off"), b
