/* ide-attack: a hostile guest program drives the IDE controller's primary
 * channel itself (ata_piix unbound) and races the bus master (shoji issue
 * 18): it rewrites the PRD table and the data buffer right after the
 * bus-master START, and points a PRD at the hypervisor region.
 *
 * On bare metal (or in plain QEMU) the controller follows the PRD table and
 * reads the data buffers whenever it gets to them: QEMU's bus master
 * fetches the PRD table at START but its block layer reads the write data
 * from guest memory later, from another thread, so a data rewrite right
 * after START lands on the disk. Under shoji the table and the data were
 * copied at START (the data encrypted into shadow buffers); the controller
 * sees only shoji's shadow table, and its IOMMU domain holds nothing but
 * the shadow window.
 *
 * Registers: ATA/ATAPI-6 7.x task file (0x1f0..0x1f7, device control at
 * 0x3f6: nIEN bit 1, SRST bit 2); "Programming Interface for Bus Master IDE
 * Controller" 1.0: command (+0: START bit 0, bit 3 = write to memory),
 * status (+2: ACTIVE 0, ERROR 1, INTR 2, write 1 to clear), PRD table
 * pointer (+4); PRD = base, count | EOT (bit 31). READ DMA is 0xC8, WRITE
 * DMA 0xCA (28-bit LBA, ATA8-ACS).
 *
 * Usage: ide-attack --bdf D:B:D.F --bm PORT [--hv ADDR] [--lba N] [--seed S] VARIANT
 * (the function's I/O decoding and bus mastering are turned on through its
 * sysfs config file: unbinding ata_piix turned bus mastering off)
 *   plain            write gen 1 at --lba, read it back
 *   write-rewrite    WRITE DMA of gen 2, then at once: data and PRD rewritten
 *   read-rewrite     READ DMA into A, then at once: the PRD points at B
 *   read-hv          READ DMA with a PRD at the hypervisor region (--hv)
 * Exit: 0 the attack had no effect (or plain worked), 3 it had one (the
 * disk, a buffer or the hypervisor is not as without the attack),
 * 4 timeout, 1 usage. One "guest: ide-attack result ..." line says what
 * happened. */
#include "common.h"

#include <sys/io.h>

#define PAGE 4096u
#define SECTOR 512u
#define NSECT 8u

#define TF 0x1f0
#define CTL 0x3f6
#define STS_BSY 0x80
#define STS_DRQ 0x08
#define STS_ERR 0x01
#define BM_START 0x01
#define BM_TO_MEM 0x08
#define BM_ACTIVE 0x01
#define BM_ERROR 0x02
#define BM_INTR 0x04
#define PRD_EOT 0x80000000u

static uint16_t bm;
static const char *bdf;
static uint64_t seed = 13, lba = 6200, hv;

struct dpage {
	uint8_t *v;
	uint64_t pa;
};

static uint64_t virt_to_phys(const void *v)
{
	static int fd = -1;
	uint64_t e;

	if (fd < 0 && (fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)) < 0)
		die(EXIT_USAGE, "cannot open /proc/self/pagemap: %s", strerror(errno));
	if (pread(fd, &e, 8, (off_t)((uintptr_t)v / PAGE * 8)) != 8)
		die(EXIT_USAGE, "cannot read /proc/self/pagemap: %s", strerror(errno));
	if (!(e >> 63) || !(e & ((1ull << 55) - 1)))
		die(EXIT_USAGE, "no physical address for %p (needs CAP_SYS_ADMIN)", v);
	return (e & ((1ull << 55) - 1)) * PAGE + ((uintptr_t)v & (PAGE - 1));
}

/* A locked page below 4 GiB (PRDs are 32-bit). */
static struct dpage page(void)
{
	struct dpage p;

	p.v = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		   -1, 0);
	if (p.v == MAP_FAILED || mlock(p.v, PAGE))
		die(EXIT_USAGE, "mmap/mlock: %s", strerror(errno));
	memset(p.v, 0, PAGE);
	p.pa = virt_to_phys(p.v);
	if (p.pa + PAGE > (1ull << 32))
		die(EXIT_USAGE, "page above 4 GiB (0x%llx)", (unsigned long long)p.pa);
	return p;
}

static void fill_gen(uint8_t *p, uint64_t first, uint64_t gen)
{
	for (unsigned s = 0; s < NSECT; s++)
		for (unsigned i = 0; i < SECTOR; i++)
			p[s * SECTOR + i] = (uint8_t)(mix64(seed ^ (first + s) << 8 ^ gen << 40 ^ i / 8) >>
						       (8 * (i % 8)));
}

