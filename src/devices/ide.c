/* Intercepted IDE (see ide.h and docs/ide.md). */
#include "devices/ahci_ata.h"
#include "devices/ahci_regs.h"
#include "devices/ide.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "lib/prof.h"
#include "lib/string.h"

#define REFUSE_LOG_MAX 32

/* What the channel's current command is, as far as shoji cares. */
enum {
	ST_IDLE,	/* nothing the engine follows */
	ST_OTHER,	/* passed unchanged (non-sector, or finished) */
	ST_PIO,		/* sector data through the data port */
	ST_DMA,		/* sector data by bus master: waits for / runs on the shadow */
	ST_IDENTIFY,	/* IDENTIFY DEVICE data: passed, its sector size noted */
};

/* ATA8-ACS sector commands whose data moves by DMA (the rest of
 * ahci_ata's sector commands are PIO). */
static bool dma_opcode(uint8_t op)
{
	switch (op) {
	case ATA_CMD_READ_DMA:
	case ATA_CMD_READ_DMA_NR:
	case ATA_CMD_READ_DMA_EXT:
	case ATA_CMD_READ_STREAM_DMA_EXT:
	case ATA_CMD_WRITE_DMA:
	case ATA_CMD_WRITE_DMA_NR:
	case ATA_CMD_WRITE_DMA_EXT:
	case ATA_CMD_WRITE_STREAM_DMA_EXT:
	case ATA_CMD_WRITE_DMA_FUA_EXT:
		return true;
	default:
		return false;
	}
}

static inline void barrier(void)
{
	__asm__ volatile("" ::: "memory");
}

static uint8_t alt_status(const struct ide_channel *c)
{
	return hal_inb(c->ctl);
}

static bool guest_ok(struct ide *d, paddr_t pa, uint64_t len)
{
	if (!len || pa + len < pa)
		return false;
	return d->cfg.guest_mem_ok(d->cfg.guest_ctx, pa, len);
}

/* Counters: the two channels' locks are not one lock (docs/smp.md). */
#define STAT_ADD(field, n) __atomic_fetch_add(&(field), (uint64_t)(n), __ATOMIC_RELAXED)

/* ---- refusals ---- */

static void log_refusal(struct ide *d, unsigned ch, uint8_t op, const char *why)
{
	STAT_ADD(d->stats.refused, 1);
	if (__atomic_fetch_add(&d->refuse_logs, 1, __ATOMIC_RELAXED) < REFUSE_LOG_MAX)
		log_warn("ide refused channel=%u cmd=0x%02x reason=%s", ch, op, why);
}

/* A command that must not reach the device: the device runs CHECK POWER
 * MODE instead (non-data, no effect, completes with an interrupt), and
 * until the next command the guest reads the task-file error ABRT. */
static void refuse_command(struct ide *d, unsigned ch, uint8_t op, const char *why)
{
	struct ide_channel *c = &d->ch[ch];

	log_refusal(d, ch, op, why);
	c->state = ST_OTHER;
	c->err_emul = true;
	STAT_ADD(d->stats.commands, 1);
	hal_outb((uint16_t)(c->cmd + IDE_REG_STATUS), ATA_CMD_CHECK_POWER_MODE);
}

/* A bus-master start that must not run: the device is not started; the
 * guest reads bus-master ERROR and INTR and the task-file error ABRT. No
 * interrupt comes: the guest's command timeout finds it (its reset then
 * clears the device's wait for DMA). */
static void refuse_transfer(struct ide *d, unsigned ch, const char *why)
{
	struct ide_channel *c = &d->ch[ch];

	log_refusal(d, ch, c->opcode, why);
	c->bm_emul = IDE_BM_ST_ERROR | IDE_BM_ST_INTR;
	c->err_emul = true;
	c->state = ST_OTHER;	/* the device still waits for its DMA */
}

/* ---- bus master: copy the guest's PRD table once, shadow the data ---- */

static int copy_prds(struct ide *d, struct ide_channel *c, uint32_t *total, const char **why)
{
	paddr_t t = c->bm_prd & ~(paddr_t)(IDE_PRD_TABLE_ALIGN - 1);

	*total = 0;
	c->nprd = 0;
	for (;;) {
		uint32_t e[2], bytes;

		if (c->nprd == IDE_PRD_LIMIT) {
			*why = "too-many-prds";
			return E_RANGE;
		}
		if (!guest_ok(d, t, sizeof(e))) {
			*why = "prd-table-address";
			return E_FAULT;
		}
		memcpy(e, hal_phys_to_virt(t), sizeof(e));	/* once: only the copy is used */
		bytes = e[1] & IDE_PRD_COUNT_MASK;
		if (!bytes)
			bytes = IDE_PRD_REGION_MAX;
		if ((e[0] & 1) || (e[1] & 1)) {
			*why = "odd-prd";
			return E_INVAL;
		}
		if (!guest_ok(d, e[0], bytes)) {
			*why = "prd-address";
			return E_FAULT;
		}
		c->prd[c->nprd++] = (struct ide_prd){ e[0], bytes };
		*total += bytes;
		if (*total > d->cfg.max_cmd_bytes + IDE_PRD_REGION_MAX) {
			*why = "transfer-too-large";
			return E_RANGE;
		}
		if (e[1] & IDE_PRD_EOT)
			return 0;
		t += sizeof(e);
	}
}

