/* ahci-attack: a hostile guest program drives the AHCI controller itself and
 * rewrites a command's PRDT while the command is in flight (shoji issue 5).
 *
 * Run as root with the kernel's ahci driver unbound from the controller
 * (guest/scripts/ahci-attack.sh does that). The program maps the ABAR
 * (sysfs resource5), builds a command list, a received-FIS area and command
 * tables in locked pages whose physical addresses it reads from
 * /proc/self/pagemap, and issues READ DMA EXT / WRITE DMA EXT commands.
 * Right after its write of PxCI it points the PRD of the command at another
 * buffer (B) or at the hypervisor region. On bare metal (or in plain QEMU)
 * the device follows whatever PRDT it fetches; under shoji the command was
 * copied into shoji's memory at the PxCI write and the device only ever sees
 * shoji's shadow table, and the controller's IOMMU domain holds nothing but
 * the shadow window anyway.
 *
 * Layouts and procedures, AHCI 1.3.1:
 *   3.1    generic host control (CAP, GHC, IS, PI)
 *   3.3    port registers (PxCLB .. PxCI, at 0x100 + port * 0x80)
 *   4.2.1  received FIS structure (256 bytes, 256-byte aligned)
 *   4.2.2  command list: 32 headers of 32 bytes, 1 KiB aligned
 *   4.2.3  command table: CFIS at 0x00, ACMD at 0x40, PRDT at 0x80,
 *          128-byte aligned; 4.2.3.3 PRD: DBA, DBAU, DBC (byte count - 1,
 *          even count), I
 *   5.5.1  software issues a command (build it, then set PxCI)
 *   10.1.2 placing a port in idle (clear ST, CR within 500 ms; clear FRE,
 *          FR within 500 ms)
 *   10.3.1 starting a port (FRE before ST; BSY/DRQ clear)
 *   10.4.2 port reset (COMRESET through PxSCTL.DET)
 * The command FIS is a SATA host-to-device register FIS (type 0x27, C bit
 * set, LBA48 fields); READ DMA EXT is 0x25, WRITE DMA EXT 0x35 (ATA8-ACS).
 *
 * Disk data is blkverify's pattern (guest/README.md): sector S, seed, gen G.
 * The host puts gen 0 there (or `ahci-attack prepare` writes it). */
#include "common.h"
#include "shoji_abi.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE 4096u
#define SECTOR 512u

/* ---- AHCI 1.3.1 registers ---- */
#define CAP 0x00		/* 3.1.1 */
#define GHC 0x04		/* 3.1.2 */
#define HBA_IS 0x08		/* 3.1.3 */
#define PI 0x0c			/* 3.1.4 */
#define CAP_S64A (1u << 31)
#define GHC_IE (1u << 1)
#define GHC_AE (1u << 31)

#define PORT(p) (0x100u + (p) * 0x80u)	/* 3.3 */
#define PxCLB 0x00		/* 3.3.1 */
#define PxCLBU 0x04		/* 3.3.2 */
#define PxFB 0x08		/* 3.3.3 */
#define PxFBU 0x0c		/* 3.3.4 */
#define PxIS 0x10		/* 3.3.5, RWC */
#define PxIE 0x14		/* 3.3.6 */
#define PxCMD 0x18		/* 3.3.7 */
#define PxTFD 0x20		/* 3.3.8 */
#define PxSIG 0x24		/* 3.3.9 */
#define PxSSTS 0x28		/* 3.3.10 */
#define PxSCTL 0x2c		/* 3.3.11 */
#define PxSERR 0x30		/* 3.3.12, RWC */
#define PxCI 0x38		/* 3.3.14 */

#define CMD_ST (1u << 0)
#define CMD_FRE (1u << 4)
#define CMD_FR (1u << 14)
#define CMD_CR (1u << 15)
#define IS_TFES (1u << 30)
#define IS_HBFS (1u << 29)
#define IS_HBDS (1u << 28)
#define IS_IFS (1u << 27)
#define IS_OFS (1u << 24)
#define IS_ERRORS (IS_TFES | IS_HBFS | IS_HBDS | IS_IFS | IS_OFS)
#define TFD_ERR 0x01
#define TFD_DRQ 0x08
#define TFD_BSY 0x80

/* 4.2.2 command header DW0 */
#define HDR_CFL_H2D 5u		/* a register FIS is 20 bytes: 5 dwords */
#define HDR_W (1u << 6)
/* 4.2.3 */
#define CT_PRDT 0x80
#define FIS_AREA_OFF 0x400	/* the received-FIS area after the 1 KiB list */

#define ATA_READ_DMA_EXT 0x25
#define ATA_WRITE_DMA_EXT 0x35

#define MAX_DECOY_SECTORS 1024u	/* 512 KiB: 128 PRDs of one page each */
#define MAX_SECTORS (PAGE / SECTOR)

/* VMMCALL ABI (docs/vmmcall.md) */

