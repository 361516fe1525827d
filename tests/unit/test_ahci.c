/* The intercepted-AHCI engine (src/devices/ahci.c) against a fake AHCI
 * controller.
 *
 * The fake HBA is a host MMIO model (host/host.h) of the generic and port
 * registers (AHCI 1.3.1 3.1, 3.3). Its "device" executes commands against a
 * RAM disk per port, reading the command list, command tables and PRDTs FROM
 * THE ADDRESSES PROGRAMMED IN ITS OWN REGISTERS, and writing received FISes
 * to its PxFB area. Every address it touches must lie in the shadow window
 * (on real hardware the IOMMU's job; here an assertion, or a recorded fault
 * in the confinement test).
 *
 * The tests drive the engine as the guest's driver would: command lists,
 * tables, PRDTs and buffers live in a "guest memory" arena; the guest
 * programs its own PxCLB/PxFB, writes PxSACT/PxCI and polls PxCI/PxSACT/PxIS.
 * The encryption is a reversible toy (XOR with an LBA-derived key stream)
 * that also checks that plaintext never sits in the shadow window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <pthread.h>
#include <unistd.h>

#include "devices/ahci.h"
#include "devices/ahci_ata.h"
#include "devices/ahci_regs.h"
#include "host/host.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "vmm/mmio_followon.h"

#define ABAR 0xfebf0000ULL		/* modelled: never dereferenced */
#define SH_PAGES 4096			/* 16 MiB shadow window */
#define G_SIZE (32u << 20)		/* guest memory */
#define DISK_SECTORS 8192u		/* 4 MiB per port; LBAs wrap modulo this */
#define NPORTS 32

/* ---------------------------------------------------------------------- */
/* Shadow window and its allocator                                         */

static uint8_t *sh_base;
static uint8_t sh_used[SH_PAGES];
static long sh_in_use, sh_limit, sh_allocs;

static paddr_t sh_alloc(void *ctx, uint32_t pages)
{
	(void)ctx;
	if (sh_limit && sh_in_use + pages > sh_limit)
		return 0;
	for (uint32_t i = 0; i + pages <= SH_PAGES; i++) {
		uint32_t j = 0;

		while (j < pages && !sh_used[i + j])
			j++;
		if (j < pages) {
			i += j;
			continue;
		}
		memset(sh_used + i, 1, pages);
		sh_in_use += pages;
		sh_allocs++;
		/* Stale bytes, not zeros: the engine must not rely on zeroed memory. */
		memset(sh_base + (size_t)i * 4096, 0xa5, (size_t)pages * 4096);
		return (paddr_t)(uintptr_t)(sh_base + (size_t)i * 4096);
	}
	return 0;
}

static void sh_free(void *ctx, paddr_t pa, uint32_t pages)
{
	size_t i = ((uint8_t *)(uintptr_t)pa - sh_base) / 4096;

	(void)ctx;
	assert_true((uint8_t *)(uintptr_t)pa >= sh_base && i + pages <= SH_PAGES);
	for (uint32_t j = 0; j < pages; j++) {
		assert_true(sh_used[i + j]);
		sh_used[i + j] = 0;
	}
	sh_in_use -= pages;
}

static bool in_shadow(paddr_t pa, uint64_t len)
{
	uint64_t b = (uint64_t)(uintptr_t)sh_base;

	return pa >= b && len <= (uint64_t)SH_PAGES * 4096 && pa - b <= (uint64_t)SH_PAGES * 4096 - len;
}

/* ---------------------------------------------------------------------- */
/* Guest memory                                                            */

static uint8_t *g_base;
static size_t g_next;
static uint8_t hyp_secret[8192];	/* stands for hypervisor memory */

static bool guest_mem_ok(void *ctx, paddr_t pa, uint64_t len)
{
	uint64_t b = (uint64_t)(uintptr_t)g_base;

	(void)ctx;
	return pa >= b && len <= G_SIZE && pa - b <= G_SIZE - len;
}

static paddr_t galloc(size_t size, size_t align)
{
	size_t at = (g_next + align - 1) & ~(align - 1);

	assert_true(at + size <= G_SIZE);
	g_next = at + size;
	memset(g_base + at, 0, size);
	return (paddr_t)(uintptr_t)(g_base + at);
}

static void *gp(paddr_t pa)
{
	return (void *)(uintptr_t)pa;
}

/* ---------------------------------------------------------------------- */
/* Toy encryption: XOR with a key stream derived from (LBA, byte index)     */

static uint64_t crypt_lo, crypt_hi;
static long enc_calls, dec_calls;
/* Runs once inside the next cipher call, as another CPU would meanwhile
 * (docs/smp.md: the cipher runs outside the engine lock). */
static void (*crypt_hook)(void);
static bool hook_saw_lock_free;

static void run_crypt_hook(void);

static uint8_t ks(uint64_t lba, unsigned i)
{
	uint64_t x = (lba + 1) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(i / 8 + 1) * 0xbf58476d1ce4e5b9ULL;

	x ^= x >> 29;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 32;
	return (uint8_t)(x >> ((i % 8) * 8));
}

static void transform(uint64_t lba, uint8_t *dst, const uint8_t *src, uint32_t sectors)
{
	for (uint32_t s = 0; s < sectors; s++)
		for (unsigned i = 0; i < 512; i++)
			dst[s * 512 + i] = src[s * 512 + i] ^ ks(lba + s, i);
}

static bool t_in_range(void *ctx, uint64_t lba, uint32_t sectors)
{
	(void)ctx;
	return lba >= crypt_lo && lba + sectors <= crypt_hi;
}

static void t_encrypt(void *ctx, uint64_t lba, void *dst, const void *src, uint32_t sectors)
{
	(void)ctx;
	/* Plaintext comes from shoji's own memory, ciphertext goes to shadow. */
	assert_false(in_shadow((paddr_t)(uintptr_t)src, (uint64_t)sectors * 512));
	assert_true(in_shadow((paddr_t)(uintptr_t)dst, (uint64_t)sectors * 512));
	assert_true(t_in_range(ctx, lba, sectors));
	transform(lba, dst, src, sectors);
	enc_calls++;
	run_crypt_hook();
}

static void t_decrypt(void *ctx, uint64_t lba, void *dst, const void *src, uint32_t sectors)
{
	(void)ctx;
	assert_true(in_shadow((paddr_t)(uintptr_t)src, (uint64_t)sectors * 512));
	assert_false(in_shadow((paddr_t)(uintptr_t)dst, (uint64_t)sectors * 512));
	assert_true(t_in_range(ctx, lba, sectors));
	transform(lba, dst, src, sectors);
	dec_calls++;
	run_crypt_hook();
}

static const struct disk_crypt toy_crypt = { NULL, t_in_range, t_encrypt, t_decrypt };

/* ---------------------------------------------------------------------- */
/* The fake HBA                                                            */

struct fport {
	uint32_t clb, clbu, fb, fbu, is, ie, cmd, tfd, sig, ssts, sctl, serr, sact, ci;
	uint32_t ncq_pending;		/* accepted queued commands, data phase to come */
	uint32_t ci_ever;		/* every bit ever written to PxCI */
	int cr_lag;			/* reads of PxCMD still showing CR after ST cleared */
	int comresets;
	bool atapi;
	uint8_t *disk;
};

struct seen {
	unsigned port, slot;
	uint8_t op;
	uint64_t lba;
};

static struct fhba {
	struct host_mmio_model m;
	uint32_t cap, ghc, is, pi, vs;
	int hr_lag, hr_count;
	bool auto_run;
	bool expect_faults;
	int faults;
	int cr_lag_after_stop;
	uint32_t em_loc, em_ctl, em_writes, em_last;
	uint16_t id_w106;
	uint32_t id_lss_words;
	struct fport port[NPORTS];
	struct seen seen[256];
	int nseen;
} F;

static bool dma_ok(paddr_t pa, uint64_t len)
{
	if (in_shadow(pa, len))
		return true;
	if (F.expect_faults) {
		F.faults++;
		return false;
	}
	fail_msg("device DMA outside the shadow window: pa=0x%llx len=%llu",
		 (unsigned long long)pa, (unsigned long long)len);
	return false;
}

static paddr_t f_clb(struct fport *fp) { return fp->clb | (paddr_t)fp->clbu << 32; }
static paddr_t f_fb(struct fport *fp) { return fp->fb | (paddr_t)fp->fbu << 32; }

static void f_fis(struct fport *fp, unsigned off, const uint8_t *fis, unsigned len)
{
	if (!(fp->cmd & AHCI_PxCMD_FRE))
		return;
	if (!dma_ok(f_fb(fp) + off, len))
		return;
	memcpy(gp(f_fb(fp) + off), fis, len);
}

static void f_irq(unsigned p, uint32_t bits)
{
	F.port[p].is |= bits;
	if (F.port[p].is & F.port[p].ie)
		F.is |= 1u << p;
}

/* Moves bytes between the device and memory through the PRDT at ctba. */
static bool f_xfer(paddr_t ctba, unsigned prdtl, uint8_t *buf, uint32_t len, bool to_mem,
		   uint32_t *moved)
{
	uint32_t done = 0;

	for (unsigned i = 0; i < prdtl && done < len; i++) {
		struct ahci_prd *e = gp(ctba + 0x80 + i * 16);
		paddr_t pa = (e->dba & ~1u) | (paddr_t)e->dbau << 32;
		uint32_t n = (e->dw3 & AHCI_PRD_DBC_MASK) + 1, k = n < len - done ? n : len - done;

		if (!dma_ok(pa, n))
			return false;
		if (to_mem)
			memcpy(gp(pa), buf + done, k);
		else
			memcpy(buf + done, gp(pa), k);
		done += k;
	}
	*moved = done;
	return done == len;
}

static bool f_is_ncq(uint8_t op)
{
	return op == 0x60 || op == 0x61 || op == 0x63 || op == 0x64 || op == 0x65;
}

static void f_fail(unsigned p, unsigned n, bool ncq)
{
	struct fport *fp = &F.port[p];
	uint8_t d2h[20] = { FIS_TYPE_REG_D2H, 0x40, 0x51, 0x04 };

	(void)n;
	(void)ncq;
	fp->tfd = 0x0451;
	f_fis(fp, AHCI_RFIS_RFIS, d2h, 20);
	f_irq(p, AHCI_PxIS_TFES);
	/* PxCI / PxSACT stay set: the HBA halts (AHCI 6.2.2). */
}

static void f_hbfs(unsigned p)
{
	f_irq(p, AHCI_PxIS_HBFS);
}

/* Executes the command in slot n of port p (data phase and completion). */
static void f_exec(unsigned p, unsigned n)
{
	struct fport *fp = &F.port[p];
	struct ahci_cmd_hdr *h;
	paddr_t ctba;
	uint8_t *f, op;
	unsigned prdtl;
	uint64_t lba = 0;
	uint32_t count = 0, moved = 0, len = 0;
	bool ncq, in = false, out = false, ok = true, sector = false;
	static uint8_t big[8u << 20];

	if (!dma_ok(f_clb(fp) + n * 32, 32)) {
		f_hbfs(p);
		return;
	}
	h = gp(f_clb(fp) + n * 32);
	ctba = h->ctba | (paddr_t)h->ctbau << 32;
	prdtl = h->dw0 >> 16;
	if (!dma_ok(ctba, 0x80 + prdtl * 16)) {
		f_hbfs(p);
		return;
	}
	f = gp(ctba);
	op = f[2];
	ncq = f_is_ncq(op);
	if (F.nseen < (int)ARRAY_SIZE(F.seen))
		F.seen[F.nseen++] = (struct seen){ p, n, op, 0 };

	if (!(f[1] & 0x80)) {
		/* Control FIS (soft reset): no data. */
	} else if (op == 0x25 || op == 0x35 || op == 0x60 || op == 0x61 || op == 0xc8 ||
		   op == 0xca) {
		sector = true;
		if (op == 0xc8 || op == 0xca) {
			lba = f[4] | f[5] << 8 | f[6] << 16 | (uint64_t)(f[7] & 0xf) << 24;
			count = f[12] ? f[12] : 256;
		} else {
			lba = f[4] | f[5] << 8 | f[6] << 16 | (uint64_t)f[8] << 24 |
			      (uint64_t)f[9] << 32 | (uint64_t)f[10] << 40;
			count = ncq ? (f[3] | f[11] << 8) : (f[12] | f[13] << 8);
			if (!count)
				count = 65536;
		}
		len = count * 512;
		in = op == 0x25 || op == 0x60 || op == 0xc8;
		out = !in;
		F.seen[F.nseen - 1].lba = lba;
		assert_true(len <= sizeof(big));
		if (out) {
			ok = f_xfer(ctba, prdtl, big, len, false, &moved);
			for (uint32_t s = 0; ok && s < count; s++)
				memcpy(fp->disk + ((lba + s) % DISK_SECTORS) * 512, big + s * 512, 512);
		} else {
			for (uint32_t s = 0; s < count; s++)
				memcpy(big + s * 512, fp->disk + ((lba + s) % DISK_SECTORS) * 512, 512);
			ok = f_xfer(ctba, prdtl, big, len, true, &moved);
		}
	} else if (op == ATA_CMD_IDENTIFY) {
		uint8_t id[512];

		for (unsigned i = 0; i < 512; i++)
			id[i] = (uint8_t)(i * 7 + 3);
		id[2 * 106] = (uint8_t)F.id_w106;
		id[2 * 106 + 1] = (uint8_t)(F.id_w106 >> 8);
		memcpy(id + 2 * 117, &F.id_lss_words, 4);
		ok = f_xfer(ctba, prdtl, id, 512, true, &moved);
		if (ok) {
			uint8_t ps[20] = { FIS_TYPE_PIO_SETUP, 0x60, 0x58, 0, 0, 0, 0, 0xa0 };

			ps[16] = 0x00;
			ps[17] = 0x02;	/* transfer count 512 */
			f_fis(fp, AHCI_RFIS_PSFIS, ps, 20);
			f_irq(p, AHCI_PxIS_PSS);
		}
	} else if (op == ATA_CMD_PACKET) {
		uint8_t *acmd = f + 0x40, inq[36];

		if (acmd[0] != 0x12) {
			ok = false;
		} else {
			for (unsigned i = 0; i < sizeof(inq); i++)
				inq[i] = (uint8_t)(0x30 + i);
			ok = f_xfer(ctba, prdtl, inq, sizeof(inq), true, &moved);
		}
	} else if (op == 0xe7 || op == 0xea) {
		/* flush: no data */
	} else if (op == ATA_CMD_WRITE_LOG_EXT || op == 0x32) {
		uint8_t tmp[512];

		ok = f_xfer(ctba, prdtl, tmp, 512, false, &moved);
	} else {
		ok = false;
	}

	h->prdbc = moved;
	if (!ok) {
		f_fail(p, n, ncq);
		return;
	}
	if (ncq) {
		uint8_t sdb[8] = { FIS_TYPE_SDB, 0x40, 0x50, 0 };
		uint32_t act = 1u << n;

		memcpy(sdb + 4, &act, 4);
		f_fis(fp, AHCI_RFIS_SDBFIS, sdb, 8);
		fp->sact &= ~(1u << n);
		fp->ncq_pending &= ~(1u << n);
		f_irq(p, AHCI_PxIS_SDBS);
	} else {
		uint8_t d2h[20] = { FIS_TYPE_REG_D2H, 0x40, 0x50, 0, (uint8_t)lba, (uint8_t)(lba >> 8),
				    (uint8_t)(lba >> 16), 0x40 };

		d2h[12] = (uint8_t)count;
		f_fis(fp, AHCI_RFIS_RFIS, d2h, 20);
		fp->tfd = 0x50;
		fp->ci &= ~(1u << n);
		f_irq(p, AHCI_PxIS_DHRS);
	}
	(void)sector;
	(void)in;
	(void)out;
}

/* The HBA fetches a newly issued command (AHCI 5.3.2): queued ones are
 * accepted at once (PxCI cleared by a D2H FIS with BSY clear), their data
 * phase comes later. */
