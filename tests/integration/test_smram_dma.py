"""No device may DMA into SMRAM (issue 9): the legacy SMRAM window (ASEG,
0xA0000-0xBFFFF) is a protected range for the CPU and for DMA when nothing
else decodes it outside SMM. guest/scripts/aseg-dma.sh makes the edu device
write a pattern at 0xA8000; the truth is the host's dump of that window
(QEMU's pmemsave), not shoji's report."""
from conftest import INITRD, VMLINUX, LiveVM, native_cmd, shoji_cmd

TARGET, LEN = 0xA8000, 256


def fnv1a(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def run(vm):
    """(checksum of what the device wrote, checksum of what the host sees there)."""
    vm.wait_line(r"guest: aseg-dma done rc=0", timeout=240)
    m = vm.wait_line(r"write-to addr=0xa8000 len=256 status=ok fnv1a=(0x[0-9a-f]+)", timeout=5)
    return int(m.group(1), 16), fnv1a(vm.pmemsave(TARGET, LEN))


def test_device_writes_smram_natively(monitor_sock):
    cmd = native_cmd("aseg-dma", net=False, monitor=monitor_sock, hold_on_reset=True)
    with LiveVM(cmd, monitor=monitor_sock) as vm:
        written, seen = run(vm)
        assert seen == written, f"natively the DMA did not land in ASEG\n{vm!r}"


def test_device_cannot_write_smram_under_shoji(monitor_sock):
    cmd = shoji_cmd("--edu", "--kernel", VMLINUX, "--initrd", INITRD,
                    "--append", "console=ttyS0 shoji.script=aseg-dma", timeout=300,
                    monitor=monitor_sock, hold_on_reset=True)
    with LiveVM(cmd, monitor=monitor_sock, timeout=300) as vm:
        vm.wait_line(r"shoji: chipset aseg hidden=yes", timeout=120)
        written, seen = run(vm)
        assert seen != written, f"the DMA landed in SMRAM under shoji\n{vm!r}"
        vm.wait_line(r"shoji: .*vtd fault .*addr=0xa8000", timeout=60)
