/* Intercepted AHCI through shadow DMA: see ahci.h and docs/ahci.md.
 *
 * Slot life cycle (per port, per command slot):
 *   guest sets PxCI bit -> "requested" (guest-visible CI set)
 *   issue: copy header/CFIS/ACMD/PRDT once, validate, shadow buffers,
 *          shadow table + header, gather (+encrypt) -> ISSUED, real PxCI set
 *   real PxCI (NCQ: and PxSACT) bit clears -> scatter (+decrypt), PRDBC,
 *          received FIS -> guest; only then the guest-visible bit clears
 *   refused -> HELD: guest-visible bit stays set, emulated task-file error
 *   port stop / HBA reset -> DROPPED: invisible, buffers kept until the
 *          port's DMA engine is seen stopped (PxCMD.CR = 0)
 *   COMRESET while issued -> POISONED: never delivered, bit stays until stop
 *
 * With several CPUs (ahci.h, docs/smp.md) a command's data moves outside
 * the engine lock, on the CPU that claimed it:
 *   staged write -> FILLING (that CPU gathers + encrypts, lock not held)
 *          -> under the lock again: ISSUED, real PxCI set
 *   finished read -> DRAINING (that CPU decrypts + scatters, lock not held)
 *          -> under the lock again: PRDBC, guest-visible bit cleared
 * Only the claiming CPU touches a FILLING/DRAINING slot; a port stop, HBA
 * reset or COMRESET meanwhile sets its `abandon` and the claimer releases
 * it. The slot stays out of every other mask (requested, captured, issued)
 * and the guest cannot reuse it until then: copy-once holds, because what
 * the claimer uses was copied and validated under the lock. */
#include "devices/ahci.h"
#include "devices/ahci_ata.h"
#include "lib/deadline.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "lib/prof.h"
#include "lib/string.h"

enum slot_state {
	SLOT_FREE,
	SLOT_CAPTURED,	/* copied and validated at the PxCI write, waiting for shadow memory */
	SLOT_ISSUED,
	SLOT_POISONED,
	SLOT_HELD,
	SLOT_DROPPED,
	SLOT_FILLING,	/* staged; its owner gathers the data outside the lock */
	SLOT_DRAINING,	/* finished on the device; its owner delivers the data outside the lock */
};

/* What a port stop / HBA reset / COMRESET leaves to a FILLING or DRAINING
 * slot's owner. */
enum abandon { ABANDON_NONE, ABANDON_FREE, ABANDON_HELD };

/* A status read waits this long at most for another CPU's delivery. */
#define DRAIN_WAIT_US 1000000ULL

enum { ISSUE_OK, ISSUE_REFUSED, ISSUE_DEFER };

#define CHUNK_BYTES (AHCI_CHUNK_PAGES * (uint32_t)PAGE_SIZE)
/* Shadow command table: CFIS/ACMD/reserved + one PRD per chunk; three
 * tables per page so that none crosses a page. */
#define CT_BYTES (AHCI_CT_PRDT + AHCI_MAX_CHUNKS * 16)
#define CT_PER_PAGE (PAGE_SIZE / CT_BYTES)
#define CT_PAGES ((AHCI_MAX_SLOTS + CT_PER_PAGE - 1) / CT_PER_PAGE)
STATIC_ASSERT(CT_BYTES % AHCI_CT_ALIGN == 0, "command tables stay 128-byte aligned");
STATIC_ASSERT(CT_PER_PAGE >= 1, "a command table fits a page");

#define STOP_TIMEOUT_US 500000ULL	/* AHCI 10.1.2: CR/FR clear within 500 ms */
#define REFUSE_LOG_LIMIT 32

struct guest_seg {
	paddr_t pa;
	uint32_t len;
	uint32_t irq;		/* the guest PRD asked for an interrupt */
};

/* Everything shoji keeps of one command: a hypervisor page, never in the
 * shadow window, so neither the guest nor the device can change it. */
struct ahci_cmd_copy {
	uint32_t hdr_dw0;
	uint32_t nprd;
	uint32_t nchunks;
	uint8_t cfis[AHCI_CT_CFIS_SIZE];
	uint8_t acmd[AHCI_CT_ACMD_SIZE];
	paddr_t chunk[AHCI_MAX_CHUNKS];
	struct guest_seg prd[AHCI_PRDTL_LIMIT];
};
STATIC_ASSERT(sizeof(struct ahci_cmd_copy) <= PAGE_SIZE, "command copy fits a page");

static void image_update(struct ahci *a, bool check_hba);
static void poll_locked(struct ahci *a);
static unsigned popcount32(uint32_t v);

static inline void barrier(void)
{
	__asm__ __volatile__("" ::: "memory");
}

/* Counters the data paths bump outside the lock, from any CPU. */
static void stat_add(uint64_t *p, uint64_t n)
{
	__atomic_fetch_add(p, n, __ATOMIC_RELAXED);
}

/* The engine lock, its wait profiled apart (lib/prof.h). */
static void lock(struct ahci *a)
{
	prof_enter(PROF_AHCI_LOCK);
	spin_lock(&a->lock);
	prof_leave();
}

static unsigned me(void)
{
	unsigned c = hal_cpu_index();

	return c < AHCI_MAX_CPUS ? c : AHCI_MAX_CPUS - 1;	/* core/disk.c checks the limit */
}

/* ---- registers ---- */

static uint32_t rd(struct ahci *a, uint32_t off)
{
	return hal_mmio_read32(a->abar + off);
}

static void wr(struct ahci *a, uint32_t off, uint32_t v)
{
	hal_mmio_write32(a->abar + off, v);
}

static uint32_t poff(unsigned p, uint32_t reg)
{
	return AHCI_PORT_BASE + p * AHCI_PORT_STRIDE + reg;
}

static uint32_t prd(struct ahci *a, unsigned p, uint32_t reg)
{
	return rd(a, poff(p, reg));
}

static void pwr(struct ahci *a, unsigned p, uint32_t reg, uint32_t v)
{
	wr(a, poff(p, reg), v);
}

static uint32_t raw_read(struct ahci *a, uint32_t off, int width)
{
	switch (width) {
	case 1: return hal_mmio_read8(a->abar + off);
	case 2: return hal_mmio_read16(a->abar + off);
	default: return hal_mmio_read32(a->abar + off);
	}
}

static void raw_write(struct ahci *a, uint32_t off, int width, uint32_t v)
{
	switch (width) {
	case 1: hal_mmio_write8(a->abar + off, (uint8_t)v); break;
	case 2: hal_mmio_write16(a->abar + off, (uint16_t)v); break;
	default: hal_mmio_write32(a->abar + off, v); break;
	}
}

/* ---- memory ---- */

static bool guest_ok(struct ahci *a, paddr_t pa, uint64_t len)
{
	if (!len || pa + len < pa)
		return false;
	return a->cfg.guest_mem_ok(a->cfg.guest_ctx, pa, len);
}

/* Physical copies a page at a time: no assumption that consecutive physical
 * pages are consecutive in shoji's virtual map. */
static void phys_read(void *dst, paddr_t pa, size_t len)
{
	uint8_t *d = dst;

	while (len) {
		size_t k = MIN(len, PAGE_SIZE - (pa & (PAGE_SIZE - 1)));
		memcpy(d, hal_phys_to_virt(pa), k);
		d += k;
		pa += k;
		len -= k;
	}
}

static void phys_write(paddr_t pa, const void *src, size_t len)
{
	const uint8_t *s = src;

	while (len) {
		size_t k = MIN(len, PAGE_SIZE - (pa & (PAGE_SIZE - 1)));
		memcpy(hal_phys_to_virt(pa), s, k);
		s += k;
		pa += k;
		len -= k;
	}
}

static void phys_zero(paddr_t pa, size_t len)
{
	while (len) {
		size_t k = MIN(len, PAGE_SIZE - (pa & (PAGE_SIZE - 1)));
		memset(hal_phys_to_virt(pa), 0, k);
		pa += k;
		len -= k;
	}
}

static uint32_t pages_of(uint32_t bytes)
{
	return (uint32_t)((bytes + PAGE_SIZE - 1) / PAGE_SIZE);
}

static uint32_t chunk_bytes(const struct ahci_slot *s, uint32_t i)
{
	uint32_t left = s->bytes - i * CHUNK_BYTES;

	return MIN(left, CHUNK_BYTES);
}

/* The i-th 4 KiB page of a command's shadow data. */
static uint8_t *shadow_page(const struct ahci_slot *s, uint32_t i)
{
	paddr_t pa = s->copy->chunk[i / AHCI_CHUNK_PAGES] +
		     (paddr_t)(i % AHCI_CHUNK_PAGES) * PAGE_SIZE;

	return hal_phys_to_virt(pa);
}

static paddr_t shadow_table(const struct ahci_port *port, unsigned n)
{
	return port->sh_ct + (paddr_t)(n / CT_PER_PAGE) * PAGE_SIZE +
	       (paddr_t)(n % CT_PER_PAGE) * CT_BYTES;
}

/* Gives back the slot's shadow chunks, keeping its copy of the command. */
static void unstage(struct ahci *a, struct ahci_slot *s)
{
	if (!s->copy)
		return;
	prof_enter(PROF_SHADOW);
	for (uint32_t i = 0; i < s->copy->nchunks; i++)
		a->cfg.shadow.free(a->cfg.shadow.ctx, s->copy->chunk[i],
				   pages_of(chunk_bytes(s, i)));
	prof_leave();
	s->copy->nchunks = 0;
	if (s->staged)
		a->holding--;
	s->staged = false;
}

static void release(struct ahci *a, struct ahci_slot *s)
{
	if (s->copy) {
		unstage(a, s);
		prof_enter(PROF_SHADOW);
		hal_page_free(s->copy);
		prof_leave();
		s->copy = NULL;
	}
	s->state = SLOT_FREE;
}

/* ---- scatter/gather through the copied guest PRDT ---- */

struct sg {
	const struct guest_seg *seg;
	uint32_t n, i, off;
};

static void sg_init(struct sg *c, const struct ahci_cmd_copy *copy)
{
	c->seg = copy->prd;
	c->n = copy->nprd;
	c->i = 0;
	c->off = 0;
}

/* Guest -> buf. The PRDT was validated to hold at least the transfer. */
static void sg_gather(struct sg *c, uint8_t *buf, uint32_t len)
{
	prof_enter(PROF_COPY);
	while (len && c->i < c->n) {
		const struct guest_seg *g = &c->seg[c->i];
		uint32_t k = MIN(len, g->len - c->off);

		phys_read(buf, g->pa + c->off, k);
		buf += k;
		len -= k;
		c->off += k;
		if (c->off == g->len) {
			c->i++;
			c->off = 0;
		}
	}
	prof_leave();
}