static void usage(void)
{
	printf(
"usage: ahci-attack [options] VARIANT\n"
"Drives the AHCI controller from user space (the ahci driver must be unbound)\n"
"and rewrites a command's PRDT right after the PxCI write that issued it.\n"
"\n"
"variants:\n"
"  plain         READ DMA EXT of --sectors at --lba into buffer A (no attack)\n"
"  read-buffer   the same read; after PxCI the PRD is pointed at buffer B\n"
"  read-hv       the same read; after PxCI the PRD is pointed at --hv\n"
"  write-buffer  WRITE DMA EXT of buffer A (pattern gen --gen) to --write-lba;\n"
"                after PxCI the PRD is pointed at buffer B (poison); the\n"
"                sectors are then read back to see what reached the disk\n"
"  write-hv      the same write; after PxCI the PRD is pointed at --hv\n"
"  hv-at-issue   a read whose PRD points at --hv already when PxCI is written\n"
"                (shoji refuses it with a task-file error)\n"
"  prepare       write the pattern (gen 0) at --lba and --decoy-lba\n"
"\n"
"options:\n"
"  --device BDF         the controller [0000:00:1f.2]\n"
"  --port N             the port [0]\n"
"  --lba L              sectors the read variants read [2048]\n"
"  --sectors N          1..8 [8]\n"
"  --decoy-slots K      K READ DMA EXT commands (decoys) in slots 0..K-1, issued\n"
"                       in the same PxCI write as the attacked command (slot K):\n"
"                       they keep the device busy so that it fetches the\n"
"                       attacked command later; 0 = the attacked command alone [24]\n"
"  --decoy-sectors M    sectors per decoy, at --decoy-lba, 1..1024 [512]\n"
"  --decoy-lba D        [4096]\n"
"  --write-lba W        where the write variants write [6144]\n"
"  --seed S             pattern seed [11]\n"
"  --gen G              pattern generation the write variants write [1]\n"
"  --hv ADDR            the hypervisor region's base [from shoji's status]\n"
"  --timeout SECONDS    per command [5]\n"
"  --rewrite-cpu N      the rewrite is done by a thread pinned to CPU N, in a\n"
"                       tight loop from the PxCI write until the command is done,\n"
"                       while this thread (pinned to another CPU) issues it: the\n"
"                       cross-CPU race (shoji issue 15) [-1: same thread, once]\n"
"\n"
"Output: 'guest: ahci-attack check variant=V name=N status=ok|fail|skip',\n"
"'guest: ahci-attack result variant=V a=.. b=..' and a summary line.\n"
"Without shoji the hv variants are refused (the address is ordinary RAM there).\n"
"Exit status: 0 every check ok, 1 usage/setup error, 2 device error,\n"
"3 a check failed, 4 timeout.\n");
}

static const char *bdf = "0000:00:1f.2";
static unsigned port;
static uint64_t lba = 2048, decoy_lba = 4096, write_lba = 6144;
static uint32_t nsect = 8, decoy_sect = 512, decoy_slots = 24;
static uint64_t seed = 11, gen = 1;
static uint64_t hv;
static int have_hv;
static double timeout_s = 5.0;
static int rewrite_cpu = -1;	/* --rewrite-cpu: the rewrite runs on that CPU */
static const char *variant = "?";

static volatile uint8_t *abar;
static int s64a;
static unsigned nslots;

/* ---- shoji (VMMCALL), when it is underneath ---- */

static char textbuf[16384];

static const char *shoji_text(uint32_t fn)
{
	struct answer a = vmmcall_text(fn, textbuf, sizeof(textbuf));
	if (a.rax)
		die(EXIT_USAGE, "VMMCALL %u failed: %lld", fn, (long long)a.rax);
	textbuf[sizeof(textbuf) - 1] = 0;
	return textbuf;
}

static int status_u64(const char *key, uint64_t *v)
{
	const char *t = shoji_text(FN_STATUS);
	size_t k = strlen(key);
	for (const char *l = t; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, key, k) && l[k] == '=') {
			char val[32];
			size_t n = strcspn(l + k + 1, "\n");
			if (n >= sizeof(val))
				return -1;
			memcpy(val, l + k + 1, n);
			val[n] = 0;
			return parse_u64(val, v);
		}
	return -1;
}

/* The last n lines of shoji's fault log (oldest first, at most 64 kept). */
static void print_new_faults(uint64_t n)
{
	char *t = (char *)shoji_text(FN_FAULTS), *save = NULL;
	uint64_t lines = 0, skip_n;
	for (const char *c = t; *c; c++)
		lines += *c == '\n';
	skip_n = lines > n ? lines - n : 0;
	for (char *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (skip_n)
			skip_n--;
		else
			say("faults %s", l);
}

struct shoji_state {
	uint64_t checksum, faults;
};

static struct shoji_state shoji_now(void)
{
	struct shoji_state s = { 0, 0 };
	struct answer a = vmmcall(FN_SELFCHECK, 0, 0);
	if (a.rax)
		die(EXIT_USAGE, "VMMCALL selfcheck failed: %lld", (long long)a.rax);
	s.checksum = a.rbx;
	if (status_u64("iommu_faults", &s.faults))
		die(EXIT_USAGE, "shoji's status has no iommu_faults");
	return s;
}

/* ---- registers ---- */

static uint32_t rd(uint32_t off) { return *(volatile uint32_t *)(abar + off); }
static void wr(uint32_t off, uint32_t v) { *(volatile uint32_t *)(abar + off) = v; }
static uint32_t prd_(uint32_t reg) { return rd(PORT(port) + reg); }
static void pwr(uint32_t reg, uint32_t v) { wr(PORT(port) + reg, v); }

static int read_file_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return 0;
}

