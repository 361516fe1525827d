"""Interrupts the guest can program, virtualised (issue 10): VT-d interrupt
remapping with shoji's table, the MSI capability of every PCI function, the
MSI-X tables and the IOAPIC's redirection entries checked before they reach
a remapping entry. The attack program (guest/src/irq-attack.c, script irq)
forges INIT, NMI, SMI, ExtINT, start-up and foreign-destination interrupts
with the edu device (by MSI and by the IOAPIC pin of its INTx) and with an
e1000e's MSI-X table (its transmit vector); natively they
reach the CPU (an INIT resets the machine, NMIs are counted), under shoji
they are refused, logged with the device, and nothing reaches the CPU:
the guest goes on, VMMCALL status answers after each, the guest's NMI count
stays 0, and QEMU's own IOMMU model reports the blocked request (a
not-present remapping entry).

The shoji boot runs on both IOMMUs (`--iommu intel|amd`, the `attacked`
fixture's parameter): VT-d with one shared IRTE table (QEMU's witness:
`vtd_irte_get: detected non-present IRTE`), AMD-Vi with a table per
requester ID and the IOAPIC's own table indexed by the guest's vectors
(QEMU's witness: its `amdvi_ir_*` trace, which shows every message the
IOAPIC sent, under its requester ID 00:14.0, and what the table made of
it). The natives need no IOMMU; the monitor test and the bridge test stay
on VT-d (GSTS and SVT=10 are VT-d's; AMD-Vi has no bus-range check, it
takes the IVRS alias)."""
import os
import re
import subprocess

import pytest

from conftest import BUILD, LiveVM, native_cmd, run_shoji, shoji_cmd

VMLINUX = os.path.join(BUILD, "guest", "vmlinux")
INITRD = os.path.join(BUILD, "guest", "initrd.cpio.gz")
FORBIDDEN = ("init", "nmi", "smi", "extint", "startup")
E1000E = ["-netdev", "user,id=n1,restrict=on", "-device", "e1000e,netdev=n1"]


def guest_lines(text, prefix):
    out = []
    for l in text.splitlines():
        i = l.find("guest: " + prefix)
        if i >= 0:
            out.append(dict(re.findall(r"(\S+?)=(\S*)", l[i:])))
    return out


# What differs between the two IOMMUs' machines: where QEMU puts the edu and
# the e1000e (amd-iommu is itself 00:01.0), the IOAPIC's requester ID (the
# DMAR's scope / the IVRS special entry) and QEMU's witness of a refusal.
IOMMU = {
    "intel": dict(edu="00:01.0", nic="00:02.0", ioapic_sid="ff:00.0", args=()),
    "amd": dict(edu="00:02.0", nic="00:03.0", ioapic_sid="00:14.0",
                args=("--iommu", "amd", "--qemu-arg=-trace", "--qemu-arg=amdvi_ir_target_abort",
                      "--qemu-arg=-trace", "--qemu-arg=amdvi_ir_remap_msi*")),
}


def shoji_irq(attacks, *extra, timeout=240):
    return run_shoji("--kernel", VMLINUX, "--initrd", INITRD, "--append",
                     f"console=ttyS0 iomem=relaxed shoji.script=irq shoji.irq={'+'.join(attacks)}",
                     "--edu", "--qemu-arg=-netdev", "--qemu-arg=user,id=n1,restrict=on",
                     "--device", "e1000e,netdev=n1", *extra, timeout=timeout, expect_rc=0)


class Native:
    def __init__(self, out, rc):
        self.out, self.rc = out, rc

    def __repr__(self):
        return f"rc={self.rc}\n" + "\n".join(self.out.splitlines()[-60:])

    def guest(self, prefix):
        return guest_lines(self.out, prefix)

    def one(self, prefix, **want):
        recs = [r for r in self.guest(prefix) if all(r.get(k) == v for k, v in want.items())]
        assert recs, f"no 'guest: {prefix}' line with {want}\n{self}"
        return recs[0]


def native_irq(attacks, timeout=150):
    """The same guest and attacks without shoji (and without an IOMMU)."""
    cmd = native_cmd("irq", append=["iomem=relaxed", f"shoji.irq={'+'.join(attacks)}"],
                     net=False, qemu_args=E1000E)
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout, errors="replace")
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"native guest did not stop within {timeout} s: {e.stdout}")
    return Native(p.stdout + p.stderr, p.returncode)


# Natively, each way works: the attack is real.

def test_native_nmi_by_msi_ioapic_msix_and_dma_reaches_the_cpu():
    r = native_irq(["msi:nmi:0", "ioapic:nmi:0", "dma:nmi:0", "msix:nmi:0"])
    r.one("irq dhcp", driver="e1000e", status="ok")
    done = {d["source"]: d for d in r.guest("irq-attack done")}
    assert set(done) == {"msi", "ioapic", "dma", "msix"}, r
    for src, d in done.items():
        # at least one: the e1000e's datagram and its forced cause may both fire
        assert int(d["nmi_after"]) >= int(d["nmi_before"]) + 1, (src, r)
    r.one("irq all-done")


