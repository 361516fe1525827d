"""A hostile guest program drives the AHCI controller itself and rewrites a
command's PRDT while the command is in flight (issue 5): pointing the PRD at
another guest buffer or at the hypervisor region right after the PxCI write
changes nothing under shoji, which copied the command at that write; shoji's
checksum and IOMMU fault log stay the same. The same program without shoji
(plain QEMU) shows the race is real there; under shoji with the disk passed
through (not intercepted) it shows the second layer: the device follows the
rewritten PRD, and the IOMMU blocks it at the hypervisor region.

The intercepted boot runs on both IOMMUs (`--iommu intel|amd`, the
`shoji_run` fixture's parameter): the controller's confined domain is the
same domain policy on VT-d and AMD-Vi. On AMD-Vi QEMU's own `-trace
amdvi_page_fault` is the witness that the controller never touched memory
outside its domain (QEMU 7.2's model writes no events, so shoji's fault
count alone would say nothing there).

The program is guest/src/ahci-attack.c, the script guest/scripts/ahci-attack.sh.
Disk data: blkverify's pattern (seed SEED, gen 0) at the sectors the program
reads, put there by the host: encrypted with python3-cryptography for the
boot under shoji (aes-xts-plain64, the format shoji uses), plain for the
native boot."""
import os
import re
import subprocess
import sys
import time

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from conftest import BUILD, run_shoji

sys.path.insert(0, os.path.dirname(__file__))
from test_guest_native import sector_pattern  # noqa: E402  (blkverify's documented pattern)

VMLINUX = os.path.join(BUILD, "guest", "vmlinux")
INITRD = os.path.join(BUILD, "guest", "initrd.cpio.gz")
AHCI_SID = "00:1f.2"
SEED = 11
READ_LBA, NSECT = 2048, 8          # the attacked reads
DECOY_LBA, DECOY_SECT = 4096, 1024  # the decoy reads queued before them (at most)
DECOYS = 24                        # decoys under shoji (slots 0..23), the attacked one in slot 24
DECOYS_OBSERVED = 30               # natively and passed through: a wider race window
WRITE_LBAS = {6144: 1, 6160: 2}    # the attacked writes: sector -> pattern generation
IMG_BYTES = 16 << 20
PREPARED = list(range(READ_LBA, READ_LBA + NSECT)) + list(range(DECOY_LBA, DECOY_LBA + DECOY_SECT))
APPEND = f"console=ttyS0 iomem=relaxed shoji.script=ahci-attack shoji.seed={SEED}"

# What every attacked variant must show under shoji (see ahci-attack.sh).
SHOJI_VARIANTS = {
    "ahci-plain": "plain",
    "ahci-read-buffer": "read-buffer",
    "ahci-read-buffer-single": "read-buffer",
    "ahci-write-buffer": "write-buffer",
    "ahci-read-hv": "read-hv",
    "ahci-read-hv-single": "read-hv",
    "ahci-write-hv": "write-hv",
    "ahci-hv-at-issue": "hv-at-issue",
    "ahci-plain-after": "plain",
}


def xts(key, sector, data, decrypt):
    c = Cipher(algorithms.AES(key), modes.XTS(sector.to_bytes(16, "little")))
    op = c.decryptor() if decrypt else c.encryptor()
    return op.update(data) + op.finalize()


def make_image(path, key=None):
    data = bytearray(IMG_BYTES)
    for s in PREPARED:
        p = sector_pattern(s, SEED)
        data[s * 512:(s + 1) * 512] = xts(key, s, p, False) if key else p
    path.write_bytes(bytes(data))


def guest_lines(lines, prefix):
    """'guest: PREFIX ...' lines as key=value dicts (a kernel message may share the line)."""
    out = []
    for l in lines:
        i = l.find("guest: " + prefix)
        if i >= 0:
            out.append(dict(re.findall(r"(\S+?)=(\S*)", l[i:])))
    return out


def script_checks(lines):
    return {r["name"]: r["status"] for r in guest_lines(lines, "check name=")}


