/* Local APIC guard (see apic_guard.h). ICR layout: Intel SDM 3A 10.6.1,
 * AMD APM vol. 2 16.5: delivery mode bits 10:8 (101b INIT, 110b start-up). */
#include "lib/hal.h"
#include "lib/log.h"
#include "lib/spinlock.h"
#include "vmm/apic_guard.h"
#include "vmm/cpu_start.h"

#define ICR_DM(v) (((v) >> 8) & 7)
#define ICR_DM_INIT 5
#define ICR_DM_STARTUP 6

bool apic_icr_allowed(uint64_t icr_lo)
{
	unsigned dm = ICR_DM(icr_lo);

	return dm != ICR_DM_INIT && dm != ICR_DM_STARTUP;
}

const char *apic_startup_ipi(uint64_t icr, uint32_t dest)
{
	return cpu_start_ipi(hal_cpu_index(), icr, dest);
}

bool apic_base_write_allowed(uint64_t cur, uint64_t v)
{
	const uint64_t base = 0x000ffffffffff000ULL;

	if ((cur & base) == (v & base))
		return true;
	log_warn("apic guard: refused moving the local APIC from 0x%llx to 0x%llx",
		 (unsigned long long)(cur & base), (unsigned long long)(v & base));
	return false;
}

enum apic_reg_class apic_reg_class(uint32_t off)
{
	switch (off & 0xff0) {
	case APIC_EOI:
		return APIC_CLASS_EOI;
	case APIC_TPR:
		return APIC_CLASS_TPR;
	case APIC_LVT_TIMER:
	case APIC_TIMER_ICR:
	case APIC_TIMER_CCR:
	case APIC_TIMER_DCR:
		return APIC_CLASS_TIMER;
	case APIC_ICR_LO:
	case APIC_ICR_HI:
		return APIC_CLASS_ICR;
	default:
		return APIC_CLASS_OTHER;
	}
}

bool apic_fast_write_ok(uint64_t off)
{
	enum apic_reg_class c = apic_reg_class((uint32_t)off);

	return off < PAGE_SIZE && (off & 3) == 0 &&
	       (c == APIC_CLASS_EOI || c == APIC_CLASS_TPR || c == APIC_CLASS_TIMER);
}

/* Bytes of SIB and displacement after a ModRM with mod != 3 (SDM vol. 2,
 * tables 2-2 and 2-3; 64-bit mode: 2.2.1.6, RIP-relative is mod 00 rm 101
 * there with the same disp32). 32-bit addressing only: no 67 prefix. */
static unsigned modrm_tail(uint8_t modrm, const uint8_t *next, size_t avail, bool *ok)
{
	unsigned mod = modrm >> 6, rm = modrm & 7, n = 0;

	*ok = true;
	if (rm == 4) {
		if (avail < 1) {
			*ok = false;
			return 0;
		}
		n = 1;
		if (mod == 0 && (next[0] & 7) == 5)
			return n + 4;	/* SIB with no base: disp32 */
	}
	if (mod == 0)
		return rm == 5 ? n + 4 : n;
	return n + (mod == 1 ? 1 : 4);
}

unsigned apic_fast_store(const uint8_t *b, size_t n, enum x86_mode mode,
			 const struct vcpu_regs *regs, uint32_t *value)
{
	unsigned i = 0, len, tail;
	uint8_t rex = 0, op, modrm;
	bool ok;

	if (mode == X86_MODE_16)
		return 0;	/* 16-bit operands by default */
	if (mode == X86_MODE_64 && i < n && (b[i] & 0xf0) == 0x40)
		rex = b[i++];
	if (rex & 0x08)
		return 0;	/* REX.W: a 64-bit store */
	if (i + 2 > n)
		return 0;
	op = b[i++];
	modrm = b[i++];
	if ((op != 0x89 && op != 0xc7) || (modrm >> 6) == 3)
		return 0;
	if (op == 0xc7 && ((modrm >> 3) & 7) != 0)
		return 0;	/* C7 /1../7 are not MOV */
	tail = modrm_tail(modrm, b + i, n - i, &ok);
	if (!ok)
		return 0;
	len = i + tail + (op == 0xc7 ? 4 : 0);
	if (len > n)
		return 0;
	if (op == 0xc7)
		*value = (uint32_t)b[len - 4] | (uint32_t)b[len - 3] << 8 |
			 (uint32_t)b[len - 2] << 16 | (uint32_t)b[len - 1] << 24;
	else
		*value = (uint32_t)x86_reg_get(regs, ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0));
	return len;
}

uint64_t apic_ipis_refused(void)
{
	return cpu_start_refused();
}