/* Walks the copied PRDs: `len` bytes from byte `pos` of the transfer. */
static void sg_copy(struct ide_channel *c, uint32_t pos, uint8_t *buf, uint32_t len, bool to_guest)
{
	for (uint32_t i = 0; i < c->nprd && len; i++) {
		uint32_t n;

		if (pos >= c->prd[i].bytes) {
			pos -= c->prd[i].bytes;
			continue;
		}
		n = MIN(len, c->prd[i].bytes - pos);
		if (to_guest)
			memcpy(hal_phys_to_virt(c->prd[i].addr + pos), buf, n);
		else
			memcpy(buf, hal_phys_to_virt(c->prd[i].addr + pos), n);
		buf += n;
		len -= n;
		pos = 0;
	}
}

static void count_crypt(struct ide *d, bool enc, uint32_t n)
{
	if (enc)
		STAT_ADD(d->stats.sectors_encrypted, n);
	else
		STAT_ADD(d->stats.sectors_decrypted, n);
}

static void wipe_bounce(struct ide_channel *c)
{
	prof_enter(PROF_WIPE);
	memset(c->bounce, 0, sizeof(c->bounce));
	prof_leave();
}

/* Bytes [pos, pos + n) of the transfer in the guest's memory, if they lie
 * in one copied PRD and one page (shoji's map is only known to be
 * contiguous within a page): the cipher then reads or writes them in place
 * instead of through the bounce page, as the AHCI engine does. NULL
 * otherwise. Every PRD's whole range passed guest_ok at START. */
static uint8_t *sg_direct(const struct ide_channel *c, uint32_t pos, uint32_t n)
{
	for (uint32_t i = 0; i < c->nprd; i++) {
		paddr_t pa;

		if (pos >= c->prd[i].bytes) {
			pos -= c->prd[i].bytes;
			continue;
		}
		pa = c->prd[i].addr + pos;
		if (c->prd[i].bytes - pos < n || (pa & (PAGE_SIZE - 1)) + n > PAGE_SIZE)
			return NULL;
		return hal_phys_to_virt(pa);
	}
	return NULL;
}

/* Sector data of a crypt channel goes through the cipher; anything else is
 * copied (and counted as copied). */
static void move_piece(struct ide *d, struct ide_channel *c, bool enc, uint32_t off,
		       uint8_t *dst, const uint8_t *src, uint32_t n)
{
	if (c->bm_sector && c->crypt_cmd) {
		prof_enter(enc ? PROF_ENCRYPT : PROF_DECRYPT);
		count_crypt(d, enc, disk_crypt_sectors(d->cfg.crypt, enc,
						       c->lba + off / ATA_SECTOR_SIZE, dst, src,
						       n / ATA_SECTOR_SIZE));
		prof_leave();
		return;
	}
	prof_enter(PROF_COPY);
	memcpy(dst, src, n);
	prof_leave();
	STAT_ADD(d->stats.bytes_copied, n);
}

/* Guest -> shadow, a page at a time: in place when the page's bytes lie in
 * one PRD and one guest page, else gathered into the bounce page first
 * (plaintext never in shadow memory either way). */
static void fill_shadow(struct ide *d, struct ide_channel *c)
{
	bool bounced = false;

	for (uint32_t off = 0; off < c->xfer; off += PAGE_SIZE) {
		uint32_t n = MIN(PAGE_SIZE, c->xfer - off);
		uint8_t *sh = hal_phys_to_virt(c->sh_data + off);
		const uint8_t *src = sg_direct(c, off, n);

		if (!src) {
			prof_enter(PROF_COPY);
			sg_copy(c, off, c->bounce, n, false);
			prof_leave();
			STAT_ADD(d->stats.bytes_copied, n);
			src = c->bounce;
			bounced = true;
		}
		move_piece(d, c, true, off, sh, src, n);
	}
	if (bounced)
		wipe_bounce(c);
	STAT_ADD(d->stats.bytes_to_device, c->xfer);
}

