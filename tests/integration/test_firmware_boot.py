"""The installed OS booted through the BIOS firmware (issue 17,
docs/firmware-boot.md): a raw disk with an MBR, GRUB for i386-pc in the gap
and an ext2 partition holding the Debian kernel and the guest's initramfs
(scripts/make-disk-image), booted natively by SeaBIOS and under shoji
(guest=disk: QEMU boots shoji's ISO from the CD, shoji hands the machine back
to the firmware's boot path in real mode)."""
import os
import subprocess
import time

import pytest

from conftest import BUILD, ROOT

MAKE_DISK = os.path.join(ROOT, "scripts", "make-disk-image")
BZIMAGE = os.path.join(BUILD, "guest", "bzImage")
INITRD = os.path.join(BUILD, "guest", "initrd.cpio.gz")


def make_disk(path, script, extra=""):
    for f in (BZIMAGE, INITRD):
        if not os.path.isfile(f):
            pytest.fail(f"{f} missing: run 'make guest'")
    append = f"console=ttyS0 panic=-1 iomem=relaxed shoji.script={script} {extra}".strip()
    subprocess.run([MAKE_DISK, "--append", append, str(path)], check=True,
                   capture_output=True, text=True)
    return path


def native_disk_boot(disk, timeout=180):
    """QEMU straight from the disk: SeaBIOS, the MBR, GRUB, Linux. No -kernel."""
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-machine", "q35", "-cpu", "max",
           "-m", "1G", "-nodefaults", "-display", "none", "-no-reboot",
           "-serial", "stdio", "-monitor", "none",
           "-drive", f"id=d0,file={disk},format=raw,if=none",
           "-device", "ide-hd,drive=d0,bus=ide.0",
           "-device", "edu,dma_mask=0xffffffffffffffff"]
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout, text=True,
                           errors="replace")
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        pytest.fail(f"no power-off within {timeout} s\n{out[-4000:]}")
    return p.returncode, p.stdout, time.monotonic() - t0


def test_disk_image_layout(tmp_path):
    """MBR signature, GRUB's boot code, one active Linux partition at 16 MiB
    holding an ext2 file system (superblock magic 0xEF53)."""
    disk = make_disk(tmp_path / "os.img", "demo")
    data = disk.read_bytes()
    assert data[510:512] == b"\x55\xaa"
    with open("/usr/lib/grub/i386-pc/boot.img", "rb") as f:
        assert data[:440] == f.read()[:440]
    entry = data[446:462]
    assert entry[0] == 0x80 and entry[4] == 0x83
    start = int.from_bytes(entry[8:12], "little")
    assert start == 32768
    sb = start * 512 + 1024
    assert data[sb + 56:sb + 58] == b"\x53\xef"
    assert data[512:512 + 4] != b"\0\0\0\0"     # core.img's diskboot sector


def test_disk_boots_natively_to_the_demo(tmp_path):
    disk = make_disk(tmp_path / "os.img", "demo")
    rc, out, secs = native_disk_boot(disk)
    assert "guest: script=demo status=ok" in out, out[-4000:]
    # GRUB loaded the kernel from the ext2 partition (it adds BOOT_IMAGE=).
    assert "Command line: BOOT_IMAGE=/boot/vmlinuz console=ttyS0" in out, out[-4000:]
    assert "guest: demo hypervisor=none" in out
