/* The intercepted-IDE engine (src/devices/ide.c) against a modelled PCI IDE
 * controller: a host port-I/O model of one ATA disk on the primary channel
 * (task file with the 48-bit FIFO, PIO data port, busy rules) and of the
 * bus master (command, status, PRD pointer), whose DMA walks the PRD table
 * at the address in ITS register and asserts that every byte it touches is
 * inside the shadow window (a fault counter stands in for the IOMMU). The
 * guest side drives the engine as ata_piix does (PRD tables and buffers in
 * a separate arena). The toy cipher asserts that plaintext is never in the
 * shadow window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/mman.h>

#include "devices/ahci_regs.h"
#include "devices/ide.h"
#include "host/host.h"
#include "lib/error.h"
#include "lib/prof.h"

#define CMD0 0x1f0
#define CTL0 0x3f6
#define CMD1 0x170
#define CTL1 0x376
#define BM 0xc000
#define SECTORS 4096
#define GUEST_BYTES (4u << 20)
#define WIN_PAGES 512
#define MAX_CMD (256u << 10)

/* ---------------- memory: guest arena, shadow window ---------------- */

static uint8_t *guest, *win;
static uint8_t win_used[WIN_PAGES];
static int win_in_use;

static bool in_win(const void *p, size_t n)
{
	return (const uint8_t *)p >= win && (const uint8_t *)p + n <= win + WIN_PAGES * 4096;
}

static paddr_t sh_alloc(void *ctx, uint32_t pages)
{
	for (uint32_t i = 0; i + pages <= WIN_PAGES; i++) {
		uint32_t j = 0;

		while (j < pages && !win_used[i + j])
			j++;
		if (j == pages) {
			memset(win_used + i, 1, pages);
			win_in_use += (int)pages;
			return (paddr_t)(uintptr_t)(win + (size_t)i * 4096);
		}
		i += j;
	}
	return 0;
}

static void sh_free(void *ctx, paddr_t pa, uint32_t pages)
{
	size_t first = ((uint8_t *)(uintptr_t)pa - win) / 4096;

	for (uint32_t i = 0; i < pages; i++) {
		assert_true(win_used[first + i]);
		win_used[first + i] = 0;
	}
	win_in_use -= (int)pages;
}

static bool guest_mem_ok(void *ctx, paddr_t pa, uint64_t len)
{
	uintptr_t g = (uintptr_t)guest;

	return pa >= g && pa + len <= g + GUEST_BYTES && pa + len > pa;
}

/* ---------------- toy cipher: reversible, position dependent ---------------- */

static uint64_t crypt_first, crypt_end;

static bool t_in_range(void *ctx, uint64_t lba, uint32_t n)
{
	return lba >= crypt_first && lba + n <= crypt_end;
}

static uint8_t key_byte(uint64_t lba, unsigned i)
{
	return (uint8_t)(0x5a ^ (lba * 37) ^ (i * 11));
}

static void t_encrypt(void *ctx, uint64_t lba, void *dst, const void *src, uint32_t n)
{
	assert_false(in_win(src, (size_t)n * 512));	/* plaintext never in shadow memory */
	for (uint32_t s = 0; s < n; s++)
		for (unsigned i = 0; i < 512; i++)
			((uint8_t *)dst)[s * 512 + i] = ((const uint8_t *)src)[s * 512 + i] ^
							key_byte(lba + s, i);
}

static void t_decrypt(void *ctx, uint64_t lba, void *dst, const void *src, uint32_t n)
{
	assert_false(in_win(dst, (size_t)n * 512));
	for (uint32_t s = 0; s < n; s++)
		for (unsigned i = 0; i < 512; i++)
			((uint8_t *)dst)[s * 512 + i] = ((const uint8_t *)src)[s * 512 + i] ^
							key_byte(lba + s, i);
}

static const struct disk_crypt toy = { NULL, t_in_range, t_encrypt, t_decrypt };

/* ---------------- the modelled controller and disk ---------------- */

static struct model {
	uint8_t tf[8], hob[8], status, error, devctl;
	uint8_t disk[SECTORS * 512];
	bool pio, pio_in, identify;
	uint64_t lba;
	uint32_t left, off;
	uint8_t buf[512];
	bool dma_pending, dma_in;
	uint32_t dma_sectors;
	bool defer_dma;
	uint8_t bm_cmd, bm_status;
	uint32_t bm_prd;
	int faults, irqs;
	unsigned commands;
	uint8_t last_cmd;
	uint16_t id[256];
} m;

static bool lba48_op(uint8_t op)
{
	return op == 0x24 || op == 0x25 || op == 0x29 || op == 0x34 || op == 0x35 || op == 0x39;
}

