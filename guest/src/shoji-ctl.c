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
 *
 * Exits 2 when no shoji is underneath (CPUID 0x40000000 does not name it:
 * VMMCALL would then fault), 1 on usage errors, 3 when shoji answers with
 * an error. */
#include "common.h"

#include "shoji_abi.h"

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
	struct answer a;
	char *line, *save = NULL;
	size_t n;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	a = vmmcall_text(FN_STATUS, buf, sizeof(buf));
	if (a.rax != 0) {
		say("error call=%u code=%lld", FN_STATUS, (long long)a.rax);
		return EXIT_MISMATCH;
	}
	buf[sizeof(buf) - 1] = '\0';
	n = (size_t)snprintf(out, sizeof(out), "idle at=%s uptime=%lld.%06ld", at,
			     (long long)ts.tv_sec, ts.tv_nsec / 1000);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *v = strchr(line, '=');

		if (!v || !v[1] || strspn(v + 1, "0123456789") != strlen(v + 1))
			continue;
		if (n + strlen(line) + 2 < sizeof(out))
			n += (size_t)snprintf(out + n, sizeof(out) - n, " %s", line);
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

static void usage(FILE *f)
{
	fprintf(f, "usage: shoji-ctl version|status|faults|selfcheck|idle SECS\n"
		   "Asks the shoji hypervisor underneath this guest (VMMCALL).\n");
}

int main(int argc, char **argv)
{
	prog_name = "shoji-ctl";
	if (argc != 2 && !(argc == 3 && !strcmp(argv[1], "idle"))) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
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
