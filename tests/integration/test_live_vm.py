"""The host's view of a running machine (conftest.LiveVM): the QEMU monitor
answers, --hold-on-reset holds a powered-off guest so its RAM can be dumped,
and 'info mtree -f' shows what backs the hypervisor region. The security tests
take their truth from these, so they are tested on their own first."""
from conftest import LiveVM, native_cmd, shoji_cmd, num, VMLINUX, INITRD

MiB = 1 << 20


def test_native_power_off_is_held_and_ram_dumped(monitor_sock):
    """A native guest powers off; with hold_on_reset the VM pauses instead of
    ending, and its RAM still holds what the guest had (its kernel command
    line, with a marker only this run uses)."""
    marker = "shoji.livevm=held-7f3a"
    cmd = native_cmd("noop", append=[marker], edu=False, net=False,
                     monitor=monitor_sock, hold_on_reset=True)
    with LiveVM(cmd, monitor=monitor_sock) as vm:
        vm.wait_line(r"guest: noop uptime=", timeout=180)
        st = vm.wait_paused(timeout=120)
        assert "shutdown" in st, st
        ram = vm.pmemsave(0, 256 * MiB)
        assert marker.encode() in ram, "the guest's command line is not in its RAM dump"
        assert vm.proc.poll() is None, "QEMU ended although the power-off should hold it"


def test_shoji_region_is_ram_in_the_machine(monitor_sock):
    """Under shoji the hypervisor region is plain RAM in QEMU's flat view (what
    the CPU sees there), and its first page holds shoji's image (the host's
    dump, not shoji's report)."""
    cmd = shoji_cmd("--kernel", VMLINUX, "--initrd", INITRD,
                    "--append", "console=ttyS0 shoji.script=noop", timeout=240,
                    monitor=monitor_sock, hold_on_reset=True)
    with LiveVM(cmd, monitor=monitor_sock, timeout=240) as vm:
        m = vm.wait_line(r"shoji: hvregion base=(\S+) end=(\S+)", timeout=120)
        base, end = num(m.group(1)), num(m.group(2))
        vm.wait_line(r"guest: noop uptime=", timeout=240)
        covering = vm.cpu_view(base, end)
        assert covering, f"no CPU flat-view range over 0x{base:x}-0x{end:x}\n{vm.mtree()[:4000]}"
        assert all(kind == "ram" for _, _, kind, _ in covering), covering
        first = vm.pmemsave(base, 4096)
        assert first != bytes(4096), "the region's first page is empty in the host's dump"