static void open_controller(void)
{
	char p[256], s[64];
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/class", bdf);
	if (read_file_str(p, s, sizeof(s)))
		die(EXIT_USAGE, "no PCI device %s (%s)", bdf, strerror(errno));
	if (strtoul(s, NULL, 16) != 0x010601)
		die(EXIT_USAGE, "%s is not an AHCI controller (class %s)", bdf, s);
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver", bdf);
	if (!access(p, F_OK))
		die(EXIT_USAGE, "%s still has a driver: echo %s > %s/unbind first", bdf, bdf, p);

	char dir[300];
	size_t len;

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", bdf);
	abar = pci_map_bar(dir, 5, PAGE, &len);
	if (len < PORT(port) + 0x80)
		die(EXIT_USAGE, "%s/resource5: %zu bytes, no room for port %u", dir, len, port);

	uint32_t cap = rd(CAP), pi = rd(PI), ghc = rd(GHC);
	if (cap == 0xffffffffu || !(pi & (1u << port)))
		die(EXIT_USAGE, "%s: cap=0x%08x pi=0x%08x: port %u not implemented", bdf, cap, pi, port);
	s64a = !!(cap & CAP_S64A);
	nslots = ((cap >> 8) & 0x1f) + 1;	/* CAP.NCS: slots - 1 */
	if (decoy_slots >= nslots)
		die(EXIT_USAGE, "the HBA has %u command slots: --decoy-slots must be below that", nslots);
	/* AHCI mode on, no interrupts: nobody handles them (3.1.2). */
	if ((ghc & (GHC_AE | GHC_IE)) != GHC_AE)
		wr(GHC, (ghc | GHC_AE) & ~GHC_IE);
	say("open device=%s cap=0x%08x pi=0x%08x ghc=0x%08x slots=%u port=%u ssts=0x%03x sig=0x%08x "
	    "cmd=0x%08x tfd=0x%02x", bdf, cap, pi, rd(GHC), nslots, port, prd_(PxSSTS), prd_(PxSIG),
	    prd_(PxCMD), prd_(PxTFD) & 0xff);
}

/* ---- memory the device may reach (natively) ---- */

struct dpage {
	uint8_t *v;
	uint64_t pa;
};

static int pagemap_fd = -1;

static uint64_t virt_to_phys(const void *v)
{
	if (pagemap_fd < 0) {
		pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
		if (pagemap_fd < 0)
			die(EXIT_USAGE, "cannot open /proc/self/pagemap: %s", strerror(errno));
	}
	uint64_t e;
	if (pread(pagemap_fd, &e, 8, (off_t)((uintptr_t)v / PAGE * 8)) != 8)
		die(EXIT_USAGE, "cannot read /proc/self/pagemap: %s", strerror(errno));
	if (!(e >> 63))
		die(EXIT_USAGE, "page %p not present", v);
	uint64_t pfn = e & ((1ull << 55) - 1);
	if (!pfn)
		die(EXIT_USAGE, "/proc/self/pagemap hides physical addresses (needs CAP_SYS_ADMIN)");
	return pfn * PAGE + ((uintptr_t)v & (PAGE - 1));
}

/* n locked pages, each with its own physical address (one structure or one
 * PRD per page: nothing assumes two pages are adjacent). */
