"""The intercepted IDE disk (issue 18): a PIIX3 IDE controller (QEMU's
piix3-ide, 8086:7010, legacy ports, bus master in BAR4) driven by the
guest's stock ata_piix through shoji's trapped ports and shadow DMA, data
encrypted with AES-XTS in the dm-crypt aes-xts-plain64 format (the same
keys and format as the AHCI disk), the controller confined by the IOMMU.
Every check of the ciphertext is made on the host with python3-cryptography,
independent of shoji's code; the native boots show what the same guest
does without shoji."""
import os
import subprocess
import sys

import pytest

from conftest import BUILD, INITRD, VMLINUX, run_shoji

sys.path.insert(0, os.path.dirname(__file__))
from test_disk_encrypted import (MARKER, MARKER_SECTOR, PATTERN_SECTOR, checks, fs_files,  # noqa: E402
                                 sectors, xts)
from test_guest_native import sector_pattern  # noqa: E402

AHCI_PCI = "pci-0000:00:1f.2"


def need_guest():
    for f in (VMLINUX, INITRD):
        if not os.path.exists(f):
            pytest.fail(f"{f} missing: run 'make guest'")


def image(tmp, name, size="16M"):
    img = tmp / name
    subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(img), size], check=True)
    return img


def boot_ide(tmp, img, key, append, cmdline="intercept=ide", extra=(), timeout=240, expect_rc=0):
    need_guest()
    kf = tmp / f"key-{key[:4].hex()}"
    kf.write_bytes(key)
    return run_shoji("--kernel", VMLINUX, "--initrd", INITRD, "--ide-disk", str(img),
                     "--key", str(kf), "--cmdline", cmdline, *extra,
                     "--append", "console=ttyS0 " + append, timeout=timeout, expect_rc=expect_rc)


def status(boot, key):
    v = [l for l in boot.lines if f"status {key}=" in l]
    assert v, f"no {key} in the guest's status\n{boot}"
    return int(v[-1].split("=")[1])


def no_errors(boot):
    assert not [l for l in boot.lines if l.startswith("shoji: error")], boot
    assert not boot.has("shoji: warning: vtd fault"), boot


@pytest.fixture(scope="module")
def key():
    return os.urandom(64)


@pytest.fixture(scope="module")
def written(tmp_path_factory, key):
    tmp = tmp_path_factory.mktemp("ide")
    img = image(tmp, "dma.img")
    b = boot_ide(tmp, img, key, "shoji.script=disk shoji.diskmode=write")
    return tmp, img, b


def test_ide_disk_written_through_shadow_dma(written):
    _, _, b = written
    assert checks(b) == {"disk-write-pattern": "ok", "disk-write-marker": "ok"}, b
    assert b.has("shoji: ide channel=0 cmd=0x1f0 ctl=0x3f6"), b
    assert b.has("mode=shadow"), b
    no_errors(b)
    # ata_piix used the bus master: every sector through shadow DMA, encrypted.
    assert status(b, "ide_dma") > 0
    assert status(b, "ide_sectors_encrypted") >= 640
    assert status(b, "ide_refused") == 0


def test_ide_no_plaintext_and_host_decrypts_exactly(written, key):
    _, img, _ = written
    raw = open(img, "rb").read()
    assert b"SHOJI-PLAINTEXT-MARKER" not in raw
    assert sectors(img, MARKER_SECTOR, 128, key) == MARKER
    for s in range(PATTERN_SECTOR, PATTERN_SECTOR + 512):
        assert sectors(img, s, 1, key) == sector_pattern(s, 5), s


def test_ide_same_key_reads_back(written, key):
    tmp, img, _ = written
    b = boot_ide(tmp, img, key, "shoji.script=disk shoji.diskmode=read")
    assert checks(b) == {"disk-read-pattern": "ok", "disk-read-marker": "ok"}, b
    assert status(b, "ide_sectors_decrypted") >= 640
    no_errors(b)


def test_ide_pio_mode_is_encrypted_too(tmp_path, key):
    """libata.dma=0: ata_piix moves every sector through the data port with
    rep insw/outsw (or 32-bit string I/O); shoji decrypts and encrypts them
    in its PIO buffer. A disk written in PIO mode reads back in DMA mode."""
    img = image(tmp_path, "pio.img")
    b = boot_ide(tmp_path, img, key, "libata.dma=0 shoji.script=disk shoji.diskmode=write")
    assert checks(b) == {"disk-write-pattern": "ok", "disk-write-marker": "ok"}, b
    assert status(b, "ide_dma") == 0
    assert status(b, "ide_pio_sectors") >= 640
    assert status(b, "ide_sectors_encrypted") >= 640
    assert status(b, "exits_io_string") > 0
    no_errors(b)
    raw = open(img, "rb").read()
    assert b"SHOJI-PLAINTEXT-MARKER" not in raw
    assert sectors(img, MARKER_SECTOR, 128, key) == MARKER
    assert sectors(img, PATTERN_SECTOR, 1, key) == sector_pattern(PATTERN_SECTOR, 5)
    b = boot_ide(tmp_path, img, key, "shoji.script=disk shoji.diskmode=read")
    assert checks(b) == {"disk-read-pattern": "ok", "disk-read-marker": "ok"}, b