static void m_decode(uint8_t op)
{
	if (lba48_op(op)) {
		m.lba = m.tf[3] | (uint64_t)m.tf[4] << 8 | (uint64_t)m.tf[5] << 16 |
			(uint64_t)m.hob[3] << 24 | (uint64_t)m.hob[4] << 32 | (uint64_t)m.hob[5] << 40;
		m.left = m.tf[2] | (uint32_t)m.hob[2] << 8;
		if (!m.left)
			m.left = 65536;
	} else {
		m.lba = m.tf[3] | (uint64_t)m.tf[4] << 8 | (uint64_t)m.tf[5] << 16 |
			(uint64_t)(m.tf[6] & 0xf) << 24;
		m.left = m.tf[2] ? m.tf[2] : 256;
	}
	assert_true(m.lba + m.left <= SECTORS);
}

static void m_done(void)
{
	m.status = ATA_STS_DRDY | ATA_STS_DSC;
	m.irqs++;
}

static void m_command(uint8_t op)
{
	if (m.status & (ATA_STS_BSY | ATA_STS_DRQ))
		return;			/* ignored while busy, as QEMU does */
	m.commands++;
	m.last_cmd = op;
	m.error = 0;
	switch (op) {
	case 0xec:
		memcpy(m.buf, m.id, 512);
		m.pio = m.pio_in = m.identify = true;
		m.left = 1;
		m.off = 0;
		m.status = ATA_STS_DRDY | ATA_STS_DRQ;
		return;
	case 0x20: case 0x24: case 0xc4: case 0x29:
		m_decode(op);
		m.pio = m.pio_in = true;
		m.identify = false;
		memcpy(m.buf, m.disk + m.lba * 512, 512);
		m.off = 0;
		m.status = ATA_STS_DRDY | ATA_STS_DRQ;
		return;
	case 0x30: case 0x34: case 0xc5: case 0x39:
		m_decode(op);
		m.pio = true;
		m.pio_in = m.identify = false;
		m.off = 0;
		m.status = ATA_STS_DRDY | ATA_STS_DRQ;
		return;
	case 0xc8: case 0x25: case 0xca: case 0x35:
		m_decode(op);
		m.dma_pending = true;
		m.dma_in = op == 0xc8 || op == 0x25;
		m.dma_sectors = m.left;
		m.status = ATA_STS_DRDY | ATA_STS_DRQ;
		return;
	case 0xe5:
		m.tf[2] = 0xff;
		m_done();
		return;
	case 0xef:
		m_done();
		return;
	default:
		m.error = ATA_ERR_ABRT;
		m.status = ATA_STS_DRDY | ATA_STS_ERR;
		m.irqs++;
	}
}

/* The bus master: the PRD table at its register, every region checked
 * against the shadow window (the IOMMU domain). */
static void m_run_dma(void)
{
	uint32_t *t = (uint32_t *)(uintptr_t)m.bm_prd;
	uint64_t pos = m.lba * 512, end = pos + (uint64_t)m.dma_sectors * 512;

	for (unsigned i = 0; pos < end; i++) {
		uint32_t addr = t[2 * i], n = t[2 * i + 1] & 0xfffe;
		uint8_t *p = (uint8_t *)(uintptr_t)addr;

		if (!n)
			n = 0x10000;	/* a count of 0 is 64 KiB */
		if (!in_win(t + 2 * i, 8) || !in_win(p, n)) {
			m.faults++;
			m.bm_status = (uint8_t)((m.bm_status & ~IDE_BM_ST_ACTIVE) | IDE_BM_ST_ERROR |
						IDE_BM_ST_INTR);
			m.dma_pending = false;
			m_done();
			return;
		}
		n = (uint32_t)MIN(n, end - pos);
		if (m.dma_in)
			memcpy(p, m.disk + pos, n);
		else
			memcpy(m.disk + pos, p, n);
		pos += n;
		if (t[2 * i + 1] & IDE_PRD_EOT)
			break;
	}
	assert_int_equal(pos, end);
	m.dma_pending = false;
	m.bm_status = (uint8_t)((m.bm_status & ~IDE_BM_ST_ACTIVE) | IDE_BM_ST_INTR);
	m_done();
}

static uint16_t m_data_in(void)
{
	uint16_t w;

	if (!m.pio || !m.pio_in)
		return 0xffff;
	w = (uint16_t)(m.buf[m.off] | m.buf[m.off + 1] << 8);
	m.off += 2;
	if (m.off == 512) {
		m.off = 0;
		m.lba++;
		if (--m.left && !m.identify) {
			memcpy(m.buf, m.disk + m.lba * 512, 512);
		} else {
			m.pio = false;
			m_done();
		}
	}
	return w;
}

static void m_data_out(uint16_t w)
{
	if (!m.pio || m.pio_in)
		return;
	m.buf[m.off] = (uint8_t)w;
	m.buf[m.off + 1] = (uint8_t)(w >> 8);
	m.off += 2;
	if (m.off == 512) {
		memcpy(m.disk + m.lba * 512, m.buf, 512);
		m.off = 0;
		m.lba++;
		if (!--m.left) {
			m.pio = false;
			m_done();
		}
	}
}