static void f_issue(unsigned p, uint32_t bits)
{
	struct fport *fp = &F.port[p];

	for (uint32_t m = bits; m; m &= m - 1) {
		unsigned n = (unsigned)__builtin_ctz(m);
		struct ahci_cmd_hdr *h;
		uint8_t *f;

		if (!dma_ok(f_clb(fp) + n * 32, 32)) {
			f_hbfs(p);
			continue;
		}
		h = gp(f_clb(fp) + n * 32);
		if (!dma_ok((h->ctba | (paddr_t)h->ctbau << 32), 0x80)) {
			f_hbfs(p);
			continue;
		}
		f = gp(h->ctba | (paddr_t)h->ctbau << 32);
		if ((f[1] & 0x80) && f_is_ncq(f[2])) {
			uint8_t d2h[20] = { FIS_TYPE_REG_D2H, 0x40, 0x40, 0 };

			assert_true(fp->sact & (1u << n));	/* driver set PxSACT first */
			f_fis(fp, AHCI_RFIS_RFIS, d2h, 20);
			fp->ci &= ~(1u << n);
			fp->ncq_pending |= 1u << n;
			f_irq(p, AHCI_PxIS_DHRS);
		}
		if (F.auto_run)
			f_exec(p, n);
	}
}

static void dev_run(unsigned p, unsigned n)
{
	struct fport *fp = &F.port[p];

	assert_true((fp->ncq_pending | fp->ci) & (1u << n));
	f_exec(p, n);
}

static void dev_fail(unsigned p, unsigned n)
{
	f_fail(p, n, false);
}

static void f_port_reset(struct fport *fp)
{
	fp->clb = fp->clbu = fp->fb = fp->fbu = 0;	/* harsher than the spec */
	fp->is = fp->ie = fp->cmd = fp->sact = fp->ci = fp->ncq_pending = 0;
	fp->serr = fp->sctl = 0;
	fp->tfd = 0x7f;
}

static uint64_t f_read(struct host_mmio_model *m, uint64_t off, int width)
{
	uint32_t v = 0, dw = (uint32_t)off & ~3u;

	(void)m;
	if (dw < 0x100) {
		switch (dw) {
		case AHCI_CAP: v = F.cap; break;
		case AHCI_GHC:
			if (F.hr_lag > 0 && --F.hr_lag == 0)
				F.ghc &= ~AHCI_GHC_HR;
			v = F.ghc;
			break;
		case AHCI_IS: v = F.is; break;
		case AHCI_PI: v = F.pi; break;
		case AHCI_VS: v = F.vs; break;
		case AHCI_EM_LOC: v = F.em_loc; break;
		case AHCI_EM_CTL: v = F.em_ctl; break;
		default: v = 0;
		}
	} else if (dw < AHCI_PORT_END) {
		unsigned p = (dw - 0x100) / 0x80;
		struct fport *fp = &F.port[p];

		if (!(F.pi & (1u << p)))
			return 0;
		switch ((dw - 0x100) % 0x80) {
		case AHCI_PxCLB: v = fp->clb; break;
		case AHCI_PxCLBU: v = fp->clbu; break;
		case AHCI_PxFB: v = fp->fb; break;
		case AHCI_PxFBU: v = fp->fbu; break;
		case AHCI_PxIS: v = fp->is; break;
		case AHCI_PxIE: v = fp->ie; break;
		case AHCI_PxCMD:
			v = fp->cmd & ~(AHCI_PxCMD_CR | AHCI_PxCMD_FR);
			if ((fp->cmd & AHCI_PxCMD_ST) || fp->cr_lag > 0)
				v |= AHCI_PxCMD_CR;
			if (fp->cr_lag > 0)
				fp->cr_lag--;
			if (fp->cmd & AHCI_PxCMD_FRE)
				v |= AHCI_PxCMD_FR;
			break;
		case AHCI_PxTFD: v = fp->tfd; break;
		case AHCI_PxSIG: v = fp->sig; break;
		case AHCI_PxSSTS: v = fp->ssts; break;
		case AHCI_PxSCTL: v = fp->sctl; break;
		case AHCI_PxSERR: v = fp->serr; break;
		case AHCI_PxSACT: v = fp->sact; break;
		case AHCI_PxCI: v = fp->ci; break;
		default: v = 0;
		}
	}
	v >>= (off & 3) * 8;
	return width == 4 ? v : width == 2 ? (v & 0xffff) : width == 1 ? (v & 0xff) : v;
}

static void f_write(struct host_mmio_model *m, uint64_t off, int width, uint64_t value)
{
	uint32_t dw = (uint32_t)off & ~3u, v = (uint32_t)value;

	(void)m;
	assert_int_equal(width, 4);	/* the engine uses dword accesses here */
	if (F.em_loc && dw >= (F.em_loc >> 16) * 4 && dw < (F.em_loc >> 16) * 4 + 128) {
		F.em_writes++;
		F.em_last = v;
		return;
	}
	if (dw < 0x100) {
		switch (dw) {
		case AHCI_GHC:
			if (v & AHCI_GHC_HR) {
				for (unsigned p = 0; p < NPORTS; p++)
					f_port_reset(&F.port[p]);
				F.is = 0;
				F.ghc = AHCI_GHC_AE | AHCI_GHC_HR;
				F.hr_count++;
				if (!F.hr_lag)
					F.ghc &= ~AHCI_GHC_HR;
			} else {
				F.ghc = v;
			}
			break;
		case AHCI_IS: F.is &= ~v; break;
		case AHCI_CAP: case AHCI_PI: break;	/* HwInit */
		default: break;
		}
		return;
	}
	if (dw < AHCI_PORT_END) {
		unsigned p = (dw - 0x100) / 0x80;
		struct fport *fp = &F.port[p];

		if (!(F.pi & (1u << p)))
			return;
		switch ((dw - 0x100) % 0x80) {
		case AHCI_PxCLB: fp->clb = v & AHCI_PxCLB_MASK; break;
		case AHCI_PxCLBU: fp->clbu = v; break;
		case AHCI_PxFB: fp->fb = v & AHCI_PxFB_MASK; break;
		case AHCI_PxFBU: fp->fbu = v; break;
		case AHCI_PxIS: fp->is &= ~v; break;
		case AHCI_PxIE: fp->ie = v; break;
		case AHCI_PxCMD:
			if ((fp->cmd & AHCI_PxCMD_ST) && !(v & AHCI_PxCMD_ST)) {
				fp->ci = fp->sact = fp->ncq_pending = 0;
				fp->cr_lag = F.cr_lag_after_stop;
			}
			fp->cmd = v & ~(AHCI_PxCMD_CR | AHCI_PxCMD_FR | AHCI_PxCMD_CLO);
			break;
		case AHCI_PxSCTL:
			fp->sctl = v;
			if ((v & 0xf) == 1) {
				fp->comresets++;
				fp->ssts = 0;
			} else if ((fp->ssts & 0xf) != 3) {
				/* Link up: the device sends its signature FIS. */
				uint8_t d2h[20] = { FIS_TYPE_REG_D2H, 0, 0x50, 0x01, 0x01 };

				fp->ssts = 0x123;
				fp->tfd = 0x50;
				f_fis(fp, AHCI_RFIS_RFIS, d2h, 20);
			}
			break;
		case AHCI_PxSERR: fp->serr &= ~v; break;
		case AHCI_PxSACT:
			if (fp->cmd & AHCI_PxCMD_ST)
				fp->sact |= v;
			break;
		case AHCI_PxCI:
			fp->ci_ever |= v;
			if (fp->cmd & AHCI_PxCMD_ST) {
				uint32_t new = v & ~fp->ci;

				fp->ci |= v;
				f_issue(p, new);
			}
			break;
		default: break;
		}
	}
}

/* ---------------------------------------------------------------------- */
/* Test scaffolding                                                        */

static struct ahci A;

static void run_crypt_hook(void)
{
	void (*h)(void) = crypt_hook;

	if (!h)
		return;
	crypt_hook = NULL;
	hook_saw_lock_free = !spin_is_locked(&A.lock);
	if (!hook_saw_lock_free)
		return;		/* calling in would spin for good: the test fails on the flag */
	host_cpu = 1;
	h();
	host_cpu = 0;
}
static long pages_baseline;
static int irq_count;
static unsigned irq_port;

static void t_irq(void *ctx, unsigned port)
{
	(void)ctx;
	irq_count++;
	irq_port = port;
}

struct opts {
	uint32_t pi;
	bool confine;
	uint32_t crypt_ports;		/* default: all */
	uint64_t crypt_lo, crypt_hi;	/* default: everything */
	uint32_t max_cmd_bytes, max_prdtl;
	bool no_crypt;
	bool ems;
	bool image;			/* give the engine a register image */
};

/* The register image (cfg.show_image) as the caller's nested paging would
 * map it: shown or not, and which page. */
static bool img_shown;
static paddr_t img_pa;
static int img_calls, img_fail;

static int t_show_image(void *ctx, paddr_t image, bool show)
{
	(void)ctx;
	img_calls++;
	if (img_fail)
		return E_FAULT;
	img_shown = show;
	img_pa = image;
	return 0;
}

static void start(const struct opts *o)
{
	struct ahci_config cfg;
	int err;

	if (!sh_base) {
		sh_base = aligned_alloc(4096, (size_t)SH_PAGES * 4096);
		g_base = aligned_alloc(4096, G_SIZE);
	}
	memset(sh_used, 0, sizeof(sh_used));
	sh_in_use = sh_limit = sh_allocs = 0;
	g_next = 0;
	memset(hyp_secret, 0x5e, sizeof(hyp_secret));
	for (unsigned p = 0; p < NPORTS; p++)
		free(F.port[p].disk);
	memset(&F, 0, sizeof(F));
	F.m = (struct host_mmio_model){ ABAR, 0x2000, f_read, f_write };
	F.pi = o->pi ? o->pi : 0x3f;
	F.cap = AHCI_CAP_S64A | AHCI_CAP_SNCQ | AHCI_CAP_FBSS | 31u << 8 | 5;
	F.ghc = AHCI_GHC_AE;
	F.vs = 0x10300;
	F.id_w106 = 0x4000;
	if (o->ems) {
		F.cap |= AHCI_CAP_EMS;
		F.em_loc = (0x580 / 4) << 16 | 16;	/* over port 9's block */
	}
	for (unsigned p = 0; p < NPORTS; p++) {
		struct fport *fp = &F.port[p];

		fp->disk = calloc(DISK_SECTORS, 512);
		fp->ssts = 0x123;
		fp->sig = 0x101;
		fp->tfd = 0x50;
		fp->clb = 0x7ff000u + p * 0x400;	/* what firmware left behind */
		fp->fb = 0x7fe000u + p * 0x100;
	}
	host_mmio = &F.m;
	crypt_lo = o->crypt_hi ? o->crypt_lo : 0;
	crypt_hi = o->crypt_hi ? o->crypt_hi : ~0ULL / 2;
	enc_calls = dec_calls = 0;
	irq_count = 0;
	host_log_clear();
	pages_baseline = host_pages_in_use;

	memset(&cfg, 0, sizeof(cfg));
	cfg.abar = ABAR;
	cfg.confine_only = o->confine;
	cfg.shadow = (struct disk_shadow_alloc){ NULL, sh_alloc, sh_free };
	cfg.guest_mem_ok = guest_mem_ok;
	cfg.crypt = o->no_crypt ? NULL : &toy_crypt;
	cfg.crypt_ports = o->crypt_ports ? o->crypt_ports : 0xffffffffu;
	cfg.raise_irq = t_irq;
	cfg.max_cmd_bytes = o->max_cmd_bytes;
	cfg.max_prdtl = o->max_prdtl;
	img_shown = false;
	img_pa = 0;
	img_calls = img_fail = 0;
	if (o->image)
		cfg.show_image = t_show_image;
	err = ahci_init(&A, &cfg);
	assert_int_equal(err, E_OK);
}

static void stop(void)
{
	ahci_fini(&A);
	assert_int_equal(sh_in_use, 0);
	assert_int_equal(host_pages_in_use, pages_baseline);
	host_mmio = NULL;
}

static uint32_t poff(unsigned p, uint32_t reg)
{
	return AHCI_PORT_BASE + p * AHCI_PORT_STRIDE + reg;
}

static uint32_t gr(unsigned p, uint32_t reg)
{
	return (uint32_t)ahci_guest_read(&A, poff(p, reg), 4);
}

static void gw(unsigned p, uint32_t reg, uint32_t v)
{
	ahci_guest_write(&A, poff(p, reg), 4, v);
}

/* The guest driver's per-port memory. */
struct gport {
	paddr_t cl, fis;
	paddr_t ct[32];
};
static struct gport G[NPORTS];

#define CT_SIZE (0x80 + 200 * 16)

static void guest_port_start(unsigned p)
{
	struct gport *g = &G[p];

	g->cl = galloc(1024, 1024);
	g->fis = galloc(256, 256);
	for (unsigned n = 0; n < 32; n++)
		g->ct[n] = galloc(CT_SIZE, 128);
	gw(p, AHCI_PxCLB, (uint32_t)g->cl);
	gw(p, AHCI_PxCLBU, (uint32_t)(g->cl >> 32));
	gw(p, AHCI_PxFB, (uint32_t)g->fis);
	gw(p, AHCI_PxFBU, (uint32_t)(g->fis >> 32));
	gw(p, AHCI_PxIE, 0xfdc000ff);
	ahci_guest_write(&A, AHCI_GHC, 4, AHCI_GHC_AE | AHCI_GHC_IE);
	gw(p, AHCI_PxCMD, AHCI_PxCMD_FRE | AHCI_PxCMD_SUD | AHCI_PxCMD_POD);
	gw(p, AHCI_PxCMD, AHCI_PxCMD_FRE | AHCI_PxCMD_SUD | AHCI_PxCMD_POD | AHCI_PxCMD_ST);
}

static void guest_port_stop(unsigned p)
{
	gw(p, AHCI_PxCMD, gr(p, AHCI_PxCMD) & ~AHCI_PxCMD_ST);
}

struct seg {
	paddr_t pa;
	uint32_t len;
};

static struct ahci_cmd_hdr *ghdr(unsigned p, unsigned n)
{
	return gp(G[p].cl + n * 32);
}

/* Builds command header n and its table: FIS, optional ATAPI command, PRDT. */
static void guest_cmd(unsigned p, unsigned n, const uint8_t *fis, bool write, const uint8_t *acmd,
		      const struct seg *s, unsigned nseg)
{
	struct ahci_cmd_hdr *h = ghdr(p, n);
	uint8_t *t = gp(G[p].ct[n]);

	memset(t, 0, 0x80);
	memcpy(t, fis, 20);
	if (acmd)
		memcpy(t + 0x40, acmd, 16);
	for (unsigned i = 0; i < nseg; i++) {
		struct ahci_prd *e = gp(G[p].ct[n] + 0x80 + i * 16);

		e->dba = (uint32_t)s[i].pa;
		e->dbau = (uint32_t)(s[i].pa >> 32);
		e->rsvd = 0;
		e->dw3 = s[i].len - 1;
	}
	memset(h, 0, sizeof(*h));
	h->dw0 = 5 | (write ? AHCI_HDR_W : 0) | (acmd ? AHCI_HDR_A : 0) | nseg << 16;
	h->prdbc = 0xdeadbeef;
	h->ctba = (uint32_t)G[p].ct[n];
	h->ctbau = (uint32_t)(G[p].ct[n] >> 32);
}

static void fis48(uint8_t *f, uint8_t op, uint64_t lba, uint32_t count)
{
	memset(f, 0, 20);
	f[0] = FIS_TYPE_REG_H2D;
	f[1] = 0x80;
	f[2] = op;
	f[4] = (uint8_t)lba;
	f[5] = (uint8_t)(lba >> 8);
	f[6] = (uint8_t)(lba >> 16);
	f[7] = 0x40;
	f[8] = (uint8_t)(lba >> 24);
	f[9] = (uint8_t)(lba >> 32);
	f[10] = (uint8_t)(lba >> 40);
	f[12] = (uint8_t)count;
	f[13] = (uint8_t)(count >> 8);
}

