"""The intercepted disk: the guest's stock ahci driver through shoji's shadow
DMA, data encrypted with AES-XTS in the dm-crypt aes-xts-plain64 format, the
controller confined by the IOMMU (issue: intercepted disk). Every check of
the ciphertext is made on the host with python3-cryptography, independent of
shoji's code."""
import os
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from conftest import BUILD, run_shoji

sys.path.insert(0, os.path.dirname(__file__))
from test_guest_native import sector_pattern  # noqa: E402  (blkverify's documented pattern)

VMLINUX = os.path.join(BUILD, "guest", "vmlinux")
INITRD = os.path.join(BUILD, "guest", "initrd.cpio.gz")
MARKER = (b"SHOJI-PLAINTEXT-MARKER\n" * 3000)[:65536]
MARKER_SECTOR = 8192          # 4 MiB
PATTERN_SECTOR = 2048         # 1 MiB, 256 KiB long
AHCI_SID = "00:1f.2"


def xts(key, sector, data, decrypt):
    c = Cipher(algorithms.AES(key), modes.XTS(sector.to_bytes(16, "little")))
    op = c.decryptor() if decrypt else c.encryptor()
    return op.update(data) + op.finalize()


def sectors(img, first, n, key=None):
    data = open(img, "rb").read()
    out = []
    for s in range(first, first + n):
        raw = data[s * 512:(s + 1) * 512]
        out.append(xts(key, s, raw, True) if key else raw)
    return b"".join(out)


def boot_disk(tmp, img, key_bytes, mode, cmdline="intercept=ahci", seed=5, expect_rc=0):
    args = ["--kernel", VMLINUX, "--initrd", INITRD, "--disk", str(img),
            "--cmdline", cmdline,
            "--append", f"console=ttyS0 shoji.script=disk shoji.diskmode={mode} shoji.seed={seed}"]
    for f in (VMLINUX, INITRD):
        if not os.path.exists(f):
            pytest.fail(f"{f} missing: run 'make guest'")
    if key_bytes is not None:
        key = tmp / f"key-{len(key_bytes)}-{key_bytes[:4].hex()}"
        key.write_bytes(key_bytes)
        args += ["--key", str(key)]
    return run_shoji(*args, timeout=180, expect_rc=expect_rc)


def checks(boot):
    return {r["name"]: r["status"] for r in boot.records("guest: check") if "name" in r}


@pytest.fixture(scope="module")
def key():
    return os.urandom(64)


@pytest.fixture(scope="module")
def written(tmp_path_factory, key):
    tmp = tmp_path_factory.mktemp("disk")
    img = tmp / "disk.img"
    subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(img), "16M"], check=True)
    b = boot_disk(tmp, img, key, "write")
    return tmp, img, b


def test_guest_writes_through_shoji(written):
    _, _, b = written
    c = checks(b)
    assert c == {"disk-write-pattern": "ok", "disk-write-marker": "ok"}, b
    assert b.has("shoji: disk cipher=aes-xts-plain64 key_bits=512"), b
    assert b.has("disk key source=module bytes=64 (module memory wiped)")
    assert not [l for l in b.lines if l.startswith("shoji: error")], b
    enc = [l for l in b.lines if "status disk_sectors_encrypted=" in l]
    assert enc and int(enc[0].split("=")[1]) >= 640, b
    ncq = [l for l in b.lines if "status disk_ncq=" in l]
    assert ncq and int(ncq[0].split("=")[1]) > 0, b     # the kernel queued with NCQ


def test_no_plaintext_on_the_raw_image(written):
    _, img, _ = written
    raw = open(img, "rb").read()
    assert b"SHOJI-PLAINTEXT-MARKER" not in raw
    assert sectors(img, PATTERN_SECTOR, 1) != sector_pattern(PATTERN_SECTOR, 5)


def test_host_decrypts_the_exact_bytes(written, key):
    _, img, _ = written
    assert sectors(img, MARKER_SECTOR, 128, key) == MARKER
    for s in range(PATTERN_SECTOR, PATTERN_SECTOR + 512):
        assert sectors(img, s, 1, key) == sector_pattern(s, 5), s