def program_runs(lines):
    """The program's lines per run, in order: a list of (result, [checks], summary)."""
    runs, cur = [], None
    for l in lines:
        i = l.find("guest: ahci-attack ")
        if i < 0:
            continue
        word = l[i:].split()[2]
        rec = dict(re.findall(r"(\S+?)=(\S*)", l[i:]))
        if word == "issue":
            cur = {"issue": rec, "result": None, "checks": {}, "summary": None, "faults": []}
            runs.append(cur)
        elif cur is not None and word == "result" and "outcome" in rec:
            rec["dir"] = cur["issue"]["dir"]
            cur["result"] = rec
        elif cur is not None and word == "faults":
            cur["faults"].append(rec)
        elif cur is not None and word == "race":
            cur["race"] = rec
        elif cur is not None and word == "check":
            cur["checks"][rec["name"]] = rec["status"]
        elif cur is not None and word == "summary":
            cur["summary"] = rec
    return runs


def runs_of(runs, variant, slot):
    """The runs (attempts) of one variant, behind the decoys (slot=DECOYS) or alone (0)."""
    out = [r for r in runs if r["issue"]["variant"] == variant and r["issue"]["slot"] == str(slot)]
    assert out, f"no run of {variant} in slot {slot}"
    return out


def landed(res):
    """The rewritten PRD was followed (read into B, or B's poison written)."""
    if res["dir"] == "read":
        return res["a"] == "unchanged" and res["b"] == "disk-data"
    return res["disk"] == "b-poison"


def need_guest():
    for f in (VMLINUX, INITRD):
        if not os.path.exists(f):
            pytest.fail(f"{f} missing: run 'make guest'")
    if not os.path.exists(os.path.join(BUILD, "guest", "bin", "ahci-attack")):
        pytest.fail("ahci-attack not built: run 'make guest'")


# ---- under shoji ----

@pytest.fixture(scope="module")
def key():
    return os.urandom(64)


IOMMU_ARGS = {"intel": (),
              "amd": ("--iommu", "amd", "--qemu-arg=-trace", "--qemu-arg=amdvi_page_fault")}


def qemu_refused(boot):
    """Addresses QEMU's amd-iommu refused, from its own trace."""
    return re.findall(r"amdvi_page_fault error: page fault accessing guest physical address "
                      r"(0x[0-9a-f]+)", boot.err + boot.out)


@pytest.fixture(scope="module", params=["intel", "amd"])
def shoji_run(request, tmp_path_factory, key):
    need_guest()
    tmp = tmp_path_factory.mktemp("ahci-attack")
    img = tmp / "disk.img"
    make_image(img, key)
    keyfile = tmp / "disk.key"
    keyfile.write_bytes(key)
    t0 = time.monotonic()
    b = run_shoji("--kernel", VMLINUX, "--initrd", INITRD, "--key", str(keyfile),
                  "--disk", str(img), "--cmdline", "intercept=ahci",
                  "--append", APPEND, *IOMMU_ARGS[request.param], timeout=120, expect_rc=0)
    b.secs = time.monotonic() - t0
    b.iommu = request.param
    return b, img


def test_every_check_holds_under_shoji(shoji_run):
    b, _ = shoji_run
    c = script_checks(b.lines)
    for name in ["ahci-unbound", *SHOJI_VARIANTS, "hypervisor-unchanged", "no-iommu-fault",
                 "ahci-rebind"]:
        assert c.get(name) == "ok", f"check {name}: {c.get(name)}\n{b}"
    assert b.has("guest: script=ahci-attack status=ok"), b
    runs = program_runs(b.lines)
    assert [r["summary"]["variant"] for r in runs] == list(SHOJI_VARIANTS.values()), b
    for r in runs:
        assert r["summary"]["status"] == "ok" and r["summary"]["shoji"] == "yes", r
        assert r["checks"] and all(v == "ok" for v in r["checks"].values()), r
        for name in ("hv-selfcheck-unchanged", "no-new-iommu-fault", "b-unchanged"):
            assert r["checks"].get(name) == "ok", (name, r)