static void fis28(uint8_t *f, uint8_t op, uint64_t lba, uint32_t count)
{
	memset(f, 0, 20);
	f[0] = FIS_TYPE_REG_H2D;
	f[1] = 0x80;
	f[2] = op;
	f[4] = (uint8_t)lba;
	f[5] = (uint8_t)(lba >> 8);
	f[6] = (uint8_t)(lba >> 16);
	f[7] = 0x40 | ((lba >> 24) & 0xf);
	f[12] = (uint8_t)count;
}

static void fis_ncq(uint8_t *f, uint8_t op, uint64_t lba, uint32_t count, unsigned tag)
{
	fis48(f, op, lba, 0);
	f[3] = (uint8_t)count;
	f[11] = (uint8_t)(count >> 8);
	f[12] = (uint8_t)(tag << 3);
}

static void fis_cmd(uint8_t *f, uint8_t op)
{
	memset(f, 0, 20);
	f[0] = FIS_TYPE_REG_H2D;
	f[1] = 0x80;
	f[2] = op;
	f[7] = 0xa0;
}

static void pattern(uint8_t *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(i * 13 + seed * 101 + (i >> 9));
}

static uint8_t *disk(unsigned p, uint64_t lba)
{
	return F.port[p].disk + (lba % DISK_SECTORS) * 512;
}

/* Disk holds transform(plaintext) (or plaintext when not encrypted). */
static void check_disk(unsigned p, uint64_t lba, const uint8_t *plain, uint32_t sectors, bool enc)
{
	uint8_t c[512];

	for (uint32_t s = 0; s < sectors; s++) {
		if (enc) {
			transform(lba + s, c, plain + s * 512, 1);
			assert_memory_equal(disk(p, lba + s), c, 512);
			assert_memory_not_equal(disk(p, lba + s), plain + s * 512, 512);
		} else {
			assert_memory_equal(disk(p, lba + s), plain + s * 512, 512);
		}
	}
}

/* Writes a whole guest buffer (one segment list) at lba and runs it. */
static void do_rw(unsigned p, unsigned n, uint8_t op, uint64_t lba, uint32_t count,
		  const struct seg *s, unsigned nseg)
{
	uint8_t f[20];
	bool w = op == ATA_CMD_WRITE_DMA_EXT || op == ATA_CMD_WRITE_DMA;

	if (op == ATA_CMD_READ_DMA || op == ATA_CMD_WRITE_DMA)
		fis28(f, op, lba, count);
	else
		fis48(f, op, lba, count);
	guest_cmd(p, n, f, w, NULL, s, nseg);
	gw(p, AHCI_PxCI, 1u << n);
	assert_true(gr(p, AHCI_PxCI) & (1u << n));
	dev_run(p, n);
	assert_int_equal(gr(p, AHCI_PxCI) & (1u << n), 0);
}

static void gather(uint8_t *dst, const struct seg *s, unsigned nseg)
{
	for (unsigned i = 0; i < nseg; i++) {
		memcpy(dst, gp(s[i].pa), s[i].len);
		dst += s[i].len;
	}
}

static void scatter(const struct seg *s, unsigned nseg, const uint8_t *src)
{
	for (unsigned i = 0; i < nseg; i++) {
		memcpy(gp(s[i].pa), src, s[i].len);
		src += s[i].len;
	}
}

/* The guest saw an emulated task-file error for its command. */
static void assert_refused(unsigned p, unsigned n)
{
	uint8_t *d2h = gp(G[p].fis + AHCI_RFIS_RFIS);

	assert_true(gr(p, AHCI_PxCI) & (1u << n));
	assert_true(gr(p, AHCI_PxIS) & AHCI_PxIS_TFES);
	assert_int_equal(gr(p, AHCI_PxTFD), 0x0451);
	assert_true(ahci_guest_read(&A, AHCI_IS, 4) & (1u << p));
	assert_int_equal(d2h[0], FIS_TYPE_REG_D2H);
	assert_int_equal(d2h[2], 0x51);
	assert_int_equal(d2h[3], 0x04);
	assert_false(F.port[p].ci_ever & (1u << n));	/* the device never saw it */
}

/* What Linux's EH does: stop the port, clear the errors, start it again. */
static void guest_recover(unsigned p)
{
	guest_port_stop(p);
	while (gr(p, AHCI_PxCMD) & AHCI_PxCMD_CR)
		ahci_poll(&A);
	assert_int_equal(gr(p, AHCI_PxCI), 0);
	gw(p, AHCI_PxIS, 0xffffffff);
	ahci_guest_write(&A, AHCI_IS, 4, 0xffffffff);
	assert_int_equal(gr(p, AHCI_PxIS) & AHCI_PxIS_TFES, 0);
	gw(p, AHCI_PxCMD, gr(p, AHCI_PxCMD) | AHCI_PxCMD_ST);
	F.port[p].ci_ever = 0;
}

/* ---------------------------------------------------------------------- */
/* Tests                                                                   */

static void test_decode(void **state)
{
	uint8_t f[20];
	struct ata_cmd_info ci;

	(void)state;
	fis48(f, ATA_CMD_READ_DMA_EXT, 0x123456789abcULL, 0);
	ahci_ata_decode(f, &ci);
	assert_true(ci.command && ci.sector && !ci.ncq);
	assert_int_equal(ci.dir, ATA_DIR_IN);
	assert_int_equal(ci.lba, 0x123456789abcULL);
	assert_int_equal(ci.count, 65536);

	fis28(f, ATA_CMD_WRITE_DMA, 0x0abcdef1, 0);
	ahci_ata_decode(f, &ci);
	assert_true(ci.sector && ci.lba_mode);
	assert_int_equal(ci.dir, ATA_DIR_OUT);
	assert_int_equal(ci.lba, 0x0abcdef1);
	assert_int_equal(ci.count, 256);

	fis_ncq(f, ATA_CMD_WRITE_FPDMA_QUEUED, 0xfedcba987ULL, 0x1234, 17);
	ahci_ata_decode(f, &ci);
	assert_true(ci.sector && ci.ncq);
	assert_int_equal(ci.tag, 17);
	assert_int_equal(ci.count, 0x1234);
	assert_int_equal(ci.lba, 0xfedcba987ULL);

	fis_cmd(f, ATA_CMD_IDENTIFY);
	ahci_ata_decode(f, &ci);
	assert_true(ci.command && !ci.sector && !ci.ncq && !ci.raw_media);

	fis_cmd(f, ATA_CMD_WRITE_LONG);
	ahci_ata_decode(f, &ci);
	assert_true(ci.raw_media);

	fis48(f, ATA_CMD_WRITE_LOG_EXT, ATA_LOG_SCT_COMMAND, 1);
	ahci_ata_decode(f, &ci);
	assert_true(ci.sct_log_write && !ci.sector);

	f[1] = 0;	/* control FIS: not a command */
	ahci_ata_decode(f, &ci);
	assert_false(ci.command);
}

static void test_init(void **state)
{
	struct opts o = { .pi = 0x3f };
	uint32_t cap;

	(void)state;
	start(&o);
	assert_int_equal(host_log_count("shoji: ahci port="), 6);
	assert_int_equal(host_log_count("ports=6 slots=32 ncq=yes s64a=yes mode=shadow"), 1);
	for (unsigned p = 0; p < 6; p++) {
		struct fport *fp = &F.port[p];

		assert_true(in_shadow(f_clb(fp), 1024));
		assert_true(in_shadow(f_fb(fp), 256));
		assert_int_equal(f_clb(fp) & 0x3ff, 0);
		assert_int_equal(f_fb(fp) & 0xff, 0);
		/* The guest still sees what firmware left. */
		assert_int_equal(gr(p, AHCI_PxCLB), 0x7ff000u + p * 0x400);
		assert_int_equal(gr(p, AHCI_PxFB), 0x7fe000u + p * 0x100);
	}
	/* FIS-based switching is hidden (shadow FIS areas are 256 bytes). */
	cap = (uint32_t)ahci_guest_read(&A, AHCI_CAP, 4);
	assert_int_equal(cap & AHCI_CAP_FBSS, 0);
	assert_int_equal(cap & 0x1f00, 31u << 8);

	/* Guest writes of PxCLB/PxFB: kept as the guest's view, reserved bits
	 * read as zero; the real registers keep the shadow areas. */
	paddr_t real = f_clb(&F.port[1]);
	gw(1, AHCI_PxCLB, 0x12345fff);
	assert_int_equal(gr(1, AHCI_PxCLB), 0x12345c00);
	gw(1, AHCI_PxFB, 0x2345678f);
	assert_int_equal(gr(1, AHCI_PxFB), 0x23456700);
	assert_int_equal(f_clb(&F.port[1]), real);
	/* 64-bit and sub-dword accesses. */
	ahci_guest_write(&A, poff(2, AHCI_PxCLB), 8, 0x0000000123456400ULL);
	assert_int_equal(ahci_guest_read(&A, poff(2, AHCI_PxCLB), 8), 0x0000000123456400ULL);
	ahci_guest_write(&A, poff(2, AHCI_PxCLB) + 1, 1, 0x88);
	assert_int_equal(gr(2, AHCI_PxCLB), 0x23458800);
	assert_int_equal(ahci_guest_read(&A, poff(2, AHCI_PxCLB) + 2, 2), 0x2345);
	assert_true(in_shadow(f_clb(&F.port[2]), 1024));
	/* Ports not implemented: writes dropped. */
	gw(9, AHCI_PxCLB, 0x1000);
	assert_int_equal(F.port[9].clb, 0x7ff000u + 9 * 0x400);
	/* CAP/PI: only a write-back of what was read passes. */
	ahci_guest_write(&A, AHCI_PI, 4, 0xff);
	assert_int_equal(F.pi, 0x3f);
	stop();
}

static void test_init_stops_running_port(void **state)
{
	struct opts o = { .pi = 0x1 };
	struct ahci_config cfg;

	(void)state;
	start(&o);
	stop();
	/* Firmware left port 0 running with its own command list. */
	F.port[0].clb = 0x7ff000;
	F.port[0].cmd = AHCI_PxCMD_ST | AHCI_PxCMD_FRE;
	host_mmio = &F.m;
	host_log_clear();
	memset(&cfg, 0, sizeof(cfg));
	cfg.abar = ABAR;
	cfg.shadow = (struct disk_shadow_alloc){ NULL, sh_alloc, sh_free };
	cfg.guest_mem_ok = guest_mem_ok;
	assert_int_equal(ahci_init(&A, &cfg), E_OK);
	/* Stopped, moved onto the shadow areas, started again: the firmware's
	 * driver finds its port as it left it (guest=disk). */
	assert_int_equal(F.port[0].cmd & (AHCI_PxCMD_ST | AHCI_PxCMD_FRE),
			 AHCI_PxCMD_ST | AHCI_PxCMD_FRE);
	assert_true(in_shadow(f_clb(&F.port[0]), 1024));
	assert_int_equal(host_log_count("ahci port=0 was running"), 1);
	assert_int_equal(host_log_count("ahci port=0 restarted on the shadow areas"), 1);
	stop();

	/* Bad configurations. */
	cfg.guest_mem_ok = NULL;
	host_mmio = &F.m;
	assert_int_equal(ahci_init(&A, &cfg), E_INVAL);
	cfg.guest_mem_ok = guest_mem_ok;
	cfg.max_prdtl = AHCI_PRDTL_LIMIT + 1;
	assert_int_equal(ahci_init(&A, &cfg), E_INVAL);
	cfg.max_prdtl = 0;
	/* No controller: registers read as all-ones. */
	host_mmio = NULL;
	cfg.abar = (paddr_t)(uintptr_t)hyp_secret;
	memset(hyp_secret, 0xff, sizeof(hyp_secret));
	assert_int_equal(ahci_init(&A, &cfg), E_INVAL);
}

static void test_identify_pio(void **state)
{
	struct opts o = { .pi = 0x1 };
	uint8_t f[20], id[512];
	paddr_t buf;
	struct seg s[2];

	(void)state;
	start(&o);
	guest_port_start(0);
	buf = galloc(1024, 2);
	memset(gp(buf), 0xcc, 1024);
	s[0] = (struct seg){ buf, 200 };
	s[1] = (struct seg){ buf + 600, 312 };
	fis_cmd(f, ATA_CMD_IDENTIFY);
	guest_cmd(0, 0, f, false, NULL, s, 2);
	gw(0, AHCI_PxCI, 1);
	assert_int_equal(gr(0, AHCI_PxCI), 1);
	assert_true(F.port[0].ci & 1);
	dev_run(0, 0);
	/* Device done, but nothing reaches the guest before it looks. */
	assert_int_equal(((uint8_t *)gp(buf))[0], 0xcc);
	assert_int_equal(ghdr(0, 0)->prdbc, 0xdeadbeef);
	assert_int_equal(gr(0, AHCI_PxCI), 0);
	for (unsigned i = 0; i < 512; i++)
		id[i] = (uint8_t)(i * 7 + 3);
	id[212] = 0x00;
	id[213] = 0x40;
	memset(id + 234, 0, 4);
	assert_memory_equal(gp(buf), id, 200);
	assert_memory_equal((uint8_t *)gp(buf) + 600, id + 200, 312);
	assert_int_equal(((uint8_t *)gp(buf))[200], 0xcc);	/* between the PRDs */
	assert_int_equal(((uint8_t *)gp(buf))[912], 0xcc);
	assert_int_equal(ghdr(0, 0)->prdbc, 512);
	/* Received FISes reached the guest's FIS area. */
	assert_int_equal(((uint8_t *)gp(G[0].fis))[AHCI_RFIS_PSFIS], FIS_TYPE_PIO_SETUP);
	assert_int_equal(((uint8_t *)gp(G[0].fis))[AHCI_RFIS_RFIS], FIS_TYPE_REG_D2H);
	assert_int_equal(((uint8_t *)gp(G[0].fis))[AHCI_RFIS_RFIS + 2], 0x50);
	assert_true(gr(0, AHCI_PxIS) & AHCI_PxIS_DHRS);
	assert_int_equal(enc_calls + dec_calls, 0);	/* not sector data */
	assert_int_equal(A.stats.commands, 1);
	assert_int_equal(A.stats.completed, 1);
	assert_int_equal(A.stats.bytes_from_device, 512);
	stop();
}

static void test_write_read_dma_ext(void **state)
{
	struct opts o = { .pi = 0x1 };
	static uint8_t plain[16 * 512], back[16 * 512];
	paddr_t wb, rb;
	struct seg ws[3], rs[2];

	(void)state;
	start(&o);
	guest_port_start(0);
	pattern(plain, sizeof(plain), 1);
	wb = galloc(8192 + 4096, 4096);
	ws[0] = (struct seg){ wb, 4096 };
	ws[1] = (struct seg){ wb + 8192, 2048 };
	ws[2] = (struct seg){ wb + 4096, 2048 };
	scatter(ws, 3, plain);
	do_rw(0, 3, ATA_CMD_WRITE_DMA_EXT, 100, 16, ws, 3);
	check_disk(0, 100, plain, 16, true);
	assert_int_equal(ghdr(0, 3)->prdbc, 8192);
	assert_int_equal(A.stats.sectors_encrypted, 16);

	rb = galloc(8192, 2);
	rs[0] = (struct seg){ rb, 1024 };
	rs[1] = (struct seg){ rb + 1024, 7168 };
	do_rw(0, 7, ATA_CMD_READ_DMA_EXT, 100, 16, rs, 2);
	gather(back, rs, 2);
	assert_memory_equal(back, plain, sizeof(plain));
	assert_int_equal(A.stats.sectors_decrypted, 16);
	assert_int_equal(A.stats.bytes_to_device, 8192);
	assert_int_equal(A.stats.bytes_from_device, 8192);
	stop();
}