/* Shadow -> guest, the same way round. */
static void drain_shadow(struct ide *d, struct ide_channel *c)
{
	bool bounced = false;

	for (uint32_t off = 0; off < c->xfer; off += PAGE_SIZE) {
		uint32_t n = MIN(PAGE_SIZE, c->xfer - off);
		const uint8_t *sh = hal_phys_to_virt(c->sh_data + off);
		uint8_t *dst = sg_direct(c, off, n);

		if (dst) {
			move_piece(d, c, false, off, dst, sh, n);
			continue;
		}
		move_piece(d, c, false, off, c->bounce, sh, n);
		prof_enter(PROF_COPY);
		sg_copy(c, off, c->bounce, n, true);
		prof_leave();
		STAT_ADD(d->stats.bytes_copied, n);
		bounced = true;
	}
	if (bounced)
		wipe_bounce(c);
	STAT_ADD(d->stats.bytes_from_device, c->xfer);
}

/* The shadow PRD table: regions of at most 64 KiB that cross no 64 KiB
 * boundary, over the channel's contiguous shadow data. */
static void build_shadow_prds(struct ide_channel *c)
{
	uint32_t *t = hal_phys_to_virt(c->sh_prd);
	uint32_t off = 0, i = 0;

	while (off < c->xfer) {
		paddr_t a = c->sh_data + off;
		uint32_t n = MIN(c->xfer - off, IDE_PRD_REGION_MAX - (uint32_t)(a & 0xffff));

		off += n;
		t[2 * i] = (uint32_t)a;
		t[2 * i + 1] = (n & 0xffff) | (off == c->xfer ? IDE_PRD_EOT : 0);
		i++;
	}
}

/* The guest set START: the transfer for the pending sector command (its
 * direction and size), or any other DMA (ATAPI, logs) as its PRDs say. */
static void bm_start(struct ide *d, unsigned ch, uint8_t v)
{
	struct ide_channel *c = &d->ch[ch];
	bool in = v & IDE_BM_CMD_READ;
	uint32_t total;
	const char *why = NULL;
	int rc;

	c->bm_sector = c->state == ST_DMA;
	if (c->bm_sector && in != c->data_in) {
		refuse_transfer(d, ch, "direction");
		return;
	}
	prof_enter(PROF_CAPTURE);
	rc = copy_prds(d, c, &total, &why);
	prof_leave();
	if (rc) {
		refuse_transfer(d, ch, why);
		return;
	}
	if (c->bm_sector) {
		c->xfer = c->sectors * ATA_SECTOR_SIZE;
		if (total < c->xfer) {
			refuse_transfer(d, ch, "prdt-shorter-than-transfer");
			return;
		}
	} else {
		c->xfer = total;
		if (total > d->cfg.max_cmd_bytes) {
			refuse_transfer(d, ch, "transfer-too-large");
			return;
		}
	}
	c->bm_in = in;
	if (in) {
		prof_enter(PROF_WIPE);
		memset(hal_phys_to_virt(c->sh_data), 0, c->xfer);	/* nothing stale reaches the guest */
		prof_leave();
	} else {
		fill_shadow(d, c);
	}
	prof_enter(PROF_STAGE);
	build_shadow_prds(c);
	prof_leave();
	barrier();
	prof_enter(PROF_DOORBELL);
	hal_outl((uint16_t)(c->bm + IDE_BM_PRD), (uint32_t)c->sh_prd);
	hal_outb((uint16_t)(c->bm + IDE_BM_CMD), v);
	prof_leave();
	c->bm_run = true;
	STAT_ADD(d->stats.dma, 1);
}

/* A running transfer is over when the controller says INTR or ERROR, or
 * went inactive with the device no longer busy; read data then goes back
 * to the guest (not after an error: the guest retries). */
static void bm_check(struct ide *d, unsigned ch, bool stopping)
{
	struct ide_channel *c = &d->ch[ch];
	uint8_t st, as;
	bool done;

	if (!c->bm_run)
		return;
	st = hal_inb((uint16_t)(c->bm + IDE_BM_STATUS));
	as = alt_status(c);
	done = (st & (IDE_BM_ST_INTR | IDE_BM_ST_ERROR)) ||
	       (!(st & IDE_BM_ST_ACTIVE) && !(as & ATA_STS_BSY));
	if (!done && !stopping)
		return;
	c->bm_run = false;
	if (done && c->bm_in && !(st & IDE_BM_ST_ERROR) && !(as & ATA_STS_ERR))
		drain_shadow(d, c);
	if (c->bm_sector)
		c->state = ST_OTHER;
}

static void bm_cmd_write(struct ide *d, unsigned ch, uint8_t v)
{
	struct ide_channel *c = &d->ch[ch];
	bool was = c->bm_cmd & IDE_BM_CMD_START, now = v & IDE_BM_CMD_START;

	c->bm_cmd = v;
	if (!was && now) {
		c->bm_emul = 0;
		bm_start(d, ch, v);
		return;
	}
	if (was && !now)
		bm_check(d, ch, true);	/* a stop: deliver what finished, drop the rest */
	if (c->bm_emul && now)
		return;			/* a refused start never reaches the controller */
	hal_outb((uint16_t)(c->bm + IDE_BM_CMD), v);
}