static void sg_scatter(struct sg *c, const uint8_t *buf, uint32_t len)
{
	prof_enter(PROF_COPY);
	while (len && c->i < c->n) {
		const struct guest_seg *g = &c->seg[c->i];
		uint32_t k = MIN(len, g->len - c->off);

		phys_write(g->pa + c->off, buf, k);
		buf += k;
		len -= k;
		c->off += k;
		if (c->off == g->len) {
			c->i++;
			c->off = 0;
		}
	}
	prof_leave();
}

/* The next n bytes of the guest's buffers, if they lie in one PRD and one
 * page (shoji's map is only known to be contiguous within a page): the
 * cipher then reads or writes them in place instead of through the bounce
 * page. NULL otherwise. */
static uint8_t *sg_direct(const struct sg *c, uint32_t n)
{
	const struct guest_seg *g;
	paddr_t pa;

	if (c->i >= c->n)
		return NULL;
	g = &c->seg[c->i];
	pa = g->pa + c->off;
	if (g->len - c->off < n || (pa & (PAGE_SIZE - 1)) + n > PAGE_SIZE)
		return NULL;
	return hal_phys_to_virt(pa);
}

static void sg_skip(struct sg *c, uint32_t n)
{
	c->off += n;
	if (c->off == c->seg[c->i].len) {
		c->i++;
		c->off = 0;
	}
}

/* ---- encryption ---- */

/* nsec sectors from src to dst, encrypting/decrypting those in range. */
static void crypt_sectors(struct ahci *a, bool enc, bool all, uint64_t lba, uint8_t *dst,
			  const uint8_t *src, uint32_t nsec)
{
	const struct disk_crypt *c = a->cfg.crypt;
	void (*fn)(void *, uint64_t, void *, const void *, uint32_t) =
		enc ? c->encrypt : c->decrypt;
	uint32_t i = 0;

	if (all) {
		prof_enter(enc ? PROF_ENCRYPT : PROF_DECRYPT);
		fn(c->ctx, lba, dst, src, nsec);
		prof_leave();
		i = nsec;
		stat_add(enc ? &a->stats.sectors_encrypted : &a->stats.sectors_decrypted, nsec);
	}
	while (i < nsec) {
		bool in = c->in_range(c->ctx, lba + i, 1);
		uint32_t j = i + 1;

		while (j < nsec && c->in_range(c->ctx, lba + j, 1) == in)
			j++;
		prof_enter(in ? (enc ? PROF_ENCRYPT : PROF_DECRYPT) : PROF_COPY);
		if (in) {
			fn(c->ctx, lba + i, dst + i * ATA_SECTOR_SIZE, src + i * ATA_SECTOR_SIZE, j - i);
			stat_add(enc ? &a->stats.sectors_encrypted : &a->stats.sectors_decrypted, j - i);
		} else {
			memcpy(dst + i * ATA_SECTOR_SIZE, src + i * ATA_SECTOR_SIZE,
			       (size_t)(j - i) * ATA_SECTOR_SIZE);
			stat_add(&a->stats.bytes_copied, (uint64_t)(j - i) * ATA_SECTOR_SIZE);
		}
		prof_leave();
		i = j;
	}
}

/* Skips len bytes of the guest's buffers. */
static void sg_advance(struct sg *c, uint32_t len)
{
	while (len && c->i < c->n) {
		uint32_t k = MIN(len, c->seg[c->i].len - c->off);

		c->off += k;
		len -= k;
		if (c->off == c->seg[c->i].len) {
			c->i++;
			c->off = 0;
		}
	}
}

/* Write direction, page pg (n bytes) of the command: guest buffers ->
 * shadow, encrypting sector data (its plaintext never enters the shadow
 * window): straight from the guest's buffer when the page lies in one PRD
 * and one page (the cipher reads each byte once, as a gather would), else
 * gathered into this CPU's bounce page first. */
static void fill_page(struct ahci *a, struct ahci_slot *s, struct sg *c, uint32_t pg,
		      uint32_t n, uint8_t *bounce)
{
	uint8_t *sh = shadow_page(s, pg), *g;
	uint64_t lba = s->lba + (uint64_t)pg * (PAGE_SIZE / ATA_SECTOR_SIZE);

	if (s->crypt && (g = sg_direct(c, n))) {
		crypt_sectors(a, true, s->crypt_all, lba, sh, g, n / ATA_SECTOR_SIZE);
		sg_skip(c, n);
	} else if (s->crypt) {
		sg_gather(c, bounce, n);
		stat_add(&a->stats.bytes_copied, n);
		crypt_sectors(a, true, s->crypt_all, lba, sh, bounce, n / ATA_SECTOR_SIZE);
	} else {
		sg_gather(c, sh, n);
		stat_add(&a->stats.bytes_copied, n);
	}
}

/* Read direction, page pg: shadow -> guest buffers, decrypting sector
 * data straight into the guest's buffer when it can (as in fill_page),
 * else through the bounce page. */
static void drain_page(struct ahci *a, struct ahci_slot *s, struct sg *c, uint32_t pg,
		       uint32_t n, uint8_t *bounce)
{
	uint8_t *sh = shadow_page(s, pg), *g;
	uint64_t lba = s->lba + (uint64_t)pg * (PAGE_SIZE / ATA_SECTOR_SIZE);

	if (s->crypt && (g = sg_direct(c, n))) {
		crypt_sectors(a, false, s->crypt_all, lba, g, sh, n / ATA_SECTOR_SIZE);
		sg_skip(c, n);
	} else if (s->crypt) {
		crypt_sectors(a, false, s->crypt_all, lba, bounce, sh, n / ATA_SECTOR_SIZE);
		sg_scatter(c, bounce, n);
		stat_add(&a->stats.bytes_copied, n);
	} else {
		sg_scatter(c, sh, n);
		stat_add(&a->stats.bytes_copied, n);
	}
}

/* Takes the slot's pages one at a time (s->next_page) until none is left,
 * filling or draining each: the owner and any helpers at once, each page
 * by one CPU. Returns the pages this CPU moved. */
static uint32_t move_pages(struct ahci *a, struct ahci_slot *s)
{
	uint8_t *bounce = a->bounce[me()];
	bool fill = s->state == SLOT_FILLING;
	uint32_t at = 0, moved = 0;
	struct sg c;

	sg_init(&c, s->copy);
	for (;;) {
		uint32_t pg = __atomic_fetch_add(&s->next_page, 1, __ATOMIC_RELAXED);
		uint32_t off = pg * (uint32_t)PAGE_SIZE, n;

		if (pg >= s->npages)
			break;
		sg_advance(&c, off - at);
		n = MIN(s->move_bytes - off, (uint32_t)PAGE_SIZE);
		if (fill)
			fill_page(a, s, &c, pg, n, bounce);
		else
			drain_page(a, s, &c, pg, n, bounce);
		at = off + n;
		moved++;
	}
	if (moved && s->crypt) {
		prof_enter(PROF_WIPE);
		memset(bounce, 0, sizeof(a->bounce[0]));
		prof_leave();
	}
	stat_add(&a->stats.cpu_pages[me()], moved);
	return moved;
}

/* ---- received FIS ---- */

static const struct { uint16_t off, len; } fis_regions[] = {
	{ AHCI_RFIS_DSFIS, 28 },
	{ AHCI_RFIS_PSFIS, 20 },
	{ AHCI_RFIS_RFIS, 20 },
	{ AHCI_RFIS_SDBFIS, 8 },
	{ AHCI_RFIS_UFIS, 64 },
};

static paddr_t guest_fb(const struct ahci_port *port)
{
	return (paddr_t)port->fb | (paddr_t)port->fbu << 32;
}

/* Copies each FIS the device wrote into the shadow area since the last call
 * to the guest's area, as an HBA writes a FIS region when it receives one. */
static void sync_fis(struct ahci *a, struct ahci_port *port)
{
	uint8_t snap[AHCI_RFIS_SIZE];
	paddr_t fb = guest_fb(port);
	bool ok;

	phys_read(snap, port->sh_fis, sizeof(snap));
	if (!memcmp(snap, port->fis_last, sizeof(snap)))
		return;
	ok = fb && guest_ok(a, fb, AHCI_RFIS_SIZE);
	for (size_t i = 0; i < ARRAY_SIZE(fis_regions); i++) {
		uint16_t o = fis_regions[i].off, n = fis_regions[i].len;

		if (!memcmp(snap + o, port->fis_last + o, n))
			continue;
		if (ok)
			phys_write(fb + o, snap + o, n);
	}
	memcpy(port->fis_last, snap, sizeof(snap));
}

/* ---- refusal: an emulated task-file error ---- */

static void refuse(struct ahci *a, unsigned p, unsigned n, uint8_t opcode, const char *why)
{
	struct ahci_port *port = &a->port[p];
	uint8_t d2h[FIS_H2D_LEN] = { FIS_TYPE_REG_D2H, FIS_D2H_I,
				     ATA_STS_DRDY | ATA_STS_DSC | ATA_STS_ERR, ATA_ERR_ABRT };
	paddr_t fb = guest_fb(port);

	port->slot[n].state = SLOT_HELD;
	port->err_emul = true;
	port->tfd_emul = (uint32_t)ATA_ERR_ABRT << 8 | d2h[2];
	port->is_emul |= AHCI_PxIS_TFES;
	if (fb && guest_ok(a, fb, AHCI_RFIS_SIZE))
		phys_write(fb + AHCI_RFIS_RFIS, d2h, sizeof(d2h));
	a->stats.refused++;
	if (a->refuse_logs < REFUSE_LOG_LIMIT) {
		a->refuse_logs++;
		log_warn("ahci refused port=%u slot=%u cmd=0x%02x reason=%s%s", p, n, opcode, why,
			 a->refuse_logs == REFUSE_LOG_LIMIT ? " (further refusals not logged)" : "");
	}
	if (prd(a, p, AHCI_PxIE) & AHCI_PxIS_TFES) {
		a->is_emul |= 1u << p;
		if (a->cfg.raise_irq && (rd(a, AHCI_GHC) & AHCI_GHC_IE))
			a->cfg.raise_irq(a->cfg.irq_ctx, p);
	}
}

/* ---- issue ---- */

static uint16_t le16(const uint8_t *b)
{
	return (uint16_t)(b[0] | b[1] << 8);
}

static void slot_reset(struct ahci_slot *s)
{
	s->ncq = s->sector = s->crypt = s->crypt_all = false;
	s->data_in = s->data_out = s->identify = false;
	s->lba = 0;
	s->sectors = s->bytes = 0;
	s->guest_hdr = 0;
}

