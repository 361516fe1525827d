"""A hostile guest program against the IDE bus master (issue 18):
guest/src/ide-attack.c unbinds ata_piix and drives the primary channel
itself. Right after the bus-master START of a WRITE DMA it overwrites the
data buffer with poison and points the PRD at another buffer; after the
START of a READ DMA it points the PRD at another buffer; and it issues a
READ DMA whose PRD is the hypervisor region.

Natively (plain QEMU, no shoji) the write attack wins: QEMU's block layer
reads the write data from guest memory after START (the disk is throttled:
a slow disk, whose requests wait), and the host finds the poison in the
raw image. (QEMU's bus master fetches the PRD table itself at
START, so the PRD rewrite alone has no effect there; it is still an attack
on real controllers, whose PRD fetches are not tied to START.) Under shoji
nothing of it has an effect: the table and the data were copied at START,
the host decrypts exactly the data the guest had at START, the PRD at the
hypervisor region is refused with an error, no IOMMU fault, shoji's
checksum unchanged."""
import os
import subprocess
import sys

import pytest

from conftest import INITRD, VMLINUX, run_shoji

sys.path.insert(0, os.path.dirname(__file__))
from test_disk_encrypted import xts  # noqa: E402

SEED = 13
LBA = 6200
NSECT = 8
# A slow disk (QEMU's throttling): each request waits, so the device reads
# the write data well after START, as a busy disk would. The same for both
# runs: under shoji the window is as wide.
IOPS = 5
M64 = (1 << 64) - 1


def mix64(x):
    x = (x + 0x9e3779b97f4a7c15) & M64
    x = ((x ^ (x >> 30)) * 0xbf58476d1ce4e5b9) & M64
    x = ((x ^ (x >> 27)) * 0x94d049bb133111eb) & M64
    return x ^ (x >> 31)


def fill_gen(first, gen):
    """ide-attack.c's fill_gen: NSECT sectors of generation `gen` from `first`."""
    out = bytearray(NSECT * 512)
    for s in range(NSECT):
        for i in range(512):
            v = mix64((SEED ^ ((first + s) << 8) ^ (gen << 40) ^ (i // 8)) & M64)
            out[s * 512 + i] = (v >> (8 * (i % 8))) & 0xff
    return bytes(out)


def raw_sectors(img, first, n):
    with open(img, "rb") as f:
        f.seek(first * 512)
        return f.read(n * 512)


def checks(boot):
    return {r["name"]: r["status"] for r in boot.records("guest: check") if "name" in r}


@pytest.fixture(scope="module")
def guest_files():
    for f in (VMLINUX, INITRD):
        if not os.path.exists(f):
            pytest.fail(f"{f} missing: run 'make guest'")


def test_native_the_data_rewrite_reaches_the_disk(tmp_path, guest_files):
    img = tmp_path / "n.img"
    subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(img), "16M"], check=True)
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-machine", "q35", "-cpu", "max", "-m", "1G",
           "-nodefaults", "-display", "none", "-no-reboot", "-serial", "stdio",
           "-monitor", "none", "-kernel", VMLINUX, "-initrd", INITRD,
           "-append", "console=ttyS0 panic=-1 shoji.script=ide-attack",
           "-device", "piix3-ide,id=pide",
           "-drive", f"id=d1,file={img},format=raw,if=none,throttling.iops-total={IOPS}",
           "-device", "ide-hd,drive=d1,bus=pide.0"]
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=300, errors="replace")
    out = p.stdout
    assert "guest: ide-attack mode=native" in out, out
    assert "guest: check name=ide-plain status=ok" in out, out
    assert "observed mode=native variant=ide-write-rewrite rc=3" in out, out
    # The host's own view: the poison written after START is on the disk.
    assert raw_sectors(img, LBA, NSECT) == b"\xaa" * (NSECT * 512)


def test_under_shoji_nothing_of_it_has_an_effect(tmp_path, guest_files):
    img = tmp_path / "s.img"
    subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(img), "16M"], check=True)
    key = os.urandom(64)
    kf = tmp_path / "k"
    kf.write_bytes(key)
    b = run_shoji("--kernel", VMLINUX, "--initrd", INITRD, "--ide-disk", str(img),
                  "--disk-iops", str(IOPS), "--key", str(kf), "--cmdline", "intercept=ide",
                  "--append", "console=ttyS0 shoji.script=ide-attack",
                  timeout=300, expect_rc=0)
    c = checks(b)
    assert c == {"ide-unbound": "ok", "ide-plain": "ok", "ide-write-rewrite": "ok",
                 "ide-read-rewrite": "ok", "ide-read-hv": "ok", "ide-plain-after": "ok",
                 "hypervisor-unchanged": "ok", "no-iommu-fault": "ok"}, b
    assert b.has("shoji: warning: ide refused channel=0 cmd=0xc8 reason=prd-address"), b
    assert not b.has("shoji: warning: vtd fault"), b
    # The host's own view: the disk holds, encrypted, the data the guest had
    # at START (generation 2), not the poison it wrote afterwards.
    raw = raw_sectors(img, LBA, NSECT)
    assert b"\xaa" * 512 not in raw
    plain = b"".join(xts(key, LBA + s, raw[s * 512:(s + 1) * 512], True) for s in range(NSECT))
    assert plain == fill_gen(LBA, 2)
