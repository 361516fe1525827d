/* edu-dma: drive QEMU's "edu" PCI device (1234:11e8) from user space to make
 * it DMA to and from chosen physical addresses.
 *
 * The device (QEMU docs/specs/edu.txt) has a 4 KiB buffer at device address
 * 0x40000 and a DMA engine: 0x80 source, 0x88 destination, 0x90 count,
 * 0x98 command (bit 0 start/busy, bit 1 direction: 0 = RAM -> buffer, the
 * device reads memory; 1 = buffer -> RAM, the device writes memory). A DMA of
 * exactly 4096 bytes aborts QEMU 7.2, so transfers are at most 4095 bytes.
 *
 * The program's own DMA buffers are locked anonymous pages whose physical
 * addresses come from /proc/self/pagemap (root needed). */
#include "common.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define REG_ID 0x00
#define REG_LIVE 0x04
#define REG_DMA_SRC 0x80
#define REG_DMA_DST 0x88
#define REG_DMA_CNT 0x90
#define REG_DMA_CMD 0x98
#define CMD_START 1u
#define CMD_TO_RAM 2u		/* direction: device buffer -> RAM */
#define EDU_BUF 0x40000ull	/* device address of its DMA buffer */
#define MAX_LEN 4095u
#define PAGE 4096u

static void usage(void)
{
	printf(
"usage: edu-dma [--device BDF] [--timeout SECONDS] COMMAND ARGS\n"
"Programs QEMU's edu PCI device (vendor 1234, device 11e8) to DMA.\n"
"\n"
"commands:\n"
"  info                  the device, its BAR and identification register\n"
"  write-to PADDR LEN    the device WRITES a pattern to physical PADDR\n"
"                        (first it reads the pattern from the program's own page)\n"
"  read-from PADDR LEN   the device READS physical PADDR into its buffer, then\n"
"                        writes its buffer to the program's page: prints the\n"
"                        checksum; unchanged=yes means the buffer kept the poison\n"
"                        written there before (the read was blocked, or PADDR\n"
"                        holds exactly that poison)\n"
"  selftest              DMA between the program's own pages, both directions,\n"
"                        and verify the data\n"
"\n"
"options:\n"
"  --device BDF        use this PCI device (e.g. 0000:00:03.0) instead of searching\n"
"  --timeout SECONDS   how long to wait for a DMA to finish (default 3)\n"
"  --seed N            pattern seed for write-to (default 1)\n"
"\n"
"LEN: 1..4095 bytes (a 4096-byte DMA aborts QEMU 7.2).\n"
"Output: 'guest: edu-dma COMMAND ... status=ok|timeout|mismatch ...'\n"
"Exit status: 0 ok, 1 usage/setup error, 3 mismatch, 4 timeout.\n");
}

static const char *want_bdf;
static double timeout_s = 3.0;
static uint64_t seed = 1;

static char dev_dir[256];
static volatile uint8_t *regs;

static int read_hex_file(const char *path, unsigned long *v)
{
	char buf[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	*v = strtoul(buf, NULL, 16);
	return 0;
}

static int is_edu(const char *dir)
{
	char p[512];
	unsigned long ven, dev;
	snprintf(p, sizeof(p), "%s/vendor", dir);
	if (read_hex_file(p, &ven))
		return 0;
	snprintf(p, sizeof(p), "%s/device", dir);
	if (read_hex_file(p, &dev))
		return 0;
	return ven == EDU_VENDOR && dev == EDU_DEVICE;
}

static void find_device(void)
{
	const char *base = "/sys/bus/pci/devices";
	if (want_bdf) {
		snprintf(dev_dir, sizeof(dev_dir), "%s/%s", base, want_bdf);
		if (!is_edu(dev_dir))
			die(EXIT_USAGE, "%s is not an edu device (1234:11e8)", dev_dir);
		return;
	}
	DIR *d = opendir(base);
	if (!d)
		die(EXIT_USAGE, "cannot list %s: %s (is sysfs mounted?)", base, strerror(errno));
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char p[sizeof(dev_dir)];
		if (snprintf(p, sizeof(p), "%s/%.200s", base, e->d_name) >= (int)sizeof(p))
			continue;
		if (is_edu(p)) {
			snprintf(dev_dir, sizeof(dev_dir), "%s", p);
			break;
		}
	}
	closedir(d);
	if (!dev_dir[0])
		die(EXIT_USAGE, "no edu device (1234:11e8) in %s (QEMU: -device edu,dma_mask=0xffffffffffffffff)",
		    base);
}

static const char *bdf(void)
{
	const char *s = strrchr(dev_dir, '/');
	return s ? s + 1 : dev_dir;
}

static uint32_t rd32(unsigned off) { return *(volatile uint32_t *)(regs + off); }
static uint64_t rd64(unsigned off) { return *(volatile uint64_t *)(regs + off); }
static void wr32(unsigned off, uint32_t v) { *(volatile uint32_t *)(regs + off) = v; }
static void wr64(unsigned off, uint64_t v) { *(volatile uint64_t *)(regs + off) = v; }