static uint32_t m_in(uint16_t port, int width)
{
	if (port == CMD0 && width == 2)
		return m_data_in();
	if (port == CMD0 && width == 4)
		return m_data_in() | (uint32_t)m_data_in() << 16;
	if (port > CMD0 && port < CMD0 + 7)
		return port == CMD0 + 1 ? m.error : m.tf[port - CMD0];
	if (port == CMD0 + 7) {
		m.irqs = 0;	/* a status read acknowledges the interrupt */
		return m.status;
	}
	if (port == CTL0)
		return m.status;
	if (port == BM)
		return m.bm_cmd;
	if (port == BM + 2)
		return m.bm_status;
	if (port == BM + 4 && width == 4)
		return m.bm_prd;
	if (port >= BM + 8 && port < BM + 16)
		return 0;
	if (port >= CMD1 && port < CMD1 + 8)
		return 0x7f;	/* no device: floating bus */
	if (port == CTL1)
		return 0x7f;
	fail_msg("unexpected port read 0x%x width %d", port, width);
	return 0;
}

static void m_out(uint16_t port, int width, uint32_t v)
{
	if (port == CMD0 && width == 2) {
		m_data_out((uint16_t)v);
		return;
	}
	if (port == CMD0 && width == 4) {
		m_data_out((uint16_t)v);
		m_data_out((uint16_t)(v >> 16));
		return;
	}
	if (port > CMD0 && port < CMD0 + 7) {
		if (m.status & (ATA_STS_BSY | ATA_STS_DRQ))
			return;
		if (port != CMD0 + 6)
			m.hob[port - CMD0] = m.tf[port - CMD0];
		m.tf[port - CMD0] = (uint8_t)v;
		return;
	}
	if (port == CMD0 + 7) {
		m_command((uint8_t)v);
		return;
	}
	if (port == CTL0) {
		m.devctl = (uint8_t)v;
		if (v & IDE_CTL_SRST) {
			m.pio = m.dma_pending = false;
			m.status = ATA_STS_DRDY;
		}
		return;
	}
	if (port == BM) {
		bool start = !(m.bm_cmd & 1) && (v & 1);

		m.bm_cmd = (uint8_t)v;
		if (start) {
			m.bm_status |= IDE_BM_ST_ACTIVE;
			if (m.dma_pending && !m.defer_dma)
				m_run_dma();
		} else if (!(v & 1)) {
			m.bm_status &= (uint8_t)~IDE_BM_ST_ACTIVE;
		}
		return;
	}
	if (port == BM + 2) {
		m.bm_status = (uint8_t)((m.bm_status & ~(v & 6)) | (v & 0x60));
		return;
	}
	if (port == BM + 4 && width == 4) {
		m.bm_prd = v;
		return;
	}
	if (port >= BM + 8 && port < BM + 16)
		return;
	if ((port >= CMD1 && port < CMD1 + 8) || port == CTL1)
		return;
	fail_msg("unexpected port write 0x%x width %d", port, width);
}

static const struct host_io_ops model_io = { m_in, m_out };

/* ---------------- the engine and a guest driver ---------------- */

static struct ide ide;

static struct ide_config config(bool confine)
{
	struct ide_config c = {
		.cmd = { CMD0, CMD1 }, .ctl = { CTL0, CTL1 }, .bm = BM,
		.confine_only = confine,
		.shadow = { NULL, sh_alloc, sh_free },
		.guest_mem_ok = guest_mem_ok,
		.crypt = &toy, .crypt_channels = 3,
		.max_cmd_bytes = MAX_CMD,
	};
	return c;
}