static uint8_t bm_read8(struct ide *d, unsigned ch, unsigned off)
{
	struct ide_channel *c = &d->ch[ch];

	switch (off) {
	case IDE_BM_CMD:
		return c->bm_cmd;
	case IDE_BM_STATUS: {
		uint8_t st;

		bm_check(d, ch, false);
		st = hal_inb((uint16_t)(c->bm + IDE_BM_STATUS));
		if (c->bm_emul)
			st = (uint8_t)((st & ~IDE_BM_ST_ACTIVE) | c->bm_emul);
		return st;
	}
	case IDE_BM_PRD: case IDE_BM_PRD + 1: case IDE_BM_PRD + 2: case IDE_BM_PRD + 3:
		return (uint8_t)(c->bm_prd >> (8 * (off - IDE_BM_PRD)));
	default:
		return hal_inb((uint16_t)(c->bm + off));
	}
}

static void bm_write8(struct ide *d, unsigned ch, unsigned off, uint8_t v)
{
	struct ide_channel *c = &d->ch[ch];

	switch (off) {
	case IDE_BM_CMD:
		bm_cmd_write(d, ch, v);
		return;
	case IDE_BM_STATUS:
		c->bm_emul &= (uint8_t)~(v & (IDE_BM_ST_ERROR | IDE_BM_ST_INTR));	/* W1C */
		hal_outb((uint16_t)(c->bm + off), v);
		return;
	case IDE_BM_PRD: case IDE_BM_PRD + 1: case IDE_BM_PRD + 2: case IDE_BM_PRD + 3: {
		unsigned sh = 8 * (off - IDE_BM_PRD);

		/* The guest's pointer: kept, read back, copied from at START;
		 * the controller's register holds the shadow table. */
		c->bm_prd = (c->bm_prd & ~(0xffu << sh)) | ((uint32_t)v << sh);
		c->bm_prd &= ~(uint32_t)(IDE_PRD_TABLE_ALIGN - 1);
		return;
	}
	default:
		hal_outb((uint16_t)(c->bm + off), v);
	}
}

/* ---- the task file ---- */

/* The device is busy with a command: it ignores register writes and any
 * command but DEVICE RESET (ATA/ATAPI-6 7.x; QEMU does the same), so
 * shoji's copy of the task file must ignore them too. */
static bool device_busy(struct ide *d, unsigned ch)
{
	struct ide_channel *c = &d->ch[ch];

	bm_check(d, ch, false);
	return (alt_status(c) & (ATA_STS_BSY | ATA_STS_DRQ)) != 0;
}

/* The task file as a register H2D FIS (SATA 3.x 10.5.5 is the task file's
 * image), so ahci_ata's decoder reads LBA28/LBA48 and the count. */
static void task_file_fis(const struct ide_channel *c, uint8_t op, uint8_t *f)
{
	memset(f, 0, FIS_H2D_LEN);
	f[0] = FIS_TYPE_REG_H2D;
	f[FIS_H2D_FLAGS] = FIS_H2D_C;
	f[FIS_H2D_COMMAND] = op;
	f[FIS_H2D_FEATURE0] = c->tf[IDE_REG_ERROR];
	f[FIS_H2D_FEATURE1] = c->hob[IDE_REG_ERROR];
	f[FIS_H2D_COUNT0] = c->tf[IDE_REG_COUNT];
	f[FIS_H2D_COUNT1] = c->hob[IDE_REG_COUNT];
	f[FIS_H2D_LBA0] = c->tf[IDE_REG_LBA_LOW];
	f[FIS_H2D_LBA1] = c->tf[IDE_REG_LBA_MID];
	f[FIS_H2D_LBA2] = c->tf[IDE_REG_LBA_HIGH];
	f[FIS_H2D_LBA3] = c->hob[IDE_REG_LBA_LOW];
	f[FIS_H2D_LBA4] = c->hob[IDE_REG_LBA_MID];
	f[FIS_H2D_LBA5] = c->hob[IDE_REG_LBA_HIGH];
	f[FIS_H2D_DEVICE] = c->tf[IDE_REG_DEVICE];
}

/* Why a sector command may not run on this channel, or NULL. */
static const char *sector_refusal(struct ide *d, const struct ide_channel *c,
				  const struct ata_cmd_info *ci, bool dma)
{
	if (ci->ncq)
		return "queued-command";	/* no NCQ on a parallel/legacy channel */
	if (!c->crypt)
		return dma && ci->count * ATA_SECTOR_SIZE > d->cfg.max_cmd_bytes ?
			       "transfer-too-large" : NULL;
	if (ci->addr == ATA_ADDR_LBA28 && !ci->lba_mode)
		return "chs-addressing";
	if (c->sector_size_bad[(c->tf[IDE_REG_DEVICE] & IDE_DEV_DEV) ? 1 : 0])
		return "logical-sector-not-512";
	if (dma && ci->count * ATA_SECTOR_SIZE > d->cfg.max_cmd_bytes)
		return "transfer-too-large";
	return NULL;
}