def test_same_key_reads_back(written, key):
    tmp, img, _ = written
    b = boot_disk(tmp, img, key, "read")
    assert checks(b) == {"disk-read-pattern": "ok", "disk-read-marker": "ok"}, b


def test_other_key_sees_garbage_not_an_error(written):
    tmp, img, _ = written
    b = boot_disk(tmp, img, os.urandom(64), "read")
    c = checks(b)
    assert c["disk-read-pattern"] == "fail" and c["disk-read-marker"] == "fail", b
    assert b.has("guest: blkverify mismatch"), b
    assert not [l for l in b.lines if l.startswith("shoji: error")], b
    assert b.has("guest: script=disk status=fail")      # the guest ran to its end


def test_disk_encrypted_on_the_host_is_read_by_the_guest(tmp_path, key):
    img = tmp_path / "host.img"
    data = bytearray(16 << 20)
    for s in range(PATTERN_SECTOR, PATTERN_SECTOR + 512):
        data[s * 512:(s + 1) * 512] = xts(key, s, sector_pattern(s, 7), False)
    img.write_bytes(bytes(data))
    b = boot_disk(tmp_path, img, key, "verify", seed=7)
    assert checks(b) == {"disk-verify-pattern": "ok"}, b


def test_sector_range_option(tmp_path, key):
    img = tmp_path / "range.img"
    subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(img), "16M"], check=True)
    b = boot_disk(tmp_path, img, key, "write", cmdline="intercept=ahci crypt=2048-4096")
    assert checks(b) == {"disk-write-pattern": "ok", "disk-write-marker": "ok"}, b
    # Inside the range: ciphertext. Outside (the marker at 4 MiB): as written.
    assert sectors(img, PATTERN_SECTOR, 1, key) == sector_pattern(PATTERN_SECTOR, 5)
    assert sectors(img, MARKER_SECTOR, 128) == MARKER


@pytest.mark.parametrize("size", [32, 65])
def test_wrong_key_size_refuses_the_disk(tmp_path, size):
    img = tmp_path / "k.img"
    img.write_bytes(bytes(1 << 20))
    b = boot_disk(tmp_path, img, os.urandom(size), "write", expect_rc=1)
    assert b.has(f"the key module has {size} bytes; an aes-xts-plain64 key with 512 bits has 64"), b
    assert b.has("stopping: the disk is not exposed to the guest"), b
    assert not b.has("shoji: guest start"), b
    assert open(img, "rb").read() == bytes(1 << 20)     # nothing written


def test_no_key_refuses_the_disk(tmp_path):
    img = tmp_path / "n.img"
    img.write_bytes(bytes(1 << 20))
    b = boot_disk(tmp_path, img, None, "write", expect_rc=1)
    assert b.has("intercept=ahci needs a key"), b


def test_equal_key_halves_refused(tmp_path):
    img = tmp_path / "e.img"
    img.write_bytes(bytes(1 << 20))
    half = os.urandom(32)
    b = boot_disk(tmp_path, img, half + half, "write", expect_rc=1)
    assert b.has("unusable key (the two AES-256 halves are equal)"), b


def test_confinement_alone_blocks_the_controller(tmp_path):
    """intercept=ahci-confine-only: no shadowing, the controller keeps its IOMMU
    domain (only the empty shadow window). The guest driver points it at guest
    memory; every DMA faults, logged with the controller's BDF, and the guest
    never gets a working disk (Linux waits out its command timeouts)."""
    img = tmp_path / "c.img"
    img.write_bytes(bytes(16 << 20))
    b = run_shoji("--kernel", VMLINUX, "--initrd", INITRD, "--disk", str(img),
                  "--cmdline", "intercept=ahci-confine-only",
                  "--append", "console=ttyS0 shoji.script=demo", timeout=240, expect_rc=0)
    assert b.has("mode=confine-only"), b
    faults = [r for r in b.records("warning: vtd fault") if r.get("sid") == AHCI_SID]
    assert faults and all(r["type"] == "write" for r in faults), b
    hv = b.record("hvregion")
    # What the controller tried to write is guest memory (its command lists and
    # FIS areas), never reached: nothing of the disk is usable in the guest.
    assert not b.has("guest: demo disk dev=/dev/sda"), b
    assert open(img, "rb").read() == bytes(16 << 20)
    assert all(not (int(hv["base"], 0) <= int(r["addr"], 0) < int(hv["end"], 0)) for r in faults)