static int setup_common(bool confine)
{
	if (!guest) {
		guest = mmap(NULL, GUEST_BYTES, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
		win = mmap(NULL, WIN_PAGES * 4096, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
		assert_true(guest != MAP_FAILED && win != MAP_FAILED);
	}
	memset(&m, 0, sizeof(m));
	m.status = ATA_STS_DRDY;
	memset(guest, 0, GUEST_BYTES);
	memset(win_used, 0, sizeof(win_used));
	win_in_use = 0;
	crypt_first = 0;
	crypt_end = UINT64_MAX;
	host_io = &model_io;
	host_log_clear();
	struct ide_config c = config(confine);
	assert_int_equal(ide_init(&ide, &c), 0);
	return 0;
}

static int setup(void **state) { return setup_common(false); }
static int setup_confine(void **state) { return setup_common(true); }

static int teardown(void **state)
{
	ide_fini(&ide);
	assert_int_equal(win_in_use, 0);	/* every shadow page given back */
	host_io = NULL;
	return 0;
}

static void g_out8(uint16_t port, uint8_t v) { ide_io_out(&ide, port, 1, v); }
static uint8_t g_in8(uint16_t port) { return (uint8_t)ide_io_in(&ide, port, 1); }

static uint32_t gpa(const void *p) { return (uint32_t)(uintptr_t)p; }

/* ata_sff_tf_load: HOB bytes first for 48-bit commands, then the low ones. */
static void tf_load(uint64_t lba, uint32_t count, bool lba48)
{
	if (lba48) {
		g_out8(CMD0 + 2, (uint8_t)(count >> 8));
		g_out8(CMD0 + 3, (uint8_t)(lba >> 24));
		g_out8(CMD0 + 4, (uint8_t)(lba >> 32));
		g_out8(CMD0 + 5, (uint8_t)(lba >> 40));
	}
	g_out8(CMD0 + 2, (uint8_t)count);
	g_out8(CMD0 + 3, (uint8_t)lba);
	g_out8(CMD0 + 4, (uint8_t)(lba >> 8));
	g_out8(CMD0 + 5, (uint8_t)(lba >> 16));
	g_out8(CMD0 + 6, (uint8_t)(IDE_DEV_LBA | (lba48 ? 0 : (lba >> 24) & 0xf)));
}

struct gprd {
	void *buf;
	uint32_t bytes;
};

/* The guest's PRD table at `table` for the buffers. */
static void prd_table(uint32_t *table, const struct gprd *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		table[2 * i] = gpa(p[i].buf);
		table[2 * i + 1] = (p[i].bytes & 0xffff) | (i == n - 1 ? IDE_PRD_EOT : 0);
	}
}

/* ata_bmdma_setup + exec_command + ata_bmdma_start, up to the START write. */
static void dma_issue(uint8_t op, uint64_t lba, uint32_t count, bool in, uint32_t *table)
{
	ide_io_out(&ide, BM + 4, 4, gpa(table));
	g_out8(BM, in ? IDE_BM_CMD_READ : 0);
	tf_load(lba, count, lba48_op(op));
	g_out8(CMD0 + 7, op);
	g_out8(BM, (uint8_t)((in ? IDE_BM_CMD_READ : 0) | IDE_BM_CMD_START));
}

/* The interrupt handler: BM status, stop, task-file status, clear. */
static uint8_t dma_finish(bool in, uint8_t *tf_status)
{
	uint8_t st = g_in8(BM + 2);

	g_out8(BM, in ? IDE_BM_CMD_READ : 0);
	*tf_status = g_in8(CMD0 + 7);
	g_out8(BM + 2, st);
	return st;
}

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 9));
}

static void assert_ciphertext(uint64_t lba, const uint8_t *plain, uint32_t sectors)
{
	for (uint32_t s = 0; s < sectors; s++)
		for (unsigned i = 0; i < 512; i++)
			assert_int_equal(m.disk[(lba + s) * 512 + i],
					 plain[s * 512 + i] ^ key_byte(lba + s, i));
}

/* ---------------- tests ---------------- */

static void test_init_logs_channels(void **state)
{
	assert_int_equal(host_log_count("shoji: ide channel=0 cmd=0x1f0 ctl=0x3f6 bm=0xc000"), 1);
	assert_int_equal(host_log_count("shoji: ide channel=1 cmd=0x170 ctl=0x376 bm=0xc008"), 1);
	assert_int_equal(host_log_count("crypt=yes mode=shadow"), 2);
	assert_int_equal(win_in_use, 2 * (1 + MAX_CMD / 4096));
	assert_true(ide_owns(&ide, 0x1f7) && ide_owns(&ide, 0x3f6) && ide_owns(&ide, 0xc00f));
	assert_false(ide_owns(&ide, 0x3f7) || ide_owns(&ide, 0x1f8) || ide_owns(&ide, 0xc010));
}

static void test_bad_config(void **state)
{
	struct ide d2;
	struct ide_config c = config(false);

	c.bm = 0;
	assert_int_equal(ide_init(&d2, &c), E_INVAL);
	c = config(false);
	c.shadow.alloc = NULL;
	assert_int_equal(ide_init(&d2, &c), E_INVAL);
	c = config(false);
	c.ctl[1] = 0;
	assert_int_equal(ide_init(&d2, &c), E_INVAL);
	c = config(false);
	c.max_cmd_bytes = 100;
	assert_int_equal(ide_init(&d2, &c), E_INVAL);
}

/* WRITE DMA EXT over three PRDs of mixed sizes, then READ DMA EXT into
 * other buffers: ciphertext on the disk (tweak = sector), plaintext back,
 * the bus master only ever saw shadow memory. */
