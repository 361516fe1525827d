"""VT-d: no device can DMA into the hypervisor (issue: VT-d). Proven with
QEMU's edu device attacking the hypervisor region under QEMU's own
intel-iommu model, each case checked by memory contents (checksums before and
after), not by the fault log alone."""
import pytest

from conftest import STOP_OK, num, run_shoji

EDU = "edu,dma_mask=0xffffffffffffffff,addr=0x3"
EDU_SID = "00:03.0"


@pytest.fixture(scope="module")
def protected():
    # 2 GiB so that a 1 GiB superpage boundary lies inside RAM.
    return run_shoji("--mem", "2G", "--device", EDU, "--cmdline", "selftest=dma",
                     timeout=120, expect_rc=0)


def parse_reach(text):
    """'0x0-0x1000:rw,...' -> [(start, end), ...]"""
    out = []
    for part in text.split(","):
        rng = part.split(":")[0]
        s, e = rng.split("-")
        out.append((num(s), num(e)))
    return out


def cases(boot):
    out = {}
    for r in boot.records("selftest dma"):
        if "case" in r:
            out[r["case"]] = r
    return out


def faults(boot):
    return [r for r in boot.records("warning: vtd fault")]


def test_iommu_comes_up(protected):
    b = protected
    assert b.has("shoji: iommu active units=1 levels=3"), b
    unit = b.record("vtd", "ver")
    assert unit["base"] == "0xfed90000" and unit["qi"] == "yes" and unit["coherent"] == "no"
    assert unit["pmr"] == "none"
    assert b.has("pmr=unsupported"), b          # QEMU's model has no PMRs: said so
    dom = [r for r in b.records("domain") if r.get("name") == "default"][0]
    hv = b.record("hvregion")
    base, end = num(hv["base"]), num(hv["end"])
    reach = parse_reach(dom["reach"])
    assert reach[0][0] == 0 and any(e == base for s, e in reach), reach
    assert any(s == end for s, e in reach), reach
    assert not any(s < end and base < e for s, e in reach), reach
    # Every device is attached, and none reaches into the region.
    devs = b.records("iommu device")
    assert devs and all(d["domain"] == "default" and d["unit"] == "0" for d in devs), b
    assert {d["_"][0] for d in devs} >= {"00:00.0", "00:1f.2", EDU_SID}


def test_every_case_passes(protected):
    b = protected
    s = b.record("selftest dma summary")
    assert num(s["failed"]) == 0, b
    assert num(s["passed"]) >= 11, b
    assert b.lines[-1] == STOP_OK


def test_write_into_hypervisor_blocked_and_logged(protected):
    c = cases(protected)["hv-write"]
    assert c["result"] == "blocked" and c["check"] == "unchanged", c
    assert c["fault"] == "yes" and c["reason"] == "0x05" and c["sid"] == EDU_SID, c
    # The fault line names edu, the address and the reason in words.
    f = [x for x in faults(protected) if x.get("sid") == EDU_SID and x["type"] == "write"]
    assert f and f[0]["reason"] == "0x05", protected
    assert num(f[0]["addr"]) == num(c["addr"]) & ~0xfff
    assert protected.has("(PTE write access not set)")


def test_read_from_hypervisor_blocked(protected):
    c = cases(protected)["hv-read"]
    assert c["result"] == "blocked" and c["check"] == "target-data-absent", c
    assert c["fault"] == "yes" and c["reason"] == "0x06", c


def test_ordinary_memory_works(protected):
    cs = cases(protected)
    for name in ("ram-write", "ram-read"):
        assert cs[name]["result"] == "allowed" and cs[name]["verdict"] == "pass", cs[name]
    assert cs["ram-write"]["check"] == "written"
    assert cs["ram-read"]["check"] == "target-data-read"


def test_region_edges(protected):
    cs = cases(protected)
    hv = protected.record("hvregion")
    base, end = num(hv["base"]), num(hv["end"])
    below, above = cs["below-last-page"], cs["above-first-page"]
    assert num(below["addr"]) == base - 4096 and below["result"] == "allowed", below
    assert num(above["addr"]) == end and above["result"] == "allowed", above
    first, last = cs["hv-first-bytes"], cs["hv-last-bytes"]
    assert num(first["addr"]) == base and first["result"] == "blocked", first
    assert num(last["addr"]) + num(last["len"]) == end and last["result"] == "blocked", last
    s = cs["straddle-start"]
    assert s["result"] == "blocked" and s["check"] == "head-written-guard-unchanged", s


def test_superpage_boundaries(protected):
    cs = cases(protected)
    for name, align in (("cross-2m", 1 << 21), ("cross-1g", 1 << 30)):
        c = cs[name]
        a = num(c["addr"])
        assert a // align != (a + num(c["len"]) - 1) // align, c   # really crosses
        assert c["result"] == "allowed" and c["check"] == "written", c


def test_without_iommu_the_attack_succeeds():
    b = run_shoji("--device", EDU, "--cmdline", "selftest=dma iommu=off", timeout=120)
    assert b.has("iommu=off: DMA protection is OFF"), b
    c = cases(b)["hv-write"]
    assert c["expect"] == "allowed" and c["result"] == "allowed", c
    assert c["check"] == "written" and c["fault"] == "no", c
    assert cases(b)["hv-read"]["check"] == "target-data-read"
    assert b.rc == 0, b


def test_fail_closed_without_dmar():
    b = run_shoji("--iommu", "none", expect_rc=1)
    assert b.has("shoji: error: iommu: no DMAR table"), b
    assert b.has("stopping: no DMA protection"), b


def test_iommu_off_must_be_explicit():
    b = run_shoji("--iommu", "none", "--cmdline", "iommu=off", expect_rc=0)
    assert b.has("iommu=off: DMA protection is OFF"), b
