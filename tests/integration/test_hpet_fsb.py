"""HPET FSB interrupts (issue 10): QEMU 7.2's HPET with `-global hpet.msi=on`
offers FSB delivery on its timers (Tn_FSB_INT_DEL_CAP) and writes the
timer's message (Tn_FSB_INT_VAL to Tn_FSB_INT_ADDR) straight to system
memory, not through the IOMMU: only shoji's trap on the HPET's page can stop
it. The attack program (guest/src/irq-attack.c, `hpet`) programs a free
timer's FSB route through /dev/mem with the delivery mode and destination it
is given, enables FSB delivery and fires the timer once. Natively an INIT
message resets the machine and an NMI is counted; under shoji the route is
refused (the timer stays off), logged with the timer, shoji's VMMCALL status
answers, and a fixed-mode route to the guest's CPU still delivers its
vector."""
import subprocess

import pytest

from conftest import native_cmd
from test_irq_remap import INITRD, VMLINUX, Native, guest_lines
from conftest import run_shoji

HPET_MSI = ["-global", "hpet.msi=on"]


def native_hpet(attacks, timeout=150):
    cmd = native_cmd("irq", append=["iomem=relaxed", f"shoji.irq={'+'.join(attacks)}"],
                     net=False, qemu_args=HPET_MSI)
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout, errors="replace")
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"native guest did not stop within {timeout} s: {e.stdout}")
    return Native(p.stdout + p.stderr, p.returncode)


def test_native_hpet_fsb_nmi_and_fixed_reach_the_cpu_and_init_resets():
    r = native_hpet(["hpet:fixed:0:0xe1", "hpet:nmi:0", "hpet:init:0", "hpet:fixed:0:0xe2"])
    fixed = r.one("irq-attack done", source="hpet", mode="fixed")
    assert int(fixed["readback_cfg"], 16) & 0x4004 == 0x4004, r      # FSB on, as written
    assert "0.225 No irq handler for vector" in r.out, r             # the vector arrived
    nmi = r.one("irq-attack done", source="hpet", mode="nmi")
    assert int(nmi["nmi_after"]) >= int(nmi["nmi_before"]) + 1, r
    r.one("irq-attack sent", source="hpet", mode="init")
    # The INIT reset the CPU under the program: nothing after it ran.
    assert not [d for d in r.guest("irq-attack done") if d.get("mode") == "init"], r
    assert "0.226 No irq handler for vector" not in r.out, r
    assert not r.guest("irq all-done"), r


def test_hpet_fsb_forged_messages_refused_and_fixed_delivered():
    b = run_shoji("--kernel", VMLINUX, "--initrd", INITRD, "--append",
                  "console=ttyS0 iomem=relaxed shoji.script=irq "
                  "shoji.irq=hpet:fixed:0:0xe1+hpet:nmi:0+hpet:init:0+hpet:smi:0+hpet:fixed:2"
                  "+hpet:fixed:0:0xe2",
                  "--edu", "--qemu-arg=-global", "--qemu-arg=hpet.msi=on",
                  timeout=240, expect_rc=0)
    v = b.record("hpet virt")
    # QEMU's DMAR names no HPET: the checked route goes out in compatibility format.
    assert v["base"] == "0xfed00000" and v["format"] == "compat", b
    assert int(v["fsb_timers"]) >= 1, b
    refused = [r for r in b.records("warning: irq refused") if r["source"] == "hpet"]
    asked = {(r["delivery"], r["dest"]) for r in refused}
    assert {("NMI", "0x00"), ("INIT", "0x00"), ("SMI", "0x00"), ("fixed", "0x02")} <= asked, b
    assert all(r["device"].startswith("hpet0-timer") for r in refused), b
    for a in ("hpet:nmi:0", "hpet:init:0", "hpet:smi:0", "hpet:fixed:2"):
        alive = guest_lines(b.out, f"irq alive after={a} ")
        assert alive and alive[0]["shoji"] == "ok" and alive[0]["rc"] == "0", (a, b)
        assert int(alive[0]["irq_refused"]) >= 1, (a, b)
    done = {d["mode"] + d.get("dest", ""): d for d in guest_lines(b.out, "irq-attack done")
            if d["source"] == "hpet"}
    nmi = [d for d in guest_lines(b.out, "irq-attack done") if d["mode"] == "nmi"][0]
    assert int(nmi["nmi_after"]) == int(nmi["nmi_before"]) == 0, b
    # The hardware timer stayed off for the refused ones (FSB and interrupt enable clear).
    init = [d for d in guest_lines(b.out, "irq-attack done") if d["mode"] == "init"][0]
    assert int(init["readback_cfg"], 16) & 0x4004 == 0, b
    assert done, b
    # Fixed to the guest's CPU: delivered, before and after the attacks.
    assert b.has("0.225 No irq handler for vector"), b
    assert b.has("0.226 No irq handler for vector"), b
    assert b.has("guest: irq all-done"), b
