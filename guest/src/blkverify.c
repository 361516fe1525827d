/* blkverify: O_DIRECT block I/O with data verification, and a small benchmark.
 *
 * Data pattern (so that other tools, e.g. a host-side test decrypting the
 * disk image, can recompute it): a 512-byte sector at absolute sector number
 * S written with generation G under seed SEED holds 64 little-endian 64-bit
 * words: w[0] = S, w[1] = (SEED << 32) | G (SEED's low 32 bits),
 * w[i] = mix64(key ^ (S << 6 | i)) for i = 2..63, with
 * key = mix64(SEED) ^ G * 0x9e3779b97f4a7c15 and mix64 = splitmix64's finaliser
 * (see common.h). `write`/`verify` use G = 0. */
#include "common.h"

#include "shoji_abi.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define SECTOR 512u
#define MAX_IO (1u << 20)
#define BLKSSZGET_ 0x1268	/* _IO(0x12, 104): logical block size */

static void usage(void)
{
	printf(
"usage: blkverify [check] DEVICE [--bytes N] [--seed S] [--offset O] [--span Z]\n"
"       blkverify write|verify DEVICE --bytes N [--seed S] [--offset O]\n"
"       blkverify bench DEVICE [--seconds T] [--offset O] [--span Z] [--test NAME]\n"
"                       [--counters DISK]\n"
"       blkverify probe DEVICE\n"
"O_DIRECT I/O on a block device (its contents in the range are DESTROYED).\n"
"\n"
"  check   (default) writes N bytes of patterned blocks of mixed sizes (512 B ..\n"
"          1 MiB) and buffer alignments, first sequentially then at random\n"
"          offsets within [O, O+Z), reads each back at once, and at the end\n"
"          reads back everything written: 'guest: blkverify ok ops=.. bytes=..'\n"
"          or 'guest: blkverify mismatch offset=.. expected=.. got=..'\n"
"  write   writes the generation-0 pattern over [O, O+N) sequentially\n"
"  verify  reads [O, O+N) and checks it holds what `write` wrote (e.g. after\n"
"          a reboot, or through an encrypting hypervisor)\n"
"  bench   sequential 1 MiB and random 4 KiB write/read, each for T seconds\n"
"          (default 2) within [O, O+Z), sequential ones wrapping around at its\n"
"          end, writes ending with an fdatasync (timed with them): one\n"
"          'guest: bench name=seq-read-1m mbps=.. iops=.. ops=..' line per test\n"
"          --test NAME   only that test: seq-write, seq-read, rand-write,\n"
"                        rand-read (or its line name, e.g. seq-read-1m), or\n"
"                        all (default: the four, in that order)\n"
"          --counters DISK  before each test's lines, two 'guest: bench\n"
"                        counters at=test-start|test-end test=NAME uptime=S\n"
"                        [KEY=N ..] disk_reads=N ..' lines: shoji's status\n"
"                        counters (when under shoji) and DISK's sysfs stat\n"
"                        (completed requests and sectors), sampled in this\n"
"                        process right before the test's first I/O and\n"
"                        right after its last (and its fdatasync); DISK is\n"
"                        the device whose commands count (e.g. the disk\n"
"                        under a dm-crypt mapping)\n"
"  probe   looks for a partition table or filesystem signature (MBR, GPT, ext,\n"
"          XFS, btrfs, ISO 9660, swap, LUKS, squashfs): exit 0 and\n"
"          signature=none when there is none, i.e. the disk looks like scratch\n"
"\n"
"  --bytes N   data to write (default 4M)      --seed S   pattern seed (default 1)\n"
"  --offset O  start of the range (default 0)  --span Z   size of the range\n"
"              (default: check 4*N, bench 64M; at most the device's end)\n"
"Numbers: decimal or 0x hex with optional K/M/G. Offsets and sizes are\n"
"multiples of 512.\n"
"Exit status: 0 ok, 1 usage/setup error, 2 I/O error, 3 mismatch (probe:\n"
"a signature found).\n");
}