static void test_dma_lba48_write_read(void **state)
{
	uint32_t *table = (uint32_t *)(guest + 0x1000);
	uint8_t *a = guest + 0x10000, *b = guest + 0x20000, *c = guest + 0x30000;
	uint8_t plain[16 * 512], st, ts;
	struct gprd w[] = { { a, 2048 }, { b, 4096 }, { c, 2048 } };
	uint8_t *r1 = guest + 0x100000, *r2 = guest + 0x110000;
	struct gprd r[] = { { r1, 6144 }, { r2, 2048 } };

	fill(a, 2048, 1);
	fill(b, 4096, 2);
	fill(c, 2048, 3);
	memcpy(plain, a, 2048);
	memcpy(plain + 2048, b, 4096);
	memcpy(plain + 6144, c, 2048);
	prd_table(table, w, 3);
	dma_issue(ATA_CMD_WRITE_DMA_EXT, 100, 16, false, table);
	st = dma_finish(false, &ts);
	assert_int_equal(st & (IDE_BM_ST_INTR | IDE_BM_ST_ERROR | IDE_BM_ST_ACTIVE), IDE_BM_ST_INTR);
	assert_int_equal(ts & ATA_STS_ERR, 0);
	assert_int_equal(m.faults, 0);
	assert_ciphertext(100, plain, 16);
	assert_true(in_win((void *)(uintptr_t)m.bm_prd, 8));
	/* The guest reads back its own pointer. */
	assert_int_equal(ide_io_in(&ide, BM + 4, 4), gpa(table));

	prd_table(table, r, 2);
	dma_issue(ATA_CMD_READ_DMA_EXT, 100, 16, true, table);
	dma_finish(true, &ts);
	assert_memory_equal(r1, plain, 6144);
	assert_memory_equal(r2, plain + 6144, 2048);
	assert_int_equal(ide.stats.dma, 2);
	assert_int_equal(ide.stats.sectors_encrypted, 16);
	assert_int_equal(ide.stats.sectors_decrypted, 16);
	assert_int_equal(ide.stats.refused, 0);
	/* Both pages of the write straddle two PRDs, as does the read's
	 * second: through the bounce page; the read's first lies in r1. */
	assert_int_equal(ide.stats.bytes_copied, 8192 + 4096);
}

/* A page of the transfer that lies in one PRD and one guest page is
 * encrypted from (and decrypted into) the guest's buffer in place; one
 * that crosses a guest page goes through the bounce page. Same bytes on
 * the disk and back either way. */
static void test_dma_in_place_and_bounced(void **state)
{
	uint32_t *table = (uint32_t *)(guest + 0x1000);
	uint8_t *a = guest + 0x40000, *b = guest + 0x50800;	/* b crosses a page */
	struct gprd w[] = { { a, 4096 }, { b, 4096 } };
	uint8_t plain[8192], ts;

	(void)state;
	fill(a, 4096, 5);
	fill(b, 4096, 9);
	memcpy(plain, a, 4096);
	memcpy(plain + 4096, b, 4096);
	prd_table(table, w, 2);
	dma_issue(ATA_CMD_WRITE_DMA_EXT, 300, 16, false, table);
	dma_finish(false, &ts);
	assert_int_equal(ts & ATA_STS_ERR, 0);
	assert_ciphertext(300, plain, 16);
	assert_int_equal(ide.stats.bytes_copied, 4096);	/* b only */
	memset(a, 0, 4096);
	memset(b, 0, 4096);
	dma_issue(ATA_CMD_READ_DMA_EXT, 300, 16, true, table);
	dma_finish(true, &ts);
	assert_memory_equal(a, plain, 4096);
	assert_memory_equal(b, plain + 4096, 4096);
	assert_int_equal(ide.stats.bytes_copied, 2 * 4096);
	assert_int_equal(ide.stats.sectors_decrypted, 16);
	assert_int_equal(m.faults, 0);
}

/* The engine's profile sections (lib/prof.h): every port access is one
 * ide_reg entry, and inside it each 4 KiB page of an encrypted transfer is
 * one cipher entry, each bus-master start one capture, one stage and one
 * doorbell (and each command register write one doorbell); nothing is left
 * open, and the sections add up to the accesses' whole span. */
static void test_profile_sections(void **state)
{
	uint32_t *table = (uint32_t *)(guest + 0x1000);
	struct gprd one[] = { { guest + 0x10000, 8192 } };
	uint64_t sum = 0, accesses;
	uint8_t ts;

	(void)state;
	prof_reset();
	host_cycle_step = 10;
	prd_table(table, one, 1);
	dma_issue(ATA_CMD_WRITE_DMA_EXT, 40, 16, false, table);
	dma_finish(false, &ts);
	dma_issue(ATA_CMD_READ_DMA_EXT, 40, 16, true, table);
	dma_finish(true, &ts);
	host_cycle_step = 0;
	assert_int_equal(prof_count(PROF_ENCRYPT), 2);
	assert_int_equal(prof_count(PROF_DECRYPT), 2);
	assert_int_equal(prof_count(PROF_CAPTURE), 2);
	assert_int_equal(prof_count(PROF_STAGE), 2);
	assert_int_equal(prof_count(PROF_DOORBELL), 4);
	accesses = prof_count(PROF_IDE_REG);
	assert_true(accesses >= 2 * 8);	/* PRD pointer, BM cmd x2, task file, command, status */
	assert_int_equal(prof_cpus[0].depth, 0);
	for (unsigned sec = 0; sec < PROF_NSEC; sec++)
		sum += prof_ticks(sec);
	/* Each entry and leave reads the clock once, 10 cycles apart: the
	 * sum is 10 per read minus one per outermost section. */
	uint64_t reads = 0;
	for (unsigned sec = 0; sec < PROF_NSEC; sec++)
		reads += 2 * prof_count(sec);
	assert_int_equal(sum, 10 * (reads - accesses));
	assert_int_equal(ide.stats.sectors_encrypted, 16);
	assert_int_equal(ide.stats.sectors_decrypted, 16);
	assert_int_equal(ide.stats.bytes_copied, 0);	/* one aligned PRD: in place */
}

