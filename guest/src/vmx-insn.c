/* vmx-insn: executes each VT-x instruction once and reports what the CPU
 * did with it.
 *
 * A guest must not reach VT-x: CPUID hides it, and under shoji every VMX
 * instruction the guest executes exits to shoji, which gives the guest the
 * #UD a CPU without VMX gives (SIGILL here). Without shoji, from user space
 * (CPL 3, CR4.VMXE clear, not in VMX operation) the same instructions are
 * #UD too (SDM vol. 3C chapter 31: VMXON with CR4.VMXE clear, the others
 * outside VMX operation), so the difference shows in shoji's log
 * ("guest VMXON ... : #UD"), not here: what this proves in the guest is
 * that each one comes back as SIGILL and the guest goes on (no stop, no
 * unexpected-exit report). VMCALL is shoji's hypercall and not executed.
 *
 * Output: "guest: vmx-insn insn=NAME result=sigill|sigsegv|sigbus|none";
 * exit 0 when every instruction raised SIGILL, 3 otherwise. */
#include "common.h"

#include <setjmp.h>
#include <signal.h>

static sigjmp_buf env;

static void on_signal(int sig)
{
	siglongjmp(env, sig);
}

static uint64_t region[512] __attribute__((aligned(4096)));

static void run_vmxon(void) { uint64_t pa = 0; __asm__ volatile("vmxon %0" ::"m"(pa) : "cc", "memory"); }
static void run_vmxoff(void) { __asm__ volatile("vmxoff" ::: "cc", "memory"); }
static void run_vmclear(void) { uint64_t pa = 0; __asm__ volatile("vmclear %0" ::"m"(pa) : "cc", "memory"); }
static void run_vmptrld(void) { uint64_t pa = 0; __asm__ volatile("vmptrld %0" ::"m"(pa) : "cc", "memory"); }
static void run_vmptrst(void) { __asm__ volatile("vmptrst %0" : "=m"(region[0]) :: "cc", "memory"); }
static void run_vmread(void) { uint64_t v, f = 0x6c16; __asm__ volatile("vmread %1, %0" : "=r"(v) : "r"(f) : "cc"); (void)v; }
static void run_vmwrite(void) { uint64_t f = 0x681e; __asm__ volatile("vmwrite %0, %1" ::"r"(0ULL), "r"(f) : "cc"); }
static void run_vmlaunch(void) { __asm__ volatile("vmlaunch" ::: "cc", "memory"); }
static void run_vmresume(void) { __asm__ volatile("vmresume" ::: "cc", "memory"); }
static void run_invept(void) { uint64_t d[2] = { 0, 0 }; __asm__ volatile("invept %0, %1" ::"m"(d), "r"(2ULL) : "cc", "memory"); }
static void run_invvpid(void) { uint64_t d[2] = { 1, 0 }; __asm__ volatile("invvpid %0, %1" ::"m"(d), "r"(2ULL) : "cc", "memory"); }
static void run_vmfunc(void) { __asm__ volatile("vmfunc" ::"a"(0), "c"(0) : "cc", "memory"); }

static const struct {
	const char *name;
	void (*run)(void);
} insns[] = {
	{ "vmxon", run_vmxon }, { "vmxoff", run_vmxoff }, { "vmclear", run_vmclear },
	{ "vmptrld", run_vmptrld }, { "vmptrst", run_vmptrst }, { "vmread", run_vmread },
	{ "vmwrite", run_vmwrite }, { "vmlaunch", run_vmlaunch }, { "vmresume", run_vmresume },
	{ "invept", run_invept }, { "invvpid", run_invvpid }, { "vmfunc", run_vmfunc },
};

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	volatile int bad = 0;

	prog_name = "vmx-insn";
	(void)argc, (void)argv;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	for (unsigned i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
		volatile int sig = sigsetjmp(env, 1);

		if (!sig) {
			insns[i].run();
			sig = -1;
		}
		say("insn=%s result=%s", insns[i].name,
		    sig == SIGILL ? "sigill" : sig == SIGSEGV ? "sigsegv" : sig == SIGBUS ? "sigbus"
										: "none");
		bad += sig != SIGILL;
	}
	say("done sigill=%u of=%u", (unsigned)(sizeof(insns) / sizeof(insns[0])) - bad,
	    (unsigned)(sizeof(insns) / sizeof(insns[0])));
	return bad ? EXIT_MISMATCH : 0;
}