static const char *dev;
static int fd;
static uint64_t seed = 1, nbytes = 4u << 20, offset, span;
static double seconds = 2.0;
static uint64_t n_ops, n_written, n_read;
static uint8_t *wbuf, *rbuf;	/* MAX_IO + 4096 each, page aligned */

/* ---- pattern -------------------------------------------------------------- */

static void fill_sector(uint8_t *p, uint64_t s, uint32_t g)
{
	uint64_t w[SECTOR / 8];
	uint64_t key = mix64(seed) ^ (uint64_t)g * 0x9e3779b97f4a7c15ull;
	w[0] = s;
	w[1] = (seed << 32) | g;
	for (unsigned i = 2; i < SECTOR / 8; i++)
		w[i] = mix64(key ^ (s << 6 | i));
	memcpy(p, w, SECTOR);
}

static void fill(uint8_t *p, uint64_t byte_off, size_t len, const uint32_t *gens_or_null, uint32_t g)
{
	for (size_t i = 0; i < len; i += SECTOR) {
		uint64_t s = (byte_off + i) / SECTOR;
		fill_sector(p + i, s, gens_or_null ? gens_or_null[(byte_off + i - offset) / SECTOR] : g);
	}
}

/* ---- I/O -------------------------------------------------------------------- */

static void io_fail(const char *what, uint64_t off, size_t len, ssize_t n)
{
	say("error op=%s offset=0x%llx len=%zu result=%zd errno=%s (%s)", what, (unsigned long long)off,
	    len, n, n < 0 ? errname(errno) : "short", n < 0 ? strerror(errno) : "short transfer");
	exit(EXIT_DENIED);
}

static void do_write(const uint8_t *buf, uint64_t off, size_t len)
{
	ssize_t n = pwrite(fd, buf, len, (off_t)off);
	if (n != (ssize_t)len)
		io_fail("write", off, len, n);
	n_ops++;
	n_written += len;
}

static void do_read(uint8_t *buf, uint64_t off, size_t len)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);
	if (n != (ssize_t)len)
		io_fail("read", off, len, n);
	n_ops++;
	n_read += len;
}

/* Compares what was read at device byte offset `off` with the pattern the
 * sectors should hold; reports the first difference. */
static int verify(const uint8_t *got, uint64_t off, size_t len, const uint32_t *gens, uint32_t g,
		  const char *phase)
{
	uint8_t exp[SECTOR];
	for (size_t i = 0; i < len; i += SECTOR) {
		uint64_t s = (off + i) / SECTOR;
		uint32_t sg = gens ? gens[(off + i - offset) / SECTOR] : g;
		fill_sector(exp, s, sg);
		if (!memcmp(exp, got + i, SECTOR))
			continue;
		for (unsigned w = 0; w < SECTOR; w += 8) {
			uint64_t e, r;
			memcpy(&e, exp + w, 8);
			memcpy(&r, got + i + w, 8);
			if (e == r)
				continue;
			uint64_t fs, fg;
			memcpy(&fs, got + i, 8);
			memcpy(&fg, got + i + 8, 8);
			say("mismatch offset=0x%llx expected=0x%016llx got=0x%016llx phase=%s sector=%llu "
			    "gen=%u found-sector=%llu found-gen=%llu content=%s device=%s seed=%llu",
			    (unsigned long long)(off + i + w), (unsigned long long)e, (unsigned long long)r,
			    phase, (unsigned long long)s, sg, (unsigned long long)fs,
			    (unsigned long long)(fg & 0xffffffff), classify(got + i, SECTOR), dev,
			    (unsigned long long)seed);
			return EXIT_MISMATCH;
		}
	}
	return 0;
}

/* ---- random numbers (deterministic per seed) ----------------------------- */

static uint64_t rng_state;
static uint64_t rnd(void) { return mix64(rng_state++); }
static uint64_t rnd_below(uint64_t n) { return n ? rnd() % n : 0; }

