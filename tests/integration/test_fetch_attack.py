"""Instruction fetch from the hypervisor region with paging off (issue 11).
guest/pvh/fetch-attack.S is a bare PVH kernel of our own: it copies a stub
to the target address, jumps there, and the stub makes an access shoji must
emulate (the local APIC page), so shoji's emulator fetches the instruction at
the target itself, with the guest's paging off. Natively the stub runs and
says so. Under shoji, before issue 11, the copy went to a sink page that was
executable, so the stub ran at the region's address and the emulator then
read (and logged) the region's real bytes; now the stand-in pages are NX and
the fetch stops the guest. The host checks the region's first page is still
shoji's code (QEMU's pmemsave against the ELF file), not the stub."""
import os
import subprocess

import pytest

from conftest import BUILD, IMAGE, LiveVM, native_cmd, num, run_shoji, shoji_cmd, ROOT

SRC = os.path.join(ROOT, "guest", "pvh", "fetch-attack.S")


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    d = tmp_path_factory.mktemp("fetch")
    obj, elf = str(d / "fa.o"), str(d / "fetch-attack.elf")
    subprocess.run(["cc", "-c", SRC, "-o", obj], check=True)
    subprocess.run(["ld", "-N", "--no-warn-rwx-segments", "-Ttext=0x200000", "-o", elf, obj],
                   check=True)
    return elf


@pytest.fixture(scope="module")
def target():
    """Where shoji puts its region on this machine (a boot without a guest)."""
    b = run_shoji(expect_rc=0)
    return num(b.record("hvregion")["base"])


def text_bytes(n):
    """The first n bytes of shoji's code as the ELF file holds them."""
    out = subprocess.run(["readelf", "-SW", IMAGE], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        f = line.replace("[ ", "[").split()
        if len(f) > 5 and f[1] == ".text":
            off = int(f[4], 16)
            with open(IMAGE, "rb") as fh:
                fh.seek(off)
                return fh.read(n)
    pytest.fail(f"no .text in {IMAGE}")


def test_stub_runs_at_the_target_natively(kernel, target, monitor_sock):
    cmd = native_cmd("none", kernel=kernel, append=[f"target={target:#x}"], edu=False,
                     net=False, monitor=monitor_sock)
    with LiveVM(cmd, monitor=monitor_sock, timeout=120) as vm:
        vm.wait_line(r"guest: fetch-attack executed-at-target apic_version=0x", timeout=90)
        # The host sees the stub where the guest put it: the attack worked.
        page = vm.pmemsave(target, 4096)
        with open(kernel, "rb") as f:
            assert b"guest: fetch-attack executed-at-target" in f.read()
        assert b"guest: fetch-attack executed-at-target" in page


def test_fetch_from_region_stops_the_guest_under_shoji(kernel, target, monitor_sock):
    cmd = shoji_cmd("--kernel", kernel, "--append", f"target={target:#x}", "--no-qemu-exit",
                    timeout=150, monitor=monitor_sock)
    with LiveVM(cmd, monitor=monitor_sock, timeout=150) as vm:
        m = vm.wait_line(r"shoji: hvregion base=(\S+)", timeout=90)
        assert num(m.group(1)) == target, "the region moved between boots"
        vm.wait_line(r"guest: fetch-attack jump", timeout=90)
        vm.wait_line(r"shoji: stopped status=failure", timeout=90)
        assert vm.has(f"npt guest instruction fetch from hypervisor-region at gpa={target:#x}"), vm
        assert vm.has("guest stopped: instruction fetch from protected memory"), vm
        assert not vm.has("executed-at-target"), vm
        assert not vm.has("mmio refused"), vm	# the emulator never saw the region's bytes
        # The host's truth: the region's first page is still shoji's code.
        page = vm.pmemsave(target, 4096)
        assert b"fetch-attack" not in page
        assert page == text_bytes(4096)