static void command_write(struct ide *d, unsigned ch, uint8_t op)
{
	struct ide_channel *c = &d->ch[ch];
	struct ata_cmd_info ci;
	uint8_t fis[FIS_H2D_LEN];
	const char *why = NULL;
	bool dma;

	if (op == ATA_CMD_DEVICE_RESET) {
		c->state = ST_IDLE;
		c->err_emul = false;
		hal_outb((uint16_t)(c->cmd + IDE_REG_STATUS), op);
		return;
	}
	if (device_busy(d, ch)) {
		STAT_ADD(d->stats.dropped, 1);
		return;
	}
	task_file_fis(c, op, fis);
	ahci_ata_decode(fis, &ci);
	dma = dma_opcode(op);
	c->err_emul = false;
	c->opcode = op;
	if (ci.sector) {
		why = sector_refusal(d, c, &ci, dma);
		if (!why && dma && (c->bm_cmd & IDE_BM_CMD_START))
			why = "bus-master-started-before-command";
	} else if (c->crypt && ci.raw_media) {
		why = "raw-media-access";
	} else if (c->crypt && ci.sct_log_write) {
		why = "sct-log-write";
	}
	if (why) {
		refuse_command(d, ch, op, why);
		return;
	}
	if (ci.sector) {
		c->state = dma ? ST_DMA : ST_PIO;
		c->data_in = ci.dir == ATA_DIR_IN;
		c->crypt_cmd = c->crypt;
		c->lba = ci.lba;
		c->sectors = ci.count;
		c->pio_done = c->pio_off = 0;
		c->pio_loaded = false;
	} else {
		c->state = op == ATA_CMD_IDENTIFY ? ST_IDENTIFY : ST_OTHER;
		c->pio_off = 0;
	}
	STAT_ADD(d->stats.commands, 1);
	prof_enter(PROF_DOORBELL);
	hal_outb((uint16_t)(c->cmd + IDE_REG_STATUS), op);
	prof_leave();
}

static void register_write(struct ide *d, unsigned ch, unsigned reg, uint8_t v)
{
	struct ide_channel *c = &d->ch[ch];

	if (reg == IDE_REG_STATUS) {
		command_write(d, ch, v);
		return;
	}
	if (device_busy(d, ch)) {
		STAT_ADD(d->stats.dropped, 1);
		return;
	}
	if (reg != IDE_REG_DEVICE)
		c->hob[reg] = c->tf[reg];	/* the 48-bit FIFO */
	c->tf[reg] = v;
	hal_outb((uint16_t)(c->cmd + reg), v);
}

static uint8_t register_read(struct ide *d, unsigned ch, unsigned reg)
{
	struct ide_channel *c = &d->ch[ch];
	uint8_t v;

	if (reg == IDE_REG_STATUS)
		bm_check(d, ch, false);
	v = hal_inb((uint16_t)(c->cmd + reg));	/* a status read acknowledges INTRQ */
	if (c->err_emul && reg == IDE_REG_STATUS)
		return ATA_STS_DRDY | ATA_STS_DSC | ATA_STS_ERR;
	if (c->err_emul && reg == IDE_REG_ERROR)
		return ATA_ERR_ABRT;
	return v;
}

static void control_write(struct ide *d, unsigned ch, uint8_t v)
{
	struct ide_channel *c = &d->ch[ch];

	if (v & IDE_CTL_SRST) {
		/* A software reset ends every command on the channel; a
		 * transfer still on the bus master is dropped, not delivered. */
		c->bm_run = false;
		c->state = ST_IDLE;
		c->err_emul = false;
	}
	hal_outb(c->ctl, v);
}

/* ---- PIO data ---- */

static void pio_load(struct ide *d, struct ide_channel *c)
{
	uint16_t *w = (uint16_t *)c->buf;

	for (unsigned i = 0; i < ATA_SECTOR_SIZE / 2; i++)
		w[i] = hal_inw((uint16_t)(c->cmd + IDE_REG_DATA));
	if (c->crypt_cmd) {
		uint8_t plain[ATA_SECTOR_SIZE];

		count_crypt(d, false, disk_crypt_sectors(d->cfg.crypt, false, c->lba + c->pio_done,
							 plain, c->buf, 1));
		memcpy(c->buf, plain, sizeof(plain));
		memset(plain, 0, sizeof(plain));
	}
	c->pio_loaded = true;
}