static void test_lba28(void **state)
{
	struct opts o = { .pi = 0x1 };
	static uint8_t plain[256 * 512], back[256 * 512];
	const uint64_t lba = 0x0a000010;	/* LBA 27:24 from DEVICE 3:0 */
	paddr_t b;
	struct seg s[2];
	uint8_t f[20];

	(void)state;
	start(&o);
	guest_port_start(0);
	pattern(plain, sizeof(plain), 2);
	b = galloc(sizeof(plain), 4096);
	s[0] = (struct seg){ b, 65536 };
	s[1] = (struct seg){ b + 65536, 65536 };
	scatter(s, 2, plain);
	do_rw(0, 0, ATA_CMD_WRITE_DMA, lba, 0, s, 2);	/* count 0 = 256 */
	check_disk(0, lba, plain, 256, true);
	memset(gp(b), 0, sizeof(plain));
	do_rw(0, 1, ATA_CMD_READ_DMA, lba, 0, s, 2);
	gather(back, s, 2);
	assert_memory_equal(back, plain, sizeof(plain));

	/* CHS addressing (DEVICE bit 6 clear): no LBA for the tweak: refused. */
	fis28(f, ATA_CMD_READ_DMA, 5, 1);
	f[7] &= ~0x40;
	guest_cmd(0, 2, f, false, NULL, s, 1);
	gw(0, AHCI_PxCI, 1u << 2);
	assert_refused(0, 2);
	assert_int_equal(host_log_count("reason=chs-addressing"), 1);
	guest_recover(0);
	stop();
}

static void test_ncq_out_of_order(void **state)
{
	struct opts o = { .pi = 0x1 };
	static uint8_t plain[8][8 * 512], back[8 * 512];
	static const unsigned order[8] = { 5, 2, 7, 0, 3, 6, 1, 4 };
	paddr_t wb[8], rb[8];
	struct seg s;
	uint8_t f[20];
	uint32_t all = 0;

	(void)state;
	start(&o);
	guest_port_start(0);
	for (unsigned n = 0; n < 8; n++) {
		uint32_t cnt = n + 1;

		pattern(plain[n], sizeof(plain[n]), 10 + n);
		wb[n] = galloc(cnt * 512, 512);
		memcpy(gp(wb[n]), plain[n], cnt * 512);
		s = (struct seg){ wb[n], cnt * 512 };
		fis_ncq(f, ATA_CMD_WRITE_FPDMA_QUEUED, 1000 + n * 16, cnt, n);
		guest_cmd(0, n, f, true, NULL, &s, 1);
		all |= 1u << n;
	}
	gw(0, AHCI_PxSACT, all);
	gw(0, AHCI_PxCI, all);
	/* Accepted at once: PxCI clears, PxSACT stays until the data is done. */
	assert_int_equal(gr(0, AHCI_PxCI), 0);
	assert_int_equal(gr(0, AHCI_PxSACT), all);
	assert_int_equal(F.port[0].sact, all);
	for (unsigned i = 0; i < 8; i++) {
		unsigned n = order[i];

		dev_run(0, n);
		all &= ~(1u << n);
		assert_int_equal(gr(0, AHCI_PxSACT), all);
		check_disk(0, 1000 + n * 16, plain[n], n + 1, true);
	}
	assert_int_equal(A.stats.ncq, 8);

	/* Reads, completed in another order, into fresh buffers. */
	for (unsigned n = 0; n < 8; n++) {
		uint32_t cnt = n + 1;

		rb[n] = galloc(cnt * 512, 2);
		memset(gp(rb[n]), 0xee, cnt * 512);
		s = (struct seg){ rb[n], cnt * 512 };
		fis_ncq(f, ATA_CMD_READ_FPDMA_QUEUED, 1000 + n * 16, cnt, n + 8);
		guest_cmd(0, n + 8, f, false, NULL, &s, 1);
		all |= 1u << (n + 8);
	}
	gw(0, AHCI_PxSACT, all);
	gw(0, AHCI_PxCI, all);
	for (int i = 7; i >= 0; i--) {
		unsigned n = order[i];

		dev_run(0, n + 8);
		/* Not yet looked at: the guest's buffer is untouched. */
		assert_int_equal(((uint8_t *)gp(rb[n]))[0], 0xee);
		all &= ~(1u << (n + 8));
		assert_int_equal(gr(0, AHCI_PxSACT), all);
		memcpy(back, gp(rb[n]), (n + 1) * 512);
		assert_memory_equal(back, plain[n], (n + 1) * 512);
		/* SDB FIS copied to the guest. */
		assert_int_equal(((uint8_t *)gp(G[0].fis))[AHCI_RFIS_SDBFIS], FIS_TYPE_SDB);
	}
	stop();
}

static void test_multiple_ports(void **state)
{
	struct opts o = { .pi = 0x5, .crypt_ports = 0x1 };
	static uint8_t p0[4 * 512], p2[4 * 512], back[4 * 512];
	paddr_t b0, b2;
	struct seg s0, s2;
	uint8_t f[20];

	(void)state;
	start(&o);
	assert_int_equal(host_log_count("ahci port="), 2);
	assert_int_equal(host_log_count("crypt=yes"), 1);
	guest_port_start(0);
	guest_port_start(2);
	pattern(p0, sizeof(p0), 20);
	pattern(p2, sizeof(p2), 21);
	b0 = galloc(sizeof(p0), 8);
	b2 = galloc(sizeof(p2), 8);
	memcpy(gp(b0), p0, sizeof(p0));
	memcpy(gp(b2), p2, sizeof(p2));
	s0 = (struct seg){ b0, sizeof(p0) };
	s2 = (struct seg){ b2, sizeof(p2) };
	fis48(f, ATA_CMD_WRITE_DMA_EXT, 40, 4);
	guest_cmd(0, 0, f, true, NULL, &s0, 1);
	guest_cmd(2, 0, f, true, NULL, &s2, 1);
	gw(0, AHCI_PxCI, 1);
	gw(2, AHCI_PxCI, 1);
	assert_int_equal(gr(0, AHCI_PxCI), 1);
	assert_int_equal(gr(2, AHCI_PxCI), 1);
	dev_run(2, 0);
	assert_true(ahci_guest_read(&A, AHCI_IS, 4) & (1u << 2));
	assert_int_equal(gr(2, AHCI_PxCI), 0);
	assert_int_equal(gr(0, AHCI_PxCI), 1);
	dev_run(0, 0);
	ahci_poll(&A);
	assert_int_equal(gr(0, AHCI_PxCI), 0);
	check_disk(0, 40, p0, 4, true);
	check_disk(2, 40, p2, 4, false);	/* port 2 is not encrypted */

	memset(gp(b0), 0, sizeof(p0));
	memset(gp(b2), 0, sizeof(p2));
	fis48(f, ATA_CMD_READ_DMA_EXT, 40, 4);
	guest_cmd(0, 1, f, false, NULL, &s0, 1);
	guest_cmd(2, 1, f, false, NULL, &s2, 1);
	gw(2, AHCI_PxCI, 2);
	gw(0, AHCI_PxCI, 2);
	dev_run(0, 1);
	dev_run(2, 1);
	ahci_poll(&A);
	assert_int_equal(gr(0, AHCI_PxCI) | gr(2, AHCI_PxCI), 0);
	memcpy(back, gp(b0), sizeof(back));
	assert_memory_equal(back, p0, sizeof(p0));
	memcpy(back, gp(b2), sizeof(back));
	assert_memory_equal(back, p2, sizeof(p2));
	stop();
}

static void test_mixed_prds(void **state)
{
	struct opts o = { .pi = 0x1 };
	static const uint32_t wl[] = { 2, 6, 510, 514, 1000, 3000, 4096, 2, 7254 - 2 };
	static const uint32_t rl[] = { 4094, 2, 8190, 100, 2000, 2 };
	static uint8_t plain[32 * 512], back[32 * 512];
	struct seg ws[ARRAY_SIZE(wl)], rs[ARRAY_SIZE(rl) + 1];
	uint32_t tw = 0, tr = 0;
	paddr_t b;

	(void)state;
	start(&o);
	guest_port_start(0);
	/* Word-aligned, page-crossing segments of odd-looking (even) sizes. */
	b = galloc(64 * 1024, 4096);
	for (unsigned i = 0, at = 4094; i < ARRAY_SIZE(wl); i++) {
		ws[i] = (struct seg){ b + at, wl[i] };
		tw += wl[i];
		at += wl[i] + 6;
	}
	ws[ARRAY_SIZE(wl) - 1].len += 32 * 512 - tw;
	pattern(plain, sizeof(plain), 3);
	scatter(ws, ARRAY_SIZE(wl), plain);
	do_rw(0, 0, ATA_CMD_WRITE_DMA_EXT, 300, 32, ws, ARRAY_SIZE(wl));
	check_disk(0, 300, plain, 32, true);

	b = galloc(64 * 1024, 4096);
	for (unsigned i = 0, at = 2; i < ARRAY_SIZE(rl); i++) {
		rs[i] = (struct seg){ b + at, rl[i] };
		tr += rl[i];
		at += rl[i] + 10;
	}
	/* The last PRD is longer than the transfer: only 16 KiB are filled. */
	rs[ARRAY_SIZE(rl)] = (struct seg){ b + 40000, 32 * 512 - tr + 1000 };
	memset(gp(rs[ARRAY_SIZE(rl)].pa), 0x77, rs[ARRAY_SIZE(rl)].len);
	do_rw(0, 1, ATA_CMD_READ_DMA_EXT, 300, 32, rs, ARRAY_SIZE(rl) + 1);
	rs[ARRAY_SIZE(rl)].len -= 1000;
	gather(back, rs, ARRAY_SIZE(rl) + 1);
	assert_memory_equal(back, plain, sizeof(plain));
	assert_int_equal(((uint8_t *)gp(rs[ARRAY_SIZE(rl)].pa))[rs[ARRAY_SIZE(rl)].len], 0x77);
	stop();
}

static void test_bad_prds_refused(void **state)
{
	struct opts o = { .pi = 0x1, .max_cmd_bytes = 1u << 20 };
	paddr_t b = 0;
	struct seg s[200];
	uint8_t f[20];
	int refused = 0;

	(void)state;
	start(&o);
	guest_port_start(0);
	b = galloc(8u << 20, 4096);
	memset(gp(b), 0x3c, 8u << 20);

	for (int c = 0; c < 9; c++) {
		unsigned n = (unsigned)c + 1, nseg = 1;
		bool w = true;
		const char *why = NULL;

		fis48(f, ATA_CMD_WRITE_DMA_EXT, 50, 8);
		s[0] = (struct seg){ b, 4096 };
		switch (c) {
		case 0:	/* odd byte count */
			s[0].len = 4095;
			why = "reason=odd-prd-byte-count";
			break;
		case 1:	/* total over the per-command limit */
			s[0].len = 4u << 20;
			why = "reason=transfer-too-large";
			break;
		case 2:	/* too many PRDs */
			for (unsigned i = 0; i < 169; i++)
				s[i] = (struct seg){ b + i * 512, 512 };
			nseg = 169;
			why = "reason=too-many-prds";
			break;
		case 3:	/* sector count over the limit */
			fis48(f, ATA_CMD_WRITE_DMA_EXT, 50, 4096);
			why = "reason=transfer-too-large";
			break;
		case 4:	/* PRDT shorter than the transfer */
			s[0].len = 2048;
			why = "reason=prdt-shorter-than-transfer";
			break;
		case 5:	/* WRITE with the W bit clear */
			w = false;
			why = "reason=direction";
			break;
		case 6:	/* PRD pointing at hypervisor memory */
			s[0].pa = (paddr_t)(uintptr_t)hyp_secret;
			why = "reason=prd-address";
			break;
		case 7:	/* PRD running off the end of guest memory */
			s[0].pa = (paddr_t)(uintptr_t)g_base + G_SIZE - 2048;
			why = "reason=prd-address";
			break;
		case 8:	/* READ with the W bit set */
			fis48(f, ATA_CMD_READ_DMA_EXT, 50, 8);
			why = "reason=direction";
			break;
		}
		guest_cmd(0, n, f, w, NULL, s, nseg);
		gw(0, AHCI_PxCI, 1u << n);
		assert_refused(0, n);
		assert_int_equal(host_log_count(why), c == 7 ? 2 : c == 8 ? 2 : c == 3 ? 2 : 1);
		refused++;
		assert_int_equal(irq_count, refused);
		assert_int_equal(F.nseen, 0);
		/* A further command is held while the port is in error. */
		if (c == 0) {
			fis48(f, ATA_CMD_READ_DMA_EXT, 50, 1);
			s[0] = (struct seg){ b, 512 };
			guest_cmd(0, 20, f, false, NULL, s, 1);
			gw(0, AHCI_PxCI, 1u << 20);
			assert_true(gr(0, AHCI_PxCI) & (1u << 20));
			assert_false(F.port[0].ci_ever & (1u << 20));
		}
		guest_recover(0);
		assert_int_equal(gr(0, AHCI_PxTFD), 0x50);
	}
	assert_int_equal(A.stats.refused, 9);
	assert_int_equal(A.stats.commands, 0);
	assert_int_equal(host_log_count("shoji: warning: ahci refused port=0"), 9);
	/* The hypervisor's memory went nowhere. */
	for (unsigned i = 0; i < sizeof(hyp_secret); i++)
		assert_int_equal(hyp_secret[i], 0x5e);

	/* The port works after recovery. */
	s[0] = (struct seg){ b, 4096 };
	do_rw(0, 4, ATA_CMD_WRITE_DMA_EXT, 50, 8, s, 1);
	check_disk(0, 50, gp(b), 8, true);
	stop();
}

static void test_bad_structures_refused(void **state)
{
	struct opts o = { .pi = 0x1 };
	paddr_t b;
	struct seg s;
	uint8_t f[20];

	(void)state;
	start(&o);
	guest_port_start(0);
	b = galloc(4096, 4096);
	s = (struct seg){ b, 4096 };

	/* Command table in hypervisor memory. */
	fis48(f, ATA_CMD_READ_DMA_EXT, 1, 8);
	guest_cmd(0, 0, f, false, NULL, &s, 1);
	ghdr(0, 0)->ctba = (uint32_t)(uintptr_t)hyp_secret & ~0x7fu;
	ghdr(0, 0)->ctbau = (uint32_t)((uintptr_t)hyp_secret >> 32);
	gw(0, AHCI_PxCI, 1);
	assert_refused(0, 0);
	assert_int_equal(host_log_count("reason=command-table-address"), 1);
	guest_recover(0);

	/* Command list in hypervisor memory. */
	gw(0, AHCI_PxCMD, gr(0, AHCI_PxCMD) & ~AHCI_PxCMD_ST);
	gw(0, AHCI_PxCLB, (uint32_t)(uintptr_t)hyp_secret & ~0x3ffu);
	gw(0, AHCI_PxCLBU, (uint32_t)((uintptr_t)hyp_secret >> 32));
	gw(0, AHCI_PxCMD, gr(0, AHCI_PxCMD) | AHCI_PxCMD_ST);
	gw(0, AHCI_PxCI, 2);
	assert_true(gr(0, AHCI_PxCI) & 2);
	assert_int_equal(host_log_count("reason=command-list-address"), 1);
	assert_int_equal(F.nseen, 0);
	gw(0, AHCI_PxCMD, gr(0, AHCI_PxCMD) & ~AHCI_PxCMD_ST);
	gw(0, AHCI_PxCLB, (uint32_t)G[0].cl);
	gw(0, AHCI_PxCLBU, (uint32_t)(G[0].cl >> 32));
	guest_recover(0);

	/* Bad command FIS length. */
	guest_cmd(0, 3, f, false, NULL, &s, 1);
	ghdr(0, 3)->dw0 = (ghdr(0, 3)->dw0 & ~0x1fu) | 1;
	gw(0, AHCI_PxCI, 1u << 3);
	assert_refused(0, 3);
	guest_recover(0);
	for (unsigned i = 0; i < sizeof(hyp_secret); i++)
		assert_int_equal(hyp_secret[i], 0x5e);
	stop();
}