/* Enable the device (memory decoding) and bus mastering, map BAR0. */
static void open_device(void)
{
	size_t len;

	find_device();
	regs = pci_map_bar(dev_dir, 0, 1u << 20, &len);

	uint32_t id = rd32(REG_ID);
	if ((id & 0xff) != 0xed)
		die(EXIT_USAGE, "%s: identification register 0x%08x, expected 0x..ed "
		    "(BAR0 not decoded? DMA blocked?)", bdf(), id);
	wr32(REG_LIVE, 0x12345678);
	if (rd32(REG_LIVE) != ~0x12345678u)
		die(EXIT_USAGE, "%s: liveness register does not invert (got 0x%08x)", bdf(), rd32(REG_LIVE));
}

/* One DMA; returns 0, or EXIT_TIMEOUT if the engine stays busy. */
static int dma(uint64_t src, uint64_t dst, uint32_t count, int to_ram)
{
	if (rd64(REG_DMA_CMD) & CMD_START)
		die(EXIT_TIMEOUT, "%s: DMA engine busy before start", bdf());
	wr64(REG_DMA_SRC, src);
	wr64(REG_DMA_DST, dst);
	wr64(REG_DMA_CNT, count);
	wr64(REG_DMA_CMD, CMD_START | (to_ram ? CMD_TO_RAM : 0));
	double end = now_s() + timeout_s;
	while (rd64(REG_DMA_CMD) & CMD_START) {
		if (now_s() > end)
			return EXIT_TIMEOUT;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* RAM -> device buffer: the device reads `paddr`. */
static int dma_from_ram(uint64_t paddr, uint32_t len) { return dma(paddr, EDU_BUF, len, 0); }
/* device buffer -> RAM: the device writes `paddr`. */
static int dma_to_ram(uint64_t paddr, uint32_t len) { return dma(EDU_BUF, paddr, len, 1); }

/* The program's own DMA pages. */
struct page {
	uint8_t *v;
	uint64_t phys;
};

static uint64_t virt_to_phys(const void *v)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(EXIT_USAGE, "cannot open /proc/self/pagemap: %s", strerror(errno));
	uint64_t e;
	off_t off = (off_t)((uintptr_t)v / PAGE * 8);
	if (pread(fd, &e, 8, off) != 8)
		die(EXIT_USAGE, "cannot read /proc/self/pagemap: %s", strerror(errno));
	close(fd);
	if (!(e >> 63))
		die(EXIT_USAGE, "page %p not present", v);
	uint64_t pfn = e & ((1ull << 55) - 1);
	if (!pfn)
		die(EXIT_USAGE, "/proc/self/pagemap hides physical addresses (needs CAP_SYS_ADMIN)");
	return pfn * PAGE + ((uintptr_t)v & (PAGE - 1));
}

static struct page alloc_page(void)
{
	struct page p;
	p.v = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p.v == MAP_FAILED)
		die(EXIT_USAGE, "mmap: %s", strerror(errno));
	if (mlock(p.v, PAGE))
		die(EXIT_USAGE, "mlock: %s", strerror(errno));
	memset(p.v, 0, PAGE);
	p.phys = virt_to_phys(p.v);
	return p;
}

static void pattern(uint8_t *buf, size_t len, uint64_t s)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t w = mix64(s * 0x100000000ull + i / 8);
		memcpy(buf + i, &w, len - i < 8 ? len - i : 8);
	}
}

static uint32_t check_len(const char *s)
{
	uint64_t len = arg_u64("LEN", s);
	if (len == 0 || len > MAX_LEN)
		die(EXIT_USAGE, "LEN must be 1..%u (a 4096-byte DMA aborts QEMU 7.2), got %llu",
		    MAX_LEN, (unsigned long long)len);
	return (uint32_t)len;
}

static int timed_out(const char *cmd, uint64_t paddr, uint32_t len, const char *step)
{
	say("%s addr=0x%llx len=%u status=timeout step=%s (DMA still busy after %.1f s)", cmd,
	    (unsigned long long)paddr, len, step, timeout_s);
	return EXIT_TIMEOUT;
}

static int cmd_write_to(uint64_t paddr, uint32_t len)
{
	struct page src = alloc_page();
	pattern(src.v, len, seed);
	uint64_t h = fnv1a(FNV_INIT, src.v, len);
	if (dma_from_ram(src.phys, len))
		return timed_out("write-to", paddr, len, "load-buffer");
	if (dma_to_ram(paddr, len))
		return timed_out("write-to", paddr, len, "write");
	say("write-to addr=0x%llx len=%u status=ok fnv1a=0x%016llx seed=%llu", (unsigned long long)paddr,
	    len, (unsigned long long)h, (unsigned long long)seed);
	return 0;
}