/* LBA28 with count 0 (256 sectors, 128 KiB: two 64 KiB PRDs with count 0);
 * LBA bits 27:24 from the device register. */
static void test_dma_lba28_count_zero(void **state)
{
	uint32_t *table = (uint32_t *)(guest + 0x1000);
	uint8_t *buf = guest + 0x40000, ts;
	struct gprd w[] = { { buf, 0 }, { buf + 0x10000, 0 } };	/* 0 = 64 KiB */

	fill(buf, 128 << 10, 9);
	prd_table(table, w, 2);
	dma_issue(ATA_CMD_WRITE_DMA, 1000, 0, false, table);
	dma_finish(false, &ts);
	assert_int_equal(m.dma_sectors, 256);
	assert_ciphertext(1000, buf, 256);
	assert_int_equal(m.faults, 0);
}

/* PIO: WRITE SECTORS with 16-bit writes, READ SECTORS EXT with 32-bit
 * reads; the device holds ciphertext, the guest reads plaintext. */
static void test_pio_write_read(void **state)
{
	uint8_t plain[3 * 512], back[3 * 512];

	fill(plain, sizeof(plain), 4);
	tf_load(50, 3, false);
	g_out8(CMD0 + 7, ATA_CMD_WRITE_SECTORS);
	for (unsigned i = 0; i < sizeof(plain); i += 2)
		ide_io_out(&ide, CMD0, 2, plain[i] | plain[i + 1] << 8);
	assert_ciphertext(50, plain, 3);
	assert_int_equal(m.status & (ATA_STS_DRQ | ATA_STS_BSY), 0);
	tf_load(50, 3, true);
	g_out8(CMD0 + 7, ATA_CMD_READ_SECTORS_EXT);
	for (unsigned i = 0; i < sizeof(back); i += 4) {
		uint32_t v = ide_io_in(&ide, CMD0, 4);

		memcpy(back + i, &v, 4);
	}
	assert_memory_equal(back, plain, sizeof(back));
	assert_int_equal(ide.stats.pio_sectors, 6);
	assert_int_equal(ide.stats.sectors_encrypted, 3);
	assert_int_equal(ide.stats.sectors_decrypted, 3);
	/* Nothing of it was plaintext in shadow memory (the cipher asserts it),
	 * and the bus master never ran. */
	assert_int_equal(ide.stats.dma, 0);
}

/* IDENTIFY DEVICE passes unchanged; a device with 4 KiB logical sectors
 * gets its sector commands refused on an encrypted channel. */
static void test_identify_passes_and_sector_size(void **state)
{
	uint16_t back[256];

	for (unsigned i = 0; i < 256; i++)
		m.id[i] = (uint16_t)(0x1234 + i);
	m.id[106] = 0x4000 | (1u << 12);
	m.id[117] = 2048;	/* words: 4 KiB */
	m.id[118] = 0;
	g_out8(CMD0 + 7, ATA_CMD_IDENTIFY);
	for (unsigned i = 0; i < 256; i++)
		back[i] = (uint16_t)ide_io_in(&ide, CMD0, 2);
	assert_memory_equal(back, m.id, 512);
	assert_int_equal(host_log_count("logical_sector=4096: sector commands refused"), 1);
	tf_load(0, 1, false);
	g_out8(CMD0 + 7, ATA_CMD_READ_SECTORS);
	assert_int_equal(m.last_cmd, ATA_CMD_CHECK_POWER_MODE);	/* not the read */
	assert_int_equal(g_in8(CMD0 + 7), ATA_STS_DRDY | ATA_STS_DSC | ATA_STS_ERR);
	assert_int_equal(g_in8(CMD0 + 1), ATA_ERR_ABRT);
	assert_int_equal(host_log_count("ide refused channel=0 cmd=0x20 reason=logical-sector-not-512"), 1);
	/* The next command clears the emulated error. */
	g_out8(CMD0 + 7, 0xef);
	assert_int_equal(g_in8(CMD0 + 7) & ATA_STS_ERR, 0);
}

/* The guest rewrites its PRD table and data after START, while the device
 * has not transferred yet: the device writes what was gathered at START
 * (encrypted) and read data lands where the table said at START. */
static void test_prd_rewrite_in_flight(void **state)
{
	uint32_t *table = (uint32_t *)(guest + 0x1000);
	uint8_t *buf = guest + 0x10000, *other = guest + 0x80000, plain[4096], ts;
	struct gprd w[] = { { buf, 4096 } }, evil[] = { { other, 4096 } };

	fill(buf, 4096, 5);
	memcpy(plain, buf, 4096);
	memset(other, 0xee, 4096);
	m.defer_dma = true;
	prd_table(table, w, 1);
	dma_issue(ATA_CMD_WRITE_DMA, 200, 8, false, table);
	prd_table(table, evil, 1);		/* too late */
	memset(buf, 0, 4096);			/* too late as well */
	m_run_dma();
	dma_finish(false, &ts);
	assert_ciphertext(200, plain, 8);

	prd_table(table, w, 1);
	memset(buf, 0, 4096);
	dma_issue(ATA_CMD_READ_DMA, 200, 8, true, table);
	prd_table(table, evil, 1);
	m_run_dma();
	dma_finish(true, &ts);
	assert_memory_equal(buf, plain, 4096);
	for (unsigned i = 0; i < 4096; i++)
		assert_int_equal(other[i], 0xee);
	assert_int_equal(m.faults, 0);
}