/* Phase 1, at the guest's PxCI write: takes the command out of guest
 * memory, once, and validates it. From then on only this copy is used, even
 * when staging must wait for shadow memory: the guest rewriting its command
 * table or PRDT later changes nothing. On ISSUE_REFUSED *why says what was
 * wrong; ISSUE_DEFER only when the hypervisor page for the copy is lacking
 * (then nothing was read). */
static int capture_cmd(struct ahci *a, unsigned p, unsigned n, const char **why,
		       uint8_t *opcode);

static int capture(struct ahci *a, unsigned p, unsigned n, const char **why, uint8_t *opcode)
{
	int r;

	prof_enter(PROF_CAPTURE);
	r = capture_cmd(a, p, n, why, opcode);
	prof_leave();
	return r;
}

static int capture_cmd(struct ahci *a, unsigned p, unsigned n, const char **why,
		       uint8_t *opcode)
{
	struct ahci_port *port = &a->port[p];
	struct ahci_slot *s = &port->slot[n];
	bool s64 = (a->cap & AHCI_CAP_S64A) != 0;
	struct ahci_cmd_hdr hdr;
	struct ahci_cmd_copy *copy;
	struct ata_cmd_info ci;
	paddr_t hdr_pa, ctba;
	uint32_t prdtl, cfl, total = 0, irq = 0;
	bool w;

	*opcode = 0;
	if (s->state == SLOT_DROPPED)	/* the guest did not wait for PxCMD.CR */
		release(a, s);
	if (port->broken) {
		*why = "port-not-stopped-at-init";
		return ISSUE_REFUSED;
	}
	prof_enter(PROF_SHADOW);
	copy = hal_page_alloc();
	prof_leave();
	if (!copy)
		return ISSUE_DEFER;

	hdr_pa = ((paddr_t)port->clb | (paddr_t)port->clbu << 32) + (paddr_t)n * AHCI_CMDHDR_SIZE;
	if (!guest_ok(a, hdr_pa, AHCI_CMDHDR_SIZE)) {
		*why = "command-list-address";
		goto refused;
	}
	phys_read(&hdr, hdr_pa, sizeof(hdr));
	copy->hdr_dw0 = hdr.dw0;
	cfl = AHCI_HDR_CFL(hdr.dw0);
	prdtl = AHCI_HDR_PRDTL(hdr.dw0);
	w = (hdr.dw0 & AHCI_HDR_W) != 0;
	if (cfl < 2 || cfl > 16) {
		*why = "fis-length";
		goto refused;
	}
	if (prdtl > a->cfg.max_prdtl) {
		*why = "too-many-prds";
		goto refused;
	}
	ctba = (hdr.ctba & AHCI_CTBA_MASK) | (s64 ? (paddr_t)hdr.ctbau << 32 : 0);
	if (!guest_ok(a, ctba, AHCI_CT_PRDT + (uint64_t)prdtl * sizeof(struct ahci_prd))) {
		*why = "command-table-address";
		goto refused;
	}
	phys_read(copy->cfis, ctba + AHCI_CT_CFIS, AHCI_CT_CFIS_SIZE);
	phys_read(copy->acmd, ctba + AHCI_CT_ACMD, AHCI_CT_ACMD_SIZE);
	for (uint32_t i = 0; i < prdtl; i++) {
		struct ahci_prd e;
		uint32_t len;
		paddr_t pa;

		phys_read(&e, ctba + AHCI_CT_PRDT + (paddr_t)i * sizeof(e), sizeof(e));
		len = (e.dw3 & AHCI_PRD_DBC_MASK) + 1;
		pa = (e.dba & ~1u) | (s64 ? (paddr_t)e.dbau << 32 : 0);
		if (len & 1) {
			*why = "odd-prd-byte-count";
			goto refused;
		}
		if (!guest_ok(a, pa, len)) {
			*why = "prd-address";
			goto refused;
		}
		total += len;	/* <= 8 MiB + 4 MiB: no 32-bit overflow */
		if (total > a->cfg.max_cmd_bytes) {
			*why = "transfer-too-large";
			goto refused;
		}
		copy->prd[i] = (struct guest_seg){ pa, len, (e.dw3 & AHCI_PRD_I) != 0 };
		irq |= e.dw3 & AHCI_PRD_I;
	}
	copy->nprd = prdtl;
	/* From here on only the copies are used. */

	ahci_ata_decode(copy->cfis, &ci);
	*opcode = ci.opcode;
	slot_reset(s);
	if (ci.command && cfl < FIS_H2D_LEN / 4) {
		*why = "fis-length";
		goto refused;
	}
	if (ci.ncq) {
		if (ci.tag != n) {
			*why = "ncq-tag-not-slot";
			goto refused;
		}
		if (!(port->sact & (1u << n))) {
			*why = "ncq-without-sact";
			goto refused;
		}
		s->ncq = true;
	}
	if (port->crypt && ci.raw_media) {
		*why = "raw-media-access";
		goto refused;
	}
	if (ci.sector) {
		uint64_t bytes = (uint64_t)ci.count * ATA_SECTOR_SIZE;

		if (port->crypt && ci.addr == ATA_ADDR_LBA28 && !ci.lba_mode) {
			/* No LBA, no tweak. */
			*why = "chs-addressing";
			goto refused;
		}
		if (port->crypt && AHCI_HDR_PMP(hdr.dw0)) {
			/* Disks behind a port multiplier would share key and tweaks. */
			*why = "port-multiplier";
			goto refused;
		}
		if (port->crypt && port->sector_size_bad) {
			*why = "logical-sector-not-512";
			goto refused;
		}
		if (w != (ci.dir == ATA_DIR_OUT)) {
			*why = "direction";
			goto refused;
		}
		if (bytes > a->cfg.max_cmd_bytes) {
			*why = "transfer-too-large";
			goto refused;
		}
		if (total < bytes) {
			*why = "prdt-shorter-than-transfer";
			goto refused;
		}
		s->sector = true;
		s->lba = ci.lba;
		s->sectors = ci.count;
		s->bytes = (uint32_t)bytes;
		s->crypt = port->crypt;
		s->crypt_all = s->crypt && a->cfg.crypt->in_range(a->cfg.crypt->ctx, ci.lba, ci.count);
	} else {
		s->bytes = total;
	}
	s->data_out = s->bytes && w;
	s->data_in = s->bytes && !w;
	s->identify = ci.command && ci.opcode == ATA_CMD_IDENTIFY && s->data_in;
	s->prd_irq = irq != 0;
	s->sct_write = ci.sct_log_write;
	s->guest_hdr = hdr_pa;
	s->copy = copy;
	s->staged = false;
	copy->nchunks = 0;
	s->state = SLOT_CAPTURED;
	return ISSUE_OK;

refused:
	prof_enter(PROF_SHADOW);
	hal_page_free(copy);
	prof_leave();
	s->copy = NULL;
	return ISSUE_REFUSED;
}

/* Phase 2: shadow buffers and the shadow command table for a captured
 * command. ISSUE_DEFER when the shadow window is full (the copy is kept,
 * the chunks given back); ISSUE_REFUSED (everything released) otherwise. */
static int stage_cmd(struct ahci *a, unsigned p, unsigned n, const char **why);

static int stage(struct ahci *a, unsigned p, unsigned n, const char **why)
{
	int r;

	prof_enter(PROF_STAGE);
	r = stage_cmd(a, p, n, why);
	prof_leave();
	return r;
}

static int stage_cmd(struct ahci *a, unsigned p, unsigned n, const char **why)
{
	struct ahci_port *port = &a->port[p];
	struct ahci_slot *s = &port->slot[n];
	struct ahci_cmd_copy *copy = s->copy;
	bool s64 = (a->cap & AHCI_CAP_S64A) != 0;
	struct ahci_cmd_hdr sh;
	paddr_t ct;

	/* Shadow data, a chunk at a time. */
	s->staged = true;
	a->holding++;
	copy->nchunks = 0;
	for (uint32_t i = 0; i * CHUNK_BYTES < s->bytes; i++) {
		uint32_t pages = pages_of(chunk_bytes(s, i));
		paddr_t pa;

		prof_enter(PROF_SHADOW);
		pa = a->cfg.shadow.alloc(a->cfg.shadow.ctx, pages);
		prof_leave();
		if (!pa) {
			unstage(a, s);
			return ISSUE_DEFER;
		}
		copy->chunk[copy->nchunks++] = pa;
		if ((pa & (PAGE_SIZE - 1)) || (!s64 && pa + (paddr_t)pages * PAGE_SIZE > GiB(4))) {
			log_error("ahci shadow allocator returned unusable pa=0x%llx pages=%u",
				  (unsigned long long)pa, pages);
			release(a, s);
			*why = "shadow-memory";
			return ISSUE_REFUSED;
		}
	}

	if (s->data_in && !s->sector) {
		/* Non-sector data is copied back up to PRDBC (or whole for NCQ):
		 * nothing stale may ride along. */
		prof_enter(PROF_WIPE);
		for (uint32_t i = 0; i < copy->nchunks; i++)
			phys_zero(copy->chunk[i], chunk_bytes(s, i));
		prof_leave();
	}

	/* Shadow command table: the guest's FIS and ATAPI command, our PRDT. */
	ct = shadow_table(port, n);
	phys_write(ct + AHCI_CT_CFIS, copy->cfis, AHCI_CT_CFIS_SIZE);
	phys_write(ct + AHCI_CT_ACMD, copy->acmd, AHCI_CT_ACMD_SIZE);
	phys_zero(ct + AHCI_CT_ACMD + AHCI_CT_ACMD_SIZE,
		  AHCI_CT_PRDT - AHCI_CT_ACMD - AHCI_CT_ACMD_SIZE);
	for (uint32_t i = 0; i < copy->nchunks; i++) {
		struct ahci_prd e = {
			.dba = (uint32_t)copy->chunk[i],
			.dbau = (uint32_t)(copy->chunk[i] >> 32),
			.dw3 = (chunk_bytes(s, i) - 1) |
			       (s->prd_irq && i + 1 == copy->nchunks ? AHCI_PRD_I : 0),
		};
		phys_write(ct + AHCI_CT_PRDT + (paddr_t)i * sizeof(e), &e, sizeof(e));
	}
	memset(&sh, 0, sizeof(sh));
	sh.dw0 = (copy->hdr_dw0 & 0xffffu) | copy->nchunks << 16;
	sh.ctba = (uint32_t)ct;
	sh.ctbau = (uint32_t)(ct >> 32);
	phys_write(port->sh_cl + (paddr_t)n * AHCI_CMDHDR_SIZE, &sh, sizeof(sh));

	/* Write data is gathered (and encrypted) by the claiming CPU outside
	 * the lock (try_issue, run_work); everything else can go now. */
	s->state = s->data_out ? SLOT_FILLING : SLOT_ISSUED;
	return ISSUE_OK;
}