static void test_toctou_rewrite(void **state)
{
	struct opts o = { .pi = 0x1 };
	static uint8_t A1[8 * 512], B1[8 * 512], C1[8 * 512];
	paddr_t ba, bc, r1, r2, ct2;
	struct ahci_prd *e;
	struct seg s;
	uint8_t f[20], *t;

	(void)state;
	start(&o);
	guest_port_start(0);
	pattern(A1, sizeof(A1), 30);
	pattern(B1, sizeof(B1), 31);
	pattern(C1, sizeof(C1), 32);
	ba = galloc(sizeof(A1), 4096);
	bc = galloc(sizeof(C1), 4096);
	memcpy(gp(ba), A1, sizeof(A1));
	memcpy(gp(bc), C1, sizeof(C1));

	/* Write: after PxCI the guest changes its data, its PRDT, the FIS's
	 * LBA and even the command header's table pointer. */
	s = (struct seg){ ba, sizeof(A1) };
	fis48(f, ATA_CMD_WRITE_DMA_EXT, 500, 8);
	guest_cmd(0, 0, f, true, NULL, &s, 1);
	gw(0, AHCI_PxCI, 1);
	memcpy(gp(ba), B1, sizeof(B1));
	e = gp(G[0].ct[0] + 0x80);
	e->dba = (uint32_t)bc;
	e->dbau = (uint32_t)(bc >> 32);
	e->dw3 = 4095;	/* and an odd count, too late to matter */
	t = gp(G[0].ct[0]);
	t[4] = 0x77;	/* LBA */
	ghdr(0, 0)->dw0 |= 0xffu << 16;
	dev_run(0, 0);
	assert_int_equal(gr(0, AHCI_PxCI), 0);
	check_disk(0, 500, A1, 8, true);
	for (unsigned i = 0; i < 8; i++) {
		static const uint8_t z[512];

		assert_memory_equal(disk(0, 0x177 + i), z, 512);	/* not written */
	}

	/* Read: the guest redirects its PRDT and its header after PxCI. */
	r1 = galloc(sizeof(A1), 4096);
	r2 = galloc(sizeof(A1), 4096);
	ct2 = galloc(CT_SIZE, 128);
	memset(gp(r1), 0x11, sizeof(A1));
	memset(gp(r2), 0x22, sizeof(A1));
	s = (struct seg){ r1, sizeof(A1) };
	fis48(f, ATA_CMD_READ_DMA_EXT, 500, 8);
	guest_cmd(0, 1, f, false, NULL, &s, 1);
	gw(0, AHCI_PxCI, 2);
	e = gp(G[0].ct[1] + 0x80);
	e->dba = (uint32_t)r2;
	e->dbau = (uint32_t)(r2 >> 32);
	memcpy(gp(ct2), gp(G[0].ct[1]), CT_SIZE);
	ghdr(0, 1)->ctba = (uint32_t)ct2;
	dev_run(0, 1);
	assert_int_equal(gr(0, AHCI_PxCI), 0);
	assert_memory_equal(gp(r1), A1, sizeof(A1));
	for (unsigned i = 0; i < sizeof(A1); i++)
		assert_int_equal(((uint8_t *)gp(r2))[i], 0x22);
	stop();
}

static void test_port_stop_mid_command(void **state)
{
	struct opts o = { .pi = 0x1 };
	paddr_t b;
	struct seg s;
	uint8_t f[20];
	long base;

	(void)state;
	start(&o);
	guest_port_start(0);
	base = sh_in_use;
	F.cr_lag_after_stop = 3;
	b = galloc(65536, 4096);
	memset(gp(b), 0x99, 65536);
	s = (struct seg){ b, 65536 };
	fis48(f, ATA_CMD_READ_DMA_EXT, 0, 128);
	guest_cmd(0, 5, f, false, NULL, &s, 1);
	gw(0, AHCI_PxCI, 1u << 5);
	assert_true(sh_in_use > base);
	/* The guest's error handler stops the port before the device is done. */
	gw(0, AHCI_PxCMD, gr(0, AHCI_PxCMD) & ~AHCI_PxCMD_ST);
	assert_int_equal(gr(0, AHCI_PxCI), 0);
	assert_int_equal(F.port[0].ci, 0);
	/* The DMA engine has not stopped yet: the shadow buffers stay. */
	assert_true(sh_in_use > base);
	while (gr(0, AHCI_PxCMD) & AHCI_PxCMD_CR)
		;
	ahci_poll(&A);
	assert_int_equal(sh_in_use, base);
	assert_int_equal(A.stats.dropped, 1);
	assert_int_equal(A.stats.completed, 0);
	for (unsigned i = 0; i < 65536; i++)
		assert_int_equal(((uint8_t *)gp(b))[i], 0x99);

	/* Restart and reuse the slot. */
	gw(0, AHCI_PxCMD, gr(0, AHCI_PxCMD) | AHCI_PxCMD_ST);
	do_rw(0, 5, ATA_CMD_READ_DMA_EXT, 0, 128, &s, 1);
	assert_int_equal(A.stats.completed, 1);

	/* COMRESET with a command on the device (the guest did not stop the
	 * port): whatever the device does next is no completion. */
	memset(gp(b), 0x99, 65536);
	guest_cmd(0, 6, f, false, NULL, &s, 1);
	gw(0, AHCI_PxCI, 1u << 6);
	gw(0, AHCI_PxSCTL, 0x301);
	assert_int_equal(F.port[0].comresets, 1);
	dev_run(0, 6);
	assert_true(gr(0, AHCI_PxCI) & (1u << 6));
	assert_int_equal(((uint8_t *)gp(b))[0], 0x99);
	gw(0, AHCI_PxSCTL, 0x300);
	assert_true(gr(0, AHCI_PxCI) & (1u << 6));
	assert_int_equal(((uint8_t *)gp(b))[0], 0x99);
	guest_port_stop(0);
	assert_int_equal(gr(0, AHCI_PxCI), 0);
	while (gr(0, AHCI_PxCMD) & AHCI_PxCMD_CR)
		;
	ahci_poll(&A);
	assert_int_equal(sh_in_use, base);
	assert_int_equal(A.stats.completed, 1);
	stop();
}

static void test_hba_reset(void **state)
{
	struct opts o = { .pi = 0x3 };
	paddr_t b;
	struct seg s;
	uint8_t f[20];
	long base;
	static uint8_t plain[8 * 512];

	(void)state;
	start(&o);
	base = sh_in_use;
	guest_port_start(0);
	guest_port_start(1);
	b = galloc(8192, 4096);
	s = (struct seg){ b, 4096 };
	fis48(f, ATA_CMD_READ_DMA_EXT, 8, 8);
	guest_cmd(0, 0, f, false, NULL, &s, 1);
	guest_cmd(1, 3, f, false, NULL, &s, 1);
	gw(0, AHCI_PxCI, 1);
	gw(1, AHCI_PxCI, 8);
	assert_true(sh_in_use > base);

	F.hr_lag = 3;
	ahci_guest_write(&A, AHCI_GHC, 4, AHCI_GHC_AE | AHCI_GHC_HR);
	assert_int_equal(F.hr_count, 1);
	assert_int_equal(F.port[0].clb, 0);	/* the fake resets the bases */
	while (ahci_guest_read(&A, AHCI_GHC, 4) & AHCI_GHC_HR)
		;
	ahci_poll(&A);
	assert_int_equal(sh_in_use, base);
	assert_int_equal(A.stats.dropped, 2);
	assert_true(in_shadow(f_clb(&F.port[0]), 1024));
	assert_true(in_shadow(f_fb(&F.port[1]), 256));
	assert_int_equal(gr(0, AHCI_PxCI) | gr(1, AHCI_PxCI), 0);

	/* The driver sets the ports up again and goes on. */
	g_next = 0;
	guest_port_start(0);
	b = galloc(8192, 4096);
	pattern(plain, sizeof(plain), 40);
	memcpy(gp(b), plain, sizeof(plain));
	s = (struct seg){ b, sizeof(plain) };
	do_rw(0, 0, ATA_CMD_WRITE_DMA_EXT, 8, 8, &s, 1);
	check_disk(0, 8, plain, 8, true);
	stop();
}

static void test_device_error(void **state)
{
	struct opts o = { .pi = 0x1 };
	paddr_t b;
	struct seg s;
	uint8_t f[20];

	(void)state;
	start(&o);
	guest_port_start(0);
	b = galloc(4096, 4096);
	memset(gp(b), 0x42, 4096);
	s = (struct seg){ b, 4096 };
	fis48(f, ATA_CMD_READ_DMA_EXT, 8, 8);
	guest_cmd(0, 2, f, false, NULL, &s, 1);
	gw(0, AHCI_PxCI, 4);
	dev_fail(0, 2);
	/* The guest sees the device's own error; no completion, no data. */
	assert_true(gr(0, AHCI_PxIS) & AHCI_PxIS_TFES);
	assert_int_equal(gr(0, AHCI_PxTFD), 0x0451);
	assert_int_equal(gr(0, AHCI_PxCI), 4);
	assert_int_equal(((uint8_t *)gp(G[0].fis))[AHCI_RFIS_RFIS + 3], 0x04);
	assert_int_equal(((uint8_t *)gp(b))[0], 0x42);
	assert_int_equal(A.stats.refused, 0);
	guest_recover(0);
	assert_int_equal(A.stats.dropped, 1);
	assert_int_equal(A.stats.completed, 0);
	assert_int_equal(((uint8_t *)gp(b))[0], 0x42);
	stop();
}

static void test_confine_only(void **state)
{
	struct opts o = { .pi = 0x1, .confine = true };
	paddr_t b;
	struct seg s;
	uint8_t f[20];

	(void)state;
	start(&o);
	assert_int_equal(host_log_count("mode=confine"), 1);
	assert_int_equal(sh_allocs, 0);
	F.expect_faults = true;
	guest_port_start(0);
	/* The guest's own addresses reach the device. */
	assert_int_equal(f_clb(&F.port[0]), G[0].cl);
	assert_int_equal(f_fb(&F.port[0]), G[0].fis);
	b = galloc(4096, 4096);
	memset(gp(b), 0x42, 4096);
	s = (struct seg){ b, 4096 };
	fis48(f, ATA_CMD_READ_DMA_EXT, 8, 8);
	guest_cmd(0, 0, f, false, NULL, &s, 1);
	gw(0, AHCI_PxCI, 1);
	/* ...and its DMA is blocked (the IOMMU domain holds only shadow). */
	assert_true(F.faults > 0);
	assert_true(gr(0, AHCI_PxIS) & AHCI_PxIS_HBFS);
	assert_int_equal(((uint8_t *)gp(b))[0], 0x42);
	assert_int_equal(A.stats.commands, 0);
	stop();
}

static void test_crypt_range_boundary(void **state)
{
	struct opts o = { .pi = 0x1, .crypt_lo = 1000, .crypt_hi = 1008 };
	static uint8_t plain[16 * 512], back[16 * 512];
	paddr_t b;
	struct seg s;

	(void)state;
	start(&o);
	guest_port_start(0);
	pattern(plain, sizeof(plain), 50);
	b = galloc(sizeof(plain), 4096);
	memcpy(gp(b), plain, sizeof(plain));
	s = (struct seg){ b, sizeof(plain) };
	do_rw(0, 0, ATA_CMD_WRITE_DMA_EXT, 996, 16, &s, 1);
	check_disk(0, 996, plain, 4, false);
	check_disk(0, 1000, plain + 4 * 512, 8, true);
	check_disk(0, 1008, plain + 12 * 512, 4, false);
	assert_int_equal(A.stats.sectors_encrypted, 8);
	memset(gp(b), 0, sizeof(plain));
	do_rw(0, 1, ATA_CMD_READ_DMA_EXT, 996, 16, &s, 1);
	memcpy(back, gp(b), sizeof(back));
	assert_memory_equal(back, plain, sizeof(plain));
	/* Entirely outside: plaintext both ways, no crypto call. */
	enc_calls = 0;
	do_rw(0, 2, ATA_CMD_WRITE_DMA_EXT, 2000, 16, &s, 1);
	assert_int_equal(enc_calls, 0);
	check_disk(0, 2000, plain, 16, false);
	stop();
}

static void test_shadow_exhaustion(void **state)
{
	struct opts o = { .pi = 0x1 };
	paddr_t b;
	struct seg s[3];
	uint8_t f[20];
	static uint8_t plain[3][256 * 512];

	(void)state;
	start(&o);
	guest_port_start(0);
	sh_limit = sh_in_use + 40;	/* room for one 128 KiB command */
	b = galloc(3 * sizeof(plain[0]), 4096);
	for (unsigned n = 0; n < 3; n++) {
		pattern(plain[n], sizeof(plain[n]), 60 + n);
		s[n] = (struct seg){ b + n * sizeof(plain[0]), sizeof(plain[0]) };
		memcpy(gp(s[n].pa), plain[n], sizeof(plain[n]));
		fis48(f, ATA_CMD_WRITE_DMA_EXT, 2000 + n * 256, 256);
		guest_cmd(0, n, f, true, NULL, &s[n], 1);
	}
	gw(0, AHCI_PxCI, 7);
	assert_int_equal(F.port[0].ci_ever, 1);	/* only the first fit */
	assert_int_equal(gr(0, AHCI_PxCI), 7);
	assert_true(A.stats.deferred > 0);
	dev_run(0, 0);
	assert_int_equal(gr(0, AHCI_PxCI), 6);	/* slot 1 issued on the way */
	assert_int_equal(F.port[0].ci_ever, 3);
	dev_run(0, 1);
	ahci_poll(&A);
	dev_run(0, 2);
	assert_int_equal(gr(0, AHCI_PxCI), 0);
	for (unsigned n = 0; n < 3; n++)
		check_disk(0, 2000 + n * 256, plain[n], 256, true);

	/* Bigger than all there is, nothing in flight: refused, not stuck. */
	sh_limit = sh_in_use + 8;
	fis48(f, ATA_CMD_WRITE_DMA_EXT, 2000, 256);
	guest_cmd(0, 4, f, true, NULL, &s[0], 1);
	gw(0, AHCI_PxCI, 1u << 4);
	assert_refused(0, 4);
	assert_int_equal(host_log_count("reason=out-of-shadow-memory"), 1);
	guest_recover(0);
	stop();
}

/* Copy-once holds while a command waits for shadow memory: the guest
 * rewriting the waiting command's PRDT and header after its PxCI write is
 * ignored when the command is finally staged. */
static void test_toctou_while_deferred(void **state)
{
	struct opts o = { .pi = 0x1 };
	static uint8_t plain[256 * 512];
	paddr_t b, r1, r2, ct2;
	struct seg s0, s1;
	struct ahci_prd *e;
	uint8_t f[20];

	(void)state;
	start(&o);
	guest_port_start(0);
	sh_limit = sh_in_use + 40;	/* room for one 128 KiB command */
	pattern(plain, sizeof(plain), 70);
	b = galloc(sizeof(plain), 4096);
	memcpy(gp(b), plain, sizeof(plain));
	/* Put known data at LBA 3000 first. */
	s0 = (struct seg){ b, sizeof(plain) };
	fis48(f, ATA_CMD_WRITE_DMA_EXT, 3000, 256);
	guest_cmd(0, 0, f, true, NULL, &s0, 1);
	gw(0, AHCI_PxCI, 1);
	dev_run(0, 0);
	assert_int_equal(gr(0, AHCI_PxCI), 0);

	/* Two big reads: slot 2 gets the memory, slot 3 must wait. */
	r1 = galloc(sizeof(plain), 4096);
	r2 = galloc(sizeof(plain), 4096);
	memset(gp(r1), 0x11, sizeof(plain));
	memset(gp(r2), 0x22, sizeof(plain));
	s0 = (struct seg){ b, sizeof(plain) };
	fis48(f, ATA_CMD_READ_DMA_EXT, 3000, 256);
	guest_cmd(0, 2, f, false, NULL, &s0, 1);
	s1 = (struct seg){ r1, sizeof(plain) };
	guest_cmd(0, 3, f, false, NULL, &s1, 1);
	gw(0, AHCI_PxCI, 0xc);
	assert_true(A.stats.deferred > 0);
	assert_int_equal(gr(0, AHCI_PxCI), 0xc);

	/* While slot 3 waits: its PRD now says r2, its header a new table. */
	e = gp(G[0].ct[3] + 0x80);
	e->dba = (uint32_t)r2;
	e->dbau = (uint32_t)(r2 >> 32);
	ct2 = galloc(CT_SIZE, 128);
	memcpy(gp(ct2), gp(G[0].ct[3]), CT_SIZE);
	ghdr(0, 3)->ctba = (uint32_t)ct2;

	dev_run(0, 2);		/* slot 2 completes; slot 3 is staged from its copy */
	ahci_poll(&A);
	dev_run(0, 3);
	assert_int_equal(gr(0, AHCI_PxCI), 0);
	assert_memory_equal(gp(r1), plain, sizeof(plain));
	for (unsigned i = 0; i < sizeof(plain); i++)
		assert_int_equal(((uint8_t *)gp(r2))[i], 0x22);
	stop();
}