def test_rewritten_prd_is_ignored(shoji_run):
    """The command completes into buffer A; buffer B keeps its poison; the
    rewrite happened while the command was still issued (PxCI bit set)."""
    b, _ = shoji_run
    runs = program_runs(b.lines)
    for variant in ("read-buffer", "read-hv"):
        for slot in (DECOYS, 0):            # behind the queued decoys, and alone
            [r] = runs_of(runs, variant, slot)
            res = r["result"]
            assert res["outcome"] == "completed", r
            assert res["a"] == "disk-data" and res["b"] == "unchanged", r
            assert r["checks"]["a-has-disk-data"] == "ok", r
            assert r["checks"]["decoy-data" if slot else "b-unchanged"] == "ok", r
    for variant in ("write-buffer", "write-hv"):
        [r] = runs_of(runs, variant, DECOYS)
        assert r["result"]["disk"] == "a-data" and r["result"]["b"] == "unchanged", r


def test_prd_at_hv_when_issued_is_refused(shoji_run):
    b, _ = shoji_run
    r = [r for r in program_runs(b.lines) if r["issue"]["variant"] == "hv-at-issue"]
    assert len(r) == 1, b
    res = r[0]["result"]
    assert res["outcome"] == "error" and int(res["is"], 16) & (1 << 30), r   # PxIS.TFES
    assert res["a"] == "unchanged", r
    refusals = [l for l in b.lines if "ahci refused" in l]
    assert len(refusals) == 1 and "port=0 slot=0" in refusals[0], b
    assert refusals[0].endswith("reason=prd-address"), b


def test_hypervisor_unchanged_and_no_controller_fault(shoji_run):
    b, _ = shoji_run
    sc = guest_lines(b.lines, "ahci-attack selfcheck")
    assert len(sc) == 1 and sc[0]["before"] == sc[0]["after"] and sc[0]["before"], b
    f = guest_lines(b.lines, "ahci-attack iommu_faults")
    assert len(f) == 1 and f[0]["before"] == f[0]["after"], b
    # Nothing in shoji's own log either: no fault with the controller's BDF,
    # no error.
    faults = [r for r in b.records("warning: vtd fault") if r.get("sid") == AHCI_SID]
    assert not faults, b
    if b.iommu == "amd":
        # The controller's domain on AMD-Vi: in use (the disk worked), and
        # QEMU's model refused none of its accesses.
        assert [r for r in b.records("domain") if r.get("name") == "disk-shadow"], b
        assert not qemu_refused(b), b
    assert not [l for l in b.lines if l.startswith("shoji: error")], b
    assert not b.has("guest: shoji-ctl fault "), b


def test_disk_holds_ciphertext_of_what_a_held(shoji_run, key):
    """The attacked writes put buffer A's bytes on the disk, encrypted: the host
    decrypts exactly A's pattern (not B's poison, not hypervisor bytes)."""
    _, img = shoji_run
    data = open(img, "rb").read()
    for first, gen in WRITE_LBAS.items():
        for s in range(first, first + NSECT):
            raw = data[s * 512:(s + 1) * 512]
            assert raw != sector_pattern(s, SEED, gen), s          # not plaintext
            assert xts(key, s, raw, True) == sector_pattern(s, SEED, gen), s
    # The sectors the attacks read are as the host put them.
    for s in PREPARED:
        assert xts(key, s, data[s * 512:(s + 1) * 512], True) == sector_pattern(s, SEED), s


def test_boot_time(shoji_run):
    b, _ = shoji_run
    assert b.secs < 60, f"boot took {b.secs:.0f} s"


# ---- without shoji: the same program on plain QEMU ----