static void pio_flush(struct ide *d, struct ide_channel *c)
{
	uint8_t out[ATA_SECTOR_SIZE];
	const uint16_t *w = (const uint16_t *)out;

	if (c->crypt_cmd)
		count_crypt(d, true, disk_crypt_sectors(d->cfg.crypt, true, c->lba + c->pio_done,
							out, c->buf, 1));
	else
		memcpy(out, c->buf, sizeof(out));
	for (unsigned i = 0; i < ATA_SECTOR_SIZE / 2; i++)
		hal_outw((uint16_t)(c->cmd + IDE_REG_DATA), w[i]);
	memset(c->buf, 0, sizeof(c->buf));
}

static void pio_sector_done(struct ide *d, struct ide_channel *c)
{
	c->pio_off = 0;
	c->pio_loaded = false;
	c->pio_done++;
	STAT_ADD(d->stats.pio_sectors, 1);
	if (c->pio_done == c->sectors)
		c->state = ST_OTHER;
}

static uint16_t le16(const uint8_t *b)
{
	return (uint16_t)(b[0] | b[1] << 8);
}

/* IDENTIFY DEVICE words 106, 117-118 (ATA8-ACS 7.16.7): the logical sector
 * size; only 512-byte sectors are encrypted. */
static void snoop_identify(struct ide_channel *c, unsigned ch)
{
	uint16_t w106 = le16(c->buf + 2 * ATA_ID_SECTOR_SIZE);
	uint32_t words = 256;
	unsigned dev = (c->tf[IDE_REG_DEVICE] & IDE_DEV_DEV) ? 1 : 0;

	if ((w106 & 0xc000) == 0x4000 && (w106 & (1u << 12)))
		words = le16(c->buf + 2 * ATA_ID_LOGICAL_SECTOR) |
			(uint32_t)le16(c->buf + 2 * (ATA_ID_LOGICAL_SECTOR + 1)) << 16;
	if (words != 256 && !c->sector_size_bad[dev] && c->crypt)
		log_warn("ide channel=%u device=%u logical_sector=%u: sector commands refused "
			 "(only 512-byte sectors are encrypted)", ch, dev, words * 2);
	c->sector_size_bad[dev] = words != 256;
	c->state = ST_OTHER;
}

static uint32_t data_read(struct ide *d, unsigned ch, unsigned size)
{
	struct ide_channel *c = &d->ch[ch];
	uint32_t v = 0;

	if (c->state == ST_IDENTIFY) {
		v = hal_in((uint16_t)(c->cmd + IDE_REG_DATA), size);
		for (unsigned i = 0; i < size && c->pio_off < ATA_SECTOR_SIZE; i++)
			c->buf[c->pio_off++] = (uint8_t)(v >> (8 * i));
		if (c->pio_off == ATA_SECTOR_SIZE)
			snoop_identify(c, ch);
		return v;
	}
	if (c->state != ST_PIO || !c->data_in)
		return hal_in((uint16_t)(c->cmd + IDE_REG_DATA), size);
	for (unsigned i = 0; i < size && c->state == ST_PIO; i++) {
		if (!c->pio_loaded)
			pio_load(d, c);
		v |= (uint32_t)c->buf[c->pio_off++] << (8 * i);
		if (c->pio_off == ATA_SECTOR_SIZE) {
			memset(c->buf, 0, sizeof(c->buf));
			pio_sector_done(d, c);
		}
	}
	return v;
}

static void data_write(struct ide *d, unsigned ch, unsigned size, uint32_t v)
{
	struct ide_channel *c = &d->ch[ch];

	if (c->state != ST_PIO || c->data_in) {
		hal_out((uint16_t)(c->cmd + IDE_REG_DATA), size, v);
		return;
	}
	for (unsigned i = 0; i < size && c->state == ST_PIO; i++) {
		c->buf[c->pio_off++] = (uint8_t)(v >> (8 * i));
		if (c->pio_off == ATA_SECTOR_SIZE) {
			pio_flush(d, c);
			pio_sector_done(d, c);
		}
	}
}

/* ---- dispatch ---- */

enum port_kind { P_NONE, P_CMD, P_CTL, P_BM };

static enum port_kind classify(const struct ide *d, uint16_t port, unsigned *ch, unsigned *off)
{
	for (unsigned i = 0; i < IDE_CHANNELS; i++) {
		const struct ide_channel *c = &d->ch[i];

		if (!c->present)
			continue;
		*ch = i;
		if (port >= c->cmd && port < c->cmd + IDE_CMD_PORTS) {
			*off = port - c->cmd;
			return P_CMD;
		}
		if (port == c->ctl) {
			*off = 0;
			return P_CTL;
		}
		if (port >= c->bm && port < c->bm + IDE_BM_PORTS) {
			*off = port - c->bm;
			return P_BM;
		}
	}
	return P_NONE;
}