static void test_atapi_packet(void **state)
{
	struct opts o = { .pi = 0x1 };
	uint8_t f[20], acmd[16] = { 0x12, 0, 0, 0, 36 };
	paddr_t b;
	struct seg s;

	(void)state;
	start(&o);
	guest_port_start(0);
	b = galloc(512, 4096);
	memset(gp(b), 0xab, 512);
	s = (struct seg){ b, 512 };
	fis_cmd(f, ATA_CMD_PACKET);
	f[3] = 1;	/* DMA */
	guest_cmd(0, 0, f, false, acmd, &s, 1);
	gw(0, AHCI_PxCI, 1);
	dev_run(0, 0);
	assert_int_equal(gr(0, AHCI_PxCI), 0);
	assert_int_equal(ghdr(0, 0)->prdbc, 36);
	for (unsigned i = 0; i < 36; i++)
		assert_int_equal(((uint8_t *)gp(b))[i], 0x30 + i);
	assert_int_equal(((uint8_t *)gp(b))[36], 0xab);	/* only PRDBC bytes */
	assert_int_equal(enc_calls + dec_calls, 0);
	stop();
}

static void test_ncq_validation(void **state)
{
	struct opts o = { .pi = 0x1 };
	paddr_t b;
	struct seg s;
	uint8_t f[20];

	(void)state;
	start(&o);
	guest_port_start(0);
	b = galloc(4096, 4096);
	s = (struct seg){ b, 4096 };
	/* Tag different from the slot: the device would use another slot's
	 * table for the data phase. */
	fis_ncq(f, ATA_CMD_READ_FPDMA_QUEUED, 0, 8, 4);
	guest_cmd(0, 3, f, false, NULL, &s, 1);
	gw(0, AHCI_PxSACT, 8);
	gw(0, AHCI_PxCI, 8);
	assert_refused(0, 3);
	assert_int_equal(host_log_count("reason=ncq-tag-not-slot"), 1);
	assert_int_equal(gr(0, AHCI_PxSACT), 8);
	guest_recover(0);
	assert_int_equal(gr(0, AHCI_PxSACT), 0);
	/* Queued command without its PxSACT bit. */
	fis_ncq(f, ATA_CMD_READ_FPDMA_QUEUED, 0, 8, 3);
	guest_cmd(0, 3, f, false, NULL, &s, 1);
	gw(0, AHCI_PxCI, 8);
	assert_refused(0, 3);
	assert_int_equal(host_log_count("reason=ncq-without-sact"), 1);
	guest_recover(0);
	stop();
}

static void test_raw_media_refused(void **state)
{
	struct opts o = { .pi = 0x3, .crypt_ports = 0x1 };
	paddr_t b;
	struct seg s;
	uint8_t f[20];
	uint16_t action;

	(void)state;
	start(&o);
	guest_port_start(0);
	guest_port_start(1);
	b = galloc(4096, 4096);
	s = (struct seg){ b, 512 };
	/* WRITE LONG on the encrypted port: refused. */
	fis28(f, ATA_CMD_WRITE_LONG, 10, 1);
	guest_cmd(0, 0, f, true, NULL, &s, 1);
	gw(0, AHCI_PxCI, 1);
	assert_refused(0, 0);
	guest_recover(0);
	/* SCT write same through WRITE LOG EXT to log 0xE0: refused. */
	action = ATA_SCT_WRITE_SAME;
	memcpy(gp(b), &action, 2);
	fis48(f, ATA_CMD_WRITE_LOG_EXT, ATA_LOG_SCT_COMMAND, 1);
	guest_cmd(0, 1, f, true, NULL, &s, 1);
	gw(0, AHCI_PxCI, 2);
	assert_refused(0, 1);
	assert_int_equal(host_log_count("reason=sct-media-write"), 1);
	guest_recover(0);
	/* Sector data for a disk behind a port multiplier: refused. */
	fis48(f, ATA_CMD_WRITE_DMA_EXT, 10, 1);
	guest_cmd(0, 3, f, true, NULL, &s, 1);
	ghdr(0, 3)->dw0 |= 2u << 12;
	gw(0, AHCI_PxCI, 8);
	assert_refused(0, 3);
	assert_int_equal(host_log_count("reason=port-multiplier"), 1);
	guest_recover(0);
	/* Other SCT actions (e.g. 3, error recovery control) pass. */
	action = 3;
	memcpy(gp(b), &action, 2);
	guest_cmd(0, 2, f, true, NULL, &s, 1);
	gw(0, AHCI_PxCI, 4);
	dev_run(0, 2);
	assert_int_equal(gr(0, AHCI_PxCI), 0);
	/* On the port without encryption WRITE LONG goes to the device. */
	fis28(f, ATA_CMD_WRITE_LONG, 10, 1);
	guest_cmd(1, 0, f, true, NULL, &s, 1);
	gw(1, AHCI_PxCI, 1);
	assert_true(F.port[1].ci_ever & 1);
	dev_run(1, 0);
	assert_int_equal(gr(1, AHCI_PxCI), 0);
	stop();
}

static void test_identify_4k_sectors(void **state)
{
	struct opts o = { .pi = 0x1 };
	paddr_t b;
	struct seg s;
	uint8_t f[20];

	(void)state;
	start(&o);
	guest_port_start(0);
	F.id_w106 = 0x4000 | 0x1000;
	F.id_lss_words = 2048;		/* 4096-byte logical sectors */
	b = galloc(8192, 4096);
	s = (struct seg){ b, 512 };
	fis_cmd(f, ATA_CMD_IDENTIFY);
	guest_cmd(0, 0, f, false, NULL, &s, 1);
	gw(0, AHCI_PxCI, 1);
	dev_run(0, 0);
	assert_int_equal(gr(0, AHCI_PxCI), 0);
	assert_int_equal(host_log_count("logical_sector=4096"), 1);
	s = (struct seg){ b, 4096 };
	fis48(f, ATA_CMD_READ_DMA_EXT, 0, 8);
	guest_cmd(0, 1, f, false, NULL, &s, 1);
	gw(0, AHCI_PxCI, 2);
	assert_refused(0, 1);
	assert_int_equal(host_log_count("reason=logical-sector-not-512"), 1);
	guest_recover(0);
	stop();
}

static void test_misc_guest_behaviour(void **state)
{
	struct opts o = { .pi = 0x1 };
	paddr_t b;
	struct seg s;
	uint8_t f[20];

	(void)state;
	start(&o);
	b = galloc(4096, 4096);
	s = (struct seg){ b, 4096 };
	guest_port_start(0);
	/* PxCI while the port is stopped: ignored. */
	guest_port_stop(0);
	fis48(f, ATA_CMD_READ_DMA_EXT, 0, 8);
	guest_cmd(0, 0, f, false, NULL, &s, 1);
	gw(0, AHCI_PxCI, 1);
	assert_int_equal(gr(0, AHCI_PxCI), 0);
	assert_int_equal(F.port[0].ci_ever, 0);

	/* Soft reset as Linux does it: control FISes with SRST, no data. */
	gw(0, AHCI_PxCMD, gr(0, AHCI_PxCMD) | AHCI_PxCMD_ST);
	memset(f, 0, 20);
	f[0] = FIS_TYPE_REG_H2D;
	f[15] = 0x04;	/* SRST */
	guest_cmd(0, 0, f, false, NULL, NULL, 0);
	ghdr(0, 0)->dw0 |= AHCI_HDR_R | AHCI_HDR_C;
	gw(0, AHCI_PxCI, 1);
	dev_run(0, 0);
	assert_int_equal(gr(0, AHCI_PxCI), 0);
	assert_int_equal(F.seen[0].op, 0);

	/* Flush: no data. */
	fis_cmd(f, 0xea);
	guest_cmd(0, 1, f, false, NULL, NULL, 0);
	gw(0, AHCI_PxCI, 2);
	dev_run(0, 1);
	assert_int_equal(gr(0, AHCI_PxCI), 0);
	assert_int_equal(ghdr(0, 1)->prdbc, 0);

	/* Writing an issued slot's bit again does not issue it twice. */
	fis48(f, ATA_CMD_READ_DMA_EXT, 0, 8);
	guest_cmd(0, 2, f, false, NULL, &s, 1);
	gw(0, AHCI_PxCI, 4);
	gw(0, AHCI_PxCI, 4);
	assert_int_equal(A.stats.commands, 3);
	dev_run(0, 2);
	assert_int_equal(gr(0, AHCI_PxCI), 0);

	/* A FIS the device sends on its own (link up after COMRESET) reaches
	 * the guest's FIS area when it looks. */
	guest_port_stop(0);
	memset(gp(G[0].fis), 0, 256);
	gw(0, AHCI_PxSCTL, 0x301);
	gw(0, AHCI_PxSCTL, 0x300);
	assert_int_equal(gr(0, AHCI_PxTFD), 0x50);
	assert_int_equal(((uint8_t *)gp(G[0].fis))[AHCI_RFIS_RFIS], FIS_TYPE_REG_D2H);
	assert_int_equal(((uint8_t *)gp(G[0].fis))[AHCI_RFIS_RFIS + 3], 0x01);
	/* The guest may write its own FIS area (Linux marks the D2H area busy
	 * before a hard reset): a region the device did not write again is
	 * left alone, as an HBA would. */
	((uint8_t *)gp(G[0].fis))[AHCI_RFIS_RFIS + 2] = 0x80;
	((uint8_t *)gp(G[0].fis))[AHCI_RFIS_PSFIS] = 0xee;
	gr(0, AHCI_PxIS);
	assert_int_equal(((uint8_t *)gp(G[0].fis))[AHCI_RFIS_RFIS + 2], 0x80);
	gw(0, AHCI_PxCMD, gr(0, AHCI_PxCMD) | AHCI_PxCMD_ST);
	fis48(f, ATA_CMD_READ_DMA_EXT, 0x1234, 8);
	guest_cmd(0, 3, f, false, NULL, &s, 1);
	gw(0, AHCI_PxCI, 8);
	dev_run(0, 3);
	assert_int_equal(gr(0, AHCI_PxCI), 0);
	assert_int_equal(((uint8_t *)gp(G[0].fis))[AHCI_RFIS_RFIS + 2], 0x50);
	assert_int_equal(((uint8_t *)gp(G[0].fis))[AHCI_RFIS_RFIS + 5], 0x12);
	assert_int_equal(((uint8_t *)gp(G[0].fis))[AHCI_RFIS_PSFIS], 0xee);
	stop();
}

static void test_em_buffer_and_stats(void **state)
{
	struct opts o = { .pi = 0x1, .ems = true };
	paddr_t b;
	struct seg s[2];
	uint8_t f[20];

	(void)state;
	start(&o);
	/* Enclosure-management messages pass, even over an unimplemented
	 * port's registers; other writes there are dropped. */
	ahci_guest_write(&A, 0x580, 4, 0x12345678);
	ahci_guest_write(&A, 0x5fc, 4, 0x9abcdef0);
	assert_int_equal(F.em_writes, 2);
	assert_int_equal(F.em_last, 0x9abcdef0);
	ahci_guest_write(&A, 0x600 + AHCI_PxCI, 4, 1);
	assert_int_equal(F.em_writes, 2);

	/* A deferred command counts once however often it is retried. */
	guest_port_start(0);
	sh_limit = sh_in_use + 40;
	b = galloc(2 * 131072, 4096);
	for (unsigned n = 0; n < 2; n++) {
		s[n] = (struct seg){ b + n * 131072, 131072 };
		fis48(f, ATA_CMD_WRITE_DMA_EXT, n * 256, 256);
		guest_cmd(0, n, f, true, NULL, &s[n], 1);
	}
	gw(0, AHCI_PxCI, 3);
	for (int i = 0; i < 5; i++)
		ahci_poll(&A);
	assert_int_equal(A.stats.deferred, 1);
	dev_run(0, 0);
	ahci_poll(&A);
	dev_run(0, 1);
	assert_int_equal(gr(0, AHCI_PxCI), 0);
	assert_int_equal(A.stats.deferred, 1);
	ahci_log_stats(&A);
	assert_int_equal(host_log_count("shoji: ahci stats commands=2 ncq=0 completed=2 refused=0 "
					"dropped=0 deferred=1 bytes_to_device=262144 "
					"bytes_from_device=0 sectors_encrypted=512"), 1);
	stop();
}

/* Encrypted sectors go straight between the guest's buffer and the shadow
 * buffer when a page of the transfer lies in one PRD and one guest page:
 * no copy, only the cipher's pass; anything else goes through the bounce
 * page. Either way the data and the ciphertext on disk are exact. */
static void test_crypt_in_place(void **state)
{
	struct opts o = { .pi = 0x1, .crypt_lo = 64, .crypt_hi = 1024 };
	static uint8_t plain[16384], back[16384];
	struct seg s[4];
	paddr_t b;
	uint64_t copied;

	(void)state;
	start(&o);
	guest_port_start(0);
	pattern(plain, sizeof(plain), 21);

	/* Four page-aligned 4 KiB PRDs, all sectors encrypted: nothing copied. */
	b = galloc(4 * 4096, 4096);
	for (unsigned i = 0; i < 4; i++)
		s[i] = (struct seg){ b + i * 4096, 4096 };
	scatter(s, 4, plain);
	do_rw(0, 0, ATA_CMD_WRITE_DMA_EXT, 128, 32, s, 4);
	check_disk(0, 128, plain, 32, true);
	memset(gp(b), 0xee, 4 * 4096);
	do_rw(0, 1, ATA_CMD_READ_DMA_EXT, 128, 32, s, 4);
	gather(back, s, 4);
	assert_memory_equal(back, plain, sizeof(plain));
	assert_int_equal(A.stats.bytes_copied, 0);
	assert_int_equal(A.stats.sectors_encrypted, 32);
	assert_int_equal(A.stats.sectors_decrypted, 32);

	/* One 16 KiB PRD starting mid-page: every 4 KiB piece crosses a guest
	 * page, so all of it is bounced. */
	b = galloc(5 * 4096, 4096) + 2048;
	s[0] = (struct seg){ b, 16384 };
	memcpy(gp(b), plain, 16384);
	do_rw(0, 2, ATA_CMD_WRITE_DMA_EXT, 256, 32, s, 1);
	check_disk(0, 256, plain, 32, true);
	assert_int_equal(A.stats.bytes_copied, 16384);
	memset(gp(b), 0xee, 16384);
	do_rw(0, 3, ATA_CMD_READ_DMA_EXT, 256, 32, s, 1);
	assert_memory_equal(gp(b), plain, 16384);
	assert_int_equal(A.stats.bytes_copied, 2 * 16384);

	/* A range boundary inside the transfer (sectors 56..63 plaintext,
	 * 64.. encrypted), in place: the plaintext sectors are copied. */
	b = galloc(2 * 4096, 4096);
	s[0] = (struct seg){ b, 4096 };
	s[1] = (struct seg){ b + 4096, 4096 };
	scatter(s, 2, plain);
	copied = A.stats.bytes_copied;
	do_rw(0, 4, ATA_CMD_WRITE_DMA_EXT, 56, 16, s, 2);
	check_disk(0, 56, plain, 8, false);
	check_disk(0, 64, plain + 4096, 8, true);
	assert_int_equal(A.stats.bytes_copied, copied + 4096);
	stop();
}

/* ---------------------------------------------------------------------- */
/* The register image: the guest's reads without an exit                   */

/* A guest read as the CPU does it: from the image while it is shown (no
 * exit), else trapped (an exit, which also runs ahci_poll). */