/* An SCT command transport write of an encrypted port whose action would
 * write the media raw (checked on the gathered data, before issue). */
static bool sct_media_write(const struct ahci_port *port, const struct ahci_slot *s)
{
	uint16_t action;

	if (!port->crypt || !s->sct_write)
		return false;
	action = le16(shadow_page(s, 0));
	return action == ATA_SCT_LONG_SECTOR_ACCESS || action == ATA_SCT_WRITE_SAME;
}

/* Rings port p's doorbell for the slots in go (go_ncq: of them queued). */
static void doorbell(struct ahci *a, unsigned p, uint32_t go, uint32_t go_ncq)
{
	if (!go)
		return;
	prof_enter(PROF_DOORBELL);
	a->stats.commands += popcount32(go);
	a->stats.ncq += popcount32(go_ncq);
	barrier();	/* shadow table, header and data before the doorbell */
	if (go_ncq)
		pwr(a, p, AHCI_PxSACT, go_ncq);
	pwr(a, p, AHCI_PxCI, go);
	prof_leave();
}

/* Slot n of port p is this CPU's to move data for, outside the lock. */
static void claim(struct ahci *a, unsigned p, unsigned n, uint8_t state)
{
	struct ahci_slot *s = &a->port[p].slot[n];

	s->state = state;
	s->owner = (uint8_t)me();
	s->abandon = ABANDON_NONE;
	if (state == SLOT_FILLING)
		a->port[p].filling |= 1u << n;
	else
		a->port[p].draining |= 1u << n;
	a->work[me()][p] |= 1u << n;
}

/* Hands the guest's requested slots to the device, in slot order. Stops at
 * a refusal (the port halts, as an HBA does after a task-file error) or when
 * shadow memory runs out (retried from ahci_poll). */
static void try_issue(struct ahci *a, unsigned p)
{
	struct ahci_port *port = &a->port[p];
	uint32_t go = 0, go_ncq = 0, busy = port->filling | port->draining;

	/* Copy-once: every slot the guest has issued is captured now, in slot
	 * order, before any of them waits for shadow memory. A slot still
	 * FILLING or DRAINING for an abandoned command (the guest stopped the
	 * port and issued it again) waits for its owner, who calls us again. */
	for (uint32_t m = port->requested & ~port->captured & ~busy; m && !port->err_emul;
	     m &= m - 1) {
		unsigned n = (unsigned)__builtin_ctz(m);
		uint32_t b = 1u << n;
		const char *why = "?";
		uint8_t op;
		int r = capture(a, p, n, &why, &op);

		if (r == ISSUE_DEFER)
			break;	/* no hypervisor page: retried, nothing read yet */
		if (r == ISSUE_REFUSED) {
			port->requested &= ~b;
			port->deferred &= ~b;
			refuse(a, p, n, op, why);
			break;
		}
		port->captured |= b;
	}
	while ((port->requested & port->captured) && !port->err_emul) {
		unsigned n = (unsigned)__builtin_ctz(port->requested & port->captured);
		uint32_t b = 1u << n;
		const char *why = "?";
		uint8_t op = port->slot[n].copy ? port->slot[n].copy->cfis[2] : 0;
		int r = stage(a, p, n, &why);

		if (r == ISSUE_DEFER) {
			if (!(port->deferred & b))
				a->stats.deferred++;
			port->deferred |= b;
			if (a->holding)
				break;
			/* Nothing in flight anywhere will free memory: give up. */
			why = "out-of-shadow-memory";
			r = ISSUE_REFUSED;
		}
		port->requested &= ~b;
		port->deferred &= ~b;
		port->captured &= ~b;
		if (r == ISSUE_REFUSED) {
			release(a, &port->slot[n]);
			refuse(a, p, n, op, why);
			break;
		}
		if (port->slot[n].state == SLOT_FILLING) {
			claim(a, p, n, SLOT_FILLING);
			continue;
		}
		port->issued |= b;
		go |= b;
		if (port->slot[n].ncq)
			go_ncq |= b;
	}
	doorbell(a, p, go, go_ncq);
}

/* ---- completion ---- */

static void snoop_identify(struct ahci_port *port, struct ahci_slot *s, unsigned p)
{
	const uint8_t *id = shadow_page(s, 0);
	uint16_t w106 = le16(id + 2 * ATA_ID_SECTOR_SIZE);
	uint32_t words = 256;

	if (s->bytes < 512)
		return;
	if ((w106 & 0xc000) == 0x4000 && (w106 & (1u << 12)))
		words = le16(id + 2 * ATA_ID_LOGICAL_SECTOR) |
			(uint32_t)le16(id + 2 * (ATA_ID_LOGICAL_SECTOR + 1)) << 16;
	if (words != 256 && !port->sector_size_bad && port->crypt)
		log_warn("ahci port=%u logical_sector=%u: sector commands refused "
			 "(only 512-byte sectors are encrypted)", p, words * 2);
	port->sector_size_bad = words != 256;
}

/* The HBA's byte count of slot n (its shadow header). */
static uint32_t shadow_prdbc(const struct ahci_port *port, unsigned n)
{
	struct ahci_cmd_hdr sh;

	phys_read(&sh, port->sh_cl + (paddr_t)n * AHCI_CMDHDR_SIZE, sizeof(sh));
	return sh.prdbc;
}

/* How many bytes a finished data-in command delivers to the guest. */
static uint32_t drain_bytes(const struct ahci_slot *s)
{
	uint32_t bytes = s->bytes;

	/* Sector reads that completed without error moved everything (PRDBC
	 * need not be kept for queued commands); other data-in commands
	 * deliver what the HBA counted (all of the zeroed shadow buffer if it
	 * counted nothing). */
	if (!s->sector && !s->ncq && s->prdbc)
		bytes = MIN(s->prdbc, s->bytes);
	if (s->crypt)
		bytes = (uint32_t)ALIGN_DOWN(bytes, ATA_SECTOR_SIZE);
	return bytes;
}

/* The device finished slot n and its data is the guest's: the byte count
 * back to the guest (under the lock). */
static void deliver(struct ahci *a, unsigned p, unsigned n)
{
	struct ahci_port *port = &a->port[p];
	struct ahci_slot *s = &port->slot[n];

	if (s->identify)
		snoop_identify(port, s, p);
	if (guest_ok(a, s->guest_hdr, AHCI_CMDHDR_SIZE))
		phys_write(s->guest_hdr + offsetof(struct ahci_cmd_hdr, prdbc), &s->prdbc,
			   sizeof(s->prdbc));
	a->stats.completed++;
}

static void free_dropped(struct ahci *a, struct ahci_port *port)
{
	for (unsigned n = 0; n < AHCI_MAX_SLOTS; n++)
		if (port->slot[n].state == SLOT_DROPPED)
			release(a, &port->slot[n]);
	port->dropped = 0;
}

/* Notices what the device finished on port p and reflects it to the guest:
 * data and byte counts first, then the received FISes, and only then the
 * guest-visible PxCI/PxSACT bits. */
static void port_sync_body(struct ahci *a, unsigned p);

static void port_sync(struct ahci *a, unsigned p)
{
	prof_enter(PROF_COMPLETE);
	port_sync_body(a, p);
	prof_leave();
}

static void port_sync_body(struct ahci *a, unsigned p)
{
	struct ahci_port *port = &a->port[p];
	uint32_t done = 0, accepted = 0, acked = 0;

	if (!port->managed || a->hr_pending)
		return;
	if (port->issued) {
		uint32_t ci = prd(a, p, AHCI_PxCI), sact = 0;

		if (port->issued & ~ci)
			sact = prd(a, p, AHCI_PxSACT);
		barrier();	/* the doorbells before the memory they guard */
		for (uint32_t m = port->issued & ~ci; m; m &= m - 1) {
			unsigned n = (unsigned)__builtin_ctz(m);
			uint32_t b = 1u << n;

			if (port->slot[n].ncq) {
				if (port->slot[n].state == SLOT_ISSUED)
					accepted |= b;
				if (sact & b)
					continue;
			}
			done |= b;
		}
		for (uint32_t m = done; m; m &= m - 1) {
			unsigned n = (unsigned)__builtin_ctz(m);
			struct ahci_slot *s = &port->slot[n];

			if (s->state == SLOT_ISSUED && s->data_in) {
				/* The data goes to the guest outside the lock; its
				 * bit clears after that (finish_work). */
				s->prdbc = shadow_prdbc(port, n);
				claim(a, p, n, SLOT_DRAINING);
			} else if (s->state == SLOT_ISSUED) {
				s->prdbc = shadow_prdbc(port, n);
				deliver(a, p, n);
				release(a, s);
				acked |= 1u << n;
			} else {	/* POISONED: never delivered */
				release(a, s);
				s->state = SLOT_HELD;
			}
		}
		port->issued &= ~done;
	}
	sync_fis(a, port);
	barrier();
	port->ci &= ~(acked | accepted);
	port->sact &= ~acked;
	if (acked)
		a->image_armed = true;
	if (acked | accepted)
		a->image_ports_dirty |= 1u << p;
	if (port->dropped && !(prd(a, p, AHCI_PxCMD) & AHCI_PxCMD_CR))
		free_dropped(a, port);
	if (port->requested)
		try_issue(a, p);
}

/* ---- the data a CPU moves outside the lock ---- */

/* Under the lock again, after this CPU moved the data of the slots in
 * `mine` of port p: filled ones go to the device, drained ones are
 * acknowledged (byte count first, then the guest-visible bits), abandoned
 * ones are released; then whatever waited for these slots is issued. */
static void finish_work_body(struct ahci *a, unsigned p, uint32_t mine);

static void finish_work(struct ahci *a, unsigned p, uint32_t mine)
{
	prof_enter(PROF_COMPLETE);
	finish_work_body(a, p, mine);
	prof_leave();
}