bool ide_owns(const struct ide *d, uint16_t port)
{
	unsigned ch, off;

	return classify(d, port, &ch, &off) != P_NONE;
}

static uint8_t read8(struct ide *d, uint16_t port)
{
	unsigned ch, off;

	switch (classify(d, port, &ch, &off)) {
	case P_CMD:
		return off == IDE_REG_DATA ? (uint8_t)data_read(d, ch, 1) : register_read(d, ch, off);
	case P_CTL:
		bm_check(d, ch, false);
		return d->ch[ch].err_emul ? ATA_STS_DRDY | ATA_STS_DSC | ATA_STS_ERR :
					    alt_status(&d->ch[ch]);
	case P_BM:
		return bm_read8(d, ch, off);
	case P_NONE:
		break;
	}
	return hal_inb(port);
}

static void write8(struct ide *d, uint16_t port, uint8_t v)
{
	unsigned ch, off;

	switch (classify(d, port, &ch, &off)) {
	case P_CMD:
		if (off == IDE_REG_DATA)
			data_write(d, ch, 1, v);
		else
			register_write(d, ch, off, v);
		return;
	case P_CTL:
		control_write(d, ch, v);
		return;
	case P_BM:
		bm_write8(d, ch, off, v);
		return;
	case P_NONE:
		break;
	}
	hal_outb(port, v);
}

/* Each channel has its own lock (ide.h): an access takes the lock of the
 * channel its port belongs to (none for a port of no channel), one access
 * at a time, never two channels' locks at once. */
static struct spinlock *lock_of(struct ide *d, uint16_t port)
{
	unsigned ch, off;

	return classify(d, port, &ch, &off) == P_NONE ? NULL : &d->ch[ch].lock;
}

static uint32_t io_in(struct ide *d, uint16_t port, unsigned size)
{
	struct spinlock *l;
	unsigned ch, off;
	uint32_t v = 0;

	if (d->cfg.confine_only)
		return hal_in(port, size);
	/* The data port keeps the access's width (16/32-bit PIO). */
	if (classify(d, port, &ch, &off) == P_CMD && off == IDE_REG_DATA) {
		spin_lock(&d->ch[ch].lock);
		v = data_read(d, ch, size);
		spin_unlock(&d->ch[ch].lock);
		return v;
	}
	for (unsigned i = 0; i < size; i++) {
		if ((l = lock_of(d, (uint16_t)(port + i))))
			spin_lock(l);
		v |= (uint32_t)read8(d, (uint16_t)(port + i)) << (8 * i);
		if (l)
			spin_unlock(l);
	}
	return v;
}

static void io_out(struct ide *d, uint16_t port, unsigned size, uint32_t v)
{
	struct spinlock *l;
	unsigned ch, off;

	if (d->cfg.confine_only) {
		hal_out(port, size, v);
		return;
	}
	if (classify(d, port, &ch, &off) == P_CMD && off == IDE_REG_DATA) {
		spin_lock(&d->ch[ch].lock);
		data_write(d, ch, size, v);
		spin_unlock(&d->ch[ch].lock);
		return;
	}
	for (unsigned i = 0; i < size; i++) {
		if ((l = lock_of(d, (uint16_t)(port + i))))
			spin_lock(l);
		write8(d, (uint16_t)(port + i), (uint8_t)(v >> (8 * i)));
		if (l)
			spin_unlock(l);
	}
}

/* The "ide_reg" section (lib/prof.h): the data moved, the PRDs copied and
 * the device's own handling of the command open theirs inside it. */
uint32_t ide_io_in(struct ide *d, uint16_t port, unsigned size)
{
	uint32_t v;

	prof_enter(PROF_IDE_REG);
	v = io_in(d, port, size);
	prof_leave();
	return v;
}

void ide_io_out(struct ide *d, uint16_t port, unsigned size, uint32_t v)
{
	prof_enter(PROF_IDE_REG);
	io_out(d, port, size, v);
	prof_leave();
}

/* After every exit on every CPU: a channel whose lock another CPU holds is
 * left to it (the holder's own access notices the transfer's end). */
void ide_poll(struct ide *d)
{
	for (unsigned i = 0; i < IDE_CHANNELS; i++) {
		if (!__atomic_load_n(&d->ch[i].bm_run, __ATOMIC_RELAXED) ||
		    !spin_trylock(&d->ch[i].lock))
			continue;
		prof_enter(PROF_POLL);
		if (d->ch[i].bm_run)
			bm_check(d, i, false);
		prof_leave();
		spin_unlock(&d->ch[i].lock);
	}
}

