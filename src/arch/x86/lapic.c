/* shoji's own local-APIC IPIs (see lapic.h). */
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/paging.h"
#include "lib/deadline.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "lib/string.h"

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_MASK 0x000ffffffffff000ULL
#define ICR_LO 0x300
#define ICR_HI 0x310
#define ICR_PENDING (1u << 12)		/* delivery status: send pending */
#define ICR_ASSERT (1u << 14)
#define ICR_DM_NMI (4u << 8)
#define ICR_DM_INIT (5u << 8)
#define ICR_DM_STARTUP (6u << 8)
#define ICR_IDLE_TIMEOUT_US 10000
#define INIT_DELAY_US 10000
#define SIPI_DELAY_US 200

extern const char ap_tramp_start[], ap_tramp_end[];
extern const char ap_tramp_gdt[], ap_tramp_gdt_ptr[], ap_tramp_pm_jump[], ap_tramp_lm_jump[];
extern const char ap_tramp_pm32[], ap_tramp_lm64[];
extern const char ap_tramp_cr3[], ap_tramp_stack[], ap_tramp_entry[], ap_tramp_arg[];

static paddr_t apic_base(void)
{
	return rdmsr(MSR_APIC_BASE) & APIC_BASE_MASK;
}

static int wait_idle(paddr_t apic)
{
	struct deadline d = deadline_in_us(ICR_IDLE_TIMEOUT_US);

	while (hal_mmio_read32(apic + ICR_LO) & ICR_PENDING)
		if (deadline_passed(&d))
			return (hal_mmio_read32(apic + ICR_LO) & ICR_PENDING) ? E_TIMEOUT : 0;
	return 0;
}

static int send(paddr_t apic, uint32_t apic_id, uint32_t lo)
{
	int rc = wait_idle(apic);

	if (rc)
		return rc;
	hal_mmio_write32(apic + ICR_HI, apic_id << 24);
	hal_mmio_write32(apic + ICR_LO, lo);
	return wait_idle(apic);
}

static void spin_us(uint64_t us)
{
	struct deadline d = deadline_in_us(us);

	while (!deadline_passed(&d))
		;
}

static void patch32(uint8_t *page, const char *field, uint32_t v)
{
	memcpy(page + (field - ap_tramp_start), &v, 4);
}

static void patch64(uint8_t *page, const char *field, uint64_t v)
{
	memcpy(page + (field - ap_tramp_start), &v, 8);
}

int lapic_start_cpu(uint32_t apic_id, paddr_t tramp, void *stack_top,
		    void (*entry)(uint64_t arg), uint64_t arg)
{
	uint8_t *page = hal_phys_to_virt(tramp);
	paddr_t apic = apic_base();
	size_t len = (size_t)(ap_tramp_end - ap_tramp_start);
	uint32_t t = (uint32_t)tramp;
	int rc;

	if (tramp >= MiB(1) || (tramp & (PAGE_SIZE - 1)) || len > PAGE_SIZE ||
	    paging_root() >= GiB(4))
		return E_INVAL;
	memcpy(page, ap_tramp_start, len);
	patch32(page, ap_tramp_gdt_ptr + 2, t + (uint32_t)(ap_tramp_gdt - ap_tramp_start));
	patch32(page, ap_tramp_pm_jump, t + (uint32_t)(ap_tramp_pm32 - ap_tramp_start));
	patch32(page, ap_tramp_lm_jump, t + (uint32_t)(ap_tramp_lm64 - ap_tramp_start));
	patch64(page, ap_tramp_cr3, paging_root());
	patch64(page, ap_tramp_stack, (uint64_t)stack_top);
	patch64(page, ap_tramp_entry, (uint64_t)entry);
	patch64(page, ap_tramp_arg, arg);
	__asm__ volatile("wbinvd" ::: "memory");	/* the AP starts with caches off */

	rc = send(apic, apic_id, ICR_DM_INIT | ICR_ASSERT);
	if (rc)
		return rc;
	spin_us(INIT_DELAY_US);
	for (int i = 0; i < 2 && !rc; i++) {
		rc = send(apic, apic_id, ICR_DM_STARTUP | ICR_ASSERT | (t >> 12));
		spin_us(SIPI_DELAY_US);
	}
	return rc;
}

int lapic_send_nmi(uint32_t apic_id)
{
	paddr_t apic = apic_base();
	uint32_t guest_hi;
	int rc = wait_idle(apic);

	if (rc)
		return rc;
	guest_hi = hal_mmio_read32(apic + ICR_HI);
	rc = send(apic, apic_id, ICR_DM_NMI | ICR_ASSERT);
	hal_mmio_write32(apic + ICR_HI, guest_hi);
	return rc;
}