@pytest.mark.parametrize("source", ["msi", "ioapic", "msix"])
def test_native_init_resets_the_machine(source):
    r = native_irq([f"{source}:init:0", f"{source}:fixed:0"])
    r.one("irq-attack sent", source=source, mode="init")
    assert not r.guest("irq-attack done"), r     # the CPU was reset under the program
    assert not r.guest("irq all-done"), r


# Under shoji: refused, logged, nothing reaches the CPU, shoji answers.

class Attacked:
    """The shoji boot under attack on one IOMMU: the Boot and its machine."""

    def __init__(self, iommu, boot):
        self.iommu, self.boot, self.m = iommu, boot, IOMMU[iommu]


@pytest.fixture(scope="module", params=["intel", "amd"])
def attacked_on(request):
    attacks = [f"{s}:{m}:0" for s in ("msi", "ioapic", "msix") for m in FORBIDDEN]
    attacks += ["msi:fixed:2", "ioapic:fixed:2", "msix:fixed:2", "msi:fixed:0:0xe0",
                "ioapic:fixed:0:0xdf"]
    # Two CPUs, both the guest's (docs/smp.md): APIC id 2 is nobody's.
    return Attacked(request.param,
                    shoji_irq(attacks, "--smp", "2", *IOMMU[request.param]["args"]))


@pytest.fixture(scope="module")
def attacked(attacked_on):
    return attacked_on.boot


def test_remapping_on_with_compat_format_blocked(attacked_on):
    b, m = attacked_on.boot, attacked_on.m
    on = b.record("irq remap on")
    assert on["mode"] == "xapic", b
    if attacked_on.iommu == "intel":
        assert on["compat_format"] == "blocked", b
    else:
        assert on["backend"] == "amdvi" and on["tables"] == "per-device", b
        assert on["ioapic"] == "vector-indexed", b
        tables = {r["devid"]: r for r in b.records("amdvi irq table")}
        assert "00:1f.2" in tables and m["edu"] in tables, b   # AHCI, edu
        assert "00:01.0" not in tables, b                      # the IOMMU itself: hidden
        io = tables[m["ioapic_sid"]]                           # the IVRS special entry
        assert io["entries"] == "512" and io["ioapic"] == "yes", b
        assert not b.has("does not take IOAPIC entries"), b
    msi = {r["device"]: r for r in b.records("msi virt")}
    assert "00:1f.2" in msi and m["edu"] in msi, b        # AHCI and edu
    assert msi[m["edu"]]["source"] == "rid"
    msix = b.record("msix virt")
    assert msix["entries"] == "5" and msix["bar"] == "3", b      # the e1000e
    assert b.has(f"npt hole msix-table {msix['table']}-"), b   # only the table's page
    io = b.record("ioapic virt")
    assert io["pins"] == "24" and io["sid"] == m["ioapic_sid"], b
    assert b.has("guest interrupts: ") and b.record("guest interrupts:")["ioapics"] == "1", b


@pytest.mark.parametrize("source", ["msi", "ioapic", "msix"])
def test_forbidden_modes_refused_and_nothing_reaches_the_cpu(attacked_on, source):
    b, m = attacked_on.boot, attacked_on.m
    refused = [r for r in b.records("warning: irq refused") if r["source"] == source]
    dm = {"init": "INIT", "nmi": "NMI", "smi": "SMI", "extint": "ExtINT", "startup": "start-up"}
    want_dev = {"msi": m["edu"], "msix": m["nic"] + "-entry1"}.get(source)
    for mode in FORBIDDEN:
        hits = [r for r in refused if r["delivery"] == dm[mode]]
        assert hits, (mode, b)
        if want_dev:
            assert hits[0]["device"] == want_dev, b
        else:
            assert hits[0]["device"].startswith("ioapic0-pin"), b
        alive = guest_lines(b.out, f"irq alive after={source}:{mode}:0 ")
        assert alive and alive[0]["shoji"] == "ok" and alive[0]["rc"] == "0", (mode, b)
        assert int(alive[0]["irq_refused"]) >= 1, (mode, b)     # VMMCALL status counts it
    # The guest reads back what it wrote (the device holds shoji's message).
    done = [d for d in guest_lines(b.out, "irq-attack done") if d["source"] == source]
    assert all(int(d["nmi_after"]) == 0 for d in done), b
    if source in ("msi", "msix"):
        init = [d for d in done if d["mode"] == "init"][0]
        assert init["readback_addr"] == "0xfee00000" and init["readback_data"] == "0x530", b
    counts = guest_lines(b.out, "irq-attack nmis")
    assert [c["count"] for c in counts] == ["0", "0"], b