void ide_log_stats(const struct ide *d)
{
	const struct ide_stats *s = &d->stats;

	log_info("ide stats commands=%llu dma=%llu pio_sectors=%llu refused=%llu dropped=%llu "
		 "bytes_to_device=%llu bytes_from_device=%llu sectors_encrypted=%llu "
		 "sectors_decrypted=%llu",
		 (unsigned long long)s->commands, (unsigned long long)s->dma,
		 (unsigned long long)s->pio_sectors, (unsigned long long)s->refused,
		 (unsigned long long)s->dropped, (unsigned long long)s->bytes_to_device,
		 (unsigned long long)s->bytes_from_device,
		 (unsigned long long)s->sectors_encrypted, (unsigned long long)s->sectors_decrypted);
}

/* ---- setup ---- */

static int channel_init(struct ide *d, unsigned i)
{
	struct ide_channel *c = &d->ch[i];
	const struct ide_config *cfg = &d->cfg;

	c->cmd = cfg->cmd[i];
	c->ctl = cfg->ctl[i];
	c->bm = (uint16_t)(cfg->bm + IDE_BM_PORTS * i);
	c->crypt = !cfg->confine_only && (cfg->crypt_channels & (1u << i));
	c->present = true;
	/* A bus master firmware left running would DMA to its own tables. */
	hal_outb((uint16_t)(c->bm + IDE_BM_CMD), 0);
	c->bm_cmd = 0;
	c->bm_prd = hal_inl((uint16_t)(c->bm + IDE_BM_PRD)) & ~3u;
	if (cfg->confine_only) {
		log_info("ide channel=%u cmd=0x%x ctl=0x%x bm=0x%x mode=confine-only", i, c->cmd,
			 c->ctl, c->bm);
		return 0;
	}
	c->sh_pages = cfg->max_cmd_bytes / PAGE_SIZE;
	c->sh_prd = cfg->shadow.alloc(cfg->shadow.ctx, 1);
	c->sh_data = c->sh_prd ? cfg->shadow.alloc(cfg->shadow.ctx, c->sh_pages) : 0;
	if (!c->sh_prd || !c->sh_data) {
		log_error("ide channel=%u: no shadow memory for its PRD table and %u KiB of data",
			  i, cfg->max_cmd_bytes >> 10);
		return E_NOMEM;
	}
	/* PRD addresses are 32-bit (the bus master has no high halves). */
	if (c->sh_prd >= GiB(4) - PAGE_SIZE ||
	    c->sh_data + (paddr_t)c->sh_pages * PAGE_SIZE > GiB(4)) {
		log_error("ide channel=%u: shadow memory above 4 GiB", i);
		return E_RANGE;
	}
	log_info("ide channel=%u cmd=0x%x ctl=0x%x bm=0x%x shadow_prd=0x%llx "
		 "shadow_data=0x%llx-0x%llx crypt=%s mode=shadow", i, c->cmd, c->ctl, c->bm,
		 (unsigned long long)c->sh_prd, (unsigned long long)c->sh_data,
		 (unsigned long long)(c->sh_data + (paddr_t)c->sh_pages * PAGE_SIZE),
		 c->crypt ? "yes" : "no");
	return 0;
}

int ide_init(struct ide *d, const struct ide_config *cfg)
{
	int rc;

	memset(d, 0, sizeof(*d));
	d->cfg = *cfg;
	if (!d->cfg.max_cmd_bytes)
		d->cfg.max_cmd_bytes = IDE_DEFAULT_MAX_CMD_BYTES;
	if (!cfg->bm || d->cfg.max_cmd_bytes > IDE_CMD_BYTES_LIMIT ||
	    d->cfg.max_cmd_bytes % PAGE_SIZE ||
	    (!cfg->confine_only && (!cfg->shadow.alloc || !cfg->guest_mem_ok)) ||
	    (cfg->crypt_channels && !cfg->confine_only && !cfg->crypt)) {
		log_error("ide: bad configuration (bus-master block, shadow allocator, guest "
			  "memory check, cipher, max_cmd_bytes)");
		return E_INVAL;
	}
	for (unsigned i = 0; i < IDE_CHANNELS; i++) {
		if (!cfg->cmd[i])
			continue;
		if (!cfg->ctl[i]) {
			log_error("ide channel=%u: a command block without a control port", i);
			ide_fini(d);
			return E_INVAL;
		}
		if ((rc = channel_init(d, i))) {
			ide_fini(d);
			return rc;
		}
	}
	return 0;
}

void ide_fini(struct ide *d)
{
	for (unsigned i = 0; i < IDE_CHANNELS; i++) {
		struct ide_channel *c = &d->ch[i];

		if (c->sh_data)
			d->cfg.shadow.free(d->cfg.shadow.ctx, c->sh_data, c->sh_pages);
		if (c->sh_prd)
			d->cfg.shadow.free(d->cfg.shadow.ctx, c->sh_prd, 1);
		c->sh_data = c->sh_prd = 0;
		c->present = false;
	}
}
