/* physmem: read, write and checksum physical memory through /dev/mem.
 *
 * Made for probing memory that a hypervisor may keep from the guest: an
 * access that is refused (EPERM, EFAULT), that faults (SIGBUS, SIGSEGV) or
 * that returns all-ones is reported as such, never a crash. See usage(). */
#include "common.h"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#define CHUNK (1u << 20)	/* mapped and checksummed 1 MiB at a time */

static void usage(void)
{
	printf(
"usage: physmem [--pread] [--dev FILE] COMMAND ARGS\n"
"Access physical memory through /dev/mem (root; Linux allows only ranges that\n"
"are not System RAM, or any range below 1 MiB, plus everything with iomem=relaxed\n"
"for device memory).\n"
"\n"
"commands:\n"
"  read ADDR LEN             FNV-1a-64 checksum of the range, its first 16 bytes,\n"
"                            and whether it is all ones, all zeros or data\n"
"  write ADDR LEN BYTE       fill the range with BYTE\n"
"  fill-check ADDR LEN BYTE  fill the range with BYTE, read it back and verify\n"
"  dump ADDR LEN             hex dump (16 bytes a line)\n"
"  selftest                  check this program's fault handling (SIGBUS on a\n"
"                            mapping beyond the end of a file) and read the BIOS area\n"
"\n"
"options:\n"
"  --pread     use pread/pwrite on /dev/mem instead of mmap (faults then show\n"
"              as errors of the system call: EFAULT, EPERM, EIO)\n"
"  --dev FILE  the memory device (default /dev/mem)\n"
"\n"
"ADDR, LEN: decimal or 0x hex, with optional K/M/G suffix.\n"
"Output: 'guest: physmem COMMAND addr=.. len=.. status=ok|denied|fault|mismatch ...'\n"
"  denied: errno=NAME (the kernel refused the mapping or the access)\n"
"  fault:  signal=SIGBUS|SIGSEGV at=PHYSICAL-ADDRESS\n"
"Exit status: 0 ok, 1 usage/setup error, 2 denied or faulted, 3 mismatch.\n");
}

static const char *dev_path = "/dev/mem";
static int use_pread;

/* Fault catching: an access through the mapping runs between sigsetjmp and
 * the end of the access; the handler jumps back with the faulting address. */
static sigjmp_buf fault_jmp;
static volatile sig_atomic_t in_access;
static void *volatile fault_addr;
static volatile int fault_sig;

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	if (!in_access) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	fault_addr = si->si_addr;
	fault_sig = sig;
	in_access = 0;
	siglongjmp(fault_jmp, 1);
}

static void install_handlers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
}

enum op { OP_READ, OP_WRITE };

/* Result of one range access. */
struct result {
	int ok;
	int err;		/* errno when denied */
	int sig;		/* signal when faulted */
	uint64_t at;		/* physical address of the fault */
	uint64_t done;		/* bytes accessed before stopping */
};

/* Copies between a mapping and a buffer with the widest aligned accesses,
 * through volatile pointers (device memory must see real loads/stores). */
static void copy_from_io(uint8_t *dst, const volatile uint8_t *src, size_t n)
{
	size_t i = 0;
	while (i < n && ((uintptr_t)(src + i) & 7))
		dst[i] = src[i], i++;
	for (; i + 8 <= n; i += 8) {
		uint64_t v = *(const volatile uint64_t *)(src + i);
		memcpy(dst + i, &v, 8);
	}
	for (; i < n; i++)
		dst[i] = src[i];
}

static void fill_io(volatile uint8_t *dst, uint8_t byte, size_t n)
{
	uint64_t v = 0x0101010101010101ull * byte;
	size_t i = 0;
	while (i < n && ((uintptr_t)(dst + i) & 7))
		dst[i++] = byte;
	for (; i + 8 <= n; i += 8)
		*(volatile uint64_t *)(dst + i) = v;
	for (; i < n; i++)
		dst[i] = byte;
}

/* Read (into buf, which holds `len` bytes) or fill one chunk of at most CHUNK
 * bytes at physical address `addr`. */
