/* shoji-ctl: ask the hypervisor about itself through VMMCALL (ABI in
 * shoji's docs/vmmcall.md and src/vmm/vmmcall.h).
 *
 *   shoji-ctl version     guest: shoji-ctl version version=0.1.0 magic=SHOJ
 *   shoji-ctl status      guest: shoji-ctl status KEY=VALUE   (one per line)
 *   shoji-ctl faults      guest: shoji-ctl fault seq=... sid=... reason=...
 *   shoji-ctl selfcheck   guest: shoji-ctl selfcheck checksum=0x... bytes=N
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

static void usage(FILE *f)
{
	fprintf(f, "usage: shoji-ctl version|status|faults|selfcheck\n"
		   "Asks the shoji hypervisor underneath this guest (VMMCALL).\n");
}

int main(int argc, char **argv)
{
	prog_name = "shoji-ctl";
	if (argc != 2) {
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
