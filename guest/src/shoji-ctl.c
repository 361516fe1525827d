/* shoji-ctl: ask the hypervisor about itself through VMMCALL (ABI in
 * shoji's docs/vmmcall.md and src/vmm/vmmcall.h).
 *
 *   shoji-ctl version     guest: shoji-ctl version version=0.1.0 magic=SHOJ
 *   shoji-ctl status      guest: shoji-ctl status KEY=VALUE   (one per line)
 *   shoji-ctl faults      guest: shoji-ctl fault seq=... sid=... reason=...
 *   shoji-ctl selfcheck   guest: shoji-ctl selfcheck checksum=0x... bytes=N
 *   shoji-ctl idle SECS   guest: shoji-ctl idle at=start|end uptime=S KEY=N ...
 *                         (the status's decimal counters, taken around a
 *                         sleep of SECS seconds in this one process: no
 *                         program starts in between, so the difference is
 *                         what an idle guest costs; uptime from
 *                         CLOCK_BOOTTIME, as /proc/uptime)
 *   shoji-ctl exitcost N  guest: shoji-ctl exitcost insn=I n=N guest_us=... per_insn=E
 *                         shoji_us=... world_us=...  (per instruction; shoji's
 *                         and the world switch's per exit: what one VM exit costs, timed from
 *                         inside: N back-to-back exits of each kind, see
 *                         exitcost() below; also runs without shoji, where
 *                         it times the same instructions natively)
 *
 * Exits 2 when no shoji is underneath (CPUID 0x40000000 does not name it:
 * VMMCALL would then fault), 1 on usage errors, 3 when shoji answers with
 * an error. */
#include "common.h"

#include "shoji_abi.h"

#include <sched.h>
#include <sys/io.h>

/* Prints a text answer line by line with a prefix word. */
static int text_call(uint32_t fn, const char *word)
{
	static char buf[16384];
	struct answer a = vmmcall_text(fn, buf, sizeof(buf));
	char *line, *save = NULL;

	if (a.rax != 0) {
		say("error call=%u code=%lld needed=%llu", fn, (long long)a.rax,
		    (unsigned long long)a.rbx);
		return EXIT_MISMATCH;
	}
	buf[sizeof(buf) - 1] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		say("%s %s", word, line);
	return 0;
}

/* One "idle" line: every KEY=DECIMAL line of the status, on one line. */
static int idle_sample(const char *at)
{
	static char buf[16384], out[16384];
	struct timespec ts;
	int64_t rc;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	snprintf(out, sizeof(out), "idle at=%s uptime=%lld.%06ld", at, (long long)ts.tv_sec,
		 ts.tv_nsec / 1000);
	if ((rc = shoji_counters(out, sizeof(out), buf, sizeof(buf))) != 0) {
		say("error call=%u code=%lld", FN_STATUS, (long long)rc);
		return EXIT_MISMATCH;
	}
	say("%s", out);
	return 0;
}

static int idle(const char *secs)
{
	char *end;
	double d = strtod(secs, &end);
	struct timespec ts;
	int rc;

	if (end == secs || *end || d < 0 || d > 3600) {
		say("error idle=\"%s\" reason=\"seconds 0..3600\"", secs);
		return EXIT_USAGE;
	}
	ts.tv_sec = (time_t)d;
	ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
	if ((rc = idle_sample("start")))
		return rc;
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	return idle_sample("end");
}

/* ---- exitcost: the price of one VM exit, seen from the guest ----
 *
 * Each probe executes one instruction that exits under shoji, N times
 * back to back, with the TSC read around every one; the median of those
 * N deltas is the guest's time per exit (an interrupt that lands in one
 * sample moves the mean, not the median). shoji's exit counters
 * (STATUS: exits, exit_tsc_ticks = shoji's own ticks from #VMEXIT to the
 * next VMRUN) are read around the whole loop; their quotient is shoji's
 * own time per exit. The difference is the world switch: what the CPU
 * (here QEMU's TCG) spends entering and leaving guest mode, plus shoji's
 * few instructions around VMRUN that exit_tsc_ticks does not cover.
 * Natively (no shoji) the same loops time the instructions themselves.
 *
 * The probes: cpuid (leaf 0; intercepted, emulated by shoji),
 * vmmcall (VERSION: the cheapest hypercall; only under shoji), and
 * pcicfg (CONFIG_ADDRESS write + CONFIG_DATA read of an absent function,
 * bus 0xff device 31 function 7: what a "poor man's PCI scan" such as
 * Linux's AGP aperture search does 8192 times per scan at boot;
 * one exit under shoji: the data read is done in the address write's
 * exit, docs/apic.md; needs iopl(3), skipped when refused). The process is
 * pinned to the CPU it starts on: the counters are summed over CPUs, and
 * a migration in the loop would mix two CPUs' TSCs.
 *
 * Two more probes price what an exit costs the guest after it returns:
 * touch256 (one load from each of TOUCH_PAGES pages of a buffer faulted in
 * beforehand: no exit, the TLB warm) and cpuid+touch256 (a CPUID, then the
 * same loads). An exit that leaves the guest's TLB alone costs the second
 * no more than the first plus a CPUID; whatever it costs beyond that is
 * the refill of those translations (under nested paging a walk of the
 * guest's tables and the nested ones for each page): TCG flushes its
 * whole TLB at every VMRUN and #VMEXIT. scripts/bench turns the three
 * medians into that difference; natively it is the control (about 0). */