static void alloc_pages(struct dpage *out, unsigned n)
{
	uint8_t *v = mmap(NULL, (size_t)n * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (v == MAP_FAILED)
		die(EXIT_USAGE, "mmap: %s", strerror(errno));
	if (mlock(v, (size_t)n * PAGE))
		die(EXIT_USAGE, "mlock: %s", strerror(errno));
	for (unsigned i = 0; i < n; i++) {
		out[i].v = v + (size_t)i * PAGE;
		memset(out[i].v, 0, PAGE);
		out[i].pa = virt_to_phys(out[i].v);
		if (!s64a && out[i].pa + PAGE > (1ull << 32))
			die(EXIT_USAGE, "page above 4 GiB (0x%llx) and the HBA has no 64-bit addressing",
			    (unsigned long long)out[i].pa);
	}
}

static struct dpage cl;			/* command list + received FIS */
#define MAX_SLOTS 32
static struct dpage ct[MAX_SLOTS];	/* command tables, one page per slot */
static struct dpage buf_a, buf_b, buf_r;
static struct dpage decoy[MAX_DECOY_SECTORS * SECTOR / PAGE];

static void alloc_all(void)
{
	struct dpage p[4];
	alloc_pages(p, 4);
	cl = p[0];
	buf_a = p[1];
	buf_b = p[2];
	buf_r = p[3];
	alloc_pages(ct, decoy_slots + 1);
	alloc_pages(decoy, (decoy_sect * SECTOR + PAGE - 1) / PAGE);
}

/* ---- data ---- */

static void fill_sector(uint8_t *p, uint64_t s, uint64_t g)
{
	uint64_t w[SECTOR / 8];
	uint64_t key = mix64(seed) ^ g * 0x9e3779b97f4a7c15ull;
	w[0] = s;
	w[1] = (seed << 32) | g;
	for (unsigned i = 2; i < SECTOR / 8; i++)
		w[i] = mix64(key ^ (s << 6 | i));
	memcpy(p, w, SECTOR);
}

static int is_pattern(const uint8_t *p, uint64_t first, uint32_t n, uint64_t g)
{
	uint8_t s[SECTOR];
	for (uint32_t i = 0; i < n; i++) {
		fill_sector(s, first + i, g);
		if (memcmp(p + (size_t)i * SECTOR, s, SECTOR))
			return 0;
	}
	return 1;
}

static int is_fill(const uint8_t *p, size_t len, uint8_t b)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != b)
			return 0;
	return 1;
}

/* What a buffer holds: the disk sectors expected, its poison, or other. */
static const char *what(const uint8_t *p, uint64_t first, uint32_t n, uint64_t g, uint8_t poison)
{
	if (is_pattern(p, first, n, g))
		return "disk-data";
	if (is_fill(p, (size_t)n * SECTOR, poison))
		return "unchanged";
	return "other";
}

/* ---- commands ---- */

struct seg {
	uint64_t pa;
	uint32_t len;
};

/* Command header (4.2.2) and table (4.2.3) for slot `slot`. */
static void build(unsigned slot, int write, uint64_t at, uint32_t count, const struct seg *sg,
		  unsigned nsg)
{
	uint8_t *t = ct[slot].v;
	uint32_t *hdr = (uint32_t *)(cl.v + slot * 32);

	memset(t, 0, CT_PRDT + nsg * 16);
	t[0] = 0x27;				/* register FIS, host to device */
	t[1] = 0x80;				/* C: command register update */
	t[2] = write ? ATA_WRITE_DMA_EXT : ATA_READ_DMA_EXT;
	t[4] = (uint8_t)at;
	t[5] = (uint8_t)(at >> 8);
	t[6] = (uint8_t)(at >> 16);
	t[7] = 0x40;				/* device: LBA */
	t[8] = (uint8_t)(at >> 24);
	t[9] = (uint8_t)(at >> 32);
	t[10] = (uint8_t)(at >> 40);
	t[12] = (uint8_t)count;
	t[13] = (uint8_t)(count >> 8);
	for (unsigned i = 0; i < nsg; i++) {
		uint32_t *e = (uint32_t *)(t + CT_PRDT + i * 16);
		e[0] = (uint32_t)sg[i].pa;
		e[1] = (uint32_t)(sg[i].pa >> 32);
		e[2] = 0;
		e[3] = sg[i].len - 1;		/* DBC, no interrupt */
	}
	memset(hdr, 0, 32);
	hdr[0] = HDR_CFL_H2D | (write ? HDR_W : 0) | nsg << 16;
	hdr[1] = 0;				/* PRDBC */
	hdr[2] = (uint32_t)ct[slot].pa;
	hdr[3] = (uint32_t)(ct[slot].pa >> 32);
}

/* Decoys in slots 0..k-1, all reading the same sectors into the same pages. */
static void build_decoys(unsigned k)
{
	struct seg sg[MAX_DECOY_SECTORS * SECTOR / PAGE];
	uint32_t left = decoy_sect * SECTOR;
	unsigned n = 0;
	for (; left; n++) {
		sg[n].pa = decoy[n].pa;
		sg[n].len = left < PAGE ? left : PAGE;
		left -= sg[n].len;
	}
	for (unsigned i = 0; i < n; i++)
		memset(decoy[i].v, 0x3c, PAGE);
	for (unsigned slot = 0; slot < k; slot++)
		build(slot, 0, decoy_lba, decoy_sect, sg, n);
}

static int wait_bits(uint32_t reg, uint32_t bits, int want_set, double secs)
{
	double end = now_s() + secs;
	for (;;) {
		uint32_t v = prd_(reg);
		if (want_set ? (v & bits) == bits : !(v & bits))
			return 0;
		if (now_s() > end)
			return -1;
		usleep(1000);
	}
}