static void access_chunk(int fd, enum op op, uint64_t addr, size_t len, uint8_t *buf,
			 uint8_t byte, struct result *r)
{
	if (use_pread) {
		size_t done = 0;
		if (op == OP_WRITE)
			memset(buf, byte, len);
		while (done < len) {
			ssize_t n = op == OP_READ ? pread(fd, buf + done, len - done, (off_t)(addr + done))
						  : pwrite(fd, buf + done, len - done, (off_t)(addr + done));
			if (n <= 0) {
				r->ok = 0;
				r->err = n < 0 ? errno : EIO;
				r->at = addr + done;
				r->done += done;
				return;
			}
			done += (size_t)n;
		}
		r->done += len;
		return;
	}

	long page = sysconf(_SC_PAGESIZE);
	uint64_t base = addr & ~(uint64_t)(page - 1);
	size_t delta = (size_t)(addr - base);
	size_t maplen = (delta + len + (size_t)page - 1) & ~(size_t)(page - 1);
	void *m = mmap(NULL, maplen, op == OP_READ ? PROT_READ : PROT_READ | PROT_WRITE,
		       MAP_SHARED, fd, (off_t)base);
	if (m == MAP_FAILED) {
		r->ok = 0;
		r->err = errno;
		r->at = addr;
		return;
	}
	volatile uint8_t *p = (volatile uint8_t *)m + delta;
	if (sigsetjmp(fault_jmp, 1)) {
		r->ok = 0;
		r->sig = fault_sig;
		r->at = base + (uint64_t)((uint8_t *)fault_addr - (uint8_t *)m);
		r->done += r->at > addr ? r->at - addr : 0;
		munmap(m, maplen);
		return;
	}
	in_access = 1;
	if (op == OP_READ)
		copy_from_io(buf, p, len);
	else
		fill_io(p, byte, len);
	in_access = 0;
	munmap(m, maplen);
	r->done += len;
}

static const char *signame(int sig)
{
	return sig == SIGBUS ? "SIGBUS" : sig == SIGSEGV ? "SIGSEGV" : "SIG?";
}

/* Prints the " status=..." part of a failed access and returns the exit code. */
static int report_failure(const char *cmd, uint64_t addr, uint64_t len, const struct result *r)
{
	if (r->sig)
		say("%s addr=0x%llx len=%llu status=fault signal=%s at=0x%llx done=%llu", cmd,
		    (unsigned long long)addr, (unsigned long long)len, signame(r->sig),
		    (unsigned long long)r->at, (unsigned long long)r->done);
	else
		say("%s addr=0x%llx len=%llu status=denied errno=%s at=0x%llx done=%llu (%s)", cmd,
		    (unsigned long long)addr, (unsigned long long)len, errname(r->err),
		    (unsigned long long)r->at, (unsigned long long)r->done, strerror(r->err));
	return EXIT_DENIED;
}

static int open_dev(int write)
{
	int fd = open(dev_path, (write ? O_RDWR : O_RDONLY) | O_SYNC | O_CLOEXEC);
	if (fd < 0)
		die(EXIT_USAGE, "cannot open %s: %s (errno=%s; needs root and CONFIG_DEVMEM)",
		    dev_path, strerror(errno), errname(errno));
	return fd;
}

static void check_range(uint64_t addr, uint64_t len)
{
	if (len == 0)
		die(EXIT_USAGE, "LEN must be > 0");
	if (addr + len < addr || addr + len > (1ull << 52))
		die(EXIT_USAGE, "range 0x%llx+0x%llx beyond the physical address space",
		    (unsigned long long)addr, (unsigned long long)len);
}

static uint8_t chunk_buf[CHUNK];

static int cmd_read(uint64_t addr, uint64_t len, int dump)
{
	int fd = open_dev(0);
	struct result r = { .ok = 1 };
	uint64_t h = FNV_INIT;
	uint8_t head[16];
	size_t headlen = 0;
	int ones = 1, zeros = 1;

	for (uint64_t off = 0; off < len && r.ok; off += CHUNK) {
		size_t n = len - off < CHUNK ? (size_t)(len - off) : CHUNK;
		access_chunk(fd, OP_READ, addr + off, n, chunk_buf, 0, &r);
		if (!r.ok)
			break;
		h = fnv1a(h, chunk_buf, n);
		if (headlen < sizeof(head)) {
			size_t k = n < sizeof(head) - headlen ? n : sizeof(head) - headlen;
			memcpy(head + headlen, chunk_buf, k);
			headlen += k;
		}
		const char *c = classify(chunk_buf, n);
		ones &= !strcmp(c, "ones");
		zeros &= !strcmp(c, "zeros");
		if (dump) {
			for (size_t i = 0; i < n; i += 16) {
				char line[16 * 3 + 1];
				size_t k = n - i < 16 ? n - i : 16;
				for (size_t j = 0; j < k; j++)
					snprintf(line + 3 * j, 4, " %02x", chunk_buf[i + j]);
				say("dump 0x%llx:%s", (unsigned long long)(addr + off + i), line);
			}
		}
	}
	close(fd);
	if (!r.ok)
		return report_failure(dump ? "dump" : "read", addr, len, &r);
	say("%s addr=0x%llx len=%llu status=ok fnv1a=0x%016llx content=%s head=%s",
	    dump ? "dump" : "read", (unsigned long long)addr, (unsigned long long)len,
	    (unsigned long long)h, ones ? "ones" : zeros ? "zeros" : "data",
	    hexhead(head, headlen));
	return 0;
}