def test_ide_filesystem(tmp_path, key):
    """ext2 made and written in the guest on the IDE disk; no plaintext in
    the raw image; decrypted on the host it holds the superblock and the
    files' bytes; a second boot mounts it and reads them."""
    img = image(tmp_path, "fs.img", "32M")
    b = boot_ide(tmp_path, img, key, "shoji.script=fs shoji.fsmode=write")
    assert checks(b) == {"fs-write": "ok"}, b
    raw = open(img, "rb").read()
    assert b"SHOJI-FILE-MARKER" not in raw
    plain = sectors(img, 0, len(raw) // 512, key)
    assert plain[1024 + 56:1024 + 58] == b"\x53\xef"        # ext2 superblock magic
    a, bb = fs_files()
    assert a in plain and bb in plain
    b = boot_ide(tmp_path, img, key, "shoji.script=fs shoji.fsmode=read")
    assert checks(b) == {"fs-read": "ok"}, b


def test_ide_disk_encrypted_on_the_host_is_read_by_the_guest(tmp_path, key):
    img = tmp_path / "host.img"
    data = bytearray(16 << 20)
    for s in range(PATTERN_SECTOR, PATTERN_SECTOR + 512):
        data[s * 512:(s + 1) * 512] = xts(key, s, sector_pattern(s, 7), False)
    img.write_bytes(bytes(data))
    b = boot_ide(tmp_path, img, key, "shoji.script=disk shoji.diskmode=verify shoji.seed=7")
    assert checks(b) == {"disk-verify-pattern": "ok"}, b


def test_ide_confinement_alone_blocks_the_controller(tmp_path, key):
    """intercept=ide-confine-only: no shadowing, the controller keeps its
    IOMMU domain (only the shadow window). ata_piix points the bus master at
    guest memory; every DMA faults in QEMU's IOMMU, logged with the
    controller's BDF by shoji and by QEMU's IOMMU model itself. (libata
    then falls back to PIO, which confine-only passes unshadowed: it is a
    test of the domain, not a disk.)"""
    img = tmp_path / "c.img"
    img.write_bytes(bytes(16 << 20))
    b = boot_ide(tmp_path, img, key, "shoji.script=disk shoji.diskmode=write",
                 cmdline="intercept=ide-confine-only", timeout=400, expect_rc=None)
    assert b.has("mode=confine-only"), b
    ctl = b.record("disk", "type")
    faults = [r for r in b.records("warning: vtd fault") if r.get("sid") == ctl["controller"]]
    assert faults, b
    hv = b.record("hvregion")
    assert all(not (int(hv["base"], 0) <= int(r["addr"], 0) < int(hv["end"], 0)) for r in faults)
    # QEMU's own view: its VT-d model refused the controller's DMA.
    bus, devfn = ctl["controller"].split(":")
    dev, fn = devfn.split(".")
    assert f"translation failure (dev={bus}:{dev}:{int(fn):02x}" in b.err, b


def test_ahci_and_ide_intercepted_at_once(tmp_path, key):
    """intercept=ahci,ide: both controllers in the disk domain, one key; the
    guest writes both disks (found by PCI address, not by probe order); both
    raw images hold only ciphertext that the host decrypts exactly."""
    need_guest()
    a, i = image(tmp_path, "a.img"), image(tmp_path, "i.img")
    first = boot_ide(tmp_path, i, key, "shoji.script=disk shoji.diskmode=write "
                     f"shoji.disk={AHCI_PCI}+pci-0000:00:01.0",
                     cmdline="intercept=ahci,ide", extra=("--disk", str(a)))
    ctls = {r["type"]: r["controller"] for r in first.records("disk") if "type" in r}
    assert set(ctls) == {"ahci", "ide"}, first
    assert ctls["ide"] == "00:01.0", first      # the name used on the guest's command line
    assert checks(first) == {"disk-write-pattern-1": "ok", "disk-write-marker-1": "ok",
                             "disk-write-pattern-2": "ok", "disk-write-marker-2": "ok"}, first
    assert first.has("controllers=ahci,ide"), first
    no_errors(first)
    assert status(first, "disk_sectors_encrypted") >= 640
    assert status(first, "ide_sectors_encrypted") >= 640
    for img in (a, i):
        assert b"SHOJI-PLAINTEXT-MARKER" not in open(img, "rb").read()
        assert sectors(img, MARKER_SECTOR, 128, key) == MARKER
        assert sectors(img, PATTERN_SECTOR, 1, key) == sector_pattern(PATTERN_SECTOR, 5)