static void finish_work_body(struct ahci *a, unsigned p, uint32_t mine)
{
	struct ahci_port *port = &a->port[p];
	uint32_t go = 0, go_ncq = 0, acked = 0;

	for (uint32_t m = mine; m; m &= m - 1) {
		unsigned n = (unsigned)__builtin_ctz(m);
		uint32_t b = 1u << n;
		struct ahci_slot *s = &port->slot[n];
		uint8_t ab = s->abandon;

		s->abandon = ABANDON_NONE;
		if (s->state == SLOT_FILLING) {
			port->filling &= ~b;
			if (ab != ABANDON_NONE) {
				release(a, s);
				if (ab == ABANDON_HELD)
					s->state = SLOT_HELD;
			} else if (sct_media_write(port, s)) {
				uint8_t op = s->copy->cfis[2];

				release(a, s);
				refuse(a, p, n, op, "sct-media-write");
			} else {
				s->state = SLOT_ISSUED;
				port->issued |= b;
				go |= b;
				if (s->ncq)
					go_ncq |= b;
			}
		} else if (s->state == SLOT_DRAINING) {
			port->draining &= ~b;
			deliver(a, p, n);
			release(a, s);
			if (ab == ABANDON_HELD)
				s->state = SLOT_HELD;
			else if (ab == ABANDON_NONE)
				acked |= b;
		}
	}
	doorbell(a, p, go, go_ncq);
	sync_fis(a, port);
	barrier();	/* data, byte counts and FISes before the bits */
	port->ci &= ~acked;
	port->sact &= ~acked;
	if (acked)
		a->image_armed = true;
	if (acked | go)
		a->image_ports_dirty |= 1u << p;
	if (port->requested)
		try_issue(a, p);
}

/* Commands with at least this many pages of data ask for help. */
#define HELP_MIN_PAGES 8
/* How long the owner waits for a helper's last page before it says so
 * (it keeps waiting: the helper writes the slot's shadow pages). */
#define HELP_WAIT_WARN_US 1000000ULL

/* A claimed slot's data, outside the lock: this CPU takes its pages, and
 * when there are many and nobody else is being helped, publishes the slot
 * and asks the other CPUs to take pages too (ahci_poll: help_out). Returns
 * once every page is done, by whichever CPU. */
static void move_data(struct ahci *a, struct ahci_slot *s)
{
	struct ahci_slot *none = NULL;
	bool published = false;

	s->move_bytes = s->state == SLOT_FILLING ? s->bytes : drain_bytes(s);
	s->npages = pages_of(s->move_bytes);
	__atomic_store_n(&s->next_page, 0, __ATOMIC_SEQ_CST);
	if (a->cfg.call_helpers && s->npages >= HELP_MIN_PAGES &&
	    __atomic_compare_exchange_n(&a->help, &none, s, false, __ATOMIC_SEQ_CST,
					__ATOMIC_RELAXED)) {
		published = true;
		a->cfg.call_helpers(a->cfg.help_ctx);
	}
	move_pages(a, s);
	if (published) {
		struct deadline d = deadline_in_us(HELP_WAIT_WARN_US);
		bool warned = false;

		/* A helper either saw the slot withdrawn (and took nothing) or is
		 * counted in s->helpers until its last page is done. */
		__atomic_store_n(&a->help, NULL, __ATOMIC_SEQ_CST);
		while (__atomic_load_n(&s->helpers, __ATOMIC_SEQ_CST)) {
			if (!warned && deadline_passed(&d)) {
				log_warn("ahci: a helping CPU has not finished its page within 1 s "
					 "(still waiting for it)");
				warned = true;
			}
			hal_cpu_relax();
		}
	}
	stat_add(s->state == SLOT_FILLING ? &a->stats.bytes_to_device :
		 &a->stats.bytes_from_device, s->move_bytes);
}

/* Another CPU's published slot (move_data): take pages of it. */
static void help_out(struct ahci *a)
{
	struct ahci_slot *s = __atomic_load_n(&a->help, __ATOMIC_SEQ_CST);

	if (!s)
		return;
	__atomic_fetch_add(&s->helpers, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&a->help, __ATOMIC_SEQ_CST) == s)
		stat_add(&a->stats.helped_pages, move_pages(a, s));
	__atomic_fetch_sub(&s->helpers, 1, __ATOMIC_SEQ_CST);
}

/* Moves the data of every slot this CPU claimed, without the lock, then
 * finishes them under it; until none is left (finishing may issue more).
 * Called by every entry point after it let go of the lock. */
static void run_work(struct ahci *a)
{
	unsigned c = me();
	uint32_t w[AHCI_MAX_PORTS];

	for (;;) {
		bool any = false;

		/* Only this CPU writes its row (under the lock, which it let go). */
		for (unsigned p = 0; p < AHCI_MAX_PORTS; p++) {
			w[p] = a->work[c][p];
			a->work[c][p] = 0;
			any |= w[p] != 0;
		}
		if (!any)
			return;
		if (__atomic_fetch_add(&a->moving, 1, __ATOMIC_SEQ_CST))
			stat_add(&a->stats.parallel, 1);
		for (unsigned p = 0; p < AHCI_MAX_PORTS; p++) {
			for (uint32_t m = w[p]; m; m &= m - 1) {
				struct ahci_slot *s = &a->port[p].slot[__builtin_ctz(m)];

				move_data(a, s);
			}
		}
		__atomic_fetch_sub(&a->moving, 1, __ATOMIC_SEQ_CST);
		lock(a);
		for (unsigned p = 0; p < AHCI_MAX_PORTS; p++)
			if (w[p])
				finish_work(a, p, w[p]);
		image_update(a, false);
		spin_unlock(&a->lock);
	}
}

/* ---- port and controller state changes ---- */

/* The guest's slots are gone (port stop, HBA reset): commands on the device
 * keep their shadow buffers until the DMA engine is seen stopped. */
static void port_drop(struct ahci *a, unsigned p)
{
	struct ahci_port *port = &a->port[p];

	for (unsigned n = 0; n < AHCI_MAX_SLOTS; n++) {
		struct ahci_slot *s = &port->slot[n];

		if (s->state == SLOT_ISSUED || s->state == SLOT_POISONED) {
			s->state = SLOT_DROPPED;
			port->dropped |= 1u << n;
			a->stats.dropped++;
		} else if (s->state == SLOT_FILLING || s->state == SLOT_DRAINING) {
			/* Its owner releases it; a FILLING one never reaches the
			 * device, a DRAINING one is delivered but not acknowledged. */
			if (s->state == SLOT_FILLING && s->abandon == ABANDON_NONE)
				a->stats.dropped++;
			s->abandon = ABANDON_FREE;
		} else if (s->state == SLOT_HELD) {
			s->state = SLOT_FREE;
		} else if (s->state == SLOT_CAPTURED) {
			release(a, s);	/* never reached the device */
		}
	}
	port->requested = port->issued = port->deferred = port->captured = 0;
	port->ci = port->sact = 0;
	port->err_emul = false;
	port->tfd_emul = 0;
}

/* COMRESET with commands on the device: whatever the device does with them
 * now is not a completion, and the guest's bits stay set until it stops the
 * port. */
static void port_poison(struct ahci *a, unsigned p)
{
	struct ahci_port *port = &a->port[p];

	for (unsigned n = 0; n < AHCI_MAX_SLOTS; n++) {
		struct ahci_slot *s = &port->slot[n];

		if (s->state == SLOT_ISSUED) {
			s->state = SLOT_POISONED;
			a->stats.dropped++;
		}
	}
	/* Not yet on the device (requested, or FILLING on its owner): held.
	 * DRAINING slots finished before the COMRESET and complete. A slot
	 * requested again while its old command is FILLING or DRAINING is
	 * held once its owner lets go of it. */
	for (uint32_t m = port->requested | port->filling; m; m &= m - 1) {
		struct ahci_slot *s = &port->slot[__builtin_ctz(m)];

		if (s->state == SLOT_FILLING || s->state == SLOT_DRAINING) {
			if (s->state == SLOT_FILLING || (port->requested & (1u << __builtin_ctz(m))))
				s->abandon = ABANDON_HELD;
			continue;
		}
		if (s->state == SLOT_CAPTURED)
			release(a, s);
		s->state = SLOT_HELD;
	}
	port->requested = port->deferred = port->captured = 0;
}

/* The real base registers hold the shadow areas (they may have been reset). */
static void ensure_bases(struct ahci *a, unsigned p)
{
	struct ahci_port *port = &a->port[p];
	uint32_t clb = (uint32_t)port->sh_cl, clbu = (uint32_t)(port->sh_cl >> 32);
	uint32_t fb = (uint32_t)port->sh_fis, fbu = (uint32_t)(port->sh_fis >> 32);

	if (prd(a, p, AHCI_PxCLB) != clb || prd(a, p, AHCI_PxCLBU) != clbu) {
		pwr(a, p, AHCI_PxCLB, clb);
		pwr(a, p, AHCI_PxCLBU, clbu);
	}
	if (prd(a, p, AHCI_PxFB) != fb || prd(a, p, AHCI_PxFBU) != fbu) {
		pwr(a, p, AHCI_PxFB, fb);
		pwr(a, p, AHCI_PxFBU, fbu);
	}
}

static void hr_check(struct ahci *a)
{
	if (!a->hr_pending || (rd(a, AHCI_GHC) & AHCI_GHC_HR))
		return;
	a->hr_pending = false;
	for (unsigned p = 0; p < AHCI_MAX_PORTS; p++) {
		if (!a->port[p].managed || a->port[p].broken)
			continue;
		ensure_bases(a, p);
		free_dropped(a, &a->port[p]);
	}
}

static void port_cmd_write(struct ahci *a, unsigned p, uint32_t v)
{
	struct ahci_port *port = &a->port[p];
	uint32_t old = prd(a, p, AHCI_PxCMD);

	if ((old & AHCI_PxCMD_ST) && !(v & AHCI_PxCMD_ST)) {
		port_sync(a, p);	/* finished commands still count */
		port_drop(a, p);
	}
	if (!port->broken) {
		if (!(old & AHCI_PxCMD_ST) && (v & AHCI_PxCMD_ST)) {
			free_dropped(a, port);	/* software waited for CR = 0 */
			ensure_bases(a, p);
		} else if (!(old & AHCI_PxCMD_FRE) && (v & AHCI_PxCMD_FRE)) {
			ensure_bases(a, p);
		}
	}
	pwr(a, p, AHCI_PxCMD, v);
	if (port->dropped && !(prd(a, p, AHCI_PxCMD) & AHCI_PxCMD_CR))
		free_dropped(a, port);
}

static void hba_reset(struct ahci *a, uint32_t v)
{
	for (unsigned p = 0; p < AHCI_MAX_PORTS; p++) {
		if (!a->port[p].managed)
			continue;
		port_sync(a, p);
		port_drop(a, p);
		a->port[p].is_emul = 0;
	}
	a->is_emul = 0;
	a->image_stale = true;	/* every register back to its reset value */
	wr(a, AHCI_GHC, v);
	a->hr_pending = true;
	hr_check(a);
}

/* ---- guest register accesses ---- */

/* What a guest read of port p's register returns now, without the read's
 * side effects (port_read first notices completions). */