/* Each guest CPU's logical destination as its own APIC holds it: a CPU
 * records its own (only it can read its APIC) when it enters the guest and
 * after every write of its LDR or DFR, which exit (every APIC write does).
 * Read by whichever CPU checks an interrupt's destination. */
#define APIC_LDR 0x0d0
#define APIC_DFR 0x0e0

static struct {
	bool valid;
	uint8_t apic_id, ldr;
	bool cluster;
} seen[IRQ_MAX_GUEST_CPUS];
static struct spinlock seen_lock = SPINLOCK_INIT;

void apic_note_this_cpu(void)
{
	unsigned i = hal_cpu_index();

	if (i >= IRQ_MAX_GUEST_CPUS)
		return;
	spin_lock(&seen_lock);
	seen[i].apic_id = (uint8_t)(hal_mmio_read32(APIC_DEFAULT_BASE + 0x20) >> 24);
	seen[i].ldr = (uint8_t)(hal_mmio_read32(APIC_DEFAULT_BASE + APIC_LDR) >> 24);
	seen[i].cluster = (hal_mmio_read32(APIC_DEFAULT_BASE + APIC_DFR) >> 28) == 0;
	seen[i].valid = true;
	spin_unlock(&seen_lock);
}

void apic_guest_cpus(struct irq_guest_cpus *c)
{
	apic_note_this_cpu();	/* this CPU's, fresh */
	c->n = 0;
	spin_lock(&seen_lock);
	for (unsigned i = 0; i < IRQ_MAX_GUEST_CPUS; i++) {
		if (!seen[i].valid)
			continue;
		c->cpu[c->n].apic_id = seen[i].apic_id;
		c->cpu[c->n].ldr = seen[i].ldr;
		c->cpu[c->n].cluster = seen[i].cluster;
		c->n++;
	}
	spin_unlock(&seen_lock);
}

static uint64_t apic_read(void *ctx, uint64_t gpa, int size)
{
	(void)ctx;	/* reads normally do not exit (reads_pass): reached only if TCG faults one */
	return size == 4 ? hal_mmio_read32(gpa) : size == 8 ? hal_mmio_read64(gpa)
	       : size == 2 ? hal_mmio_read16(gpa) : hal_mmio_read8(gpa);
}

static uint64_t window_refused;
static const char ipi_startup[] = "an INIT or start-up IPI (shoji's start-up state machine takes it)";

const char *apic_write_refusal(uint64_t off, int size, uint64_t v)
{
	if (off >= PAGE_SIZE)
		return "outside the APIC page (QEMU turns a CPU write there into an MSI)";
	if (off < 0x10)
		return "register 0 (reserved; QEMU turns a write there into an MSI)";
	if (off < APIC_ICR_LO + 4 && off + (uint64_t)size > APIC_ICR_LO) {
		if (off != APIC_ICR_LO || size != 4)
			return "not a dword write of the whole ICR low dword";
		if (!apic_icr_allowed(v))
			return ipi_startup;	/* not for the hardware: vmm/cpu_start.h */
	}
	return NULL;
}

uint64_t apic_writes_refused(void)
{
	return window_refused;
}

static void apic_write(void *ctx, uint64_t gpa, int size, uint64_t v)
{
	uint64_t off = gpa - (uint64_t)(uintptr_t)ctx;
	const char *why = apic_write_refusal(off, size, v);

	if (why == ipi_startup) {
		/* The destination is the guest's ICR high dword, which went to
		 * this CPU's APIC unchanged (SDM 3A 10.6.1: bits 31:24). */
		apic_startup_ipi(v, hal_mmio_read32((uint64_t)(uintptr_t)ctx + APIC_ICR_HI) >> 24);
		return;
	}
	if (why) {
		__atomic_fetch_add(&window_refused, 1, __ATOMIC_RELAXED);
		if (window_refused <= 8)
			log_warn("apic guard: refused a guest write gpa=0x%llx size=%d value=0x%llx: %s",
				 (unsigned long long)gpa, size, (unsigned long long)v, why);
		return;
	}
	if (size == 4)
		hal_mmio_write32(gpa, (uint32_t)v);
	else if (size == 8)
		hal_mmio_write64(gpa, v);
	else if (size == 2)
		hal_mmio_write16(gpa, (uint16_t)v);
	else
		hal_mmio_write8(gpa, (uint8_t)v);
	if ((off & 0xff0) == APIC_LDR || (off & 0xff0) == APIC_DFR)
		apic_note_this_cpu();
}

const struct mmio_ops apic_mmio_ops = { .read = apic_read, .write = apic_write };