static int is_gen(const uint8_t *p, uint64_t first, uint64_t gen)
{
	uint8_t want[NSECT * SECTOR];

	fill_gen(want, first, gen);
	return !memcmp(p, want, sizeof(want));
}

static int is_fill(const uint8_t *p, size_t n, uint8_t b)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != b)
			return 0;
	return 1;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static int wait_not_busy(double secs)
{
	double end = now() + secs;

	while (inb(CTL) & STS_BSY)
		if (now() > end)
			return -1;
	return 0;
}

/* A soft reset: what a driver does after a command that went wrong. */
static void channel_reset(void)
{
	outb(0, bm);
	outb(BM_ERROR | BM_INTR, bm + 2);
	outb(0x02 | 0x04, CTL);	/* nIEN, SRST */
	usleep(10000);
	outb(0x02, CTL);
	usleep(10000);
	if (wait_not_busy(10))
		die(EXIT_TIMEOUT, "the device stays busy after a soft reset");
}

struct outcome {
	uint8_t bm_status, status;
	int timeout;
};

/* Command, START, then `race` (the attack) at once, then the completion. */
static struct outcome dma(int write, uint64_t at, uint32_t prd_table_pa, void (*race)(void))
{
	struct outcome o = { 0 };
	double end;

	if (wait_not_busy(5))
		die(EXIT_TIMEOUT, "the device is busy before the command");
	outb(0, bm);
	outb(BM_ERROR | BM_INTR, bm + 2);
	outl(prd_table_pa, bm + 4);
	outb(write ? 0 : BM_TO_MEM, bm);
	outb(0x02, CTL);				/* nIEN: nobody takes the interrupt */
	outb(0xe0 | ((at >> 24) & 0xf), TF + 6);	/* device 0, LBA */
	outb(NSECT, TF + 2);
	outb((uint8_t)at, TF + 3);
	outb((uint8_t)(at >> 8), TF + 4);
	outb((uint8_t)(at >> 16), TF + 5);
	outb(write ? 0xca : 0xc8, TF + 7);
	outb((write ? 0 : BM_TO_MEM) | BM_START, bm);
	if (race)
		race();
	/* Done: INTR or ERROR, or (nIEN masks INTRQ, and with it INTR)
	 * the bus master went inactive and the device is neither busy nor
	 * waiting for data. */
	for (end = now() + 5;;) {
		o.bm_status = inb(bm + 2);
		if ((o.bm_status & (BM_INTR | BM_ERROR)) ||
		    (!(o.bm_status & BM_ACTIVE) && !(inb(CTL) & (STS_BSY | STS_DRQ))))
			break;
		if (now() > end) {
			o.timeout = 1;
			break;
		}
	}
	outb(write ? 0 : BM_TO_MEM, bm);		/* stop */
	o.status = inb(TF + 7);
	outb(o.bm_status & (BM_INTR | BM_ERROR), bm + 2);
	return o;
}

static struct dpage table, a, b, r;

static void prd(struct dpage *t, unsigned i, uint64_t pa, uint32_t bytes, int last)
{
	uint32_t *e = (uint32_t *)t->v + 2 * i;

	e[0] = (uint32_t)pa;
	e[1] = (bytes & 0xffff) | (last ? PRD_EOT : 0);
	__sync_synchronize();
}

static void result(const char *variant, const char *what, const struct outcome *o)
{
	say("result variant=%s outcome=%s bm_status=0x%02x status=0x%02x%s", variant, what,
	    o->bm_status, o->status, o->timeout ? " timeout=yes" : "");
}

static int plain_write_read(uint64_t at, uint64_t gen, struct outcome *o)
{
	fill_gen(a.v, at, gen);
	prd(&table, 0, a.pa, NSECT * SECTOR, 1);
	*o = dma(1, at, (uint32_t)table.pa, NULL);
	if (o->timeout || (o->bm_status & BM_ERROR) || (o->status & STS_ERR))
		return -1;
	memset(r.v, 0x5a, PAGE);
	prd(&table, 0, r.pa, NSECT * SECTOR, 1);
	*o = dma(0, at, (uint32_t)table.pa, NULL);
	if (o->timeout || (o->bm_status & BM_ERROR) || (o->status & STS_ERR))
		return -1;
	return is_gen(r.v, at, gen) ? 0 : 1;
}

/* The attacks' rewrites: as fast as the CPU can after START. */
static void rewrite_write(void)
{
	memset(a.v, 0xaa, NSECT * SECTOR);
	prd(&table, 0, b.pa, NSECT * SECTOR, 1);
}

static void rewrite_read(void)
{
	prd(&table, 0, b.pa, NSECT * SECTOR, 1);
}