static uint32_t port_peek(struct ahci *a, unsigned p, uint32_t reg)
{
	struct ahci_port *port = &a->port[p];

	switch (reg) {
	case AHCI_PxCLB: return port->clb;
	case AHCI_PxCLBU: return port->clbu;
	case AHCI_PxFB: return port->fb;
	case AHCI_PxFBU: return port->fbu;
	case AHCI_PxIS: return prd(a, p, AHCI_PxIS) | port->is_emul;
	case AHCI_PxTFD: return port->err_emul ? port->tfd_emul : prd(a, p, AHCI_PxTFD);
	case AHCI_PxSACT: return port->sact;
	case AHCI_PxCI: return port->ci;
	default: return prd(a, p, reg);
	}
}

static uint32_t port_read(struct ahci *a, unsigned p, uint32_t reg)
{
	switch (reg) {
	case AHCI_PxIS:
	case AHCI_PxTFD:
	case AHCI_PxSACT:
	case AHCI_PxCI:
		/* Status reads see finished commands finished. */
		port_sync(a, p);
		break;
	default:
		break;
	}
	return port_peek(a, p, reg);
}

/* The enclosure-management message buffer (AHCI 12.2) is plain MMIO that
 * may sit anywhere in the ABAR, even over unimplemented ports' blocks. */
static bool in_em_buffer(const struct ahci *a, uint32_t off)
{
	return off >= a->em_lo && off < a->em_hi;
}

/* What a guest read of the dword at off returns now, side effects aside. */
static uint32_t peek32(struct ahci *a, uint32_t off)
{
	if (in_em_buffer(a, off))
		return rd(a, off);
	if (off < AHCI_PORT_BASE) {
		switch (off) {
		case AHCI_CAP: return rd(a, AHCI_CAP) & ~AHCI_CAP_FBSS;
		case AHCI_IS: return rd(a, AHCI_IS) | a->is_emul;
		default: return rd(a, off);
		}
	}
	if (off < AHCI_PORT_END) {
		unsigned p = (off - AHCI_PORT_BASE) / AHCI_PORT_STRIDE;

		if (a->port[p].managed)
			return port_peek(a, p, (off - AHCI_PORT_BASE) % AHCI_PORT_STRIDE);
	}
	return rd(a, off);
}

static uint32_t read32(struct ahci *a, uint32_t off)
{
	if (a->cfg.confine_only)
		return rd(a, off);
	hr_check(a);
	if (in_em_buffer(a, off))
		return rd(a, off);
	if (off == AHCI_IS)
		poll_locked(a);
	if (off >= AHCI_PORT_BASE && off < AHCI_PORT_END) {
		unsigned p = (off - AHCI_PORT_BASE) / AHCI_PORT_STRIDE;

		if (a->port[p].managed)
			return port_read(a, p, (off - AHCI_PORT_BASE) % AHCI_PORT_STRIDE);
	}
	return peek32(a, off);
}

/* A dword register write: v holds the written bytes in place, mask which
 * bytes were written, width/off the guest's own access for pass-through. */
static void port_write(struct ahci *a, unsigned p, uint32_t reg, uint32_t v, uint32_t mask,
		       uint32_t off, int width, uint32_t raw)
{
	struct ahci_port *port = &a->port[p];
	bool s64 = (a->cap & AHCI_CAP_S64A) != 0;

	switch (reg) {
	case AHCI_PxCLB:
		port->clb = ((port->clb & ~mask) | (v & mask)) & AHCI_PxCLB_MASK;
		return;
	case AHCI_PxCLBU:
		port->clbu = s64 ? (port->clbu & ~mask) | (v & mask) : 0;
		return;
	case AHCI_PxFB:
		port->fb = ((port->fb & ~mask) | (v & mask)) & AHCI_PxFB_MASK;
		return;
	case AHCI_PxFBU:
		port->fbu = s64 ? (port->fbu & ~mask) | (v & mask) : 0;
		return;
	case AHCI_PxIS:
		port->is_emul &= ~(v & mask);
		break;
	case AHCI_PxCMD:
		if (mask != 0xffffffffu)
			v = (prd(a, p, AHCI_PxCMD) & ~mask) | (v & mask);
		port_cmd_write(a, p, v);
		return;
	case AHCI_PxSCTL:
		if (mask != 0xffffffffu)
			v = (prd(a, p, AHCI_PxSCTL) & ~mask) | (v & mask);
		if (AHCI_PxSCTL_DET(v) == AHCI_PxSCTL_DET_COMRESET) {
			port_sync(a, p);
			port_poison(a, p);
		}
		pwr(a, p, AHCI_PxSCTL, v);
		return;
	case AHCI_PxSACT:
		if (prd(a, p, AHCI_PxCMD) & AHCI_PxCMD_ST)
			port->sact |= v & mask & a->slot_mask;
		return;
	case AHCI_PxCI: {
		uint32_t b = v & mask & a->slot_mask & ~(port->ci | port->issued);

		if (!b || !(prd(a, p, AHCI_PxCMD) & AHCI_PxCMD_ST))
			return;
		port->ci |= b;
		port->requested |= b;
		try_issue(a, p);
		return;
	}
	case AHCI_PxFBS:
		if (a->cap & AHCI_CAP_FBSS)
			return;		/* FIS-based switching is hidden */
		break;
	default:
		break;
	}
	raw_write(a, off, width, raw);
}

static void write32(struct ahci *a, uint32_t dw, uint32_t v, uint32_t mask, uint32_t off,
		    int width, uint32_t raw)
{
	if (in_em_buffer(a, dw)) {
		raw_write(a, off, width, raw);
		return;
	}
	if (dw < AHCI_PORT_BASE) {
		switch (dw) {
		case AHCI_CAP:
			/* HwInit; software (Linux after a reset) may write back what
			 * it read: pass that, drop anything else. */
			if (mask == 0xffffffffu && (v == (a->cap & ~AHCI_CAP_FBSS) || v == a->cap))
				wr(a, AHCI_CAP, a->cap);
			return;
		case AHCI_PI:
			if (mask == 0xffffffffu && v == a->pi)
				wr(a, AHCI_PI, v);
			return;
		case AHCI_GHC:
			if (mask != 0xffffffffu)
				v = (rd(a, AHCI_GHC) & ~mask) | (v & mask);
			if (v & AHCI_GHC_HR)
				hba_reset(a, v);
			else
				wr(a, AHCI_GHC, v);
			return;
		case AHCI_IS:
			a->is_emul &= ~(v & mask);
			break;
		default:
			break;
		}
		raw_write(a, off, width, raw);
		return;
	}
	if (dw < AHCI_PORT_END) {
		unsigned p = (dw - AHCI_PORT_BASE) / AHCI_PORT_STRIDE;

		if (a->port[p].managed)
			port_write(a, p, (dw - AHCI_PORT_BASE) % AHCI_PORT_STRIDE, v, mask, off,
				   width, raw);
		/* Ports not implemented at init: writes dropped. */
		return;
	}
	raw_write(a, off, width, raw);
}

/* ---- the register image: guest reads without an exit ----
 *
 * Linux's interrupt handler reads IS, PxIS and PxSACT/PxCI after its EOI,
 * and every one of those reads used to exit. While nothing is on the
 * device the values the guest may read change only at shoji's hands (a
 * completion copied back, a guest write it traps) or, for link events, on
 * the HBA's own, which the HBA signals with an interrupt and so with an EOI
 * exit before the guest's handler reads anything. So after a completion,
 * once no command is in flight on any port, the engine fills a page with
 * exactly what trapped reads would return and has the caller serve the
 * guest's reads from it; it refreshes the page on every exit (ahci_poll)
 * and after every trapped access, and hides it again (every access traps)
 * before it hands a command to the device or on any write other than the
 * completion path's own (IS, PxIS, PxSACT). The copy-once rule is
 * untouched: the image only ever shows the guest-visible PxCI/PxSACT,
 * whose bits clear only after the copy-back, and a command is copied when
 * its PxCI write traps, as before. docs/ahci.md, "Register image". */

#define IMAGE_DWORDS (PAGE_SIZE / 4)
/* On an exit only IS is read (one MMIO read: a link event whose interrupt
 * the guest enabled sets it); every port's PxIS at least this often, for
 * events the guest masked in PxIE and may poll for. */
#define IMAGE_SCAN_US 10000

/* Registers the HBA may change without a guest write (AHCI 1.3.1 3.1, 3.3):
 * read again at every refresh. The rest of the page changes only through
 * guest writes, which trap and make the next showing refill everything. */
static const uint16_t image_host_regs[] = { AHCI_GHC, AHCI_IS, AHCI_BOHC };
static const uint16_t image_port_regs[] = {
	AHCI_PxIS, AHCI_PxCMD, AHCI_PxTFD, AHCI_PxSIG, AHCI_PxSSTS, AHCI_PxSERR,
	AHCI_PxSACT, AHCI_PxCI, AHCI_PxSNTF, AHCI_PxFBS, AHCI_PxDEVSLP,
};

/* Whether reads may be served from the image now: a completion since the
 * last disarming write, and nothing that can change under the guest's eyes
 * without an exit (no command captured, on the device or abandoned with
 * its DMA maybe still running; no emulated error; no HBA reset underway). */
static bool image_may_show(const struct ahci *a)
{
	if (!a->image || a->image_broken || !a->image_armed || a->hr_pending)
		return false;
	for (unsigned p = 0; p < AHCI_MAX_PORTS; p++) {
		const struct ahci_port *port = &a->port[p];

		if (!port->managed)
			continue;
		if (port->broken || port->err_emul ||
		    (port->requested | port->captured | port->issued | port->dropped |
		     port->filling | port->draining))
			return false;
	}
	return true;
}

static void image_fill_port(struct ahci *a, unsigned p)
{
	for (size_t i = 0; i < ARRAY_SIZE(image_port_regs); i++)
		a->image[poff(p, image_port_regs[i]) / 4] = port_peek(a, p, image_port_regs[i]);
}

/* all: the whole page. Else the registers the HBA may have changed: the
 * host's, and those of each port that ran a command since the last fill
 * (image_ports_dirty) or whose PxIS changed: every change the HBA makes to
 * a port on its own (a link event) sets a PxIS bit (AHCI 1.3.1 3.3.5). */
static void image_fill(struct ahci *a, bool all)
{
	if (all) {
		for (uint32_t i = 0; i < IMAGE_DWORDS; i++)
			a->image[i] = peek32(a, i * 4);
		a->image_ports_dirty = 0;
		a->image_scan_us = hal_time_us() + IMAGE_SCAN_US;
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(image_host_regs); i++)
		a->image[image_host_regs[i] / 4] = peek32(a, image_host_regs[i]);
	for (unsigned p = 0; p < AHCI_MAX_PORTS; p++) {
		if (!a->port[p].managed)
			continue;
		if ((a->image_ports_dirty & (1u << p)) ||
		    a->image[poff(p, AHCI_PxIS) / 4] != port_peek(a, p, AHCI_PxIS))
			image_fill_port(a, p);
	}
	a->image_ports_dirty = 0;
	a->image_scan_us = hal_time_us() + IMAGE_SCAN_US;
}