static int cmd_read_from(uint64_t paddr, uint32_t len)
{
	struct page poison = alloc_page(), dst = alloc_page();
	memset(poison.v, 0x5a, PAGE);
	memset(dst.v, 0xa5, PAGE);
	/* Poison the device buffer, so that a blocked read shows as unchanged. */
	if (dma_from_ram(poison.phys, len))
		return timed_out("read-from", paddr, len, "poison");
	if (dma_from_ram(paddr, len))
		return timed_out("read-from", paddr, len, "read");
	if (dma_to_ram(dst.phys, len))
		return timed_out("read-from", paddr, len, "copy-out");
	uint64_t h = fnv1a(FNV_INIT, dst.v, len);
	int unchanged = !memcmp(dst.v, poison.v, len);
	say("read-from addr=0x%llx len=%u status=ok fnv1a=0x%016llx content=%s unchanged=%s head=%s",
	    (unsigned long long)paddr, len, (unsigned long long)h, classify(dst.v, len),
	    unchanged ? "yes" : "no", hexhead(dst.v, len));
	return 0;
}

static int compare(const char *name, const uint8_t *got, const uint8_t *exp, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (got[i] != exp[i]) {
			say("selftest step=%s status=mismatch offset=%zu expected=0x%02x got=0x%02x", name, i,
			    exp[i], got[i]);
			return EXIT_MISMATCH;
		}
	}
	return 0;
}

static int cmd_selftest(void)
{
	struct page a = alloc_page(), b = alloc_page();
	uint32_t lens[] = { MAX_LEN, 1, 512, 777 };
	unsigned steps = 0;
	uint64_t bytes = 0;

	for (unsigned k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		uint32_t len = lens[k];
		pattern(a.v, PAGE, seed + k);
		memset(b.v, 0, PAGE);
		if (dma_from_ram(a.phys, len) || dma_to_ram(b.phys, len))
			return timed_out("selftest", b.phys, len, "roundtrip");
		steps++;
		bytes += 2 * len;
		if (compare("roundtrip", b.v, a.v, len))
			return EXIT_MISMATCH;
		/* Bytes beyond the transfer must be untouched. */
		for (uint32_t i = len; i < PAGE; i++)
			if (b.v[i]) {
				say("selftest step=overrun status=mismatch offset=%u expected=0x00 got=0x%02x", i,
				    b.v[i]);
				return EXIT_MISMATCH;
			}
	}
	/* An unaligned target inside the page. */
	pattern(a.v, PAGE, seed + 99);
	memset(b.v, 0, PAGE);
	if (dma_from_ram(a.phys + 3, 1000) || dma_to_ram(b.phys + 1001, 1000))
		return timed_out("selftest", b.phys + 1001, 1000, "unaligned");
	steps++;
	bytes += 2000;
	if (compare("unaligned", b.v + 1001, a.v + 3, 1000))
		return EXIT_MISMATCH;

	say("selftest device=%s status=ok dmas=%u bytes=%llu buf=0x%llx", bdf(), 2 * steps,
	    (unsigned long long)bytes, (unsigned long long)b.phys);
	return 0;
}

int main(int argc, char **argv)
{
	prog_name = "edu-dma";
	if (want_help(argc, argv)) {
		usage();
		return argc < 2 ? EXIT_USAGE : 0;
	}
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--device") && i + 1 < argc)
			want_bdf = argv[++i];
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			timeout_s = atof(argv[++i]);
			if (timeout_s <= 0)
				die(EXIT_USAGE, "bad --timeout '%s'", argv[i]);
		} else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = arg_u64("seed", argv[++i]);
		else
			die(EXIT_USAGE, "unknown option '%s' (see --help)", argv[i]);
	}
	if (i >= argc)
		die(EXIT_USAGE, "missing command (see --help)");
	const char *cmd = argv[i++];
	int nargs = argc - i;
	char **a = argv + i;

	if (!strcmp(cmd, "info")) {
		open_device();
		char p[512];
		unsigned long cls = 0;
		snprintf(p, sizeof(p), "%s/class", dev_dir);
		read_hex_file(p, &cls);
		say("info device=%s id=0x%08x class=0x%06lx status=ok", bdf(), rd32(REG_ID), cls);
		return 0;
	}
	if (!strcmp(cmd, "write-to") || !strcmp(cmd, "read-from")) {
		if (nargs != 2)
			die(EXIT_USAGE, "usage: edu-dma %s PADDR LEN", cmd);
		uint64_t paddr = arg_u64("PADDR", a[0]);
		uint32_t len = check_len(a[1]);
		open_device();
		return !strcmp(cmd, "write-to") ? cmd_write_to(paddr, len) : cmd_read_from(paddr, len);
	}
	if (!strcmp(cmd, "selftest")) {
		if (nargs)
			die(EXIT_USAGE, "usage: edu-dma selftest");
		open_device();
		return cmd_selftest();
	}
	die(EXIT_USAGE, "unknown command '%s' (see --help)", cmd);
}