/* 10.1.2: idle. */
static void port_stop(void)
{
	uint32_t c = prd_(PxCMD);
	if (c & (CMD_ST | CMD_CR)) {
		pwr(PxCMD, c & ~CMD_ST);
		if (wait_bits(PxCMD, CMD_CR, 0, 0.5))
			die(EXIT_TIMEOUT, "port %u: PxCMD.CR still set 500 ms after clearing ST (cmd=0x%08x)",
			    port, prd_(PxCMD));
	}
	c = prd_(PxCMD);
	if (c & (CMD_FRE | CMD_FR)) {
		pwr(PxCMD, c & ~CMD_FRE);
		if (wait_bits(PxCMD, CMD_FR, 0, 0.5))
			die(EXIT_TIMEOUT, "port %u: PxCMD.FR still set 500 ms after clearing FRE (cmd=0x%08x)",
			    port, prd_(PxCMD));
	}
}

/* 10.4.2: COMRESET, for a device left busy. */
static void port_comreset(void)
{
	uint32_t sctl = prd_(PxSCTL) & ~0xfu;
	pwr(PxSCTL, sctl | 1);
	usleep(2000);				/* DET=1 for at least 1 ms */
	pwr(PxSCTL, sctl);
	double end = now_s() + 1.0;
	while ((prd_(PxSSTS) & 0xf) != 3 && now_s() < end)
		usleep(1000);
	pwr(PxSERR, 0xffffffffu);
	end = now_s() + 2.0;
	while ((prd_(PxTFD) & (TFD_BSY | TFD_DRQ)) && now_s() < end)
		usleep(1000);
	say("comreset port=%u ssts=0x%03x tfd=0x%02x", port, prd_(PxSSTS), prd_(PxTFD) & 0xff);
}

/* 10.3.1: our command list and FIS area, FRE then ST. */
static void port_start(void)
{
	port_stop();
	pwr(PxCLB, (uint32_t)cl.pa);
	pwr(PxCLBU, (uint32_t)(cl.pa >> 32));
	pwr(PxFB, (uint32_t)(cl.pa + FIS_AREA_OFF));
	pwr(PxFBU, (uint32_t)((cl.pa + FIS_AREA_OFF) >> 32));
	pwr(PxIE, 0);
	pwr(PxSERR, 0xffffffffu);
	pwr(PxIS, 0xffffffffu);
	wr(HBA_IS, 1u << port);
	pwr(PxCMD, prd_(PxCMD) | CMD_FRE);
	if (wait_bits(PxCMD, CMD_FR, 1, 0.5))
		say("warning port=%u FR not set after FRE (cmd=0x%08x)", port, prd_(PxCMD));
	if ((prd_(PxSSTS) & 0xf) != 3)
		die(EXIT_USAGE, "port %u: no device (ssts=0x%03x)", port, prd_(PxSSTS));
	if (prd_(PxTFD) & (TFD_BSY | TFD_DRQ))
		port_comreset();
	if (prd_(PxTFD) & (TFD_BSY | TFD_DRQ))
		die(EXIT_DENIED, "port %u: device busy (tfd=0x%02x)", port, prd_(PxTFD) & 0xff);
	pwr(PxCMD, prd_(PxCMD) | CMD_ST);
}

struct outcome {
	int rc;			/* 0, EXIT_DENIED (error completion), EXIT_TIMEOUT */
	uint32_t is, tfd, ci;
	double ms;
};

/* Waits for the slots in `mask` to leave PxCI, or for an error. */
static struct outcome wait_done(uint32_t mask, double t0)
{
	struct outcome o = { 0, 0, 0, 0, 0 };
	double end = t0 + timeout_s;
	for (;;) {
		o.ci = prd_(PxCI);
		o.is = prd_(PxIS);
		if (o.is & IS_ERRORS) {
			o.rc = EXIT_DENIED;
			break;
		}
		if (!(o.ci & mask))
			break;
		if (now_s() > end) {
			o.rc = EXIT_TIMEOUT;
			break;
		}
		usleep(200);
	}
	o.tfd = prd_(PxTFD);
	if (!o.rc && (o.tfd & TFD_ERR))
		o.rc = EXIT_DENIED;
	o.ms = (now_s() - t0) * 1000;
	pwr(PxIS, o.is);
	wr(HBA_IS, 1u << port);
	return o;
}

/* One clean command in slot 0 (prepare, read-back). */
static struct outcome simple(int write, uint64_t at, uint32_t count, const struct seg *sg,
			     unsigned nsg)
{
	port_start();
	build(0, write, at, count, sg, nsg);
	__sync_synchronize();
	double t0 = now_s();
	pwr(PxCI, 1);
	struct outcome o = wait_done(1, t0);
	port_stop();
	return o;
}

/* ---- checks ---- */

static unsigned n_checks, n_failed;