static void expect_transfer_refused(const char *reason)
{
	uint8_t st = g_in8(BM + 2), ts;
	char needle[96];

	assert_int_equal(st & (IDE_BM_ST_ERROR | IDE_BM_ST_INTR | IDE_BM_ST_ACTIVE),
			 IDE_BM_ST_ERROR | IDE_BM_ST_INTR);
	assert_int_equal(m.bm_cmd & IDE_BM_CMD_START, 0);	/* never started */
	assert_true(g_in8(CMD0 + 7) & ATA_STS_ERR);
	snprintf(needle, sizeof(needle), "reason=%s", reason);
	assert_int_equal(host_log_count(needle), 1);
	/* The guest's error handling: stop, clear, soft reset. */
	dma_finish(false, &ts);
	assert_int_equal(g_in8(BM + 2) & (IDE_BM_ST_ERROR | IDE_BM_ST_INTR), 0);
	g_out8(CTL0, IDE_CTL_SRST);
	g_out8(CTL0, 0);
}

static void test_transfer_refusals(void **state)
{
	uint32_t *table = (uint32_t *)(guest + 0x1000);
	uint8_t *buf = guest + 0x10000;
	struct gprd in_win_prd[] = { { win + 0x3000, 4096 } };
	struct gprd outside[] = { { guest + GUEST_BYTES - 2048, 4096 } };
	struct gprd odd[] = { { buf + 1, 4096 } };
	struct gprd shorter[] = { { buf, 2048 } };
	struct gprd ok[] = { { buf, 4096 } };

	prd_table(table, in_win_prd, 1);	/* the shadow window itself */
	dma_issue(ATA_CMD_READ_DMA, 0, 8, true, table);
	expect_transfer_refused("prd-address");
	prd_table(table, outside, 1);
	dma_issue(ATA_CMD_READ_DMA, 0, 8, true, table);
	assert_int_equal(host_log_count("reason=prd-address"), 2);
	dma_finish(true, &(uint8_t){ 0 });
	g_out8(CTL0, IDE_CTL_SRST);
	g_out8(CTL0, 0);
	prd_table(table, odd, 1);
	dma_issue(ATA_CMD_WRITE_DMA, 0, 8, false, table);
	expect_transfer_refused("odd-prd");
	prd_table(table, shorter, 1);
	dma_issue(ATA_CMD_WRITE_DMA, 0, 8, false, table);
	expect_transfer_refused("prdt-shorter-than-transfer");
	/* The PRD table itself outside guest memory. */
	ide_io_out(&ide, BM + 4, 4, gpa(win));
	g_out8(BM, 0);
	tf_load(0, 8, false);
	g_out8(CMD0 + 7, ATA_CMD_WRITE_DMA);
	g_out8(BM, IDE_BM_CMD_START);
	expect_transfer_refused("prd-table-address");
	/* Direction: a disk read with the bus master told to read memory. */
	prd_table(table, ok, 1);
	ide_io_out(&ide, BM + 4, 4, gpa(table));
	g_out8(BM, 0);
	tf_load(0, 8, false);
	g_out8(CMD0 + 7, ATA_CMD_READ_DMA);
	g_out8(BM, IDE_BM_CMD_START);
	expect_transfer_refused("direction");
	assert_int_equal(m.faults, 0);
	assert_int_equal(ide.stats.refused, 6);
}