static int cmd_write(uint64_t addr, uint64_t len, uint8_t byte, int check)
{
	const char *cmd = check ? "fill-check" : "write";
	int fd = open_dev(1);
	struct result r = { .ok = 1 };

	for (uint64_t off = 0; off < len && r.ok; off += CHUNK) {
		size_t n = len - off < CHUNK ? (size_t)(len - off) : CHUNK;
		access_chunk(fd, OP_WRITE, addr + off, n, chunk_buf, byte, &r);
	}
	if (!r.ok) {
		close(fd);
		return report_failure(cmd, addr, len, &r);
	}
	if (!check) {
		close(fd);
		say("%s addr=0x%llx len=%llu byte=0x%02x status=ok", cmd, (unsigned long long)addr,
		    (unsigned long long)len, byte);
		return 0;
	}
	uint64_t bad = 0, first = 0;
	uint8_t got = 0;
	r.done = 0;
	for (uint64_t off = 0; off < len && r.ok; off += CHUNK) {
		size_t n = len - off < CHUNK ? (size_t)(len - off) : CHUNK;
		access_chunk(fd, OP_READ, addr + off, n, chunk_buf, 0, &r);
		for (size_t i = 0; r.ok && i < n; i++) {
			if (chunk_buf[i] != byte) {
				if (!bad++) {
					first = addr + off + i;
					got = chunk_buf[i];
				}
			}
		}
	}
	close(fd);
	if (!r.ok)
		return report_failure(cmd, addr, len, &r);
	if (bad) {
		say("%s addr=0x%llx len=%llu byte=0x%02x status=mismatch at=0x%llx expected=0x%02x "
		    "got=0x%02x bad=%llu", cmd, (unsigned long long)addr, (unsigned long long)len,
		    byte, (unsigned long long)first, byte, got, (unsigned long long)bad);
		return EXIT_MISMATCH;
	}
	say("%s addr=0x%llx len=%llu byte=0x%02x status=ok", cmd, (unsigned long long)addr,
	    (unsigned long long)len, byte);
	return 0;
}

/* The fault path, without /dev/mem: touching a shared file mapping beyond
 * the end of its file raises SIGBUS, which must come back as status=fault. */
static int cmd_selftest(void)
{
	int failed = 0;
	char path[] = "/tmp/physmem-selftest-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		die(EXIT_USAGE, "mkstemp: %s", strerror(errno));
	unlink(path);
	volatile uint8_t *m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		die(EXIT_USAGE, "mmap: %s", strerror(errno));
	int caught = 0;
	if (sigsetjmp(fault_jmp, 1)) {
		caught = fault_sig == SIGBUS && (uint8_t *)fault_addr == (uint8_t *)m;
	} else {
		in_access = 1;
		(void)m[0];
		in_access = 0;
	}
	munmap((void *)m, 4096);
	close(fd);
	say("selftest name=sigbus-caught status=%s", caught ? "ok" : "fail");
	failed |= !caught;

	/* The BIOS area below 1 MiB is readable through /dev/mem and not blank. */
	int rc = cmd_read(0xf0000, 0x10000, 0);
	say("selftest name=bios-read status=%s", rc == 0 ? "ok" : "fail");
	failed |= rc != 0;

	say("selftest status=%s", failed ? "fail" : "ok");
	return failed ? EXIT_MISMATCH : 0;
}

int main(int argc, char **argv)
{
	prog_name = "physmem";
	if (want_help(argc, argv)) {
		usage();
		return argc < 2 ? EXIT_USAGE : 0;
	}
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--pread"))
			use_pread = 1;
		else if (!strcmp(argv[i], "--dev") && i + 1 < argc)
			dev_path = argv[++i];
		else
			die(EXIT_USAGE, "unknown option '%s' (see --help)", argv[i]);
	}
	if (i >= argc)
		die(EXIT_USAGE, "missing command (see --help)");
	const char *cmd = argv[i++];
	int nargs = argc - i;
	char **a = argv + i;
	install_handlers();

	if (!strcmp(cmd, "read") || !strcmp(cmd, "dump")) {
		if (nargs != 2)
			die(EXIT_USAGE, "usage: physmem %s ADDR LEN", cmd);
		uint64_t addr = arg_u64("ADDR", a[0]), len = arg_u64("LEN", a[1]);
		check_range(addr, len);
		return cmd_read(addr, len, !strcmp(cmd, "dump"));
	}
	if (!strcmp(cmd, "write") || !strcmp(cmd, "fill-check")) {
		if (nargs != 3)
			die(EXIT_USAGE, "usage: physmem %s ADDR LEN BYTE", cmd);
		uint64_t addr = arg_u64("ADDR", a[0]), len = arg_u64("LEN", a[1]);
		uint64_t byte = arg_u64("BYTE", a[2]);
		check_range(addr, len);
		if (byte > 0xff)
			die(EXIT_USAGE, "BYTE must be 0..255");
		return cmd_write(addr, len, (uint8_t)byte, !strcmp(cmd, "fill-check"));
	}
	if (!strcmp(cmd, "selftest")) {
		if (nargs)
			die(EXIT_USAGE, "usage: physmem selftest");
		return cmd_selftest();
	}
	die(EXIT_USAGE, "unknown command '%s' (see --help)", cmd);
}
