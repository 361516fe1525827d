/* pcicfg: read and write a PCI function's configuration space through
 * sysfs (/sys/bus/pci/devices/DDDD:BB:DD.F/config), one access of the size
 * asked for (the kernel issues exactly that config cycle: under shoji, the
 * 0xcf8/0xcfc accesses its guard judges), and find the registers a
 * placement attack needs. See usage(). */
#include "common.h"

static void usage(void)
{
	printf(
"usage: pcicfg COMMAND ARGS\n"
"  read DEV OFF SIZE          print the register (SIZE 1, 2 or 4 bytes)\n"
"  write DEV OFF SIZE VALUE   write it, read it back\n"
"  bar64 DEV                  the first 64-bit memory BAR: its offset and address\n"
"  rom DEV                    the expansion ROM BAR's offset and value\n"
"  ecam-compare DEV BASE      the first 256 bytes through sysfs (the kernel uses\n"
"                             the CF8/CFC ports for them) against the same dwords\n"
"                             read through the ECAM window at BASE (/dev/mem)\n"
"DEV: a sysfs device directory or its name (0000:00:03.0).\n"
"Output: 'guest: pcicfg COMMAND dev=.. off=0x.. value=0x.. [readback=0x..]'.\n"
"Exit status: 0 ok, 1 usage/setup error, 2 the access failed.\n");
}

static char path[256];

static int open_config(const char *dev, int flags)
{
	int fd;

	if (strchr(dev, '/'))
		snprintf(path, sizeof(path), "%s/config", dev);
	else
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", dev);
	fd = open(path, flags);
	if (fd < 0)
		die(EXIT_USAGE, "open %s: %s", path, errname(errno));
	return fd;
}

static uint32_t rd(int fd, unsigned off, unsigned size)
{
	uint32_t v = 0;

	if (pread(fd, &v, size, off) != (ssize_t)size)
		die(EXIT_DENIED, "read %s offset 0x%x: %s", path, off, errname(errno));
	return v;
}

static void wr(int fd, unsigned off, unsigned size, uint32_t v)
{
	if (pwrite(fd, &v, size, off) != (ssize_t)size)
		die(EXIT_DENIED, "write %s offset 0x%x: %s", path, off, errname(errno));
}

static unsigned long num_arg(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (!*s || *end)
		die(EXIT_USAGE, "not a number: %s", s);
	return v;
}

static const char *short_name(const char *dev)
{
	const char *s = strrchr(dev, '/');

	return s ? s + 1 : dev;
}

int main(int argc, char **argv)
{
	prog_name = "pcicfg";
	if (argc < 3) {
		usage();
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "read") && argc == 5) {
		int fd = open_config(argv[2], O_RDONLY);
		unsigned off = num_arg(argv[3]), size = num_arg(argv[4]);

		say("read dev=%s off=0x%x value=0x%x", short_name(argv[2]), off, rd(fd, off, size));
		return 0;
	}
	if (!strcmp(argv[1], "write") && argc == 6) {
		int fd = open_config(argv[2], O_RDWR);
		unsigned off = num_arg(argv[3]), size = num_arg(argv[4]);
		uint32_t v = num_arg(argv[5]);

		if (size != 1 && size != 2 && size != 4)
			die(EXIT_USAGE, "SIZE must be 1, 2 or 4");
		wr(fd, off, size, v);
		say("write dev=%s off=0x%x value=0x%x readback=0x%x", short_name(argv[2]), off, v,
		    rd(fd, off, size));
		return 0;
	}
	if (!strcmp(argv[1], "bar64") && argc == 3) {
		int fd = open_config(argv[2], O_RDONLY);

		if ((rd(fd, 0x0e, 1) & 0x7f) != 0)
			die(EXIT_USAGE, "%s is not a type 0 function", argv[2]);
		for (unsigned off = 0x10; off < 0x24; off += 4) {
			uint32_t lo = rd(fd, off, 4);

			if ((lo & 1) == 0 && (lo & 6) == 4) {
				uint32_t hi = rd(fd, off + 4, 4);

				say("bar64 dev=%s off=0x%x addr=0x%llx lo=0x%x hi=0x%x cmd=0x%x",
				    short_name(argv[2]), off,
				    ((unsigned long long)hi << 32) | (lo & ~0xfu), lo, hi, rd(fd, 4, 2));
				return 0;
			}
		}
		die(EXIT_DENIED, "%s has no 64-bit memory BAR", argv[2]);
	}
	if (!strcmp(argv[1], "rom") && argc == 3) {
		int fd = open_config(argv[2], O_RDONLY);
		unsigned off = (rd(fd, 0x0e, 1) & 0x7f) == 1 ? 0x38 : 0x30;

		say("rom dev=%s off=0x%x value=0x%x", short_name(argv[2]), off, rd(fd, off, 4));
		return 0;
	}
	if (!strcmp(argv[1], "ecam-compare") && argc == 4) {
		int fd = open_config(argv[2], O_RDONLY), mfd;
		unsigned seg, bus, dev, fn, off;
		unsigned long base = num_arg(argv[3]);
		volatile uint32_t *e;

		if (sscanf(short_name(argv[2]), "%x:%x:%x.%x", &seg, &bus, &dev, &fn) != 4)
			die(EXIT_USAGE, "%s: not DDDD:BB:DD.F", argv[2]);
		mfd = open("/dev/mem", O_RDONLY | O_SYNC);
		if (mfd < 0)
			die(EXIT_USAGE, "open /dev/mem: %s", errname(errno));
		/* ECAM: base + bus << 20 | device << 15 | function << 12 (PCIe 7.2.2). */
		e = mmap(NULL, 4096, PROT_READ, MAP_SHARED, mfd,
			 (off_t)(base + (bus << 20) + (dev << 15) + (fn << 12)));
		if (e == MAP_FAILED)
			die(EXIT_USAGE, "mmap ECAM: %s", errname(errno));
		for (off = 0; off < 256; off += 4) {
			uint32_t p = rd(fd, off, 4), m = e[off / 4];

			if (p != m) {
				say("ecam-compare dev=%s same=no diff=0x%02x:ports=0x%08x,ecam=0x%08x",
				    short_name(argv[2]), off, p, m);
				return EXIT_DENIED;
			}
		}
		say("ecam-compare dev=%s same=yes diff=none", short_name(argv[2]));
		return 0;
	}
	usage();
	return EXIT_USAGE;
}