def test_foreign_destination_refused(attacked):
    b = attacked
    foreign = [l for l in b.lines if "irq refused" in l and "dest=0x02" in l]
    assert len(foreign) == 3, b
    assert all('reason="destination is not a CPU of the guest' in l for l in foreign), b
    assert {"source=msi", "source=ioapic", "source=msix"} <= {w for l in foreign for w in l.split()}, b


def test_blocked_requests_reach_qemu_iommu_as_not_present_entries(attacked_on):
    # The truth from QEMU's own model: the edu's MSI went to shoji's handle,
    # whose entry is not present, and the unit dropped it.
    b = attacked_on.boot
    if attacked_on.iommu == "intel":
        assert "vtd_irte_get: detected non-present IRTE" in b.err + b.out, b
    else:
        assert "amdvi_ir_target_abort RemapEn is disabled" in b.err + b.out, b


AMDVI_REQ = re.compile(r"amdvi_ir_remap_msi_req addr (0x[0-9a-f]+) data (0x[0-9a-f]+) "
                       r"devid (0x[0-9a-f]+)")
AMDVI_OUT = re.compile(r"amdvi_ir_remap_msi \(addr (0x[0-9a-f]+), data (0x[0-9a-f]+)\) -> "
                       r"\(addr (0x[0-9a-f]+), data (0x[0-9a-f]+)\)")


def amdvi_messages(text, devid):
    """(data, translated address, translated data or None when refused) of
    every message QEMU's amd-iommu took from requester `devid`: each request
    line, then its result line when the remapping succeeded (both printed in
    one call, under QEMU's global lock)."""
    out, cur = [], None
    for line in text.splitlines():
        m = AMDVI_REQ.search(line)
        if m:
            cur = None
            if int(m.group(3), 16) == devid:
                cur = [int(m.group(2), 16), None, None]
                out.append(cur)
            continue
        m = AMDVI_OUT.search(line)
        if m and cur is not None and int(m.group(2), 16) == cur[0]:
            cur[1], cur[2] = int(m.group(3), 16), int(m.group(4), 16)
            cur = None
    return out


@pytest.mark.parametrize("attacked_on", ["amd"], indirect=True)
def test_amdvi_ioapic_messages_go_through_its_table(attacked_on):
    """QEMU's amd-iommu trace: every message the IOAPIC sent (requester ID
    00:14.0 = 0xa0) and what its remapping table made of it. The forged
    entries never reached the pin: no INIT, NMI, SMI, start-up or ExtINT
    message came from the IOAPIC, only fixed (000b) and a vector's second
    entry (001b); each came out with the vector of the entry it named (the
    guest's own: EOIs match natively), the guest's fixed entry at 0xdf as
    vector 0xdf to APIC id 0, and none was refused."""
    b = attacked_on.boot
    msgs = amdvi_messages(b.err + b.out, 0xa0)
    assert msgs, b
    assert {d >> 8 & 7 for d, _, _ in msgs} <= {0, 1}, sorted({hex(d) for d, _, _ in msgs})
    assert all(od is not None and od & 0xff == d & 0xff for d, _, od in msgs), \
        [(hex(d), od) for d, _, od in msgs if od is None or od & 0xff != d & 0xff][:5]
    mine = [(oa, od) for d, oa, od in msgs if d == 0xdf]
    assert mine and all(oa == 0xfee00000 and od & 0x7ff == 0xdf for oa, od in mine), mine


def test_allowed_interrupts_are_delivered_through_remapping(attacked):
    # Fixed interrupts to the guest's CPU pass: the kernel sees the vector
    # it asked for (it has no handler for 0xe0/0xdf and says so: 224, 223).
    b = attacked
    assert not [r for r in b.records("warning: irq refused") if r["vector"] in ("0xe0", "0xdf")], b
    assert b.has("0.224 No irq handler for vector"), b
    assert b.has("0.223 No irq handler for vector"), b
    assert b.has("guest: irq all-done"), b


def test_msix_nic_works_through_remapping(attacked):
    # DHCP over the e1000e with MSI-X, before the attacks, and its transmit
    # vector still counting after the entry was attacked and restored.
    b = attacked
    d = guest_lines(b.out, "irq dhcp")
    assert d and d[0]["driver"] == "e1000e" and d[0]["status"] == "ok", b
    tx = [l for l in b.lines if "guest: irq interrupts" in l and "eth0-tx-0" in l]
    assert tx and int(tx[0].split()[4]) > 0, b


def xp32(vm, addr):
    """A dword of the machine's physical address space, read by QEMU itself."""
    out = vm.hmp(f"xp /1wx {addr:#x}")
    m = re.search(r":\s*(0x[0-9a-f]+)", out)
    assert m, out
    return int(m.group(1), 16)