@pytest.fixture(scope="module")
def native_run(tmp_path_factory):
    need_guest()
    tmp = tmp_path_factory.mktemp("ahci-attack-native")
    img = tmp / "disk.img"
    make_image(img)
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-machine", "q35", "-cpu", "max", "-m", "1G",
           "-nodefaults", "-display", "none", "-no-reboot", "-monitor", "none",
           "-serial", "stdio", "-kernel", VMLINUX, "-initrd", INITRD,
           "-append", "panic=-1 " + APPEND,
           "-drive", f"id=d0,file={img},format=raw,if=none",
           "-device", "ide-hd,drive=d0,bus=ide.0"]
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=90, text=True, errors="replace")
    lines = [l.rstrip("\r") for l in p.stdout.splitlines()]
    return lines, img, p.stdout


def test_native_program_drives_the_controller(native_run):
    lines, _, out = native_run
    c = script_checks(lines)
    assert c.get("ahci-unbound") == "ok" and c.get("ahci-plain") == "ok", out
    assert c.get("ahci-rebind") == "ok", out
    assert any("guest: script=ahci-attack status=ok" in l for l in lines), out
    assert any("guest: ahci-attack mode=native" in l for l in lines), out


def test_native_attack_lands_behind_queued_commands(native_run):
    """Without shoji the device fetches a queued command's PRDT only when it
    gets to it (QEMU clears the PxCI bit when it fetches the command): a PRD
    rewritten before that is followed. The read lands in B (A keeps its
    poison); the write puts B's poison on the disk. The decoys give the
    rewrite a window of milliseconds; the guest needs ~0.1-0.5 ms for it."""
    lines, img, out = native_run
    runs = program_runs(lines)
    bit = 1 << DECOYS_OBSERVED
    for variant in ("read-buffer", "write-buffer"):
        attempts = [r["result"] for r in runs_of(runs, variant, DECOYS_OBSERVED)]
        for res in attempts:
            # QEMU clears the PxCI bit when it fetches the command: still set
            # after the rewrite means the device had not read the PRD yet.
            if int(res["ci_after_rewrite"], 16) & bit:
                assert landed(res), f"{res}\n{out}"
        # Otherwise the guest was too slow (a busy host) and the device had the
        # original PRD; the script tries again.
        assert landed(attempts[-1]), f"the rewrite lost the race {len(attempts)} times\n{out}"
        assert len(attempts) <= 5
    assert any("observed mode=native variant=ahci-read-buffer rc=3" in l for l in lines), out
    data = open(img, "rb").read()
    assert data[6144 * 512:6152 * 512] == b"\x5a" * 4096, "B's poison on the disk"


def test_native_single_command_prdt_fetched_at_doorbell(native_run):
    """Alone, QEMU's AHCI model reads the PRDT inside the PxCI write (before
    the guest's next instruction): the rewrite comes too late there. Real
    HBAs fetch it later; that is why the queued case is the meaningful one."""
    lines, _, out = native_run
    for r in runs_of(program_runs(lines), "read-buffer", 0):
        res = r["result"]
        assert res["a"] == "disk-data" and res["b"] == "unchanged", out


# ---- under shoji, the disk passed through (no interception) ----

@pytest.fixture(scope="module")
def passthrough_run(tmp_path_factory):
    need_guest()
    tmp = tmp_path_factory.mktemp("ahci-attack-passthrough")
    img = tmp / "disk.img"
    make_image(img)
    b = run_shoji("--kernel", VMLINUX, "--initrd", INITRD, "--disk", str(img),
                  "--append", APPEND, timeout=90, expect_rc=0)
    return b