/* PCI command register (offset 4): I/O space (bit 0), bus master (bit 2). */
static void enable_bus_master(void)
{
	char p[128];
	uint16_t cmd;
	int fd;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/config", bdf);
	if ((fd = open(p, O_RDWR | O_CLOEXEC)) < 0 || pread(fd, &cmd, 2, 4) != 2)
		die(EXIT_USAGE, "%s: %s", p, strerror(errno));
	cmd |= 0x5;
	if (pwrite(fd, &cmd, 2, 4) != 2)
		die(EXIT_USAGE, "%s: %s", p, strerror(errno));
	close(fd);
}

int main(int argc, char **argv)
{
	const char *variant = NULL;
	struct outcome o;
	uint64_t v;
	int rc;

	prog_name = "ide-attack";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--bdf") && i + 1 < argc)
			bdf = argv[++i];
		else if (!strcmp(argv[i], "--bm") && i + 1 < argc && !parse_u64(argv[++i], &v) && v < 0x10000)
			bm = (uint16_t)v;
		else if (!strcmp(argv[i], "--hv") && i + 1 < argc && !parse_u64(argv[++i], &hv))
			;
		else if (!strcmp(argv[i], "--lba") && i + 1 < argc && !parse_u64(argv[++i], &lba))
			;
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc && !parse_u64(argv[++i], &seed))
			;
		else if (argv[i][0] != '-' && !variant)
			variant = argv[i];
		else
			die(EXIT_USAGE, "usage: ide-attack --bdf D:B:D.F --bm PORT [--hv ADDR] [--lba N] [--seed S] "
			    "plain|write-rewrite|read-rewrite|read-hv");
	}
	if (!bm || !bdf || !variant)
		die(EXIT_USAGE, "--bdf, --bm PORT and a variant are needed");
	enable_bus_master();
	if (iopl(3))
		die(EXIT_DENIED, "iopl: %s", strerror(errno));
	table = page();
	a = page();
	b = page();
	r = page();
	memset(b.v, 0xbb, PAGE);

	if (!strcmp(variant, "plain")) {
		rc = plain_write_read(lba, 1, &o);
		result(variant, rc == 0 ? "read-back-ok" : rc > 0 ? "read-back-differs" : "error", &o);
		return rc == 0 ? 0 : EXIT_MISMATCH;
	}
	if (!strcmp(variant, "write-rewrite")) {
		/* gen 2 gathered at START; the guest then puts poison in A and
		 * points the PRD at B (0xbb). What reached the disk? */
		fill_gen(a.v, lba, 2);
		prd(&table, 0, a.pa, NSECT * SECTOR, 1);
		o = dma(1, lba, (uint32_t)table.pa, rewrite_write);
		if (o.timeout || (o.status & STS_ERR)) {
			result(variant, "error", &o);
			return EXIT_TIMEOUT;
		}
		memset(r.v, 0x5a, PAGE);
		prd(&table, 0, r.pa, NSECT * SECTOR, 1);
		dma(0, lba, (uint32_t)table.pa, NULL);
		if (is_gen(r.v, lba, 2)) {
			result(variant, "disk-has-data-at-start", &o);
			return 0;
		}
		result(variant, is_fill(r.v, NSECT * SECTOR, 0xaa) ? "disk-has-rewritten-data" :
			       is_fill(r.v, NSECT * SECTOR, 0xbb) ? "disk-has-other-buffer" :
			       "disk-has-other", &o);
		return EXIT_MISMATCH;
	}
	if (!strcmp(variant, "read-rewrite")) {
		if (plain_write_read(lba, 3, &o)) {
			result(variant, "error", &o);
			return EXIT_TIMEOUT;
		}
		memset(a.v, 0xaa, PAGE);
		prd(&table, 0, a.pa, NSECT * SECTOR, 1);
		o = dma(0, lba, (uint32_t)table.pa, rewrite_read);
		if (is_gen(a.v, lba, 3) && is_fill(b.v, PAGE, 0xbb)) {
			result(variant, "data-in-buffer-at-start", &o);
			return 0;
		}
		result(variant, is_gen(b.v, lba, 3) ? "data-in-other-buffer" : "data-elsewhere", &o);
		return EXIT_MISMATCH;
	}
	if (!strcmp(variant, "read-hv")) {
		if (!hv)
			die(EXIT_USAGE, "read-hv needs --hv");
		prd(&table, 0, hv, NSECT * SECTOR, 1);
		o = dma(0, lba, (uint32_t)table.pa, NULL);
		if ((o.bm_status & BM_ERROR) && !o.timeout) {
			result(variant, "refused", &o);
			channel_reset();
			return 0;
		}
		result(variant, o.timeout ? "no-completion" : "transferred", &o);
		channel_reset();
		return EXIT_MISMATCH;
	}
	die(EXIT_USAGE, "unknown variant %s", variant);
}
