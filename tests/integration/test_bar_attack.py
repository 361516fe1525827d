"""PCI address decoders over the hypervisor region (issue 11), attacked by a
guest program of our own (guest/scripts/bar-attack.sh, guest/src/pcicfg.c):
a 64-bit BAR moved in both write orders with decoding on, a bridge memory
window and an expansion ROM BAR enabled over the region. Natively every
attack lands (QEMU itself shows the decoders at the target); under shoji each
is refused, and the truth is taken from the host: QEMU's own 'info pci' shows
no decoder over the region, the CPU's flat view there is RAM, and the
region's code pages are the same bytes after the attack as before."""
import re

import pytest

from conftest import LiveVM, native_cmd, num, shoji_cmd, VMLINUX, INITRD

DEVICES = ["virtio-rng-pci,addr=0x8", "virtio-rng-pci,addr=0x9",
           "pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=0x6"]
ATTACKS = ("bar64-low-then-high", "bar64-high-then-low", "bridge-window", "rom-enable",
           "ecam-bar64-low-then-high")	# the first again through the ECAM window
CODE = 64 << 10	# the start of the region: shoji's code


def results(vm):
    out = {}
    for line in vm.out.splitlines():
        m = re.match(r"guest: bar-attack (\S+) dev=(\S+) wanted=(\S+) now=(\S+) result=(\S+)",
                     line)
        if m:
            out[m.group(1)] = {"dev": m.group(2), "wanted": num(m.group(3)),
                               "now": num(m.group(4)), "result": m.group(5)}
    return out


def decoders_over(info_pci, start, end):
    """Lines of QEMU's 'info pci' whose BAR, ROM (BAR6) or bridge range overlaps
    [start, end): what the machine itself decodes there."""
    hits = []
    for line in info_pci.splitlines():
        m = (re.search(r"at 0x([0-9a-f]+) \[0x([0-9a-f]+)\]", line) or
             re.search(r"memory range \[0x([0-9a-f]+), 0x([0-9a-f]+)\]", line))
        if m:
            first, last = int(m.group(1), 16), int(m.group(2), 16)
            if first != 0xffffffffffffffff and first <= last and first < end and start <= last:
                hits.append(line.strip())
    return hits


@pytest.fixture(scope="module")
def under_shoji(tmp_path_factory):
    sock = str(tmp_path_factory.mktemp("mon") / "m.sock")
    cmd = shoji_cmd("--kernel", VMLINUX, "--initrd", INITRD, "--net",
                    "--append", "console=ttyS0 iomem=relaxed shoji.script=bar-attack",
                    *[a for d in DEVICES for a in ("--device", d)],
                    timeout=300, monitor=sock, hold_on_reset=True)
    with LiveVM(cmd, monitor=sock, timeout=300) as vm:
        m = vm.wait_line(r"shoji: hvregion base=(\S+) end=(\S+)", timeout=120)
        base, end = num(m.group(1)), num(m.group(2))
        vm.wait_line(r"guest: bar-attack start", timeout=240)
        code_before = vm.pmemsave(base, CODE)
        vm.wait_line(r"guest: bar-attack done", timeout=240)
        vm.wait_paused(timeout=120)
        yield {"vm": vm, "base": base, "end": end, "results": results(vm),
               "info_pci": vm.hmp("info pci"), "view": vm.cpu_view(base, end),
               "code_before": code_before, "code_after": vm.pmemsave(base, CODE)}


@pytest.fixture(scope="module")
def native(tmp_path_factory, under_shoji):
    """The same program on the same machine without shoji, aimed at the
    address shoji's region had."""
    sock = str(tmp_path_factory.mktemp("mon") / "m.sock")
    cmd = native_cmd("bar-attack", append=["iomem=relaxed",
                                           f"shoji.target={under_shoji['base']:#x}"],
                     edu=False, net=True, devices=DEVICES, monitor=sock, hold_on_reset=True)
    with LiveVM(cmd, monitor=sock, timeout=300) as vm:
        vm.wait_line(r"guest: bar-attack done", timeout=240)
        vm.wait_paused(timeout=120)
        yield {"vm": vm, "results": results(vm), "info_pci": vm.hmp("info pci")}


def test_attacks_land_natively(native, under_shoji):
    r = native["results"]
    assert set(r) == set(ATTACKS), native["vm"]
    for name in ATTACKS:
        assert r[name]["result"] == "moved", (name, r[name], native["vm"])
    # QEMU's own view: the decoders really are over the address.
    hits = decoders_over(native["info_pci"], under_shoji["base"], under_shoji["end"])
    assert len(hits) >= 4, native["info_pci"]


def test_every_attack_refused_under_shoji(under_shoji):
    r, vm = under_shoji["results"], under_shoji["vm"]
    assert set(r) == set(ATTACKS), vm
    for name in ATTACKS:
        assert r[name]["result"] == "refused", (name, r[name], vm)
    assert vm.has("guest: script=bar-attack status=ok"), vm
    refusals = [l for l in vm.out.splitlines() if "pci guard: refused guest write" in l]
    assert len(refusals) >= 5, vm
    assert all(l.endswith(": hypervisor-region") for l in refusals), refusals


def test_host_sees_no_decoder_over_the_region(under_shoji):
    """QEMU's 'info pci' (the machine's decoders, not shoji's report) has
    nothing over the region; the CPU's flat view there is RAM only."""
    hits = decoders_over(under_shoji["info_pci"], under_shoji["base"], under_shoji["end"])
    assert not hits, (hits, under_shoji["info_pci"])
    assert under_shoji["view"] and all(k == "ram" for _, _, k, _ in under_shoji["view"]), \
        under_shoji["view"]


def test_region_code_unchanged_from_the_host(under_shoji):
    assert under_shoji["code_before"] != bytes(CODE)
    assert under_shoji["code_after"] == under_shoji["code_before"]
