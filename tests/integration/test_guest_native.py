"""The default guest (guest/, built by `make guest`) booted WITHOUT the
hypervisor, straight in QEMU: the kernel, /init, its scripts, the modules and
the test programs work on the bare (emulated) machine, so that a failure under
shoji can be told apart from a broken guest.

Every boot has a timeout, and success is an explicit marker on the console
(with -no-reboot panic=-1 a guest panic also exits 0)."""
import os
import re
import subprocess
import time

import pytest

from conftest import native_cmd

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUEST = os.path.join(ROOT, "build", "guest")
VMLINUX = os.path.join(GUEST, "vmlinux")
BZIMAGE = os.path.join(GUEST, "bzImage")
INITRD = os.path.join(GUEST, "initrd.cpio.gz")
PROGRAMS = ("physmem", "edu-dma", "blkverify", "platform-attack")

MiB = 1 << 20
# A RAM range that the kernel is told (memmap=) to leave reserved: /dev/mem
# may read and write it, as the guest under shoji may touch its own
# reserved ranges.
RESERVED_BASE = 0x30000000
RESERVED_LEN = 4 * MiB
PHYSMEM_LEN = 1 * MiB


def need_guest():
    missing = [p for p in (VMLINUX, BZIMAGE, INITRD) if not os.path.isfile(p)]
    missing += [os.path.join(GUEST, "bin", p) for p in PROGRAMS
                if not os.path.isfile(os.path.join(GUEST, "bin", p))]
    if missing:
        pytest.fail(f"guest not built ({', '.join(missing)} missing): run make guest")


class Run:
    def __init__(self, cmd, out, rc, secs):
        self.cmd, self.out, self.rc, self.secs = cmd, out, rc, secs
        self.lines = [l.rstrip("\r") for l in out.splitlines()]

    def __repr__(self):
        tail = "\n".join(self.lines[-80:])
        return f"rc={self.rc} secs={self.secs:.1f}\n{' '.join(self.cmd)}\n--- console (tail) ---\n{tail}"

    def guest(self, prefix):
        """'guest: PREFIX ...' lines, as key=value dicts."""
        out = []
        for l in self.lines:
            # Kernel messages may share the line: match from the marker on.
            i = l.find("guest: " + prefix)
            if i >= 0:
                out.append(dict(re.findall(r"(\S+?)=(\S*)", l[i:])))
        return out

    def one(self, prefix, **want):
        recs = [r for r in self.guest(prefix) if all(r.get(k) == v for k, v in want.items())]
        assert recs, f"no 'guest: {prefix}' line with {want}\n{self}"
        return recs[0]


def boot(tmp_path, script, kernel=VMLINUX, append=(), disk=True, edu=True, net=True, timeout=120):
    need_guest()
    img = None
    if disk:
        img = tmp_path / "disk.img"
        with open(img, "wb") as f:
            f.truncate(64 * MiB)
    cmd = native_cmd(script, kernel=kernel, append=append, disk=img, edu=edu, net=net)
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout, text=True, errors="replace")
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        pytest.fail(f"guest did not power off within {timeout} s\n{Run(cmd, out, None, timeout)}")
    return Run(cmd, p.stdout, p.returncode, time.monotonic() - t0)


