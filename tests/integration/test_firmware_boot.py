"""The installed OS booted through the BIOS firmware (issue 17,
docs/firmware-boot.md): a raw disk with an MBR, GRUB for i386-pc in the gap
and an ext2 partition holding the Debian kernel and the guest's initramfs
(scripts/make-disk-image), booted natively by SeaBIOS and under shoji
(guest=disk: QEMU boots shoji's ISO from the CD, shoji hands the machine back
to the firmware's boot path in real mode)."""
import os
import subprocess
import sys
import time

import pytest

from conftest import BUILD, ROOT, num, run_shoji

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


# ---- under shoji: QEMU boots shoji's ISO from the CD, shoji boots the disk ----

BRIDGE = "pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=0x6"


def checks(boot):
    return {r["name"]: r["status"] for r in boot.records("guest: check") if "name" in r}


@pytest.fixture(scope="module")
def demo_under_shoji(tmp_path_factory):
    disk = make_disk(tmp_path_factory.mktemp("fwdemo") / "os.img", "demo")
    return run_shoji("--boot-disk", str(disk), "--edu", timeout=300)


def test_shoji_boots_the_disk_through_the_firmware(demo_under_shoji):
    b = demo_under_shoji
    assert b.rc == 0, b
    st = b.record("fwboot", "stub")
    assert st["drive"] == "0x80" and st["int15"].endswith("->9f80:0000"), st
    # Real mode: the stub's first instruction, CS:IP = 9f80:0004.
    assert b.has("shoji: guest start rip=0x4"), b
    # The disk's own GRUB read grub.cfg and the kernel through INT 13h.
    assert b.has("Command line: BOOT_IMAGE=/boot/vmlinuz console=ttyS0"), b
    assert b.has("guest: script=demo status=ok"), b
    assert b.has("shoji: machine power-off path=pm1a-cnt secrets=wiped"), b


def test_memory_map_of_the_firmware_booted_os_reserves_the_region(demo_under_shoji):
    b = demo_under_shoji
    hv = b.record("hvregion")
    base, end = num(hv["base"]), num(hv["end"])
    # GRUB took the map from INT 15h E820, answered by shoji.
    assert b.records("fwboot e820 answered"), b
    assert b.has(f"guest: demo iomem {base:08x}-{end - 1:08x} Reserved"), b
    # No System RAM line overlaps the region; the stub's KiB is not RAM.
    for l in b.lines:
        if l.startswith("guest: demo iomem ") and l.endswith("System RAM"):
            lo, hi = (int(x, 16) for x in l.split()[3].split("-"))
            assert hi < base or lo >= end, l
            assert hi < 0x9f800 or lo >= 0xa0000, l


def test_shoji_ctl_answers_in_the_firmware_booted_os(demo_under_shoji):
    b = demo_under_shoji
    st = b.record("guest: shoji-ctl status", "hv_base")
    assert num(st["hv_base"]) == num(b.record("hvregion")["base"]), st
    assert b.has("guest: shoji-ctl status iommu=on"), b
    assert checks(b).get("dma-attack-blocked") == "ok", b
    assert b.has("guest acpi: DMAR hidden (1 root entries removed)"), b


def test_attack_suite_in_the_firmware_booted_os(tmp_path):
    disk = make_disk(tmp_path / "os.img", "attacks", "shoji.disk=sda shoji.cpus=2")
    b = run_shoji("--boot-disk", str(disk), "--smp", "2", "--edu", "--net",
                  "--device", BRIDGE, timeout=360)
    assert b.rc == 0, b
    assert b.has("guest: script=attacks status=ok"), b
    # The same suite as the PVH guest's (test_guest_shoji), none failed.
    assert b.has("guest: checks run=19 failed=0"), b
    c = checks(b)
    for name in ("region-reserved", "no-dmar-table", "guest-cpus", "cpu-read-hv", "cpu-write-hv",
                 "cpu-read-hv-last-page", "vtd-registers-unreachable", "vtd-registers-write",
                 "edu-write-hv", "edu-read-hv", "edu-fault-logged", "edu-own-buffer",
                 "hypervisor-unchanged", "bar-over-hv-refused", "bridge-renumber-refused",
                 "cpu-wakeup-refused", "cpu-wakeup-around-icr-refused", "blkverify",
                 "net-dhcp"):
        assert c.get(name) == "ok", (name, c)


def test_a_disk_without_a_boot_sector_stops_shoji_clearly(tmp_path):
    blank = tmp_path / "blank.img"
    with open(blank, "wb") as f:
        f.truncate(8 << 20)
    b = run_shoji("--boot-disk", str(blank), timeout=180, expect_rc=1)
    assert b.has("shoji: error: fwboot: drive 0x80 is not bootable: sector 0 has no boot "
                 "signature"), b


# ---- encrypted end to end: ciphertext from sector 0, only shoji has the key ----