static void check(const char *name, int ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void check(const char *name, int ok, const char *fmt, ...)
{
	char detail[256] = "";
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	n_checks++;
	if (!ok)
		n_failed++;
	say("check variant=%s name=%s status=%s%s%s", variant, name, ok ? "ok" : "fail",
	    *detail ? " " : "", detail);
}

static void skip(const char *name, const char *why)
{
	say("check variant=%s name=%s status=skip reason=%s", variant, name, why);
}

static const char *outcome_str(const struct outcome *o)
{
	return o->rc == 0 ? "completed" : o->rc == EXIT_TIMEOUT ? "timeout" : "error";
}

/* ---- variants ---- */

static int run_prepare(void)
{
	struct seg sg[MAX_DECOY_SECTORS * SECTOR / PAGE];
	for (uint32_t i = 0; i < nsect; i++)
		fill_sector(buf_a.v + i * SECTOR, lba + i, 0);
	sg[0] = (struct seg){ buf_a.pa, nsect * SECTOR };
	struct outcome o = simple(1, lba, nsect, sg, 1);
	check("write-lba", o.rc == 0, "lba=%llu sectors=%u outcome=%s is=0x%08x tfd=0x%02x",
	      (unsigned long long)lba, nsect, outcome_str(&o), o.is, o.tfd & 0xff);
	{
		uint32_t left = decoy_sect * SECTOR;
		unsigned n = 0;
		for (uint32_t s = 0; s < decoy_sect; s++)
			fill_sector(decoy[s * SECTOR / PAGE].v + s * SECTOR % PAGE, decoy_lba + s, 0);
		for (; left; n++) {
			sg[n] = (struct seg){ decoy[n].pa, left < PAGE ? left : PAGE };
			left -= sg[n].len;
		}
		o = simple(1, decoy_lba, decoy_sect, sg, n);
		check("write-decoy-lba", o.rc == 0, "lba=%llu sectors=%u outcome=%s is=0x%08x tfd=0x%02x",
		      (unsigned long long)decoy_lba, decoy_sect, outcome_str(&o), o.is, o.tfd & 0xff);
	}
	return n_failed ? EXIT_MISMATCH : 0;
}

/* The attack. dir_write: WRITE DMA EXT of A, else READ DMA EXT into A.
 * target: where the PRD is pointed right after the PxCI write (0: nowhere,
 * `plain`). at_issue: the PRD holds `target` already when PxCI is written. */
/* ---- the cross-CPU rewrite (--rewrite-cpu) ---- */

struct rewriter {
	volatile uint32_t *dba;
	uint64_t target;
	volatile int ready, go, stop;
	unsigned long writes;
	int cpu_seen;
};

static int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static void *rewriter_main(void *arg)
{
	struct rewriter *r = arg;

	if (pin_to(rewrite_cpu))
		die(EXIT_USAGE, "sched_setaffinity(cpu %d): %s", rewrite_cpu, strerror(errno));
	r->cpu_seen = sched_getcpu();
	r->ready = 1;
	while (!r->go)
		;
	/* Right after the other CPU's PxCI write, and on until it is done. */
	while (!r->stop) {
		r->dba[0] = (uint32_t)r->target;
		r->dba[1] = (uint32_t)(r->target >> 32);
		r->writes++;
	}
	return NULL;
}

static int run_attack(int dir_write, uint64_t target, const char *target_name, int at_issue)
{
	int with_shoji = shoji_present();
	int use_decoy = decoy_slots && !at_issue;
	unsigned slot = use_decoy ? decoy_slots : 0;
	uint32_t mask = (uint32_t)((2ull << slot) - 1);
	uint64_t at = dir_write ? write_lba : lba;
	struct shoji_state before = { 0, 0 }, after = { 0, 0 };

	if (dir_write)
		for (uint32_t i = 0; i < nsect; i++)
			fill_sector(buf_a.v + i * SECTOR, at + i, gen);
	else
		memset(buf_a.v, 0xa5, PAGE);
	memset(buf_b.v, 0x5a, PAGE);
	uint64_t a_sum = fnv1a(FNV_INIT, buf_a.v, PAGE);

	if (with_shoji)
		before = shoji_now();

	port_start();
	if (use_decoy)
		build_decoys(decoy_slots);
	struct seg sg = { at_issue ? target : buf_a.pa, nsect * SECTOR };
	build(slot, dir_write, at, nsect, &sg, 1);
	volatile uint32_t *dba = (volatile uint32_t *)(ct[slot].v + CT_PRDT);
	__sync_synchronize();			/* the tables before the doorbell (5.5.1) */
	say("issue variant=%s dir=%s lba=%llu sectors=%u slot=%u slots=0x%x a=0x%llx b=0x%llx "
	    "target=%s addr=0x%llx cl=0x%llx ct=0x%llx decoys=%ux%u", variant, dir_write ? "write" : "read",
	    (unsigned long long)at, nsect, slot, mask, (unsigned long long)buf_a.pa,
	    (unsigned long long)buf_b.pa, target_name, (unsigned long long)target,
	    (unsigned long long)cl.pa, (unsigned long long)ct[slot].pa, use_decoy ? decoy_slots : 0, decoy_sect);

	struct rewriter rw = { dba, target, 0, 0, 0, 0, -1 };
	pthread_t rt;
	int racing = rewrite_cpu >= 0 && target && !at_issue;
	if (racing) {
		if (pin_to(rewrite_cpu == 0 ? 1 : 0))
			die(EXIT_USAGE, "sched_setaffinity: %s", strerror(errno));
		if (pthread_create(&rt, NULL, rewriter_main, &rw))
			die(EXIT_USAGE, "pthread_create failed");
		while (!rw.ready)
			;
	}
	double t0 = now_s();
	pwr(PxCI, mask);
	if (racing) {
		rw.go = 1;	/* the other CPU rewrites from now on */
	} else if (target && !at_issue) {
		/* The rewrite: the command is in flight. */
		dba[0] = (uint32_t)target;
		dba[1] = (uint32_t)(target >> 32);
	}
	__sync_synchronize();
	double rewrite_us = (now_s() - t0) * 1e6;
	/* Was the command still waiting when its PRD changed? */
	uint32_t ci_after = prd_(PxCI);
	struct outcome o = wait_done(mask, t0);
	if (racing) {
		rw.stop = 1;
		pthread_join(rt, NULL);
		say("race variant=%s issuer_cpu=%d rewriter_cpu=%d rewrites=%lu", variant,
		    sched_getcpu(), rw.cpu_seen, rw.writes);
	}
	uint32_t prdbc = ((volatile uint32_t *)cl.v)[slot * 8 + 1];
	port_stop();

	/* What happened to the buffers. */
	const char *a_is, *b_is = "unchanged", *decoy_is = "-", *disk_is = "-";
	if (dir_write) {
		a_is = fnv1a(FNV_INIT, buf_a.v, PAGE) == a_sum ? "unchanged" : "changed";
		/* Read back what reached the disk. */
		memset(buf_r.v, 0xc3, PAGE);
		struct seg r = { buf_r.pa, nsect * SECTOR };
		struct outcome rb = o.rc ? o : simple(0, at, nsect, &r, 1);
		if (rb.rc)
			disk_is = "unread";
		else if (is_pattern(buf_r.v, at, nsect, gen))
			disk_is = "a-data";
		else if (is_fill(buf_r.v, nsect * SECTOR, 0x5a))
			disk_is = "b-poison";
		else if (is_fill(buf_r.v, nsect * SECTOR, 0xc3))
			disk_is = "unread";
		else
			disk_is = "other";
	} else {
		a_is = what(buf_a.v, at, nsect, 0, 0xa5);
	}
	if (!is_fill(buf_b.v, PAGE, 0x5a))
		b_is = dir_write ? "changed" : what(buf_b.v, at, nsect, 0, 0x5a);
	if (use_decoy) {
		int ok = 1;
		for (uint32_t s = 0; s < decoy_sect && ok; s++)
			ok = is_pattern(decoy[s * SECTOR / PAGE].v + s * SECTOR % PAGE, decoy_lba + s, 1, 0);
		decoy_is = ok ? "disk-data" : "other";
	}
	if (with_shoji)
		after = shoji_now();

	say("result variant=%s outcome=%s ms=%.1f rewrite_us=%.1f ci_after_rewrite=0x%x is=0x%08x "
	    "tfd=0x%02x ci=0x%x prdbc=%u a=%s b=%s decoy=%s disk=%s a_head=%s", variant,
	    outcome_str(&o), o.ms, rewrite_us, ci_after, o.is, o.tfd & 0xff, o.ci, prdbc, a_is,
	    b_is, decoy_is, disk_is, hexhead(buf_a.v, 16));
	if (strcmp(b_is, "unchanged"))
		say("result variant=%s b_head=%s", variant, hexhead(buf_b.v, 16));

	if (at_issue) {
		/* shoji validates its copy: an address outside the guest's RAM is
		 * refused with a task-file error, never followed. */
		check("refused-with-error", o.rc == EXIT_DENIED && (o.is & IS_TFES),
		      "outcome=%s is=0x%08x tfd=0x%02x", outcome_str(&o), o.is, o.tfd & 0xff);
		check("a-untouched", !strcmp(a_is, "unchanged"), "a=%s", a_is);
	} else {
		check("completed", o.rc == 0, "outcome=%s is=0x%08x tfd=0x%02x ms=%.1f", outcome_str(&o),
		      o.is, o.tfd & 0xff, o.ms);
		if (dir_write)
			check("disk-has-a", !strcmp(disk_is, "a-data"), "disk=%s", disk_is);
		else
			check("a-has-disk-data", !strcmp(a_is, "disk-data"), "a=%s", a_is);
		if (use_decoy)
			check("decoy-data", !strcmp(decoy_is, "disk-data"), "decoy=%s", decoy_is);
	}
	check("b-unchanged", !strcmp(b_is, "unchanged"), "b=%s", b_is);
	if (with_shoji) {
		check("hv-selfcheck-unchanged", before.checksum == after.checksum,
		      "before=0x%016llx after=0x%016llx", (unsigned long long)before.checksum,
		      (unsigned long long)after.checksum);
		check("no-new-iommu-fault", before.faults == after.faults, "before=%llu after=%llu",
		      (unsigned long long)before.faults, (unsigned long long)after.faults);
		if (before.faults != after.faults)
			print_new_faults(after.faults - before.faults);
	} else {
		skip("hv-selfcheck-unchanged", "no-shoji");
		skip("no-new-iommu-fault", "no-shoji");
	}
	say("summary variant=%s shoji=%s checks=%u failed=%u status=%s", variant,
	    with_shoji ? "yes" : "no", n_checks, n_failed, n_failed ? "fail" : "ok");
	if (n_failed)
		return EXIT_MISMATCH;
	return o.rc == EXIT_TIMEOUT ? EXIT_TIMEOUT : 0;
}

int main(int argc, char **argv)
{
	prog_name = "ahci-attack";
	if (want_help(argc, argv)) {
		usage();
		return argc < 2 ? EXIT_USAGE : 0;
	}
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			die(EXIT_USAGE, "option %s needs a value (see --help)", o);
		i++;
		if (!strcmp(o, "--device"))
			bdf = v;
		else if (!strcmp(o, "--port")) {
			uint64_t p = arg_u64("port", v);
			if (p > 31)
				die(EXIT_USAGE, "bad --port %s", v);
			port = (unsigned)p;
		} else if (!strcmp(o, "--lba"))
			lba = arg_u64("LBA", v);
		else if (!strcmp(o, "--sectors")) {
			uint64_t n = arg_u64("sectors", v);
			if (!n || n > MAX_SECTORS)
				die(EXIT_USAGE, "--sectors must be 1..%u", MAX_SECTORS);
			nsect = (uint32_t)n;
		} else if (!strcmp(o, "--decoy-sectors")) {
			uint64_t n = arg_u64("decoy sectors", v);
			if (!n || n > MAX_DECOY_SECTORS)
				die(EXIT_USAGE, "--decoy-sectors must be 1..%u", MAX_DECOY_SECTORS);
			decoy_sect = (uint32_t)n;
		} else if (!strcmp(o, "--decoy-slots")) {
			uint64_t n = arg_u64("decoy slots", v);
			if (n > MAX_SLOTS - 1)
				die(EXIT_USAGE, "--decoy-slots must be 0..%u", MAX_SLOTS - 1);
			decoy_slots = (uint32_t)n;
		} else if (!strcmp(o, "--decoy-lba"))
			decoy_lba = arg_u64("LBA", v);
		else if (!strcmp(o, "--write-lba"))
			write_lba = arg_u64("LBA", v);
		else if (!strcmp(o, "--seed"))
			seed = arg_u64("seed", v);
		else if (!strcmp(o, "--gen")) {
			gen = arg_u64("gen", v);
			if (!gen || gen > 0xffffffffu)
				die(EXIT_USAGE, "--gen must be 1..0xffffffff (0 is the prepared data)");
		} else if (!strcmp(o, "--hv")) {
			hv = arg_u64("ADDR", v);
			have_hv = 1;
		} else if (!strcmp(o, "--rewrite-cpu")) {
			rewrite_cpu = (int)arg_u64("rewrite-cpu", v);
		} else if (!strcmp(o, "--timeout")) {
			timeout_s = atof(v);
			if (timeout_s <= 0)
				die(EXIT_USAGE, "bad --timeout '%s'", v);
		} else
			die(EXIT_USAGE, "unknown option '%s' (see --help)", o);
	}
	if (i + 1 != argc)
		die(EXIT_USAGE, "expected one VARIANT (see --help)");
	variant = argv[i];
	if (lba + nsect > (1ull << 48) || decoy_lba + decoy_sect > (1ull << 48) ||
	    write_lba + nsect > (1ull << 48))
		die(EXIT_USAGE, "LBA beyond 48 bits");

	int dir_write = 0, at_issue = 0, want_hv = 0, target_b = 0;
	if (!strcmp(variant, "plain") || !strcmp(variant, "prepare"))
		;
	else if (!strcmp(variant, "read-buffer"))
		target_b = 1;
	else if (!strcmp(variant, "read-hv"))
		want_hv = 1;
	else if (!strcmp(variant, "write-buffer"))
		dir_write = target_b = 1;
	else if (!strcmp(variant, "write-hv"))
		dir_write = want_hv = 1;
	else if (!strcmp(variant, "hv-at-issue"))
		want_hv = at_issue = 1;
	else
		die(EXIT_USAGE, "unknown variant '%s' (see --help)", variant);

	if (want_hv) {
		if (!shoji_present())
			die(EXIT_USAGE, "no shoji underneath: the hypervisor region does not exist and "
			    "its address is ordinary RAM here: not pointing a DMA at it");
		if (!have_hv && status_u64("hv_base", &hv))
			die(EXIT_USAGE, "shoji's status has no hv_base (pass --hv)");
		if (!hv || (hv & 1))
			die(EXIT_USAGE, "bad hypervisor address 0x%llx", (unsigned long long)hv);
	}

	open_controller();
	alloc_all();
	if (!strcmp(variant, "prepare"))
		return run_prepare();
	if (want_hv)
		return run_attack(dir_write, hv, "hv", at_issue);
	if (target_b)
		return run_attack(dir_write, buf_b.pa, "buffer-b", 0);
	return run_attack(0, 0, "none", 0);
}