enum { PROBE_CPUID, PROBE_VMMCALL, PROBE_PCICFG, PROBE_TOUCH, PROBE_CPUID_TOUCH, PROBES };

#define TOUCH_PAGES 256
static uint8_t touch_buf[TOUCH_PAGES * 4096] __attribute__((aligned(4096)));

static void touch_pages(void)
{
	const volatile uint8_t *b = touch_buf;

	for (unsigned i = 0; i < TOUCH_PAGES; i++)
		(void)b[(size_t)i * 4096];
}

static inline uint64_t tsc_now(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return (uint64_t)hi << 32 | lo;
}

static void probe_once(int kind)
{
	uint32_t a = 0, b, c = 0, d;

	switch (kind) {
	case PROBE_CPUID:
		__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
		break;
	case PROBE_VMMCALL:
		(void)vmmcall(FN_VERSION, 0, 0);
		break;
	case PROBE_PCICFG:
		/* Linux's read_pci_config() as GCC emits it (the data port's
		 * mov right before the in), which is the pair shoji fuses;
		 * outl()/inl() here would let GCC hoist that mov out of
		 * the loop: two exits per read. */
		a = 0x80000000u | 0xffu << 16 | 31u << 11 | 7u << 8;
		__asm__ volatile("mov $0xcf8, %%edx\n\tout %%eax, %%dx\n\t"
				 "mov $0xcfc, %%edx\n\tin %%dx, %%eax"
				 : "+a"(a) : : "rdx", "memory");
		break;
	case PROBE_TOUCH:
		touch_pages();
		break;
	case PROBE_CPUID_TOUCH:
		__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
		touch_pages();
		break;
	}
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* exits and exit_tsc_ticks (and tsc_khz) from the STATUS text. */
static int exit_counters(uint64_t *exits, uint64_t *ticks, uint64_t *khz)
{
	static char buf[16384];
	struct answer a = vmmcall_text(FN_STATUS, buf, sizeof(buf));
	const char *p;

	if (a.rax != 0)
		return -1;
	buf[sizeof(buf) - 1] = '\0';
	if (!(p = strstr(buf, "\nexits=")))
		return -1;
	*exits = strtoull(p + 7, NULL, 10);
	if (!(p = strstr(buf, "\nexit_tsc_ticks=")))
		return -1;
	*ticks = strtoull(p + 16, NULL, 10);
	if (!(p = strstr(buf, "\ntsc_khz=")))
		return -1;
	*khz = strtoull(p + 9, NULL, 10);
	return 0;
}

static int exitcost(const char *count)
{
	static const char *const names[PROBES] = { "cpuid", "vmmcall", "pcicfg", "touch256",
						   "cpuid+touch256" };
	char *end;
	unsigned long n = strtoul(count, &end, 10);
	int shoji = shoji_present(), have_io = iopl(3) == 0;
	cpu_set_t one;
	uint64_t *dt;

	if (end == count || *end || n < 100 || n > 1000000) {
		say("error exitcost=\"%s\" reason=\"count 100..1000000\"", count);
		return EXIT_USAGE;
	}
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		say("note pinning=failed errno=%d", errno);
	if (!(dt = calloc(n, sizeof(*dt))))
		return EXIT_USAGE;
	/* Every page present and written once: the loads then fault nowhere. */
	memset(touch_buf, 1, sizeof(touch_buf));
	for (int kind = PROBE_CPUID; kind < PROBES; kind++) {
		uint64_t e0 = 0, k0 = 0, e1 = 0, k1 = 0, khz = 0, sum = 0, t_all;
		struct timespec w0, w1;
		double ns_per_tick, guest_us, mean_us;

		if ((kind == PROBE_VMMCALL && !shoji) || (kind == PROBE_PCICFG && !have_io))
			continue;
		for (unsigned long i = 0; i < n / 10; i++)	/* warm up */
			probe_once(kind);
		if (shoji && exit_counters(&e0, &k0, &khz)) {
			say("error call=status");
			return EXIT_MISMATCH;
		}
		clock_gettime(CLOCK_MONOTONIC, &w0);
		t_all = tsc_now();
		for (unsigned long i = 0; i < n; i++) {
			uint64_t t = tsc_now();

			probe_once(kind);
			dt[i] = tsc_now() - t;
		}
		t_all = tsc_now() - t_all;
		clock_gettime(CLOCK_MONOTONIC, &w1);
		if (shoji && exit_counters(&e1, &k1, &khz)) {
			say("error call=status");
			return EXIT_MISMATCH;
		}
		for (unsigned long i = 0; i < n; i++)
			sum += dt[i];
		qsort(dt, n, sizeof(*dt), cmp_u64);
		/* The TSC's rate from the loop itself (the monotonic clock
		 * around it), so the native run needs no tsc_khz either. */
		ns_per_tick = ((double)(w1.tv_sec - w0.tv_sec) * 1e9 +
			       (double)(w1.tv_nsec - w0.tv_nsec)) / (double)t_all;
		guest_us = (double)dt[n / 2] * ns_per_tick / 1000.0;
		mean_us = (double)sum / (double)n * ns_per_tick / 1000.0;
		if (!shoji) {
			say("exitcost insn=%s n=%lu guest_us=%.3f mean_us=%.3f min_us=%.3f shoji=absent",
			    names[kind], n, guest_us, mean_us, (double)dt[0] * ns_per_tick / 1000.0);
			continue;
		}
		/* e1 - e0 also counts the first STATUS call and whatever other
		 * exits the loop saw (timer, EOI, the other CPUs'): reported as
		 * exits, so a run that was not quiet shows it. */
		/* per_insn: the instruction's own exits, the nearest whole
		 * number (a user-mode pcicfg read is two: shoji fuses the data
		 * read into the address write's exit only for kernel code). */
		if (kind == PROBE_TOUCH) {
			/* No exit of its own: the exits are whatever else came
			 * (timer, the STATUS call), shown so a noisy run shows. */
			say("exitcost insn=%s n=%lu guest_us=%.3f mean_us=%.3f min_us=%.3f exits=%llu "
			    "per_insn=0", names[kind], n, guest_us, mean_us,
			    (double)dt[0] * ns_per_tick / 1000.0, (unsigned long long)(e1 - e0));
			continue;
		}
		{
			uint64_t de = e1 - e0, dk = k1 - k0;
			double shoji_us = de && khz ? (double)dk / (double)de * 1000.0 / (double)khz : 0;
			unsigned per = (unsigned)((double)de / (double)n + 0.5);

			if (!per) {
				say("error insn=%s exits=%llu reason=\"fewer exits than instructions\"",
				    names[kind], (unsigned long long)de);
				return EXIT_MISMATCH;
			}
			say("exitcost insn=%s n=%lu guest_us=%.3f mean_us=%.3f min_us=%.3f exits=%llu "
			    "per_insn=%u shoji_us=%.3f world_us=%.3f", names[kind], n, guest_us,
			    mean_us, (double)dt[0] * ns_per_tick / 1000.0, (unsigned long long)de, per,
			    shoji_us, guest_us / per - shoji_us);
		}
	}
	free(dt);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: shoji-ctl version|status|faults|selfcheck|idle SECS|exitcost N\n"
		   "Asks the shoji hypervisor underneath this guest (VMMCALL).\n");
}

