/* shoji's guest ABI for the guest programs: finding shoji (CPUID leaf
 * 0x40000000) and calling it: VMMCALL on AMD (SVM), VMCALL on Intel (VT-x),
 * the same registers either way. Definition: src/vmm/vmmcall.h and
 * docs/vmmcall.md in shoji's tree. */
#ifndef GUEST_SHOJI_ABI_H
#define GUEST_SHOJI_ABI_H

#include <stdint.h>
#include <string.h>

#define VMMCALL_MAGIC 0x53480000u
#define FN_VERSION 0
#define FN_STATUS 1
#define FN_FAULTS 2
#define FN_SELFCHECK 3

struct answer {
	int64_t rax;
	uint64_t rbx, rcx;
};

/* Whether the CPU is Intel's (CPUID leaf 0 vendor "GenuineIntel", in EBX,
 * EDX, ECX): its hypercall instruction is VMCALL (0f 01 c1), AMD's is
 * VMMCALL (0f 01 d9); each is #UD on the other vendor's CPU. */
static inline int cpu_is_intel(void)
{
	static int intel = -1;
	uint32_t a, b, c, d;

	if (intel < 0) {
		__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0u), "c"(0));
		intel = b == 0x756e6547u && d == 0x49656e69u && c == 0x6c65746eu;
	}
	return intel;
}

/* Never call without shoji_present(): on bare hardware VMMCALL/VMCALL is #UD. */
static inline struct answer vmmcall(uint32_t fn, uint64_t buf, uint64_t len)
{
	uint64_t rax = VMMCALL_MAGIC | fn, rbx = buf, rcx = len, rdx = 0;

	if (cpu_is_intel())
		__asm__ volatile("vmcall" : "+a"(rax), "+b"(rbx), "+c"(rcx), "+d"(rdx) : : "memory");
	else
		__asm__ volatile("vmmcall" : "+a"(rax), "+b"(rbx), "+c"(rcx), "+d"(rdx) : : "memory");
	return (struct answer){ (int64_t)rax, rbx, rcx };
}

/* A call that answers with text into buf. shoji writes through the caller's
 * page tables and cannot fault pages in: a page of a static buffer that was
 * never touched is not mapped yet (demand paging) and the call fails with
 * -2. So every page of buf is written first, through volatile stores: GCC
 * drops a plain memset of a zero-initialised static buffer here (it did in
 * ahci-attack, whose status text then ran into an unmapped page). */
static inline struct answer vmmcall_text(uint32_t fn, char *buf, uint64_t len)
{
	volatile char *v = buf;

	for (uint64_t i = 0; i < len; i += 4096)
		v[i] = 0;
	if (len)
		v[len - 1] = 0;
	memset(buf, 0, len);
	return vmmcall(fn, (uint64_t)(uintptr_t)buf, len);
}

/* Appends " KEY=N" for every KEY=DECIMAL line of shoji's status (its
 * counters: exits, exits_io, ..., prof_*_ticks) to the NUL-terminated line
 * in out (room: len bytes), as "guest: bench counters" and "shoji-ctl
 * idle" lines carry them. One VMMCALL, no program started: a sample that
 * adds one exit to the window it opens or closes. Returns shoji's status
 * code (0: ok). buf is the caller's scratch for the status text. */
static inline int64_t shoji_counters(char *out, size_t len, char *buf, size_t buflen)
{
	struct answer a = vmmcall_text(FN_STATUS, buf, buflen);
	size_t n = strlen(out);
	char *line, *save = NULL;

	if (a.rax != 0)
		return a.rax;
	buf[buflen - 1] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *v = strchr(line, '=');

		if (!v || !v[1] || strspn(v + 1, "0123456789") != strlen(v + 1))
			continue;
		if (n + strlen(line) + 2 < len) {
			out[n++] = ' ';
			strcpy(out + n, line);
			n += strlen(line);
		}
	}
	return 0;
}

static inline int shoji_present(void)
{
	uint32_t a, b, c, d;
	char sig[13];

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000000u), "c"(0));
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	sig[12] = '\0';
	return strcmp(sig, "shojishojish") == 0;
}

#endif