def test_passthrough_iommu_blocks_the_hypervisor_region(passthrough_run):
    """Without the shadow copy the device follows the rewritten PRD: into
    guest buffer B (as natively), and toward the hypervisor region, where the
    controller's IOMMU domain has no mapping: faults with its BDF, shoji's
    checksum unchanged."""
    b = passthrough_run
    c = script_checks(b.lines)
    assert b.has("guest: ahci-attack mode=passthrough"), b
    for name in ("ahci-plain", "ahci-plain-after", "hypervisor-unchanged", "iommu-blocked-hv",
                 "ahci-rebind"):
        assert c.get(name) == "ok", f"check {name}: {c.get(name)}\n{b}"
    assert b.has("guest: script=ahci-attack status=ok"), b
    hv = b.record("hvregion")["base"]
    runs = program_runs(b.lines)
    # The PRD pointing at the region when PxCI is written: followed, blocked.
    r = runs_of(runs, "hv-at-issue", 0)[-1]
    assert r["checks"]["no-new-iommu-fault"] == "fail", r
    assert r["result"]["a"] == "unchanged", r
    assert r["faults"] and all(f["sid"] == AHCI_SID and f["addr"] == hv for f in r["faults"]), r
    # The rewritten PRD, when the device got to it after the rewrite: the
    # data went nowhere (the fault itself may not be recorded: VT-d may drop
    # a fault while one of the same source is still pending, and QEMU does).
    for variant in ("read-hv", "write-hv"):
        for r in runs_of(runs, variant, DECOYS_OBSERVED):
            res = r["result"]
            if int(res["ci_after_rewrite"], 16) & (1 << DECOYS_OBSERVED):
                if variant == "read-hv":
                    assert res["a"] == "unchanged" and res["b"] == "unchanged", r
                else:
                    assert res["disk"] != "a-data", r
    faults = [r for r in b.records("warning: vtd fault")]
    assert faults and all(f["sid"] == AHCI_SID and f["addr"] == hv for f in faults), b
    assert {f["type"] for f in faults} <= {"read", "write"}
    assert not [l for l in b.lines if l.startswith("shoji: error")], b
    # And into guest memory the attack lands, as without shoji.
    assert any(landed(r["result"]) for r in runs_of(runs, "read-buffer", DECOYS_OBSERVED)), b


# ---- under shoji, shadow memory running out ----

@pytest.fixture(scope="module")
def small_shadow_run(tmp_path_factory, key):
    """shadow=4M: the decoys (24 x 256 KiB) do not all fit the shadow window,
    so shoji defers issuing the rest, the attacked command among them, until
    earlier ones complete."""
    need_guest()
    tmp = tmp_path_factory.mktemp("ahci-attack-small-shadow")
    img = tmp / "disk.img"
    make_image(img, key)
    keyfile = tmp / "disk.key"
    keyfile.write_bytes(key)
    return run_shoji("--kernel", VMLINUX, "--initrd", INITRD, "--key", str(keyfile),
                     "--disk", str(img), "--cmdline", "intercept=ahci shadow=4M",
                     "--append", APPEND, timeout=90, expect_rc=0)


def test_deferred_commands_still_never_reach_the_hypervisor(small_shadow_run):
    b = small_shadow_run
    c = script_checks(b.lines)
    for name in ("ahci-plain", "ahci-hv-at-issue", "ahci-plain-after", "hypervisor-unchanged",
                 "no-iommu-fault", "ahci-rebind"):
        assert c.get(name) == "ok", f"check {name}: {c.get(name)}\n{b}"
    deferred = [l for l in b.lines if "status disk_deferred=" in l]
    assert deferred and int(deferred[0].split("=")[-1]) > 0, b
    runs = program_runs(b.lines)
    for variant in ("read-hv", "write-hv"):
        [r] = runs_of(runs, variant, DECOYS)
        for name in ("b-unchanged", "hv-selfcheck-unchanged", "no-new-iommu-fault"):
            assert r["checks"][name] == "ok", (name, r)
    assert not [r for r in b.records("warning: vtd fault") if r.get("sid") == AHCI_SID], b


def test_deferred_commands_use_the_copy_taken_at_pxci(small_shadow_run):
    """The issue's promise, 'copied once when the guest writes PxCI', also
    when the shadow window is short."""
    b = small_shadow_run
    c = script_checks(b.lines)
    for name in ("ahci-read-buffer", "ahci-write-buffer", "ahci-read-hv", "ahci-write-hv"):
        assert c.get(name) == "ok", f"check {name}: {c.get(name)}\n{b}"
