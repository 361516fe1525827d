/* The IDT and the readable panic report for CPU exceptions. shoji takes no
 * exceptions in normal operation, so every one is fatal: the report names
 * the vector, decodes the error code, shows the registers and a bounded
 * stack dump and backtrace, then stops the machine. */
#include <stdarg.h>

#include "arch/x86/cpu.h"
#include "arch/x86/trap.h"
#include "arch/x86/stop.h"
#include "lib/log.h"

struct idt_entry {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} PACKED;

extern const uint64_t isr_table[32];
/* arch/x86/msr_safe.S: the RDMSR/WRMSR that may fault, and where to go. */
extern const char msr_safe_rdmsr_at[], msr_safe_wrmsr_at[], msr_safe_fault[];
extern char _image_start[], _end[];

static struct idt_entry idt[32] __attribute__((aligned(16)));
static int trap_depth;

/* Interrupt-stack-table slot per vector (TSS.IST1..3; 0 = current stack). */
static uint8_t ist_for(int vec)
{
	switch (vec) {
	case 2: return 2;	/* NMI */
	case 8: return 1;	/* #DF */
	case 18: return 3;	/* #MC */
	default: return 0;
	}
}

void idt_init(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} PACKED ptr = { sizeof(idt) - 1, (uint64_t)idt };

	for (int v = 0; v < 32; v++) {
		uint64_t a = isr_table[v];

		idt[v].offset_lo = a & 0xffff;
		idt[v].selector = 0x08;
		idt[v].ist = ist_for(v);
		idt[v].type_attr = 0x8e;	/* present, DPL 0, 64-bit interrupt gate */
		idt[v].offset_mid = (a >> 16) & 0xffff;
		idt[v].offset_hi = a >> 32;
		idt[v].reserved = 0;
	}
	__asm__ volatile("lidt %0" ::"m"(ptr));
}

static const char *const vector_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD error", "#VE virtualization exception",
	"#CP control protection", "reserved 22", "reserved 23", "reserved 24",
	"reserved 25", "reserved 26", "reserved 27", "#HV hypervisor injection",
	"#VC VMM communication", "#SX security exception", "reserved 31",
};

static bool in_image(uint64_t a, uint64_t len)
{
	uint64_t lo = (uint64_t)_image_start, hi = (uint64_t)_end;

	return a >= lo && a <= hi && len <= hi - a;
}

static void report_error_code(const struct trap_frame *f)
{
	uint64_t e = f->error_code;

	if (f->vector == 14) {
		/* Page-fault error code: SDM 3A 4.7. */
		log_error("  error=0x%llx (%s, %s, %s mode%s%s)", (unsigned long long)e,
			  e & 1 ? "protection violation" : "page not present",
			  e & 2 ? "write" : "read", e & 4 ? "user" : "supervisor",
			  e & 8 ? ", reserved bit set" : "",
			  e & 16 ? ", instruction fetch" : "");
	} else if (e) {
		/* Selector error code: SDM 3A 6.13. */
		log_error("  error=0x%llx (selector index=%llu table=%s%s)",
			  (unsigned long long)e, (unsigned long long)(e >> 3),
			  e & 2 ? "IDT" : (e & 4 ? "LDT" : "GDT"), e & 1 ? ", external" : "");
	} else {
		log_error("  error=0x0");
	}
}

static void report_registers(const struct trap_frame *f)
{
#define R(a) (unsigned long long)(a)
	log_error("  rip=0x%016llx cs=0x%llx rflags=0x%llx", R(f->rip), R(f->cs), R(f->rflags));
	log_error("  rsp=0x%016llx ss=0x%llx", R(f->rsp), R(f->ss));
	log_error("  cr0=0x%016llx cr2=0x%016llx cr3=0x%016llx cr4=0x%016llx",
		  R(read_cr0()), R(read_cr2()), R(read_cr3()), R(read_cr4()));
	log_error("  rax=0x%016llx rbx=0x%016llx rcx=0x%016llx rdx=0x%016llx",
		  R(f->rax), R(f->rbx), R(f->rcx), R(f->rdx));
	log_error("  rsi=0x%016llx rdi=0x%016llx rbp=0x%016llx",
		  R(f->rsi), R(f->rdi), R(f->rbp));
	log_error("  r8 =0x%016llx r9 =0x%016llx r10=0x%016llx r11=0x%016llx",
		  R(f->r8), R(f->r9), R(f->r10), R(f->r11));
	log_error("  r12=0x%016llx r13=0x%016llx r14=0x%016llx r15=0x%016llx",
		  R(f->r12), R(f->r13), R(f->r14), R(f->r15));
#undef R
}

/* Only memory known to be mapped (the image, which holds every stack) is
 * read: a wild RSP or RBP must not turn the report into a second fault. */
static void report_stack(const struct trap_frame *f)
{
	const uint64_t *sp = (const uint64_t *)f->rsp;
	uint64_t rbp = f->rbp;

	if (!in_image(f->rsp, 8 * 8)) {
		log_error("  stack: rsp outside hypervisor memory, not dumped");
	} else {
		for (int i = 0; i < 8 && in_image((uint64_t)&sp[i * 2], 16); i++)
			log_error("  stack %016llx: %016llx %016llx",
				  (unsigned long long)&sp[i * 2],
				  (unsigned long long)sp[i * 2],
				  (unsigned long long)sp[i * 2 + 1]);
	}
	log_error("  backtrace: 0x%016llx", (unsigned long long)f->rip);
	for (int depth = 0; depth < 16 && rbp && in_image(rbp, 16); depth++) {
		const uint64_t *frame = (const uint64_t *)rbp;

		log_error("  backtrace: 0x%016llx", (unsigned long long)frame[1]);
		if (frame[0] <= rbp)	/* frames grow upwards; anything else ends it */
			break;
		rbp = frame[0];
	}
}

static volatile uint64_t nmis;

uint64_t trap_nmi_count(void)
{
	return nmis;
}

void trap_handler(struct trap_frame *f)
{
	int vec = (int)(f->vector & 31);

	/* NMIs reach shoji only when the SVM loop lets a guest-time NMI in on
	 * purpose (an IOMMU fault event, or the guest's own): count and go
	 * back; the loop decides what it was. */
	if (vec == 2) {
		nmis++;
		return;
	}
	/* A guest-named MSR the CPU refuses (msr_read_safe/msr_write_safe):
	 * not shoji's fault, the caller gives the guest its #GP. */
	if (vec == 13 && (f->rip == (uint64_t)msr_safe_rdmsr_at ||
			  f->rip == (uint64_t)msr_safe_wrmsr_at)) {
		f->rip = (uint64_t)msr_safe_fault;
		return;
	}
	if (trap_depth++) {
		/* A fault inside the report: say the least possible and stop. */
		log_error("panic: nested exception vector=%d rip=0x%llx", vec,
			  (unsigned long long)f->rip);
		shoji_stop(STOP_FAILURE);
	}
	log_error("panic: exception vector=%d (%s)", vec, vector_names[vec]);
	report_error_code(f);
	report_registers(f);
	report_stack(f);
	log_error("panic: halted");
	shoji_stop(STOP_FAILURE);
}

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline("error: panic: ", fmt, ap);
	va_end(ap);
	shoji_stop(STOP_FAILURE);
}
