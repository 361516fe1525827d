/* Helpers shared by the guest test programs (each program is one .c file that
 * includes this header; they are built with musl-gcc -static).
 *
 * Output convention: every line a program prints starts with "guest: " and is
 * "guest: PROGRAM WORD key=value ...", so that tests can parse the serial
 * console. Exit status: 0 success, 1 usage or setup error, 2 access denied or
 * faulted, 3 data mismatch or verification failure, 4 timeout. */
#ifndef GUEST_COMMON_H
#define GUEST_COMMON_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HELPER static __attribute__((unused))

enum {
	EXIT_USAGE = 1,
	EXIT_DENIED = 2,
	EXIT_MISMATCH = 3,
	EXIT_TIMEOUT = 4,
};

static const char *prog_name = "?";

__attribute__((format(printf, 1, 2)))
HELPER void say(const char *fmt, ...)
{
	va_list ap;
	printf("guest: %s ", prog_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* An error line (same prefix, on stdout too so it stays in order with the
 * results on the console) and exit. */
__attribute__((format(printf, 2, 3), noreturn))
HELPER void die(int status, const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	printf("guest: %s error: ", prog_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	exit(status);
}

/* errno as its symbolic name, for key=value output. */
HELPER const char *errname(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case EROFS: return "EROFS";
	case EOVERFLOW: return "EOVERFLOW";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	default: return "E?";
	}
}

/* Unsigned number: decimal, 0x hex or 0 octal, with an optional K/M/G
 * (binary) suffix. Returns 0 on success, -1 if malformed or overflowing. */
HELPER int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: break;
	}
	if (*end == 'i' && shift)	/* accept KiB-style "Ki", "Mi" */
		end++;
	if (*end)
		return -1;
	if (shift && v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

HELPER uint64_t arg_u64(const char *what, const char *s)
{
	uint64_t v;
	if (parse_u64(s, &v))
		die(EXIT_USAGE, "bad %s '%s' (a number: 123, 0x7b, 4K, 1M)", what, s ? s : "");
	return v;
}

/* FNV-1a, 64-bit, over a byte buffer; continue from `h` (start: FNV_INIT). */
#define FNV_INIT 0xcbf29ce484222325ull
HELPER uint64_t fnv1a(uint64_t h, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* splitmix64: the guest programs' deterministic pattern generator. */
HELPER inline uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* "ones", "zeros" or "data": what a buffer consists of. */
HELPER const char *classify(const uint8_t *p, size_t len)
{
	int ones = 1, zeros = 1;
	for (size_t i = 0; i < len && (ones || zeros); i++) {
		if (p[i] != 0xff)
			ones = 0;
		if (p[i] != 0)
			zeros = 0;
	}
	return len == 0 ? "empty" : ones ? "ones" : zeros ? "zeros" : "data";
}

/* The first up to 16 bytes as contiguous hex (no spaces: one key=value token). */
HELPER const char *hexhead(const uint8_t *p, size_t len)
{
	static char buf[16 * 2 + 1];
	size_t n = len < 16 ? len : 16;
	for (size_t i = 0; i < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", p[i]);
	buf[2 * n] = 0;
	return buf;
}

HELPER double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

HELPER int want_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") || !strcmp(argv[i], "help"))
			return 1;
	return argc < 2;
}

/* pci_map_bar DEVDIR BAR: enables the PCI function at sysfs DEVDIR, turns
 * memory decoding and bus mastering on, and maps its BAR (resourceBAR).
 * *len gets the mapped size (the file's, or fallback when sysfs says 0).
 * Dies with a clear message on any failure. */
HELPER volatile void *pci_map_bar(const char *dev_dir, int bar, size_t fallback, size_t *len)
{
	char p[512];
	uint16_t cmd;
	struct stat st;
	void *m;
	int fd;

	snprintf(p, sizeof(p), "%s/enable", dev_dir);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "1", 1) != 1)
		die(EXIT_USAGE, "cannot enable %s: %s", p, strerror(errno));
	close(fd);

	snprintf(p, sizeof(p), "%s/config", dev_dir);
	fd = open(p, O_RDWR | O_CLOEXEC);
	if (fd < 0 || pread(fd, &cmd, 2, 4) != 2)
		die(EXIT_USAGE, "cannot read the command register in %s: %s", p, strerror(errno));
	if ((cmd & 0x6) != 0x6) {
		cmd |= 0x6;	/* memory space, bus master */
		if (pwrite(fd, &cmd, 2, 4) != 2)
			die(EXIT_USAGE, "cannot set bus mastering in %s: %s", p, strerror(errno));
	}
	close(fd);

	snprintf(p, sizeof(p), "%s/resource%d", dev_dir, bar);
	fd = open(p, O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st))
		die(EXIT_USAGE, "cannot open %s: %s", p, strerror(errno));
	*len = st.st_size ? (size_t)st.st_size : fallback;
	m = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		die(EXIT_USAGE, "cannot map %s: %s (errno=%s)", p, strerror(errno), errname(errno));
	close(fd);
	return m;
}

#endif