static uint32_t vread(uint32_t off)
{
	uint32_t v;

	if (img_shown && off < 4096)
		return ((const uint32_t *)(uintptr_t)img_pa)[off / 4];
	v = (uint32_t)ahci_guest_read(&A, off, 4);
	ahci_poll(&A);
	return v;
}

static uint32_t vpr(unsigned p, uint32_t reg)
{
	return vread(poff(p, reg));
}

/* A guest write: always an exit (the image is read-only). */
static void vpw(unsigned p, uint32_t reg, uint32_t v)
{
	ahci_guest_write(&A, poff(p, reg), 4, v);
	ahci_poll(&A);
}

/* Any other exit (the EOI of the controller's interrupt). */
static void vexit(void)
{
	ahci_poll(&A);
}

/* The image holds, dword for dword, what trapped reads return now. */
static void assert_image_current(void)
{
	const uint32_t *img = (const uint32_t *)(uintptr_t)img_pa;

	assert_true(img_shown);
	for (uint32_t off = 0; off < 4096; off += 4) {
		uint32_t trapped = (uint32_t)ahci_guest_read(&A, off, 4);

		if (img[off / 4] != trapped)
			fail_msg("image off=0x%x holds 0x%08x, a trapped read returns 0x%08x", off,
				 img[off / 4], trapped);
	}
}

/* Linux's interrupt handler (ahci_single_level_irq_intr): IS, PxIS, W1C
 * PxIS, PxSACT (or PxCI), W1C IS. Returns what it read from PxSACT. */
static uint32_t guest_irq_handler(unsigned p, bool ncq)
{
	uint32_t is = vread(AHCI_IS), pis, act;

	assert_true(is & (1u << p));
	pis = vpr(p, AHCI_PxIS);
	vpw(p, AHCI_PxIS, pis);
	act = vpr(p, ncq ? AHCI_PxSACT : AHCI_PxCI);
	ahci_guest_write(&A, AHCI_IS, 4, is);
	ahci_poll(&A);
	return act;
}

/* An NCQ read of one 4 KiB page at lba into buf, issued the way Linux
 * does it (PxSACT, then PxCI), with the image in whatever state it is. */
static void ncq_read_issue(unsigned p, unsigned n, uint64_t lba, paddr_t buf)
{
	struct seg s = { buf, 4096 };
	uint8_t f[20];

	fis_ncq(f, ATA_CMD_READ_FPDMA_QUEUED, lba, 8, n);
	guest_cmd(p, n, f, false, NULL, &s, 1);
	vpw(p, AHCI_PxSACT, 1u << n);
	vpw(p, AHCI_PxCI, 1u << n);
}

static void test_image_completion_path(void **state)
{
	struct opts o = { .pi = 0x3, .image = true };
	static uint8_t plain[4096];
	paddr_t wb = 0, rb[4];
	struct seg s;
	uint8_t f[20];

	(void)state;
	start(&o);
	assert_int_equal(host_log_count("ahci register image=on"), 1);
	guest_port_start(0);
	guest_port_start(1);
	vexit();
	/* No completion yet: every read traps. */
	assert_false(img_shown);

	pattern(plain, sizeof(plain), 77);
	wb = galloc(4096, 4096);
	memcpy(gp(wb), plain, 4096);
	s = (struct seg){ wb, 4096 };
	fis_ncq(f, ATA_CMD_WRITE_FPDMA_QUEUED, 4096, 8, 0);
	guest_cmd(0, 0, f, true, NULL, &s, 1);
	vpw(0, AHCI_PxSACT, 1);
	vpw(0, AHCI_PxCI, 1);
	assert_false(img_shown);
	dev_run(0, 0);
	vexit();	/* the EOI before the guest's handler */
	assert_true(img_shown);
	assert_image_current();
	assert_int_equal(guest_irq_handler(0, true), 0);
	check_disk(0, 4096, plain, 8, true);

	for (unsigned i = 0; i < 4; i++) {
		unsigned n = (i * 7 + 3) % 32;
		uint64_t shows = A.stats.image_shows;

		rb[i] = galloc(4096, 4096);
		memset(gp(rb[i]), 0xee, 4096);
		/* The PxSACT write leaves the image shown, and current. */
		fis_ncq(f, ATA_CMD_READ_FPDMA_QUEUED, 4096, 8, n);
		s = (struct seg){ rb[i], 4096 };
		guest_cmd(0, n, f, false, NULL, &s, 1);
		vpw(0, AHCI_PxSACT, 1u << n);
		assert_true(img_shown);
		assert_int_equal(vpr(0, AHCI_PxSACT), 1u << n);
		/* The doorbell hides it before the guest runs again. */
		vpw(0, AHCI_PxCI, 1u << n);
		assert_false(img_shown);
		assert_int_equal(vpr(0, AHCI_PxSACT), 1u << n);
		dev_run(0, n);
		/* Done on the device, not yet looked at: the guest's next read
		 * traps and sees the command finished with its data there. */
		if (i & 1) {
			assert_int_equal(vpr(0, AHCI_PxSACT), 0);
			assert_memory_equal(gp(rb[i]), plain, 4096);
		} else {
			vexit();
			assert_true(img_shown);
			/* Shown only with the data decrypted and in place. */
			assert_memory_equal(gp(rb[i]), plain, 4096);
			assert_int_equal(guest_irq_handler(0, true), 0);
			assert_int_equal(A.stats.image_shows, shows + 1);
		}
	}

	/* Another port busy: not shown while anything is in flight anywhere. */
	memset(gp(rb[0]), 0xee, 4096);
	ncq_read_issue(1, 2, 4096, rb[0]);
	ncq_read_issue(0, 4, 4096, rb[1]);
	dev_run(0, 4);
	vexit();
	assert_false(img_shown);
	dev_run(1, 2);
	vexit();
	assert_true(img_shown);
	assert_image_current();

	/* A port that ran a command is refilled even when its PxIS did not
	 * change (the guest left SDBS set): its task file moved on. */
	vpw(1, AHCI_PxIS, vpr(1, AHCI_PxIS));
	vpw(0, AHCI_PxIS, vpr(0, AHCI_PxIS));
	ncq_read_issue(0, 9, 4096, rb[2]);
	dev_run(0, 9);
	vexit();
	assert_true(vpr(0, AHCI_PxIS) & AHCI_PxIS_SDBS);
	ncq_read_issue(0, 10, 4096, rb[3]);
	F.port[0].tfd = 0x41;
	dev_run(0, 10);
	vexit();
	assert_true(img_shown);
	assert_int_equal(vpr(0, AHCI_PxTFD), 0x41);
	assert_image_current();
	stop();
	assert_false(img_shown);
}

/* What the image must never let through: a completion before the
 * copy-back, and a command or PRDT rewritten after the doorbell. */
static void test_image_races(void **state)
{
	struct opts o = { .pi = 0x1, .image = true };
	static uint8_t plain[4096], other[4096];
	paddr_t wb, rb, rb2;
	struct seg s;
	uint8_t f[20];

	(void)state;
	start(&o);
	guest_port_start(0);
	pattern(plain, sizeof(plain), 5);
	pattern(other, sizeof(other), 6);
	wb = galloc(4096, 4096);
	memcpy(gp(wb), plain, 4096);
	s = (struct seg){ wb, 4096 };
	fis48(f, ATA_CMD_WRITE_DMA_EXT, 64, 8);
	guest_cmd(0, 0, f, true, NULL, &s, 1);
	vpw(0, AHCI_PxCI, 1);
	dev_run(0, 0);
	vexit();
	assert_true(img_shown);
	guest_irq_handler(0, false);

	/* The command is copied when its PxCI write traps, image shown or not:
	 * a rewrite of the PRDT and the FIS after it changes nothing. */
	rb = galloc(4096, 4096);
	rb2 = galloc(4096, 4096);
	memset(gp(rb), 0xee, 4096);
	memset(gp(rb2), 0xdd, 4096);
	s = (struct seg){ rb, 4096 };
	fis48(f, ATA_CMD_READ_DMA_EXT, 64, 8);
	guest_cmd(0, 1, f, false, NULL, &s, 1);
	assert_true(img_shown);
	vpw(0, AHCI_PxCI, 2);
	assert_false(img_shown);
	{
		struct ahci_prd *e = gp(G[0].ct[1] + 0x80);
		uint8_t *cf = gp(G[0].ct[1]);

		e->dba = (uint32_t)rb2;
		e->dbau = (uint32_t)(rb2 >> 32);
		cf[4] = 99;	/* another LBA */
	}
	/* PxCI/PxSACT rewritten by the guest while the command is in flight:
	 * the bit stays set until the copy-back, the image stays hidden. */
	vpw(0, AHCI_PxCI, 2);
	vpw(0, AHCI_PxSACT, 0);
	assert_false(img_shown);
	assert_int_equal(vpr(0, AHCI_PxCI), 2);
	dev_run(0, 1);
	vexit();
	assert_true(img_shown);
	assert_int_equal(vpr(0, AHCI_PxCI), 0);
	assert_memory_equal(gp(rb), plain, 4096);
	for (unsigned i = 0; i < 4096; i++)
		assert_int_equal(((uint8_t *)gp(rb2))[i], 0xdd);
	assert_int_equal(F.seen[F.nseen - 1].lba, 64);
	guest_irq_handler(0, false);

	/* The device finishes before shoji looked (no exit in between): the
	 * image is hidden, so the guest's read traps and is exact. */
	memset(gp(rb), 0xee, 4096);
	s = (struct seg){ rb, 4096 };
	guest_cmd(0, 2, f, false, NULL, &s, 1);
	vpw(0, AHCI_PxCI, 4);
	dev_run(0, 2);
	assert_false(img_shown);
	assert_int_equal(vread(AHCI_IS) & 1, 1);
	assert_true(img_shown);	/* that trapped read delivered it */
	assert_int_equal(vpr(0, AHCI_PxCI), 0);
	assert_memory_equal(gp(rb), plain, 4096);
	guest_irq_handler(0, false);

	/* A refused command: its emulated error is read trapped. */
	fis48(f, ATA_CMD_READ_DMA_EXT, 64, 8);
	s = (struct seg){ (paddr_t)(uintptr_t)hyp_secret, 4096 };
	guest_cmd(0, 3, f, false, NULL, &s, 1);
	vpw(0, AHCI_PxCI, 8);
	vexit();
	assert_false(img_shown);
	assert_int_equal(vpr(0, AHCI_PxTFD), 0x0451);
	assert_true(vpr(0, AHCI_PxCI) & 8);
	guest_port_stop(0);
	vexit();
	assert_false(img_shown);	/* disarmed until the next completion */
	stop();
}

/* Link events and configuration: the HBA's own changes show at the next
 * exit; any write outside the completion path hides the image until the
 * next completion, which refills it whole. */