/* A transfer size: 512 B .. 1 MiB, log-uniform, multiple of 512. */
static size_t rnd_size(void)
{
	unsigned e = (unsigned)rnd_below(12);	/* 2^0 .. 2^11 sectors */
	uint64_t lo = 1ull << e, hi = 2ull << e;
	uint64_t sectors = lo + rnd_below(hi - lo);
	if (sectors > MAX_IO / SECTOR)
		sectors = MAX_IO / SECTOR;
	return (size_t)(sectors * SECTOR);
}

/* A buffer offset inside the first page: 0, 512, .. 3584. */
static size_t rnd_align(void) { return (size_t)rnd_below(8) * SECTOR; }

/* ---- commands --------------------------------------------------------------- */

static void open_dev(uint64_t default_span)
{
	fd = open(dev, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		die(EXIT_USAGE, "cannot open %s: %s (errno=%s)", dev, strerror(errno), errname(errno));
	off_t size = lseek(fd, 0, SEEK_END);
	if (size <= 0)
		die(EXIT_USAGE, "%s: cannot find its size", dev);
	int lbs = SECTOR;
	if (ioctl(fd, BLKSSZGET_, &lbs) == 0 && lbs != (int)SECTOR)
		die(EXIT_USAGE, "%s: logical block size %d, only 512 is supported", dev, lbs);
	if (offset % SECTOR || span % SECTOR || nbytes % SECTOR)
		die(EXIT_USAGE, "--offset, --span and --bytes must be multiples of 512");
	if (offset >= (uint64_t)size)
		die(EXIT_USAGE, "--offset 0x%llx beyond the device's end (%lld bytes)",
		    (unsigned long long)offset, (long long)size);
	if (!span)
		span = default_span;
	if (span > (uint64_t)size - offset)
		span = (uint64_t)size - offset;
	if (posix_memalign((void **)&wbuf, 4096, MAX_IO + 4096) ||
	    posix_memalign((void **)&rbuf, 4096, MAX_IO + 4096))
		die(EXIT_USAGE, "out of memory");
}

static int cmd_check(void)
{
	uint64_t def = nbytes * 4 < (1u << 20) ? (1u << 20) : nbytes * 4;
	open_dev(def);
	if (nbytes == 0)
		die(EXIT_USAGE, "--bytes must be > 0");
	uint64_t nsect = span / SECTOR;
	uint32_t *gens = calloc(nsect, sizeof(*gens));	/* 0: not written */
	if (!gens)
		die(EXIT_USAGE, "out of memory for %llu sectors", (unsigned long long)nsect);
	rng_state = mix64(seed ^ 0x626c6b766572ull);
	uint32_t gen = 0;
	uint64_t end = offset + span, pos = offset, todo = 0;
	double t0 = now_s();
	int rc;

	for (int phase = 0; phase < 2; phase++) {
		todo += phase == 0 ? nbytes / 2 : nbytes - nbytes / 2;
		while (n_written < todo) {
			size_t len = rnd_size();
			uint64_t off;
			if (len > todo - n_written)
				len = (size_t)(todo - n_written);
			if (phase == 0) {
				if (pos >= end)
					break;
				off = pos;
				if (len > end - off)
					len = (size_t)(end - off);
				pos += len;
			} else {
				if (len > span)
					len = (size_t)span;
				off = offset + rnd_below((span - len) / SECTOR + 1) * SECTOR;
			}
			gen++;
			for (size_t i = 0; i < len; i += SECTOR)
				gens[(off + i - offset) / SECTOR] = gen;
			uint8_t *w = wbuf + rnd_align(), *r = rbuf + rnd_align();
			fill(w, off, len, NULL, gen);
			do_write(w, off, len);
			memset(r, 0, len);
			do_read(r, off, len);
			if ((rc = verify(r, off, len, NULL, gen, phase ? "random" : "sequential")))
				return rc;
		}
	}
	/* Final pass: every written sector, in runs read with mixed sizes. */
	for (uint64_t s = 0; s < nsect;) {
		if (!gens[s]) {
			s++;
			continue;
		}
		uint64_t run = s;
		size_t max = rnd_size() / SECTOR;
		while (run < nsect && gens[run] && run - s < max)
			run++;
		uint64_t off = offset + s * SECTOR;
		size_t len = (size_t)((run - s) * SECTOR);
		uint8_t *r = rbuf + rnd_align();
		memset(r, 0, len);
		do_read(r, off, len);
		if ((rc = verify(r, off, len, gens, 0, "final")))
			return rc;
		s = run;
	}
	say("ok ops=%llu bytes=%llu written=%llu read=%llu device=%s seed=%llu span=%llu secs=%.2f",
	    (unsigned long long)n_ops, (unsigned long long)(n_written + n_read),
	    (unsigned long long)n_written, (unsigned long long)n_read, dev, (unsigned long long)seed,
	    (unsigned long long)span, now_s() - t0);
	free(gens);
	return 0;
}

static int cmd_write_verify(int write)
{
	open_dev(nbytes);
	if (nbytes == 0 || nbytes > span)
		die(EXIT_USAGE, "--bytes must be 1..%llu (the device's end)", (unsigned long long)span);
	double t0 = now_s();
	for (uint64_t done = 0; done < nbytes;) {
		size_t len = nbytes - done < MAX_IO ? (size_t)(nbytes - done) : MAX_IO;
		uint64_t off = offset + done;
		if (write) {
			fill(wbuf, off, len, NULL, 0);
			do_write(wbuf, off, len);
		} else {
			do_read(rbuf, off, len);
			int rc = verify(rbuf, off, len, NULL, 0, "verify");
			if (rc)
				return rc;
		}
		done += len;
	}
	if (write && fdatasync(fd))
		io_fail("fdatasync", offset, (size_t)nbytes, -1);
	say("%s ok ops=%llu bytes=%llu device=%s offset=0x%llx seed=%llu secs=%.2f",
	    write ? "write" : "verify", (unsigned long long)n_ops, (unsigned long long)nbytes, dev,
	    (unsigned long long)offset, (unsigned long long)seed, now_s() - t0);
	return 0;
}

/* ---- bench ------------------------------------------------------------------ */

/* The four tests, in the order `bench` runs them; `line` is the name in the
 * output lines (scripts/bench parses these). */
static const struct bench_test {
	const char *name, *line;
	size_t size;
	int random, write;
} bench_tests[] = {
	{ "seq-write", "seq-write-1m", MAX_IO, 0, 1 },
	{ "seq-read", "seq-read-1m", MAX_IO, 0, 0 },
	{ "rand-write", "rand-write-4k", 4096, 1, 1 },
	{ "rand-read", "rand-read-4k", 4096, 1, 0 },
};
#define N_BENCH_TESTS (sizeof(bench_tests) / sizeof(bench_tests[0]))

static int bench_only = -1;		/* --test: an index into bench_tests; -1 all */
static const char *counters_disk;	/* --counters DISK */
static char disk_stat_path[64];		/* DISK's /sys/dev/block/MAJ:MIN/stat */
static int have_shoji;

static int bench_test_index(const char *name)
{
	if (!strcmp(name, "all"))
		return -1;
	for (unsigned t = 0; t < N_BENCH_TESTS; t++)
		if (!strcmp(name, bench_tests[t].name) || !strcmp(name, bench_tests[t].line))
			return (int)t;
	die(EXIT_USAGE, "unknown --test '%s' (seq-write, seq-read, rand-write, rand-read or all)",
	    name);
}

/* The sysfs stat file of the block device at `path`, by its device number:
 * works for /dev/sdX, /dev/mapper/NAME and /dev/dm-N alike. */
static void find_disk_stat(const char *path)
{
	struct stat st;
	FILE *f;

	if (stat(path, &st))
		die(EXIT_USAGE, "--counters %s: %s", path, strerror(errno));
	if (!S_ISBLK(st.st_mode))
		die(EXIT_USAGE, "--counters %s: not a block device", path);
	snprintf(disk_stat_path, sizeof(disk_stat_path), "/sys/dev/block/%u:%u/stat",
		 major(st.st_rdev), minor(st.st_rdev));
	if (!(f = fopen(disk_stat_path, "r")))
		die(EXIT_USAGE, "--counters %s: cannot read %s (%s)", path, disk_stat_path,
		    strerror(errno));
	fclose(f);
}

/* Appends the disk's completed requests and sectors to `out`, under the
 * names bench.sh's own counters lines use. Fields of the stat file
 * (Documentation/block/stat.rst): 1 reads completed, 3 sectors read,
 * 5 writes completed, 7 sectors written, 15 flushes completed. */
static void append_disk_stat(char *out, size_t len)
{
	unsigned long long v[17] = { 0 };
	FILE *f = fopen(disk_stat_path, "r");
	size_t n = strlen(out);
	int got = 0;

	if (f) {
		while (got < 17 && fscanf(f, "%llu", &v[got]) == 1)
			got++;
		fclose(f);
	}
	if (got < 7)
		die(EXIT_DENIED, "--counters %s: %s has %d fields, expected at least 7",
		    counters_disk, disk_stat_path, got);
	snprintf(out + n, len - n,
		 " disk_reads=%llu disk_writes=%llu disk_flushes=%llu disk_sectors_read=%llu"
		 " disk_sectors_written=%llu", v[0], v[4], v[14], v[2], v[6]);
}

/* One "guest: bench counters at=AT test=NAME" sample into `out` (not
 * printed: printing inside a test's window would add the console's cost
 * to it). Taken in this process with one VMMCALL and one sysfs read, so no
 * program starts inside the window; uptime from CLOCK_BOOTTIME, as
 * /proc/uptime. */
static void sample(char *out, size_t len, const char *at, const char *test)
{
	static char buf[16384];
	struct timespec ts;
	int64_t rc;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	snprintf(out, len, "guest: bench counters at=%s test=%s uptime=%lld.%06ld", at, test,
		 (long long)ts.tv_sec, ts.tv_nsec / 1000);
	if (have_shoji && (rc = shoji_counters(out, len, buf, sizeof(buf))) != 0)
		die(EXIT_DENIED, "shoji's status call failed (code %lld)", (long long)rc);
	append_disk_stat(out, len);
}

static void bench_line(const char *name, uint64_t ops, uint64_t bytes, double secs)
{
	printf("guest: bench name=%s mbps=%.1f iops=%.0f ops=%llu bytes=%llu secs=%.3f device=%s\n", name,
	       bytes / secs / 1e6, ops / secs, (unsigned long long)ops, (unsigned long long)bytes, secs,
	       dev);
	fflush(stdout);
}

/* One test for `seconds`: its I/O loop and, for writes, the fdatasync that
 * makes the data reach the disk (timed with it). */
static void bench_run(unsigned t)
{
	static char start[16384], end[16384];
	const struct bench_test *b = &bench_tests[t];
	uint64_t slots = span / b->size, ops = 0;
	double t0, el;

	/* A random stream of its own per test: the same offsets whether the
	 * test runs alone (--test) or after the others. */
	rng_state = mix64(seed ^ 0x62656e6368ull) + ((uint64_t)t << 40);
	if (counters_disk)
		sample(start, sizeof(start), "test-start", b->line);
	t0 = now_s();
	do {
		uint64_t slot = b->random ? rnd_below(slots) : ops % slots;
		uint64_t off = offset + slot * b->size;
		if (b->write)
			do_write(wbuf, off, b->size);
		else
			do_read(rbuf, off, b->size);
		ops++;
		el = now_s() - t0;
		/* Sequential tests wrap around at the end of the range. */
	} while (el < seconds);
	if (b->write && fdatasync(fd))
		io_fail("fdatasync", offset, 0, -1);
	el = now_s() - t0;
	if (counters_disk) {
		sample(end, sizeof(end), "test-end", b->line);
		printf("%s\n%s\n", start, end);
	}
	bench_line(b->line, ops, ops * b->size, el);
}

static int cmd_bench(void)
{
	open_dev(64u << 20);
	if (span < MAX_IO)
		die(EXIT_USAGE, "bench needs at least 1 MiB (span %llu)", (unsigned long long)span);
	if (counters_disk) {
		find_disk_stat(counters_disk);
		have_shoji = shoji_present();
	}
	fill(wbuf, offset, MAX_IO, NULL, 0);
	for (unsigned t = 0; t < N_BENCH_TESTS; t++)
		if (bench_only < 0 || (unsigned)bench_only == t)
			bench_run(t);
	return 0;
}

/* Known on-disk signatures: offset, bytes. */
static const struct sig {
	const char *name;
	unsigned off;
	const char *magic;
	unsigned len;
} sigs[] = {
	{ "mbr", 510, "\x55\xaa", 2 },
	{ "gpt", 512, "EFI PART", 8 },
	{ "ext", 1080, "\x53\xef", 2 },
	{ "xfs", 0, "XFSB", 4 },
	{ "btrfs", 65536 + 64, "_BHRfS_M", 8 },
	{ "iso9660", 32769, "CD001", 5 },
	{ "swap", 4086, "SWAPSPACE2", 10 },
	{ "luks", 0, "LUKS\xba\xbe", 6 },
	{ "squashfs", 0, "hsqs", 4 },
};

static int cmd_probe(void)
{
	enum { PROBE = 72 * 1024 };
	open_dev(PROBE);
	uint8_t *buf;
	size_t len = span < PROBE ? (size_t)span : PROBE;
	if (posix_memalign((void **)&buf, 4096, PROBE))
		die(EXIT_USAGE, "out of memory");
	memset(buf, 0, PROBE);
	do_read(buf, 0, len & ~(size_t)(SECTOR - 1));
	off_t size = lseek(fd, 0, SEEK_END);
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigs[i].off + sigs[i].len <= len && !memcmp(buf + sigs[i].off, sigs[i].magic, sigs[i].len)) {
			say("probe device=%s size=%lld signature=%s", dev, (long long)size, sigs[i].name);
			return EXIT_MISMATCH;
		}
	}
	say("probe device=%s size=%lld signature=none content=%s", dev, (long long)size,
	    classify(buf, len));
	return 0;
}