def test_host_view_while_forged_entries_are_in_place(monitor_sock):
    """The truth from QEMU while the guest's INIT entries are programmed: the
    unit's GSTS (IRES set, CFIS clear), the edu's MSI registers in ECAM
    (shoji's remappable message, not the guest's), and the IOAPIC's pin as
    QEMU's own 'info pic' shows it (masked, remappable format, delivery
    mode 0) although the guest reads back its INIT entry."""
    cmd = shoji_cmd("--kernel", VMLINUX, "--initrd", INITRD, "--append",
                    "console=ttyS0 iomem=relaxed shoji.script=irq shoji.irqhold=20 "
                    "shoji.irq=msi:init:0+ioapic:init:0", "--edu", timeout=300,
                    monitor=monitor_sock)
    with LiveVM(cmd, monitor=monitor_sock, timeout=300) as vm:
        vm.wait_line(r"guest: irq-attack holding", timeout=240)
        gsts = xp32(vm, 0xfed90000 + 0x1c)
        assert gsts & (1 << 25), f"IRES clear: gsts={gsts:#x}"
        assert not gsts & (1 << 23), f"CFIS set: compatibility format allowed, gsts={gsts:#x}"
        ecam = 0xb0000000 + (1 << 15)              # 00:01.0, QEMU q35's MMCONFIG
        assert xp32(vm, ecam) & 0xffff == 0x1234, "edu not at 00:01.0"
        addr, data = xp32(vm, ecam + 0x44), xp32(vm, ecam + 0x4c) & 0xffff
        assert addr & 0xfff00000 == 0xfee00000 and addr & 0x10, f"not remappable: {addr:#x}"
        assert data & 0x700 == 0, f"device data {data:#x} carries a delivery mode"
        m = vm.wait_line(r"guest: irq-attack done source=msi .*readback_addr=(\S+) "
                         r"readback_data=(\S+)", timeout=60)
        assert (m.group(1), m.group(2)) == ("0xfee00000", "0x530"), m.group(0)
        m = vm.wait_line(r"guest: irq-attack sent source=ioapic .* gsi=(\d+)", timeout=60)
        pin = int(m.group(1))
        sent = next(i for i, l in enumerate(list(vm.lines)) if "irq-attack sent source=ioapic" in l)
        vm.wait_line(r"guest: irq-attack holding", timeout=60, start=sent + 1)
        pic = vm.hmp("info pic")
        line = [l for l in pic.splitlines() if re.match(rf"\s*pin {pin}\s", l)]
        assert line, pic
        entry = int(line[0].split()[2], 16)
        assert entry & (1 << 16), f"pin {pin} unmasked in the hardware: {line[0]}"
        assert entry & (1 << 48), f"pin {pin} not in remappable format: {line[0]}"
        assert entry & 0x700 == 0, f"pin {pin} carries a delivery mode: {line[0]}"
        m = vm.wait_line(r"guest: irq-attack done source=ioapic .*readback_lo=(\S+)", timeout=60)
        assert m.group(1) == "0x530", m.group(0)      # the guest reads back its INIT entry
        vm.wait_line(r"guest: irq all-done", timeout=120)
    assert "shoji: warning: irq refused source=ioapic" in vm.out


def test_device_behind_pcie_to_pci_bridge_uses_the_bus_range_check():
    """Source-ID verification with a bridge's alias: an edu behind QEMU's
    PCIe-to-PCI bridge gets SVT=10 over the bridge's buses (QEMU's model
    checks it on every request); its MSI at a fixed vector arrives, an NMI
    does not."""
    b = run_shoji("--kernel", VMLINUX, "--initrd", INITRD, "--append",
                  "console=ttyS0 iomem=relaxed shoji.script=irq shoji.irq=msi:fixed:0:0xe0+msi:nmi:0",
                  "--device", "pcie-pci-bridge,id=br1,bus=pcie.0,addr=0x7",
                  "--device", "edu,bus=br1,addr=0x1,dma_mask=0xffffffffffffffff",
                  timeout=240, expect_rc=0)
    msi = {r["device"]: r for r in b.records("msi virt")}
    assert msi["01:01.0"]["source"] == "bus-range", b
    assert msi["00:07.0"]["source"] == "rid", b           # the bridge itself
    assert b.has("0.224 No irq handler for vector"), b    # delivered: the check passed
    assert "SID validation" not in b.err + b.out, b
    assert [r for r in b.records("warning: irq refused") if r["device"] == "01:01.0"
            and r["delivery"] == "NMI"], b
    # QEMU's model shows the entry's source check: SVT=10 (bit 19), buses 01-01.
    assert "high=0x80101" in b.err + b.out, b
