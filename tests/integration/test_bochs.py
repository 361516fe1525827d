"""shoji on Bochs: the only emulator here with Intel VT-x (docs/platforms.md).

Bochs has no IOMMU (no DMAR table), so shoji runs there only with
iommu=off; these runs are short (Bochs is an interpreter: a bring-up with no
guest takes ~5 s, loading the 8 MiB guest kernel through GRUB ~30-40 s)."""
import os
import subprocess

from conftest import BUILD, BZIMAGE, END_MARKER, ROOT, STOP_FAIL, STOP_OK, Boot

LAUNCHER = os.path.join(ROOT, "scripts", "shoji-bochs")


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
                "--bochs-line", "--keep", "--dry-run", "0x8900"):
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


def test_bochs_guest_start_on_intel(tmp_path):
    """The guest kernel reaches the CPU back-end on an Intel CPU with VT-x:
    shoji detects VT-x, reads the capability MSRs and computes the controls
    it would program (the same values tests/unit/test_vmx.c expects for
    this CPU model); the back-end itself is not written yet."""
    log = tmp_path / "com1.log"
    b = run_bochs("--cmdline", "iommu=off", "--kernel", BZIMAGE, "--log", str(log), timeout=240)
    assert b.rc == 1, b
    assert b.has("svm: this CPU has no AMD SVM"), b
    c = b.record("vmx controls")
    assert (c["pin"], c["proc"], c["proc2"], c["exit"], c["entry"]) == \
        ("0x0000003e", "0x96406172", "0x001010aa", "0x003f6ffb", "0x0000d1fb"), b
    assert c["ept_2m"] == c["ept_1g"] == c["vpid"] == c["true_ctls"] == "yes", b
    assert b.has("vmx: usable, but the VT-x back-end is not written yet"), b
    assert b.lines[-1] == STOP_FAIL, b
    assert log.read_text(errors="replace").rstrip().endswith(STOP_FAIL)


def test_bochs_core2_refused():
    """Bochs' Core 2 (the seed machine's generation) has VT-x without EPT:
    a clear refusal naming the missing control."""
    b = run_bochs("--cpu", "core2_penryn_t9600", "--cmdline", "iommu=off",
                  "--kernel", BZIMAGE, timeout=240)
    assert b.rc == 1, b
    assert b.has("shoji: error: vmx: refused: secondary control 1 (EPT) is not supported"), b
    assert not b.records("vmx controls"), b
    assert b.lines[-1] == STOP_FAIL, b