int main(int argc, char **argv)
{
	prog_name = "blkverify";
	if (want_help(argc, argv)) {
		usage();
		return argc < 2 ? EXIT_USAGE : 0;
	}
	const char *cmd = "check";
	int i = 1;
	if (!strcmp(argv[1], "check") || !strcmp(argv[1], "write") || !strcmp(argv[1], "verify") ||
	    !strcmp(argv[1], "bench") || !strcmp(argv[1], "probe"))
		cmd = argv[i++];
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] != '-') {
			if (dev)
				die(EXIT_USAGE, "unexpected argument '%s' (see --help)", a);
			dev = a;
		} else if (i + 1 >= argc) {
			die(EXIT_USAGE, "option %s needs a value", a);
		} else if (!strcmp(a, "--bytes")) {
			nbytes = arg_u64("--bytes", argv[++i]);
		} else if (!strcmp(a, "--seed")) {
			seed = arg_u64("--seed", argv[++i]) & 0xffffffffu;
		} else if (!strcmp(a, "--offset")) {
			offset = arg_u64("--offset", argv[++i]);
		} else if (!strcmp(a, "--span")) {
			span = arg_u64("--span", argv[++i]);
		} else if (!strcmp(a, "--test")) {
			bench_only = bench_test_index(argv[++i]);
		} else if (!strcmp(a, "--counters")) {
			counters_disk = argv[++i];
		} else if (!strcmp(a, "--seconds")) {
			seconds = atof(argv[++i]);
			if (seconds <= 0)
				die(EXIT_USAGE, "bad --seconds '%s'", argv[i]);
		} else {
			die(EXIT_USAGE, "unknown option '%s' (see --help)", a);
		}
	}
	if (!dev)
		die(EXIT_USAGE, "missing DEVICE (see --help)");
	if (!strcmp(cmd, "bench"))
		return cmd_bench();
	if (!strcmp(cmd, "probe"))
		return cmd_probe();
	if (!strcmp(cmd, "write") || !strcmp(cmd, "verify"))
		return cmd_write_verify(!strcmp(cmd, "write"));
	return cmd_check();
}