def fnv1a(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


@pytest.fixture(scope="module")
def tests_run(tmp_path_factory):
    """One boot with the tests script, shared by the tests that read it."""
    return boot(tmp_path_factory.mktemp("guest"), "tests",
                append=[f"memmap={RESERVED_LEN >> 20}M${RESERVED_BASE:#x}",
                        f"shoji.physmem={RESERVED_BASE:#x}:{PHYSMEM_LEN}"])


def test_init_runs_first_and_powers_off(tests_run):
    r = tests_run
    init = r.guest("init uptime=")
    assert init, r
    first = next(l for l in r.lines if "guest: " in l)
    assert "guest: init uptime=" in first, r
    assert 0 < float(init[0]["uptime"]) < 60, r
    assert r.one("init kernel=").get("modules") == "ready", r
    assert "missing" not in r.one("init kernel="), f"modules failed to load\n{r}"
    assert r.rc == 0, r


def test_tests_script_passes(tests_run):
    r = tests_run
    r.one("script=tests", status="ok")
    assert r.one("checks run=")["failed"] == "0", r
    assert not [c for c in r.guest("check name=") if c["status"] == "fail"], r
    assert not any("Kernel panic" in l or "Call Trace" in l for l in r.lines), r


def test_edu_dma_selftest(tests_run):
    r = tests_run
    r.one("edu-dma selftest", status="ok")
    r.one("check name=edu-selftest", status="ok")
    # DMA into the reserved range is what /dev/mem then reads there, and back.
    r.one("check name=edu-physmem-cross", status="ok")


def test_blkverify_on_ahci_disk(tests_run):
    r = tests_run
    ok = r.one("blkverify ok")
    assert ok["device"] == "/dev/sda", r
    assert int(ok["written"]) >= 4 * MiB and int(ok["ops"]) > 10, r
    r.one("check name=blkverify", status="ok")


def test_physmem_reads_reserved_ram(tests_run):
    r = tests_run
    r.one("physmem fill-check", status="ok", addr=hex(RESERVED_BASE))
    rd = r.one("physmem read", status="ok", addr=hex(RESERVED_BASE), len=str(PHYSMEM_LEN))
    assert int(rd["fnv1a"], 16) == fnv1a(b"\xa5" * PHYSMEM_LEN), r
    # System RAM is refused by the kernel: reported cleanly, not a crash.
    r.one("physmem read", status="denied", errno="EPERM")
    r.one("check name=physmem-ram-denied", status="ok")
    r.one("physmem selftest name=sigbus-caught", status="ok")


def test_e1000_gets_a_dhcp_lease(tests_run):
    r = tests_run
    lease = r.one("net dhcp")
    assert lease["ip"].startswith("10.0.2."), r
    r.one("check name=net-dhcp", status="ok")


def test_demo_from_bzimage(tmp_path):
    """The packaged bzImage boots too; the demo lists the machine."""
    r = boot(tmp_path, "demo", kernel=BZIMAGE, net=False)
    r.one("script=demo", status="ok")
    pci = {p["id"]: p for p in r.guest("demo pci ")}
    assert "1234:11e8" in pci and pci["8086:2922"]["driver"] == "ahci", r
    assert r.one("demo disk ")["dev"] == "/dev/sda", r
    r.one("edu-dma selftest", status="ok")


def test_unknown_script_fails_cleanly(tmp_path):
    r = boot(tmp_path, "no-such-script", disk=False, edu=False, net=False)
    assert any("guest: init error: no script 'no-such-script'" in l for l in r.lines), r
    r.one("script=no-such-script", status="fail")


# ---- the programs themselves, on the host (they are static x86-64 binaries) ----

def prog(name, *args, cwd=None):
    need_guest()
    return subprocess.run([os.path.join(GUEST, "bin", name), *args], capture_output=True,
                          text=True, timeout=60, cwd=cwd)


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_help_and_usage_errors(name):
    p = prog(name, "--help")
    assert p.returncode == 0 and p.stdout.startswith(f"usage: {name}"), p
    p = prog(name, "no-such-command", "x", "y", "z")
    assert p.returncode == 1 and p.stdout.startswith(f"guest: {name} error: "), p


def sector_pattern(sector, seed, gen=0):
    """blkverify's documented pattern for one 512-byte sector."""
    M = 0xFFFFFFFFFFFFFFFF

    def mix64(x):
        x = (x + 0x9e3779b97f4a7c15) & M
        x = ((x ^ (x >> 30)) * 0xbf58476d1ce4e5b9) & M
        x = ((x ^ (x >> 27)) * 0x94d049bb133111eb) & M
        return x ^ (x >> 31)

    key = mix64(seed) ^ ((gen * 0x9e3779b97f4a7c15) & M)
    words = [sector, (seed << 32) | gen] + [mix64(key ^ ((sector << 6) | i)) for i in range(2, 64)]
    return b"".join(w.to_bytes(8, "little") for w in words)


def test_blkverify_pattern_on_a_file():
    """write/verify/check on a plain file (O_DIRECT), and the on-disk pattern
    is the one guest/README.md documents (host tests of encrypted disks rely on it)."""
    need_guest()
    # O_DIRECT needs a real filesystem (not tmpfs): use the build directory.
    img = os.path.join(GUEST, "test-blkverify.img")
    with open(img, "wb") as f:
        f.truncate(8 * MiB)
    try:
        p = prog("blkverify", "write", img, "--bytes", "256K", "--offset", "1M", "--seed", "5")
        if p.returncode == 1 and "EINVAL" in p.stdout:
            pytest.skip(f"no O_DIRECT on {GUEST}'s filesystem")
        assert p.returncode == 0 and "guest: blkverify write ok" in p.stdout, p
        data = open(img, "rb").read()
        for s in (2048, 2049, 2048 + 511):
            assert data[s * 512:(s + 1) * 512] == sector_pattern(s, 5), s
        assert data[:MiB] == bytes(MiB)
        p = prog("blkverify", "verify", img, "--bytes", "256K", "--offset", "1M", "--seed", "5")
        assert p.returncode == 0, p
        p = prog("blkverify", "verify", img, "--bytes", "256K", "--offset", "1M", "--seed", "6")
        assert p.returncode == 3 and "guest: blkverify mismatch offset=0x100008 " in p.stdout, p
        p = prog("blkverify", img, "--bytes", "2M", "--seed", "9")
        assert p.returncode == 0 and "guest: blkverify ok ops=" in p.stdout, p
    finally:
        os.unlink(img)