static void test_command_refusals(void **state)
{
	uint32_t *table = (uint32_t *)(guest + 0x1000);
	struct gprd ok[] = { { guest + 0x10000, 4096 } };
	unsigned before;

	/* WRITE LONG: bytes on the medium around the encryption. */
	tf_load(0, 1, false);
	g_out8(CMD0 + 7, ATA_CMD_WRITE_LONG);
	assert_int_equal(m.last_cmd, ATA_CMD_CHECK_POWER_MODE);
	assert_int_equal(m.irqs, 1);			/* the guest gets its interrupt */
	assert_int_equal(g_in8(CMD0 + 7), 0x51);
	assert_int_equal(host_log_count("cmd=0x32 reason=raw-media-access"), 1);
	/* CHS addressing of a 28-bit command. */
	g_out8(CMD0 + 6, 0x00);
	g_out8(CMD0 + 7, ATA_CMD_READ_DMA);
	assert_int_equal(host_log_count("reason=chs-addressing"), 1);
	/* SCT command by WRITE LOG EXT to log 0xe0. */
	tf_load(0xe0, 1, true);
	g_out8(CMD0 + 7, ATA_CMD_WRITE_LOG_EXT);
	assert_int_equal(host_log_count("reason=sct-log-write"), 1);
	/* A sector DMA command after the bus master was started (for
	 * something else): its data would not have been encrypted. */
	prd_table(table, ok, 1);
	ide_io_out(&ide, BM + 4, 4, gpa(table));
	g_out8(BM, IDE_BM_CMD_START);
	before = m.commands;
	tf_load(0, 8, false);
	g_out8(CMD0 + 7, ATA_CMD_WRITE_DMA);
	assert_int_equal(host_log_count("reason=bus-master-started-before-command"), 1);
	assert_int_equal(m.commands, before + 1);
	assert_int_equal(m.last_cmd, ATA_CMD_CHECK_POWER_MODE);
	g_out8(BM, 0);
	/* Too large for the shadow buffer. */
	tf_load(0, (MAX_CMD / 512) + 8, true);
	g_out8(CMD0 + 7, ATA_CMD_WRITE_DMA_EXT);
	assert_int_equal(host_log_count("reason=transfer-too-large"), 1);
	assert_int_equal(ide.stats.refused, 5);
	assert_int_equal(m.faults, 0);
}

/* While the device is busy it ignores the task file; shoji's copy must
 * too, or its LBA (the tweak) would differ from the device's. */
static void test_busy_writes_dropped(void **state)
{
	uint32_t *table = (uint32_t *)(guest + 0x1000);
	uint8_t *buf = guest + 0x10000, plain[4096], ts;
	struct gprd w[] = { { buf, 4096 } };

	fill(buf, 4096, 6);
	memcpy(plain, buf, 4096);
	m.defer_dma = true;
	prd_table(table, w, 1);
	dma_issue(ATA_CMD_WRITE_DMA, 300, 8, false, table);
	g_out8(CMD0 + 3, 0x77);		/* busy (DRQ): dropped by both */
	g_out8(CMD0 + 7, ATA_CMD_READ_DMA);
	assert_int_equal(ide.stats.dropped, 2);
	m_run_dma();
	dma_finish(false, &ts);
	assert_ciphertext(300, plain, 8);
	/* Idle again: the next command sees the old LBA in both copies. */
	memset(buf, 0, 4096);
	ide_io_out(&ide, BM + 4, 4, gpa(table));
	g_out8(BM, IDE_BM_CMD_READ);
	g_out8(CMD0 + 7, ATA_CMD_READ_DMA);
	g_out8(BM, IDE_BM_CMD_READ | IDE_BM_CMD_START);
	m_run_dma();
	dma_finish(true, &ts);
	assert_memory_equal(buf, plain, 4096);
}

/* A range edge inside a command: sectors below crypt_end encrypted, the
 * rest as written; by DMA and by PIO. */
static void test_crypt_range_edge(void **state)
{
	uint32_t *table = (uint32_t *)(guest + 0x1000);
	uint8_t *buf = guest + 0x10000, ts;
	struct gprd w[] = { { buf, 4096 } };

	crypt_first = 0;
	crypt_end = 404;
	fill(buf, 4096, 7);
	prd_table(table, w, 1);
	dma_issue(ATA_CMD_WRITE_DMA, 400, 8, false, table);
	dma_finish(false, &ts);
	assert_ciphertext(400, buf, 4);
	assert_memory_equal(m.disk + 404 * 512, buf + 4 * 512, 4 * 512);
	tf_load(402, 4, false);
	g_out8(CMD0 + 7, ATA_CMD_WRITE_SECTORS);
	for (unsigned i = 0; i < 2048; i += 2)
		ide_io_out(&ide, CMD0, 2, buf[i] | buf[i + 1] << 8);
	assert_ciphertext(402, buf, 2);
	assert_memory_equal(m.disk + 404 * 512, buf + 2 * 512, 2 * 512);
}

/* Confinement only: every access passes, the bus master gets the guest's
 * own PRD table and buffers, and the "IOMMU" refuses every byte. */
static void test_confine_only_faults(void **state)
{
	uint32_t *table = (uint32_t *)(guest + 0x1000);
	struct gprd w[] = { { guest + 0x10000, 4096 } };
	uint8_t ts;

	assert_int_equal(host_log_count("mode=confine-only"), 2);
	assert_int_equal(win_in_use, 0);
	prd_table(table, w, 1);
	dma_issue(ATA_CMD_WRITE_DMA, 0, 8, false, table);
	assert_int_equal(m.bm_prd, gpa(table));
	assert_int_equal(m.faults, 1);
	dma_finish(false, &ts);
	for (unsigned i = 0; i < 4096; i++)
		assert_int_equal(m.disk[i], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_logs_channels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dma_lba48_write_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dma_lba28_count_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_profile_sections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dma_in_place_and_bounced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pio_write_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identify_passes_and_sector_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prd_rewrite_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transfer_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_writes_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crypt_range_edge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_confine_only_faults, setup_confine, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