static void image_show(struct ahci *a, bool show)
{
	int rc = a->cfg.show_image(a->cfg.image_ctx, hal_virt_to_phys(a->image), show);

	if (rc) {
		if (!a->image_broken)
			log_error("ahci register image: %s it failed (%s): %s", show ? "showing" : "hiding",
				  err_str(rc), show ? "every register access traps from now on"
				  : "it stays mapped, refreshed at every access and exit");
		a->image_broken = true;
		return;
	}
	a->image_shown = show;
	if (a->image_shown)
		a->stats.image_shows++;
}

/* On an exit: whether the HBA may have changed what the image shows on its
 * own. One MMIO read (IS) unless a full scan is due. */
static bool image_hba_moved(struct ahci *a)
{
	return a->image[AHCI_IS / 4] != peek32(a, AHCI_IS) || hal_time_us() >= a->image_scan_us;
}

/* Brings the image in line with the engine: hidden when it may not be
 * shown, else current and shown. Refilled whole when stale, else where
 * the engine or (check_hba, on every exit) the HBA may have changed it.
 * Called after every guest access and on every exit. */
static void image_update_body(struct ahci *a, bool check_hba);

static void image_update(struct ahci *a, bool check_hba)
{
	if (!a->image)
		return;
	prof_enter(PROF_IMAGE);
	image_update_body(a, check_hba);
	prof_leave();
}

static void image_update_body(struct ahci *a, bool check_hba)
{
	if (!image_may_show(a)) {
		if (a->image_shown)
			image_show(a, false);
		/* Still mapped (hiding failed): then at least current at every
		 * access and exit; its PxCI/PxSACT are shoji's, so no command
		 * ever shows finished before its copy-back. */
		if (a->image_shown)
			image_fill(a, false);
		return;
	}
	if (a->image_stale || a->image_ports_dirty || !a->image_shown ||
	    (check_hba && image_hba_moved(a)))
		image_fill(a, a->image_stale);
	a->image_stale = false;
	barrier();	/* the values before the mapping that shows them */
	if (!a->image_shown)
		image_show(a, true);
}

/* A guest write: those of the completion path keep the image armed (its
 * registers are refilled); any other may change what the page holds
 * anywhere (a reset, a port started): disarmed and refilled whole. */
static void image_note_write(struct ahci *a, uint32_t dw)
{
	uint32_t reg = (dw - AHCI_PORT_BASE) % AHCI_PORT_STRIDE;
	bool port_reg = dw >= AHCI_PORT_BASE && dw < AHCI_PORT_END &&
			a->port[(dw - AHCI_PORT_BASE) / AHCI_PORT_STRIDE].managed;

	if (!a->image)
		return;
	if (dw == AHCI_IS ||
	    (port_reg && (reg == AHCI_PxIS || reg == AHCI_PxSACT || reg == AHCI_PxCI))) {
		/* W1C of IS/PxIS changes IS; PxSACT/PxCI only shoji's copy. */
		a->image[dw / 4] = peek32(a, dw);
		a->image[AHCI_IS / 4] = peek32(a, AHCI_IS);
		return;
	}
	a->image_armed = false;
	a->image_stale = true;
}

/* The ports whose completions a read of the dword at off reports (IS: all
 * of them; a port's PxIS, PxTFD, PxSACT, PxCI: that port's). */
static uint32_t status_ports(const struct ahci *a, uint32_t off)
{
	unsigned p;
	uint32_t reg;

	if (off == AHCI_IS)
		return ~0u;
	if (off < AHCI_PORT_BASE || off >= AHCI_PORT_END || in_em_buffer(a, off))
		return 0;
	p = (off - AHCI_PORT_BASE) / AHCI_PORT_STRIDE;
	reg = (off - AHCI_PORT_BASE) % AHCI_PORT_STRIDE;
	if (!a->port[p].managed)
		return 0;
	return reg == AHCI_PxIS || reg == AHCI_PxTFD || reg == AHCI_PxSACT || reg == AHCI_PxCI ?
	       1u << p : 0;
}

/* A status read sees every completion noticed before it delivered: waits
 * (without the lock) until no other CPU drains a slot of those ports. */
static void wait_drains(struct ahci *a, uint32_t ports)
{
	struct deadline d = deadline_in_us(DRAIN_WAIT_US);

	for (unsigned p = 0; p < AHCI_MAX_PORTS; p++) {
		if (!(ports & (1u << p)) || !a->port[p].managed)
			continue;
		while (__atomic_load_n(&a->port[p].draining, __ATOMIC_ACQUIRE)) {
			if (deadline_passed(&d)) {
				log_warn("ahci port=%u: another CPU did not deliver its completions "
					 "within 1 s (draining=0x%08x): the guest reads them unfinished",
					 p, __atomic_load_n(&a->port[p].draining, __ATOMIC_RELAXED));
				return;
			}
			hal_cpu_relax();
		}
	}
}

static uint32_t read_dword_body(struct ahci *a, uint32_t off);

static uint32_t read_dword(struct ahci *a, uint32_t off)
{
	uint32_t v;

	prof_enter(PROF_AHCI_REG);
	v = read_dword_body(a, off);
	prof_leave();
	return v;
}

static uint32_t read_dword_body(struct ahci *a, uint32_t off)
{
	uint32_t v, ports;

	lock(a);
	v = read32(a, off);
	image_update(a, false);	/* a trapped read may have delivered completions */
	spin_unlock(&a->lock);
	run_work(a);
	ports = status_ports(a, off);
	if (ports) {
		/* Completions delivered after the read, by this CPU (run_work)
		 * or by others (waited for): the value as of now. */
		wait_drains(a, ports);
		lock(a);
		v = peek32(a, off);
		spin_unlock(&a->lock);
	}
	return v;
}

uint64_t ahci_guest_read(struct ahci *a, uint32_t off, int size)
{
	if (size == 8 && IS_ALIGNED(off, 8))
		return ahci_guest_read(a, off, 4) | ahci_guest_read(a, off + 4, 4) << 32;
	if ((size == 4 || size == 2 || size == 1) && IS_ALIGNED(off, (uint32_t)size)) {
		if (a->cfg.confine_only)
			return raw_read(a, off, size);
		uint32_t v = read_dword(a, off & ~3u) >> ((off & 3) * 8);

		return size == 4 ? v : v & ((1u << (size * 8)) - 1);
	}
	if (size == 1 || size == 2 || size == 4 || size == 8) {
		/* Misaligned: a byte at a time. */
		uint64_t v = 0;

		for (int i = 0; i < size; i++)
			v |= ahci_guest_read(a, off + (uint32_t)i, 1) << (8 * i);
		return v;
	}
	return ~0ULL;
}

void ahci_guest_write(struct ahci *a, uint32_t off, int size, uint64_t value)
{
	if (size == 8 && IS_ALIGNED(off, 8)) {
		ahci_guest_write(a, off, 4, (uint32_t)value);
		ahci_guest_write(a, off + 4, 4, value >> 32);
		return;
	}
	if ((size == 4 || size == 2 || size == 1) && IS_ALIGNED(off, (uint32_t)size)) {
		unsigned shift = (off & 3) * 8;
		uint32_t ones = size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
		uint32_t raw = (uint32_t)value & ones;

		if (a->cfg.confine_only) {
			raw_write(a, off, size, raw);
			return;
		}
		prof_enter(PROF_AHCI_REG);
		lock(a);
		hr_check(a);
		write32(a, off & ~3u, raw << shift, ones << shift, off, size, raw);
		image_note_write(a, off & ~3u);
		image_update(a, false);
		spin_unlock(&a->lock);
		run_work(a);
		prof_leave();
		return;
	}
	if (size == 2 || size == 4 || size == 8)
		for (int i = 0; i < size; i++)
			ahci_guest_write(a, off + (uint32_t)i, 1, (value >> (8 * i)) & 0xff);
}

void ahci_poll(struct ahci *a)
{
	if (a->cfg.confine_only)
		return;
	prof_enter(PROF_POLL);
	help_out(a);
	if (spin_trylock(&a->lock)) {
		poll_locked(a);
		spin_unlock(&a->lock);
		run_work(a);
	}
	prof_leave();
}

static void poll_locked(struct ahci *a)
{
	hr_check(a);
	if (!a->hr_pending) {
		for (unsigned p = 0; p < AHCI_MAX_PORTS; p++) {
			struct ahci_port *port = &a->port[p];

			if (port->managed && (port->issued || port->requested || port->dropped))
				port_sync(a, p);
		}
	}
	image_update(a, true);
}

void ahci_log_stats(const struct ahci *a)
{
	const struct ahci_stats *st = &a->stats;

	log_info("ahci stats commands=%llu ncq=%llu completed=%llu refused=%llu dropped=%llu "
		 "deferred=%llu bytes_to_device=%llu bytes_from_device=%llu "
		 "sectors_encrypted=%llu sectors_decrypted=%llu bytes_copied=%llu image_shows=%llu",
		 (unsigned long long)st->commands, (unsigned long long)st->ncq,
		 (unsigned long long)st->completed, (unsigned long long)st->refused,
		 (unsigned long long)st->dropped, (unsigned long long)st->deferred,
		 (unsigned long long)st->bytes_to_device, (unsigned long long)st->bytes_from_device,
		 (unsigned long long)st->sectors_encrypted, (unsigned long long)st->sectors_decrypted,
		 (unsigned long long)st->bytes_copied, (unsigned long long)st->image_shows);
}

bool ahci_followon_store(const struct ahci *a, uint32_t offset, int size, uint32_t *next)
{
	unsigned p = (offset - AHCI_PORT_BASE) / AHCI_PORT_STRIDE;

	if (a->cfg.confine_only || size != 4 || offset < AHCI_PORT_BASE ||
	    offset >= AHCI_PORT_END || (offset - AHCI_PORT_BASE) % AHCI_PORT_STRIDE != AHCI_PxSACT ||
	    !a->port[p].managed)
		return false;
	*next = offset - AHCI_PxSACT + AHCI_PxCI;
	return true;
}

void ahci_set_abar(struct ahci *a, paddr_t abar)
{
	a->abar = abar;
	a->cfg.abar = abar;
}

/* ---- init ---- */