int main(int argc, char **argv)
{
	prog_name = "shoji-ctl";
	if (argc != 2 && !(argc == 3 && (!strcmp(argv[1], "idle") || !strcmp(argv[1], "exitcost")))) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	/* Before the presence check: it times the same instructions natively. */
	if (!strcmp(argv[1], "exitcost"))
		return exitcost(argv[2]);
	if (!shoji_present()) {
		say("absent reason=\"CPUID 0x40000000 does not name shoji\"");
		return EXIT_DENIED;
	}
	if (!strcmp(argv[1], "version")) {
		struct answer a = vmmcall(FN_VERSION, 0, 0);
		char magic[5] = { 0 };

		memcpy(magic, &a.rcx, 4);
		if (a.rax) {
			say("error call=version code=%lld", (long long)a.rax);
			return EXIT_MISMATCH;
		}
		say("version version=%llu.%llu.%llu magic=%s", (unsigned long long)(a.rbx >> 16),
		    (unsigned long long)((a.rbx >> 8) & 0xff), (unsigned long long)(a.rbx & 0xff),
		    magic);
		return 0;
	}
	if (!strcmp(argv[1], "status"))
		return text_call(FN_STATUS, "status");
	if (!strcmp(argv[1], "idle"))
		return idle(argv[2]);
	if (!strcmp(argv[1], "faults"))
		return text_call(FN_FAULTS, "fault");
	if (!strcmp(argv[1], "selfcheck")) {
		struct answer a = vmmcall(FN_SELFCHECK, 0, 0);

		if (a.rax) {
			say("error call=selfcheck code=%lld", (long long)a.rax);
			return EXIT_MISMATCH;
		}
		say("selfcheck checksum=0x%016llx bytes=%llu", (unsigned long long)a.rbx,
		    (unsigned long long)a.rcx);
		return 0;
	}
	usage(stderr);
	return EXIT_USAGE;
}
