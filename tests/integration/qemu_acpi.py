"""Read the ACPI tables QEMU builds for a machine, without running any guest
code: QEMU starts paused under qtest, and the blob behind fw_cfg's
"etc/acpi/tables" file is read through fw_cfg's DMA interface. QEMU leaves
table checksums to the firmware's linker/loader; callers fix them the same
way (checksum_fixed) for tables with no pointers to patch (DMAR, IVRS).

Used by test_dmar_inspect.py and test_ivrs_inspect.py."""

import shutil
import struct
import subprocess
import threading

import pytest

QTEST_ARGS = ["-machine", "q35", "-accel", "tcg", "-nodefaults", "-display", "none",
              "-m", "64", "-qtest", "stdio", "-S"]


def checksum_fixed(b):
    """b with its ACPI checksum (byte 9) recomputed over the header length."""
    b = bytearray(b)
    b[9] = 0
    b[9] = (-sum(b[:struct.unpack_from("<I", b, 4)[0]])) & 0xFF
    return bytes(b)


def qemu_acpi_table(signature, device_args, timeout=60):
    """The table with this 4-byte signature that QEMU builds for q35 plus
    device_args, checksum fixed. Fails the test when QEMU builds none."""
    qemu = shutil.which("qemu-system-x86_64")
    if qemu is None:
        pytest.fail("qemu-system-x86_64 is not installed (`make deps`)")
    p = subprocess.Popen([qemu, *QTEST_ARGS, *device_args], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    watchdog = threading.Timer(timeout, p.kill)
    watchdog.start()
    try:
        def cmd(c):
            p.stdin.write(c + "\n")
            p.stdin.flush()
            while True:
                line = p.stdout.readline()
                if not line:
                    raise AssertionError(f"qemu died: {p.stderr.read()}")
                if line.startswith(("OK", "FAIL", "ERR")):
                    assert line.startswith("OK"), (c, line)
                    return line.split()

        def fw_cfg_read(select, n, buf=0x100000):
            # FWCfgDmaAccess (big-endian): control = select | SELECT | READ.
            desc = struct.pack(">IIQ", (select << 16) | 0x08 | 0x02, n, buf)
            cmd(f"write 0x1000 {len(desc)} 0x{desc.hex()}")
            cmd("outl 0x514 0")                 # address, high half
            cmd("outl 0x518 0x%x" % struct.unpack("<I", struct.pack(">I", 0x1000))[0])
            return bytes.fromhex(cmd(f"read 0x{buf:x} {n}")[1][2:])

        count = struct.unpack(">I", fw_cfg_read(0x19, 4))[0]
        listing = fw_cfg_read(0x19, 4 + 64 * count)[4:]
        files = {}
        for i in range(count):
            e = listing[64 * i:64 * (i + 1)]
            size, select = struct.unpack(">IH", e[:6])
            files[e[8:].split(b"\0")[0].decode()] = (size, select)
        size, select = files["etc/acpi/tables"]
        blob = fw_cfg_read(select, size)
    finally:
        watchdog.cancel()
        p.kill()
        p.wait()
    at = blob.find(signature)
    assert at >= 0, f"QEMU built no {signature.decode()}"
    length = struct.unpack_from("<I", blob, at + 4)[0]
    return checksum_fixed(blob[at:at + length])