static bool cmd_bits_clear(struct ahci *a, unsigned p, uint32_t bits)
{
	struct deadline d = deadline_in_us(STOP_TIMEOUT_US);

	while (prd(a, p, AHCI_PxCMD) & bits)
		if (deadline_passed(&d))
			return !(prd(a, p, AHCI_PxCMD) & bits);
	return true;
}

static bool cmd_bits_set(struct ahci *a, unsigned p, uint32_t bits)
{
	struct deadline d = deadline_in_us(STOP_TIMEOUT_US);

	while ((prd(a, p, AHCI_PxCMD) & bits) != bits)
		if (deadline_passed(&d))
			return (prd(a, p, AHCI_PxCMD) & bits) == bits;
	return true;
}

/* A port the firmware left running is started again, now on the shadow
 * areas: the firmware's INT 13h driver (SeaBIOS's AHCI code, guest=disk)
 * set the port up once at boot and only writes PxCI from then on, so its
 * port must read and work as it left it. FRE before ST, each once the
 * shadow FIS area and command list are in place (AHCI 1.3.1 10.3.2: FRE
 * after PxFB is valid; ST after FR is set). */
static void port_restart(struct ahci *a, unsigned p, uint32_t was)
{
	if (was & AHCI_PxCMD_FRE) {
		pwr(a, p, AHCI_PxCMD, prd(a, p, AHCI_PxCMD) | AHCI_PxCMD_FRE);
		if (!cmd_bits_set(a, p, AHCI_PxCMD_FR)) {
			log_error("ahci port=%u: FIS receive did not restart within 500 ms "
				  "(cmd=0x%08x)", p, prd(a, p, AHCI_PxCMD));
			return;
		}
	}
	if (was & AHCI_PxCMD_ST)
		pwr(a, p, AHCI_PxCMD, prd(a, p, AHCI_PxCMD) | AHCI_PxCMD_ST);
	log_info("ahci port=%u restarted on the shadow areas as the firmware left it "
		 "(cmd=0x%08x)", p, prd(a, p, AHCI_PxCMD));
}

static int port_init(struct ahci *a, unsigned p)
{
	struct ahci_port *port = &a->port[p];
	bool s64 = (a->cap & AHCI_CAP_S64A) != 0;
	uint32_t cmd = prd(a, p, AHCI_PxCMD);
	paddr_t page, ct;

	port->managed = true;
	port->crypt = a->cfg.crypt && (a->cfg.crypt_ports & (1u << p));
	port->clb = prd(a, p, AHCI_PxCLB) & AHCI_PxCLB_MASK;
	port->clbu = s64 ? prd(a, p, AHCI_PxCLBU) : 0;
	port->fb = prd(a, p, AHCI_PxFB) & AHCI_PxFB_MASK;
	port->fbu = s64 ? prd(a, p, AHCI_PxFBU) : 0;

	if (cmd & (AHCI_PxCMD_ST | AHCI_PxCMD_CR)) {
		pwr(a, p, AHCI_PxCMD, prd(a, p, AHCI_PxCMD) & ~AHCI_PxCMD_ST);
		if (!cmd_bits_clear(a, p, AHCI_PxCMD_CR))
			port->broken = true;
	}
	if (!port->broken && (cmd & (AHCI_PxCMD_FRE | AHCI_PxCMD_FR))) {
		pwr(a, p, AHCI_PxCMD, prd(a, p, AHCI_PxCMD) & ~AHCI_PxCMD_FRE);
		if (!cmd_bits_clear(a, p, AHCI_PxCMD_FR))
			port->broken = true;
	}
	if (port->broken) {
		log_error("ahci port=%u cmd=0x%08x: did not stop within 500 ms; "
			  "its commands will be refused", p, prd(a, p, AHCI_PxCMD));
		return E_OK;
	}
	if (cmd & (AHCI_PxCMD_ST | AHCI_PxCMD_FRE))
		log_info("ahci port=%u was running (cmd=0x%08x): stopped to move it onto the "
			 "shadow areas", p, cmd);

	page = a->cfg.shadow.alloc(a->cfg.shadow.ctx, 1);
	ct = page ? a->cfg.shadow.alloc(a->cfg.shadow.ctx, CT_PAGES) : 0;
	if (!ct) {
		if (page)
			a->cfg.shadow.free(a->cfg.shadow.ctx, page, 1);
		return E_NOMEM;
	}
	port->sh_cl = page;
	port->sh_fis = page + AHCI_CL_SIZE;
	port->sh_ct = ct;
	port->sh_ct_pages = CT_PAGES;
	if ((page | ct) & (PAGE_SIZE - 1) ||
	    (!s64 && (page + PAGE_SIZE > GiB(4) || ct + CT_PAGES * PAGE_SIZE > GiB(4))))
		return E_RANGE;
	phys_zero(page, PAGE_SIZE);
	phys_zero(ct, CT_PAGES * PAGE_SIZE);
	memset(port->fis_last, 0, sizeof(port->fis_last));
	ensure_bases(a, p);
	if (cmd & (AHCI_PxCMD_ST | AHCI_PxCMD_FRE))
		port_restart(a, p, cmd);

	log_info("ahci port=%u ssts=0x%03x sig=0x%08x cmd=0x%08x clb=0x%llx fb=0x%llx "
		 "shadow_cl=0x%llx shadow_fis=0x%llx shadow_ct=0x%llx crypt=%s", p,
		 prd(a, p, AHCI_PxSSTS), prd(a, p, AHCI_PxSIG), prd(a, p, AHCI_PxCMD),
		 (unsigned long long)((paddr_t)port->clb | (paddr_t)port->clbu << 32),
		 (unsigned long long)guest_fb(port), (unsigned long long)port->sh_cl,
		 (unsigned long long)port->sh_fis, (unsigned long long)port->sh_ct,
		 port->crypt ? "yes" : "no");
	return E_OK;
}

static unsigned popcount32(uint32_t v)
{
	unsigned n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

/* The register image, when the caller can show one (cfg.show_image). */
static int image_init(struct ahci *a)
{
	if (!a->cfg.show_image)
		return E_OK;
	if (a->cap & AHCI_CAP_EMS) {
		/* The message buffer is memory the HBA writes: reads must reach it. */
		log_info("ahci register image=off reason=enclosure-management");
		return E_OK;
	}
	a->image = hal_page_alloc();
	if (!a->image) {
		log_error("ahci register image: no page for it");
		ahci_fini(a);
		return E_NOMEM;
	}
	a->image_stale = true;
	log_info("ahci register image=on page=0x%llx (reads served without an exit while no "
		 "command is in flight)", (unsigned long long)hal_virt_to_phys(a->image));
	return E_OK;
}

int ahci_init(struct ahci *a, const struct ahci_config *cfg)
{
	int err;

	memset(a, 0, sizeof(*a));
	a->cfg = *cfg;
	a->abar = cfg->abar;
	if (!a->cfg.max_prdtl)
		a->cfg.max_prdtl = AHCI_DEFAULT_MAX_PRDTL;
	if (!a->cfg.max_cmd_bytes)
		a->cfg.max_cmd_bytes = AHCI_DEFAULT_MAX_CMD_BYTES;
	if (!cfg->abar || a->cfg.max_prdtl > AHCI_PRDTL_LIMIT ||
	    a->cfg.max_cmd_bytes > AHCI_CMD_BYTES_LIMIT || a->cfg.max_cmd_bytes < ATA_SECTOR_SIZE)
		return E_INVAL;
	if (!cfg->confine_only &&
	    (!cfg->shadow.alloc || !cfg->shadow.free || !cfg->guest_mem_ok))
		return E_INVAL;
	if (cfg->crypt && cfg->crypt_ports &&
	    (!cfg->crypt->in_range || !cfg->crypt->encrypt || !cfg->crypt->decrypt))
		return E_INVAL;

	a->cap = rd(a, AHCI_CAP);
	a->pi = rd(a, AHCI_PI);
	a->vs = rd(a, AHCI_VS);
	if (a->cap == 0xffffffffu || !a->pi || a->pi == 0xffffffffu) {
		log_error("ahci abar=0x%llx: no controller (cap=0x%08x pi=0x%08x)",
			  (unsigned long long)cfg->abar, a->cap, a->pi);
		return E_INVAL;
	}
	a->cap_guest = a->cap & ~AHCI_CAP_FBSS;
	if (a->cap & AHCI_CAP_EMS) {
		uint32_t loc = rd(a, AHCI_EM_LOC);
		bool single = (rd(a, AHCI_EM_CTL) & AHCI_EM_CTL_SMB) != 0;

		a->em_lo = (loc >> 16) * 4;
		a->em_hi = a->em_lo + (loc & 0xffff) * 4 * (single ? 1 : 2);
	}
	a->nslots = AHCI_CAP_NCS(a->cap) + 1;
	a->slot_mask = a->nslots == 32 ? 0xffffffffu : (1u << a->nslots) - 1;
	log_info("ahci abar=0x%llx cap=0x%08x pi=0x%08x vs=0x%08x ports=%u slots=%u ncq=%s "
		 "s64a=%s mode=%s max_cmd=%u max_prdtl=%u", (unsigned long long)cfg->abar, a->cap,
		 a->pi, a->vs, popcount32(a->pi), a->nslots,
		 a->cap & AHCI_CAP_SNCQ ? "yes" : "no", a->cap & AHCI_CAP_S64A ? "yes" : "no",
		 cfg->confine_only ? "confine" : "shadow", a->cfg.max_cmd_bytes, a->cfg.max_prdtl);
	if (cfg->confine_only)
		return E_OK;

	for (unsigned p = 0; p < AHCI_MAX_PORTS; p++) {
		if (!(a->pi & (1u << p)))
			continue;
		err = port_init(a, p);
		if (err) {
			log_error("ahci port=%u: shadow areas: %s", p, err_str(err));
			ahci_fini(a);
			return err;
		}
	}
	return image_init(a);
}

void ahci_fini(struct ahci *a)
{
	if (a->image) {
		if (a->image_shown)
			image_show(a, false);
		hal_page_free(a->image);
		a->image = NULL;
	}
	for (unsigned p = 0; p < AHCI_MAX_PORTS; p++) {
		struct ahci_port *port = &a->port[p];

		for (unsigned n = 0; n < AHCI_MAX_SLOTS; n++)
			release(a, &port->slot[n]);
		if (port->sh_cl)
			a->cfg.shadow.free(a->cfg.shadow.ctx, port->sh_cl, 1);
		if (port->sh_ct)
			a->cfg.shadow.free(a->cfg.shadow.ctx, port->sh_ct, port->sh_ct_pages);
		port->sh_cl = port->sh_fis = port->sh_ct = 0;
		port->managed = false;
	}
}
