/* DMA self-test with QEMU's edu device (QEMU docs/specs/edu.txt):
 * BAR0 registers 0x80 source, 0x88 destination, 0x90 count, 0x98 command
 * (bit 0 start/busy, bit 1 direction: 0 = the device reads RAM into its
 * buffer at 0x40000, 1 = the device writes its buffer to RAM). Transfers
 * stay below 4096 bytes (a 4096-byte one aborts QEMU 7.2).
 *
 * Each case prints one line that the integration tests assert:
 *   selftest dma case=hv-write dir=write addr=0x.. len=N expect=blocked
 *       result=blocked fault=yes reason=0x05 sid=00:03.0 check=unchanged verdict=pass
 * "blocked" is judged from memory contents (checksums before and after),
 * never from the fault log alone; the fault is checked separately. */
#include "core/selftest_dma.h"
#include "iommu/iommu.h"
#include "iommu/fault.h"
#include "lib/deadline.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "lib/string.h"
#include "platform/palloc.h"
#include "platform/pci.h"

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_REG_ID 0x00
#define EDU_REG_DMA_SRC 0x80
#define EDU_REG_DMA_DST 0x88
#define EDU_REG_DMA_CNT 0x90
#define EDU_REG_DMA_CMD 0x98
#define EDU_CMD_START 0x1
#define EDU_CMD_TO_RAM 0x2
#define EDU_BUF 0x40000ULL
#define EDU_DMA_TIMEOUT_US 3000000ULL	/* edu runs each DMA from a 100 ms timer */
#define CHUNK 256			/* bytes per case unless stated */

enum dir { DEV_READS_RAM = 0, DEV_WRITES_RAM = 1 };

struct ctx {
	paddr_t bar;
	uint16_t sid;
	const struct boot_info *bi;
	paddr_t hv_base, hv_end;
	paddr_t staging;	/* 2 pages of ordinary memory for moving data */
	bool protected_;
	unsigned unreported;	/* blocked cases the IOMMU reported no fault for */
	int passed, failed, skipped;
};

static bool edu_idle(void *arg)
{
	const struct ctx *c = arg;

	return !(hal_mmio_read32(c->bar + EDU_REG_DMA_CMD) & EDU_CMD_START);
}

/* One DMA; E_TIMEOUT if edu never finished (then the test has failed). */
static int edu_dma(struct ctx *c, enum dir d, paddr_t ram, uint64_t buf_off, uint32_t len)
{
	hal_mmio_write64(c->bar + EDU_REG_DMA_SRC, d == DEV_READS_RAM ? ram : EDU_BUF + buf_off);
	hal_mmio_write64(c->bar + EDU_REG_DMA_DST, d == DEV_READS_RAM ? EDU_BUF + buf_off : ram);
	hal_mmio_write64(c->bar + EDU_REG_DMA_CNT, len);
	hal_mmio_write64(c->bar + EDU_REG_DMA_CMD,
			 EDU_CMD_START | (d == DEV_WRITES_RAM ? EDU_CMD_TO_RAM : 0));
	return wait_until(edu_idle, c, EDU_DMA_TIMEOUT_US) ? 0 : E_TIMEOUT;
}