static void test_image_events_and_writes(void **state)
{
	struct opts o = { .pi = 0x1, .image = true };
	paddr_t rb;
	struct seg s;
	uint8_t f[20];
	int calls;

	(void)state;
	start(&o);
	guest_port_start(0);
	rb = galloc(4096, 4096);
	s = (struct seg){ rb, 4096 };
	fis48(f, ATA_CMD_READ_DMA_EXT, 8, 8);
	guest_cmd(0, 0, f, false, NULL, &s, 1);
	vpw(0, AHCI_PxCI, 1);
	dev_run(0, 0);
	vexit();
	guest_irq_handler(0, false);
	assert_true(img_shown);

	/* A hot-unplug: the HBA changes SStatus, SError and PxIS and
	 * interrupts; the EOI exit refreshes before the handler reads. */
	F.port[0].ssts = 0;
	F.port[0].serr = 1u << 16;
	f_irq(0, AHCI_PxIS_PCS);
	vexit();
	assert_true(img_shown);
	assert_int_equal(vpr(0, AHCI_PxSSTS), 0);
	assert_int_equal(vpr(0, AHCI_PxSERR), 1u << 16);
	assert_true(vpr(0, AHCI_PxIS) & AHCI_PxIS_PCS);
	assert_true(vread(AHCI_IS) & 1);
	assert_image_current();

	/* An event the guest masked in PxIE (IS stays as it was): seen by the
	 * full scan, at the first exit IMAGE_SCAN_US (10 ms) later. */
	F.port[0].ssts = 0x113;
	F.port[0].is |= 1u << 25;
	{
		struct timespec ts = { 0, 11 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	vexit();
	assert_int_equal(vpr(0, AHCI_PxSSTS), 0x113);
	assert_true(vpr(0, AHCI_PxIS) & (1u << 25));
	assert_image_current();

	/* A configuration write: hidden, every read traps, until a command
	 * completes again; then the whole page is refilled (PxIE). */
	vpw(0, AHCI_PxSERR, 1u << 16);
	assert_false(img_shown);
	vpw(0, AHCI_PxIE, 0x1);
	F.port[0].ssts = 0x123;
	vexit();
	assert_false(img_shown);
	assert_int_equal(vpr(0, AHCI_PxIE), 0x1);
	guest_cmd(0, 5, f, false, NULL, &s, 1);
	vpw(0, AHCI_PxCI, 1u << 5);
	dev_run(0, 5);
	vexit();
	assert_true(img_shown);
	assert_int_equal(vpr(0, AHCI_PxIE), 0x1);
	assert_image_current();

	/* HBA reset: hidden at the write, nothing shown until a completion. */
	ahci_guest_write(&A, AHCI_GHC, 4, AHCI_GHC_AE | AHCI_GHC_HR);
	assert_false(img_shown);
	vexit();
	assert_false(img_shown);

	/* A mapping that cannot be changed: logged, never shown again. */
	guest_port_start(0);
	guest_cmd(0, 6, f, false, NULL, &s, 1);
	vpw(0, AHCI_PxCI, 1u << 6);
	img_fail = 1;
	dev_run(0, 6);
	vexit();
	assert_false(img_shown);
	assert_int_equal(host_log_count("ahci register image: showing it failed"), 1);
	img_fail = 0;
	calls = img_calls;
	assert_int_equal(vpr(0, AHCI_PxCI), 0);
	guest_cmd(0, 7, f, false, NULL, &s, 1);
	vpw(0, AHCI_PxCI, 1u << 7);
	dev_run(0, 7);
	vexit();
	assert_false(img_shown);
	assert_int_equal(img_calls, calls);
	stop();

	/* Hiding that fails: the image stays mapped but current, so the
	 * command shows in flight until its copy-back. */
	start(&(struct opts){ .pi = 0x1, .image = true });
	guest_port_start(0);
	rb = galloc(4096, 4096);
	s = (struct seg){ rb, 4096 };
	guest_cmd(0, 0, f, false, NULL, &s, 1);
	vpw(0, AHCI_PxCI, 1);
	dev_run(0, 0);
	vexit();
	assert_true(img_shown);
	guest_cmd(0, 1, f, false, NULL, &s, 1);
	img_fail = 1;
	memset(gp(rb), 0xee, 4096);
	vpw(0, AHCI_PxCI, 2);
	assert_int_equal(host_log_count("ahci register image: hiding it failed"), 1);
	assert_true(img_shown);
	assert_int_equal(vpr(0, AHCI_PxCI), 2);
	dev_run(0, 1);
	assert_int_equal(vpr(0, AHCI_PxCI), 2);	/* not looked at yet: still in flight */
	vexit();
	assert_int_equal(vpr(0, AHCI_PxCI), 0);
	{
		/* The read's data: a blank disk's sectors 8..15, "decrypted". */
		static uint8_t zero[4096], want[4096];

		transform(8, want, zero, 8);
		assert_memory_equal(gp(rb), want, 4096);
	}
	img_fail = 0;
	stop();

	/* Enclosure management: the message buffer is the HBA's memory. */
	o.ems = true;
	start(&o);
	assert_int_equal(host_log_count("ahci register image=off reason=enclosure-management"), 1);
	assert_null(A.image);
	stop();
}


/* ---------------------------------------------------------------------- */
/* Several CPUs (docs/smp.md, "Disk"): a command's cipher work runs outside */
/* the engine lock, on the CPU that claimed it; everything else serialises. */

static paddr_t smp_b[3];
static uint8_t smp_plain[3][8 * 512];

static void smp_write_cmd(unsigned n, unsigned which, uint64_t lba)
{
	struct seg sg = { smp_b[which], 8 * 512 };
	uint8_t f[20];

	memcpy(gp(smp_b[which]), smp_plain[which], sizeof(smp_plain[which]));
	fis48(f, ATA_CMD_WRITE_DMA_EXT, lba, 8);
	guest_cmd(0, n, f, true, NULL, &sg, 1);
}

static void smp_setup(void)
{
	struct opts o = { .pi = 0x1 };

	start(&o);
	guest_port_start(0);
	for (unsigned i = 0; i < 3; i++) {
		smp_b[i] = galloc(8 * 512, 4096);
		pattern(smp_plain[i], sizeof(smp_plain[i]), 40 + i);
	}
	hook_saw_lock_free = false;
}

/* While CPU 0 encrypts slot 0, CPU 1 issues slot 1. */
static void cpu1_issues_during_encrypt(void)
{
	/* Slot 0 is claimed: the guest sees it running, the device has not
	 * got it (it goes there only with its data encrypted). */
	assert_int_equal(A.port[0].filling, 1u);
	assert_int_equal(F.port[0].ci & 1u, 0);
	assert_true(gr(0, AHCI_PxCI) & 1u);
	smp_write_cmd(1, 1, 200);
	gw(0, AHCI_PxCI, 1u << 1);
	/* CPU 1 copied, encrypted and issued its own command meanwhile. */
	assert_int_equal(F.port[0].ci, 1u << 1);
	assert_int_equal(A.stats.parallel, 1);
}

static void test_smp_encrypt_outside_the_lock(void **state)
{
	(void)state;
	smp_setup();
	smp_write_cmd(0, 0, 100);
	crypt_hook = cpu1_issues_during_encrypt;
	gw(0, AHCI_PxCI, 1u << 0);
	assert_true(hook_saw_lock_free);
	assert_null(crypt_hook);
	/* Slot 0 reached the device once CPU 0's cipher was done. */
	assert_int_equal(F.port[0].ci, 3u);
	assert_int_equal(gr(0, AHCI_PxCI), 3u);
	dev_run(0, 1);
	dev_run(0, 0);
	assert_int_equal(gr(0, AHCI_PxCI), 0);
	check_disk(0, 100, smp_plain[0], 8, true);
	check_disk(0, 200, smp_plain[1], 8, true);
	assert_int_equal(A.stats.cpu_pages[0], 1);
	assert_int_equal(A.stats.cpu_pages[1], 1);
	assert_int_equal(A.stats.completed, 2);
	stop();
}

/* While CPU 0 encrypts slot 0, CPU 1 stops the port, starts it again and
 * issues slot 0 anew: the old command must never reach the device, the
 * new one waits until CPU 0 let go of the slot, and is copied then. */
static void cpu1_stops_and_reissues(void)
{
	guest_port_stop(0);
	assert_int_equal(gr(0, AHCI_PxCI), 0);
	while (gr(0, AHCI_PxCMD) & AHCI_PxCMD_CR)
		;
	gw(0, AHCI_PxCMD, gr(0, AHCI_PxCMD) | AHCI_PxCMD_ST);
	smp_write_cmd(0, 2, 300);
	gw(0, AHCI_PxCI, 1u << 0);
	assert_true(gr(0, AHCI_PxCI) & 1u);
	assert_int_equal(F.port[0].ci, 0);	/* the slot is still CPU 0's */
	assert_int_equal(A.port[0].filling, 1u);
}

static void test_smp_port_stop_while_encrypting(void **state)
{
	static const uint8_t zero[512];

	(void)state;
	smp_setup();
	smp_write_cmd(0, 0, 100);
	crypt_hook = cpu1_stops_and_reissues;
	gw(0, AHCI_PxCI, 1u << 0);
	assert_true(hook_saw_lock_free);
	assert_null(crypt_hook);
	assert_int_equal(A.port[0].filling, 0);
	assert_int_equal(A.stats.dropped, 1);
	/* The new command, on the device now. */
	assert_int_equal(F.port[0].ci, 1u);
	dev_run(0, 0);
	assert_int_equal(gr(0, AHCI_PxCI), 0);
	check_disk(0, 300, smp_plain[2], 8, true);
	for (unsigned i = 0; i < 8; i++)
		assert_memory_equal(disk(0, 100 + i), zero, 512);
	assert_int_equal(A.stats.commands, 1);
	assert_int_equal(A.stats.completed, 1);
	stop();	/* every shadow page given back */
}

/* A read: CPU 0 delivers (decrypts) the finished command outside the lock;
 * CPU 1's status read meanwhile must not see it finished before its data
 * is in the guest's buffer: it waits for CPU 0. */
static volatile bool thr_done;
static uint32_t thr_ci;

static void *cpu1_reads_ci(void *arg)
{
	(void)arg;
	host_cpu = 1;
	thr_ci = gr(0, AHCI_PxCI);
	__atomic_store_n(&thr_done, true, __ATOMIC_SEQ_CST);
	return NULL;
}

static pthread_t thr;

static void cpu1_reads_during_decrypt(void)
{
	assert_int_equal(A.port[0].draining, 1u << 2);
	assert_int_equal(pthread_create(&thr, NULL, cpu1_reads_ci, NULL), 0);
	usleep(100000);
	/* Still waiting: the data is not all in the guest's buffer yet. */
	assert_false(__atomic_load_n(&thr_done, __ATOMIC_SEQ_CST));
}

static void test_smp_status_read_waits_for_delivery(void **state)
{
	struct seg sg;
	uint32_t ci;

	(void)state;
	smp_setup();
	smp_write_cmd(0, 0, 100);
	gw(0, AHCI_PxCI, 1u << 0);
	dev_run(0, 0);
	assert_int_equal(gr(0, AHCI_PxCI), 0);

	sg = (struct seg){ smp_b[1], 8 * 512 };
	memset(gp(smp_b[1]), 0, 8 * 512);
	{
		uint8_t f[20];

		fis48(f, ATA_CMD_READ_DMA_EXT, 100, 8);
		guest_cmd(0, 2, f, false, NULL, &sg, 1);
	}
	gw(0, AHCI_PxCI, 1u << 2);
	dev_run(0, 2);			/* on the device: done, not yet noticed */
	thr_done = false;
	crypt_hook = cpu1_reads_during_decrypt;
	ci = gr(0, AHCI_PxCI);		/* CPU 0 notices and delivers */
	assert_true(hook_saw_lock_free);
	assert_int_equal(ci, 0);
	assert_int_equal(pthread_join(thr, NULL), 0);
	assert_true(thr_done);
	assert_int_equal(thr_ci & (1u << 2), 0);	/* after the wait: finished */
	assert_memory_equal(gp(smp_b[1]), smp_plain[0], 8 * 512);
	assert_int_equal(A.port[0].draining, 0);
	stop();
}


/* ---- the doorbell follow-on (vmm/mmio_followon.h) against the engine ----
 * libahci's ahci_qc_issue() after its PxSACT store (Debian 6.1.0-57
 * libahci.ko +0x4c..+0x9a): cmpb $0,0x45(%rsi); je; ...; mov 0x5c(%rax),%ecx;
 * mov $1,%esi; shl %cl,%esi; mov %esi,0x38(%rdx). */
#include "libahci_qc_issue.h"
static const uint8_t qc_issue_tail[] = { LIBAHCI_QC_ISSUE_TAIL };
#define FO_PORT_VA 0xffffc90000100100ULL	/* port 0's registers in the guest */

static struct {
	uint8_t pp[0x100], qc[0x100];	/* ahci_port_priv, ata_queued_cmd */
	void (*on_load)(void);
	unsigned loads, stores;
} FO;

static size_t fo_fetch(void *ctx, uint64_t lin, uint8_t *buf, size_t max)
{
	uint64_t base = (uint64_t)(uintptr_t)qc_issue_tail, n;

	(void)ctx;
	if (lin < base || lin >= base + sizeof(qc_issue_tail))
		return 0;
	n = MIN(max, base + sizeof(qc_issue_tail) - lin);
	memcpy(buf, (const void *)(uintptr_t)lin, n);
	return n;
}

static int fo_load(void *ctx, uint64_t lin, int size, uint64_t *v)
{
	(void)ctx;
	*v = 0;
	memcpy(v, (const void *)(uintptr_t)lin, (size_t)size);
	if (!FO.loads++ && FO.on_load)
		FO.on_load();	/* another CPU, between the PxSACT and PxCI stores */
	return 0;
}

/* The store: as core/disk.c hands it on, the engine's PxCI write. */
static int fo_store(void *ctx, uint64_t lin, int size, uint64_t v)
{
	uint32_t next;

	(void)ctx;
	assert_true(ahci_followon_store(&A, poff(0, AHCI_PxSACT), 4, &next));
	if (lin != FO_PORT_VA + AHCI_PxCI || size != 4 || next != poff(0, AHCI_PxCI))
		return E_FAULT;
	FO.stores++;
	ahci_guest_write(&A, next, 4, v);
	return 0;
}

static const struct followon_ops fo_ops = { fo_fetch, fo_load, fo_store };

static paddr_t race_buf[3];
static uint8_t race_plain[3][4096];

/* The guest (another CPU of it) rewrites the command's PRDT and LBA after
 * the PxSACT store, before the PxCI store. */
static void rewrite_cmd(void)
{
	struct seg s = { race_buf[1], 4096 };
	uint8_t f[20];

	fis_ncq(f, ATA_CMD_WRITE_FPDMA_QUEUED, 3000, 8, 5);
	guest_cmd(0, 5, f, true, NULL, &s, 1);
}

/* One NCQ write of tag 5, from buffer 0 at LBA 2000; rewritten between
 * the two stores to buffer 1 at LBA 3000; rewritten again after the PxCI
 * store to buffer 2 at LBA 3000 (too late: the engine copied the command
 * at the PxCI write). follow_on: the PxCI store by the interpreter, else
 * by a trapped write, as before. */
static void race_run(bool follow_on)
{
	struct opts o = { .pi = 0x1 };
	struct seg s;
	uint8_t f[20], zero[4096] = { 0 };

	start(&o);
	guest_port_start(0);
	for (int i = 0; i < 3; i++) {
		race_buf[i] = galloc(4096, 4096);
		pattern(race_plain[i], 4096, 40 + (unsigned)i);
		memcpy(gp(race_buf[i]), race_plain[i], 4096);
	}
	s = (struct seg){ race_buf[0], 4096 };
	fis_ncq(f, ATA_CMD_WRITE_FPDMA_QUEUED, 2000, 8, 5);
	guest_cmd(0, 5, f, true, NULL, &s, 1);

	gw(0, AHCI_PxSACT, 1u << 5);		/* the trapped PxSACT store */
	assert_int_equal(A.stats.commands, 0);	/* nothing copied yet */
	if (follow_on) {
		struct followon_cpu cpu = { .mode = X86_MODE_64 };
		struct followon_result res;
		struct vcpu_regs r = { 0 };
		uint64_t rip = (uint64_t)(uintptr_t)qc_issue_tail, rflags = 0x246;
		uint32_t tag = 5;

		memset(&FO, 0, sizeof(FO));
		FO.on_load = rewrite_cmd;
		memcpy(FO.qc + 0x5c, &tag, 4);
		r.rsi = (uint64_t)(uintptr_t)FO.pp;
		r.rax = (uint64_t)(uintptr_t)FO.qc;
		r.rdx = FO_PORT_VA;
		assert_int_equal(mmio_followon_run(&cpu, &r, &rip, &rflags, &fo_ops, NULL, &res),
				 FOLLOWON_STORED);
		assert_int_equal(FO.stores, 1);
		assert_int_equal(FO.loads, 2);
	} else {
		rewrite_cmd();
		gw(0, AHCI_PxCI, 1u << 5);	/* the trapped PxCI store */
	}
	assert_int_equal(A.stats.commands, 1);
	s = (struct seg){ race_buf[2], 4096 };
	guest_cmd(0, 5, f, true, NULL, &s, 1);	/* after the copy: no effect */
	memset(gp(race_buf[1]), 0xee, 4096);	/* nor on the data: gathered at issue */
	dev_run(0, 5);
	assert_int_equal(gr(0, AHCI_PxSACT), 0);
	check_disk(0, 3000, race_plain[1], 8, true);
	assert_memory_equal(disk(0, 2000), zero, 512);	/* the first LBA: untouched */
	assert_int_equal(A.stats.commands, 1);
	assert_int_equal(A.stats.completed, 1);
	stop();
}

static void test_followon_doorbell_race(void **state)
{
	uint8_t after_trapped[8 * 512];

	(void)state;
	race_run(false);
	memcpy(after_trapped, disk(0, 3000), sizeof(after_trapped));
	race_run(true);
	/* the same bytes on the disk either way */
	assert_memory_equal(disk(0, 3000), after_trapped, sizeof(after_trapped));
}

static void test_followon_store_named(void **state)
{
	struct opts o = { .pi = 0x5 };	/* ports 0 and 2 */
	uint32_t next = 0;

	(void)state;
	start(&o);
	assert_true(ahci_followon_store(&A, poff(0, AHCI_PxSACT), 4, &next));
	assert_int_equal(next, poff(0, AHCI_PxCI));
	assert_true(ahci_followon_store(&A, poff(2, AHCI_PxSACT), 4, &next));
	assert_int_equal(next, poff(2, AHCI_PxCI));
	assert_false(ahci_followon_store(&A, poff(1, AHCI_PxSACT), 4, &next));	/* not managed */
	assert_false(ahci_followon_store(&A, poff(0, AHCI_PxSACT), 2, &next));	/* not a dword */
	assert_false(ahci_followon_store(&A, poff(0, AHCI_PxCI), 4, &next));
	assert_false(ahci_followon_store(&A, poff(0, AHCI_PxIS), 4, &next));
	assert_false(ahci_followon_store(&A, AHCI_IS, 4, &next));
	assert_false(ahci_followon_store(&A, AHCI_PORT_END + AHCI_PxSACT, 4, &next));
	stop();
	o.confine = true;	/* nothing shadowed: nothing to follow */
	start(&o);
	assert_false(ahci_followon_store(&A, poff(0, AHCI_PxSACT), 4, &next));
	stop();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_init_stops_running_port),
		cmocka_unit_test(test_identify_pio),
		cmocka_unit_test(test_write_read_dma_ext),
		cmocka_unit_test(test_lba28),
		cmocka_unit_test(test_ncq_out_of_order),
		cmocka_unit_test(test_multiple_ports),
		cmocka_unit_test(test_mixed_prds),
		cmocka_unit_test(test_bad_prds_refused),
		cmocka_unit_test(test_bad_structures_refused),
		cmocka_unit_test(test_toctou_rewrite),
		cmocka_unit_test(test_port_stop_mid_command),
		cmocka_unit_test(test_hba_reset),
		cmocka_unit_test(test_device_error),
		cmocka_unit_test(test_confine_only),
		cmocka_unit_test(test_crypt_range_boundary),
		cmocka_unit_test(test_shadow_exhaustion),
		cmocka_unit_test(test_toctou_while_deferred),
		cmocka_unit_test(test_atapi_packet),
		cmocka_unit_test(test_ncq_validation),
		cmocka_unit_test(test_followon_doorbell_race),
		cmocka_unit_test(test_followon_store_named),
		cmocka_unit_test(test_raw_media_refused),
		cmocka_unit_test(test_identify_4k_sectors),
		cmocka_unit_test(test_misc_guest_behaviour),
		cmocka_unit_test(test_em_buffer_and_stats),
		cmocka_unit_test(test_crypt_in_place),
		cmocka_unit_test(test_image_completion_path),
		cmocka_unit_test(test_image_races),
		cmocka_unit_test(test_image_events_and_writes),
		cmocka_unit_test(test_smp_encrypt_outside_the_lock),
		cmocka_unit_test(test_smp_port_stop_while_encrypting),
		cmocka_unit_test(test_smp_status_read_waits_for_delivery),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