def test_passphrase_key_matches_the_documented_derivation(tmp_path):
    """passphrase: typed on the serial console (the launcher types it), never
    echoed; the key is PBKDF2-HMAC-SHA256(pass, "shoji-xts-plain64-v1:",
    600000, 64), computed here with hashlib."""
    import hashlib
    secret = b"correct horse battery staple"
    pf = tmp_path / "pass"
    pf.write_bytes(secret + b"\n")
    img = tmp_path / "p.img"
    subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(img), "16M"], check=True)
    b = run_shoji("--kernel", VMLINUX, "--initrd", INITRD, "--disk", str(img),
                  "--cmdline", "intercept=ahci passphrase", "--passphrase-file", str(pf),
                  "--append", "console=ttyS0 shoji.script=disk shoji.diskmode=write",
                  timeout=240, expect_rc=0)
    assert b.has("disk key source=passphrase kdf=pbkdf2-hmac-sha256 iterations=600000"), b
    assert secret.decode() not in b.out
    assert checks(b) == {"disk-write-pattern": "ok", "disk-write-marker": "ok"}, b
    key = hashlib.pbkdf2_hmac("sha256", secret, b"shoji-xts-plain64-v1:", 600000, 64)
    assert sectors(img, MARKER_SECTOR, 128, key) == MARKER


def test_random_io_with_verification_through_the_shadow(tmp_path, key):
    """blkverify: patterned blocks of mixed sizes (512 B .. 1 MiB) and
    alignments, written and read back with O_DIRECT; the kernel queues them
    with NCQ. Everything goes through shoji's shadow buffers and AES-XTS."""
    img = tmp_path / "r.img"
    subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(img), "64M"], check=True)
    kf = tmp_path / "k"
    kf.write_bytes(key)
    b = run_shoji("--kernel", VMLINUX, "--initrd", INITRD, "--disk", str(img), "--key", str(kf),
                  "--cmdline", "intercept=ahci",
                  "--append", "console=ttyS0 shoji.script=tests shoji.disk=sda shoji.net=0 "
                              "shoji.blkbytes=8M", timeout=240, expect_rc=0)
    c = checks(b)
    assert c["blkverify"] == "ok", b
    assert b.has("guest: script=tests status=ok"), b


def fs_files():
    a = b"".join(b"SHOJI-FILE-MARKER line %d\n" % i for i in range(1, 4001))
    return a, bytes(range(256)) * 512


def test_filesystem_on_the_encrypted_disk(tmp_path, key):
    """The issue's end-to-end case: the guest makes an ext2 filesystem on the
    encrypted disk, writes files, syncs and powers off; the raw image holds no
    plaintext; decrypted on the host it holds the filesystem and the files'
    bytes exactly; a second boot with the same key mounts it and reads them."""
    img = tmp_path / "fs.img"
    subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(img), "32M"], check=True)
    kf = tmp_path / "k"
    kf.write_bytes(key)
    common = ["--kernel", VMLINUX, "--initrd", INITRD, "--disk", str(img), "--key", str(kf),
              "--cmdline", "intercept=ahci"]
    b = run_shoji(*common, "--append", "console=ttyS0 shoji.script=fs shoji.fsmode=write",
                  timeout=240, expect_rc=0)
    assert checks(b) == {"fs-write": "ok"}, b
    raw = open(img, "rb").read()
    assert b"SHOJI-FILE-MARKER" not in raw
    plain = sectors(img, 0, len(raw) // 512, key)
    assert plain[1024 + 56:1024 + 58] == b"\x53\xef"        # ext2 superblock magic
    a, bb = fs_files()
    assert a in plain and bb in plain
    b = run_shoji(*common, "--append", "console=ttyS0 shoji.script=fs shoji.fsmode=read",
                  timeout=240, expect_rc=0)
    assert checks(b) == {"fs-read": "ok"}, b