static uint64_t checksum(paddr_t pa, size_t len)
{
	const uint8_t *p = hal_phys_to_virt(pa);
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

static void fill(paddr_t pa, size_t len, uint8_t seed)
{
	uint8_t *p = hal_phys_to_virt(pa);

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static bool is_fill(paddr_t pa, size_t len, uint8_t seed)
{
	const uint8_t *p = hal_phys_to_virt(pa);

	for (size_t i = 0; i < len; i++)
		if (p[i] != (uint8_t)(seed + i * 7))
			return false;
	return true;
}

/* Puts a known pattern into edu's buffer at buf_off (through staging). */
static int load_edu(struct ctx *c, uint64_t buf_off, uint32_t len, uint8_t seed)
{
	fill(c->staging, len, seed);
	return edu_dma(c, DEV_READS_RAM, c->staging, buf_off, len);
}

/* The first fault from edu since `since`, if any. */
static bool edu_fault_since(struct ctx *c, uint64_t since, struct fault_event *ev)
{
	iommu_poll_faults();
	for (uint64_t s = since + 1; s <= fault_ring_seq(); s++)
		if (fault_ring_get(s, ev) && ev->f.sid == c->sid)
			return true;
	return false;
}

static void report(struct ctx *c, const char *name, enum dir d, paddr_t addr, uint32_t len,
		   bool expect_blocked, bool blocked, bool faulted, const struct fault_event *ev,
		   const char *check, bool ok)
{
	/* A blocked access must have faulted, where the IOMMU reports faults
	 * at all (iommu_faults_reported: an AMD-Vi unit whose event log never
	 * delivered an entry does not; the memory checks still decide). */
	bool unreported = expect_blocked && !faulted && c->protected_ && !iommu_faults_reported();

	ok = ok && blocked == expect_blocked &&
	     (faulted == expect_blocked || !c->protected_ || unreported);
	if (unreported)
		c->unreported++;
	if (ok)
		c->passed++;
	else
		c->failed++;
	log_info("selftest dma case=%s dir=%s addr=0x%llx len=%u expect=%s result=%s fault=%s "
		 "reason=0x%02x sid=%02x:%02x.%x check=%s verdict=%s", name,
		 d == DEV_WRITES_RAM ? "write" : "read", (unsigned long long)addr, len,
		 expect_blocked ? "blocked" : "allowed", blocked ? "blocked" : "allowed",
		 faulted ? "yes" : unreported ? "unreported" : "no", faulted ? ev->f.reason : 0, c->sid >> 8,
		 (c->sid >> 3) & 0x1f, c->sid & 7, check, ok ? "pass" : "fail");
}

/* The device writes a pattern to [addr, addr+len). The bytes from
 * guard_off on are the protected part: "blocked" means they are unchanged.
 * Bytes before guard_off (a straddling write) must receive the pattern. */
static void case_write_guarded(struct ctx *c, const char *name, paddr_t addr, uint32_t len,
			       uint32_t guard_off, bool expect_blocked)
{
	paddr_t guard = addr + guard_off;
	uint32_t glen = len - guard_off;
	uint64_t before, seq;
	struct fault_event ev;
	bool blocked, faulted, landed, head_ok;

	if (load_edu(c, 0, len, 0x5a)) {
		report(c, name, DEV_WRITES_RAM, addr, len, expect_blocked, false, false, &ev,
		       "edu-timeout", false);
		return;
	}
	/* Scratch targets start out different from the pattern, so "written"
	 * means this DMA wrote them. Protected bytes are left as they are. */
	if (guard_off)
		fill(addr, guard_off, 0x99);
	else if (!expect_blocked)
		fill(addr, len, 0x99);
	before = checksum(guard, glen);
	seq = fault_ring_seq();
	if (edu_dma(c, DEV_WRITES_RAM, addr, 0, len)) {
		report(c, name, DEV_WRITES_RAM, addr, len, expect_blocked, false, false, &ev,
		       "edu-timeout", false);
		return;
	}
	head_ok = guard_off == 0 || is_fill(addr, guard_off, 0x5a);
	landed = is_fill(addr, len, 0x5a);
	blocked = checksum(guard, glen) == before;
	faulted = edu_fault_since(c, seq, &ev);
	report(c, name, DEV_WRITES_RAM, addr, len, expect_blocked, blocked && !landed, faulted,
	       &ev, blocked ? (guard_off ? "head-written-guard-unchanged" : "unchanged")
			    : landed ? "written" : "changed",
	       head_ok && (expect_blocked ? blocked : landed));
}

static void case_write(struct ctx *c, const char *name, paddr_t addr, uint32_t len,
		       bool expect_blocked)
{
	case_write_guarded(c, name, addr, len, 0, expect_blocked);
}

/* The device reads addr (which holds a secret pattern the caller put
 * there, or whatever is there); its buffer is then copied out to staging.
 * Blocked = nothing of the target reached the device. */
static void case_read(struct ctx *c, const char *name, paddr_t addr, uint32_t len,
		      bool expect_blocked)
{
	uint64_t target = checksum(addr, len), seq;
	struct fault_event ev;
	bool got_target, faulted;

	if (load_edu(c, 0, len, 0xa5))
		goto timeout;
	seq = fault_ring_seq();
	if (edu_dma(c, DEV_READS_RAM, addr, 0, len))
		goto timeout;
	faulted = edu_fault_since(c, seq, &ev);
	fill(c->staging, len, 0x11);
	if (edu_dma(c, DEV_WRITES_RAM, c->staging, 0, len))
		goto timeout;
	got_target = checksum(c->staging, len) == target;
	report(c, name, DEV_READS_RAM, addr, len, expect_blocked, !got_target, faulted, &ev,
	       got_target ? "target-data-read" : "target-data-absent", true);
	return;
timeout:
	report(c, name, DEV_READS_RAM, addr, len, expect_blocked, false, false, &ev,
	       "edu-timeout", false);
}

static void skip(struct ctx *c, const char *name, const char *why)
{
	c->skipped++;
	log_info("selftest dma case=%s verdict=skipped why=\"%s\"", name, why);
}

/* Ordinary RAM the test may scribble on: usable, and clear of the region,
 * the boot modules and the loader's information. */
static bool scratch_ok(const struct ctx *c, paddr_t a, uint64_t len)
{
	bool usable = false;

	for (unsigned i = 0; i < c->bi->mem.n; i++) {
		const struct mem_range *r = &c->bi->mem.r[i];

		if (r->type == MEM_USABLE && a >= r->base && a + len <= r->end)
			usable = true;
	}
	if (!usable || a < MiB(1))
		return false;
	if (a < c->hv_end && a + len > c->hv_base)
		return false;
	if (a < c->bi->info_end && a + len > c->bi->info_base)
		return false;
	for (unsigned i = 0; i < c->bi->n_modules; i++)
		if (a < c->bi->modules[i].end && a + len > c->bi->modules[i].start)
			return false;
	return true;
}

/* The lowest boundary of `align` inside scratch RAM (both sides). */
static paddr_t find_boundary(const struct ctx *c, uint64_t align, uint64_t not_align)
{
	for (paddr_t b = align; b < GiB(4); b += align)
		if ((!not_align || b % not_align) && scratch_ok(c, b - PAGE_SIZE, 2 * PAGE_SIZE))
			return b;
	return 0;
}

static int find_edu(struct ctx *c)
{
	for (const struct pci_device *d = pci_first(); d; d = pci_next(d)) {
		if (d->vendor != EDU_VENDOR || d->device != EDU_DEVICE)
			continue;
		if (d->bars[0].type != PCI_BAR_MEM32 && d->bars[0].type != PCI_BAR_MEM64)
			return E_NOENT;
		c->bar = d->bars[0].addr;
		c->sid = pci_bdf_sid(d->bdf);
		pci_cfg_write16(d->bdf, PCI_COMMAND,
				PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
		return 0;
	}
	return E_NOENT;
}

int selftest_dma(const struct boot_info *bi, paddr_t hv_base, paddr_t hv_end, bool protected_)
{
	struct ctx c = { .bi = bi, .hv_base = hv_base, .hv_end = hv_end, .protected_ = protected_ };
	paddr_t secret, b;
	bool blocked = protected_;

	log_info("selftest dma start iommu=%s", protected_ ? "on" : "off");
	if (find_edu(&c)) {
		log_error("selftest dma: no edu device (add -device edu,dma_mask=0xffffffffffffffff)");
		return 1;
	}
	/* Staging pages: scratch RAM well away from the region and from the
	 * boundaries the edge cases use. */
	for (b = MiB(32) + PAGE_SIZE; b < GiB(4); b += MiB(2))
		if (scratch_ok(&c, b, 2 * PAGE_SIZE) &&
		    (b + 2 * PAGE_SIZE + MiB(2) <= hv_base || b >= hv_end + MiB(2)))
			break;
	if (b >= GiB(4) || palloc_alloc(1, PAGE_SIZE, &secret)) {
		log_error("selftest dma: no scratch memory");
		return 1;
	}
	c.staging = b;

	/* 1, 2: the hypervisor region, through a page of its own that holds a
	 * secret pattern. */
	fill(secret, PAGE_SIZE, 0xc3);
	case_write(&c, "hv-write", secret, CHUNK, blocked);
	fill(secret, PAGE_SIZE, 0xc3);
	case_read(&c, "hv-read", secret, CHUNK, blocked);

	/* 3: ordinary memory works, with the right data. */
	case_write(&c, "ram-write", c.staging + PAGE_SIZE, 4095, false);
	fill(c.staging + PAGE_SIZE, PAGE_SIZE, 0x77);
	case_read(&c, "ram-read", c.staging + PAGE_SIZE, 4095, false);

	/* 4: the edges. The region's first and last bytes are read (a write
	 * there would hit live hypervisor data if the protection failed). */
	if (scratch_ok(&c, hv_base - PAGE_SIZE, PAGE_SIZE)) {
		case_write(&c, "below-last-page", hv_base - PAGE_SIZE, 4095, false);
		/* Straddling the start: the part below lands, the region's
		 * bytes do not change. */
		case_write_guarded(&c, "straddle-start", hv_base - 64, 128, 64, blocked);
	} else {
		skip(&c, "below-last-page", "the page below the region is not scratch RAM");
	}
	if (scratch_ok(&c, hv_end, PAGE_SIZE))
		case_write(&c, "above-first-page", hv_end, 4095, false);
	else
		skip(&c, "above-first-page", "the page above the region is not scratch RAM");
	/* The image starts the region: its first bytes are the (non-zero)
	 * Multiboot header. The last page is borrowed from the pool and given
	 * a secret, so a blocked read cannot look like a successful one. */
	case_read(&c, "hv-first-bytes", hv_base, 16, blocked);
	if (palloc_reserve(hv_end - PAGE_SIZE, PAGE_SIZE) == 0) {
		/* Stays reserved: one page, once, for a debug run. */
		fill(hv_end - PAGE_SIZE, PAGE_SIZE, 0x3c);
		case_read(&c, "hv-last-bytes", hv_end - 16, 16, blocked);
	} else {
		skip(&c, "hv-last-bytes", "the region's last page is in use");
	}

	/* 5: across superpage boundaries of the default domain. */
	b = find_boundary(&c, MiB(2), GiB(1));
	if (b)
		case_write(&c, "cross-2m", b - 2048, 4095, false);
	else
		skip(&c, "cross-2m", "no scratch RAM around a 2 MiB boundary");
	b = find_boundary(&c, GiB(1), 0);
	if (b)
		case_write(&c, "cross-1g", b - 2048, 4095, false);
	else
		skip(&c, "cross-1g", "no scratch RAM around a 1 GiB boundary (try -m 2G)");

	palloc_free(secret, 1);
	if (c.unreported)
		log_warn("selftest dma: %u blocked accesses left no fault record: the %s IOMMU "
			 "reports no faults (its event log stays empty); judged by memory only",
			 c.unreported, iommu_backend_name());
	log_info("selftest dma summary passed=%d failed=%d skipped=%d faults=%s", c.passed,
		 c.failed, c.skipped, c.unreported ? "unreported" : "checked");
	return c.failed;
}