def encrypt_image(src, dst, key):
    """aes-xts-plain64 over every sector, MBR and boot loader included
    (tweak = sector number), with python3-cryptography: independent of
    shoji's code."""
    sys.path.insert(0, os.path.dirname(__file__))
    from test_disk_encrypted import xts    # noqa: E402  (the host's AES-XTS)
    data = src.read_bytes()
    out = bytearray(len(data))
    for s in range(len(data) // 512):
        out[s * 512:(s + 1) * 512] = xts(key, s, data[s * 512:(s + 1) * 512], False)
    dst.write_bytes(bytes(out))
    return dst


@pytest.fixture(scope="module")
def encrypted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fwcrypt")
    plain = make_disk(tmp / "plain.img", "demo")
    key = os.urandom(64)
    (tmp / "key").write_bytes(key)
    return tmp, plain, encrypt_image(plain, tmp / "crypt.img", key), key


def test_encrypted_image_is_ciphertext_from_sector_0(encrypted):
    tmp, plain, img, key = encrypted
    raw = img.read_bytes()
    assert raw[510:512] != b"\x55\xaa"
    assert b"BOOT_IMAGE" not in raw and b"shoji.script=demo" not in raw
    assert b"shoji.script=demo" in plain.read_bytes()
    from test_disk_encrypted import xts
    assert xts(key, 0, raw[:512], True) == plain.read_bytes()[:512]


def test_encrypted_disk_is_not_bootable_without_shoji(encrypted):
    """Natively SeaBIOS finds no boot signature: its own log (debugcon)
    says so, and nothing of the OS runs."""
    tmp, plain, img, key = encrypted
    log = tmp / "seabios.log"
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-machine", "q35", "-cpu", "max",
           "-m", "1G", "-nodefaults", "-display", "none", "-no-reboot",
           "-serial", "stdio", "-monitor", "none",
           "-chardev", f"file,id=sb,path={log}", "-device", "isa-debugcon,iobase=0x402,chardev=sb",
           "-drive", f"id=d0,file={img},format=raw,if=none",
           "-device", "ide-hd,drive=d0,bus=ide.0"]
    deadline = time.monotonic() + 120
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    try:
        while time.monotonic() < deadline:
            if log.exists() and b"No bootable device" in log.read_bytes():
                break
            time.sleep(1)
    finally:
        p.kill()
        out = p.communicate()[0].decode(errors="replace")
    sb = log.read_bytes().decode(errors="replace")
    assert "Boot failed: not a bootable disk" in sb, sb[-2000:]
    assert "No bootable device" in sb, sb[-2000:]
    assert "Linux version" not in out and "guest:" not in out, out[-2000:]


def test_encrypted_disk_boots_under_shoji_with_the_key(encrypted):
    tmp, plain, img, key = encrypted
    before = img.read_bytes()
    b = run_shoji("--boot-disk", str(img), "--key", str(tmp / "key"),
                  "--cmdline", "intercept=ahci", "--edu", timeout=360)
    assert b.rc == 0, b
    # The firmware's own AHCI driver kept its port, now on shoji's shadow.
    assert b.has("shoji: ahci port=0 restarted on the shadow areas as the firmware left it"), b
    # GRUB read the plaintext grub.cfg and kernel: everything it read came
    # through shoji's decryption.
    assert b.has("Command line: BOOT_IMAGE=/boot/vmlinuz console=ttyS0"), b
    assert b.has("guest: script=demo status=ok"), b
    dec = b.record("guest: shoji-ctl status", "disk_sectors_decrypted")
    assert num(dec["disk_sectors_decrypted"]) > 10000, dec   # > 5 MiB: the kernel
    assert img.read_bytes() == before   # nothing written, still ciphertext


def test_realmode_disk_native_and_under_svm(tmp_path):
    """The real-mode / protected-mode disk (guest/disk/rmtest.S, the one
    test_bochs runs under VT-x): INT 13h and INT 15h in real mode, 16-bit
    and 32-bit protected mode and back, ACPI power-off. SeaBIOS runs it
    natively (its E820 map has RAM where shoji's region will be); under
    shoji on SVM every mode runs as it is (no exits of its own), the stub's
    hypercall is VMMCALL and INT 15h's map has the region reserved."""
    from conftest import Boot
    from rmtest import check_run, covers_as_reserved, make_disk

    disk = make_disk(tmp_path / "rm.img")
    rc, out, _ = native_disk_boot(disk, timeout=120)
    n = Boot(("native",), rc, out, "")
    native = check_run(n)
    assert not any(l.startswith("shoji: ") for l in n.lines), n

    b = run_shoji("--boot-disk", str(disk), timeout=120)
    assert b.rc == 0, b
    st = b.record("fwboot", "stub")
    assert st["drive"] == "0x80" and st["hypercall"] == "0f01d9", st
    e820 = check_run(b)
    hv = b.record("hvregion")
    base, end = num(hv["base"]), num(hv["end"])
    assert covers_as_reserved(e820, base, end), (e820, b)
    assert any(t == 1 and lo <= base < hi for lo, hi, t in native), native
    assert b.has("shoji: machine power-off path=pm1a-cnt secrets=wiped"), b
