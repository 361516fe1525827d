/* Application processors at boot (see smp.h). */
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "arch/x86/stop.h"
#include "arch/x86/trap.h"
#include "core/smp.h"
#include "crypto/cpu.h"
#include "lib/deadline.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "platform/memmap.h"
#include "platform/palloc.h"
#include "vmm/cpu_start.h"
#include "vmm/protect.h"
#include "vmm/pvh.h"

#define TRAMP_LIMIT 0xA0000ULL		/* conventional memory: below the VGA window */
#define AP_ARRIVE_TIMEOUT_US 2000000	/* TCG is slow; hardware takes microseconds */
#define PVH_AREA_END 0x10000ULL		/* the guest's start info lives below (core/guest.c) */

static paddr_t tramp;
static const struct vcpu_backend *backend;
/* Per AP: 0 while it comes up, 1 parked for the guest, E_* when it failed.
 * Written by the AP, read by the boot CPU. */
static int ap_status[SHOJI_MAX_CPUS];
static uint32_t guest_ids[SHOJI_MAX_CPUS];
static unsigned n_guest;

static unsigned enabled_cpus(const struct acpi_madt *m)
{
	unsigned n = 0;

	for (unsigned i = 0; m && i < m->ncpus; i++)
		n += m->cpus[i].enabled;
	return n;
}

int smp_reserve_trampoline(struct boot_info *bi, const struct acpi_madt *m)
{
	struct mem_range excl = { 0, PVH_AREA_END, MEM_RESERVED };
	int rc;

	if (enabled_cpus(m) <= 1)
		return 0;
	rc = memmap_find_top(&bi->mem, PAGE_SIZE, PAGE_SIZE, TRAMP_LIMIT, &excl, 1, &tramp);
	if (!rc)
		rc = memmap_set(&bi->mem, tramp, tramp + PAGE_SIZE, MEM_HYPERVISOR);
	if (!rc)
		rc = protect_add(tramp, tramp + PAGE_SIZE, PROTECT_ALL, "ap-trampoline");
	if (rc) {
		log_error("smp: no page below 640 KiB for the processors' start-up code (%s): "
			  "the guest gets the boot CPU only", err_str(rc));
		tramp = 0;
		return rc;
	}
	log_info("smp trampoline=0x%llx cpus=%u", (unsigned long long)tramp, enabled_cpus(m));
	return 0;
}

/* The AP's first C code, on its own stack (ap_boot.S). */
static NORETURN void ap_entry(uint64_t idx)
{
	int rc;

	percpu_init((unsigned)idx, cpuid(1, 0).ebx >> 24);
	idt_init();		/* the one IDT, loaded here */
	crypto_cpu_init();	/* SSE for AES-NI, this CPU's CR0/CR4 */
	rc = backend->init_ap();
	__atomic_store_n(&ap_status[idx], rc ? rc : 1, __ATOMIC_RELEASE);
	if (rc)
		for (;;)
			__asm__ volatile("cli\n\thlt");
	backend->run_ap();
}

static bool arrived(void *arg)
{
	return __atomic_load_n(&ap_status[(uintptr_t)arg], __ATOMIC_ACQUIRE) != 0;
}

static int start_one(unsigned idx, uint32_t apic_id)
{
	paddr_t stack;
	int rc = palloc_alloc(AP_STACK_SIZE / PAGE_SIZE, PAGE_SIZE, &stack);

	if (rc)
		return rc;
	ap_status[idx] = 0;
	rc = lapic_start_cpu(apic_id, tramp, (uint8_t *)hal_phys_to_virt(stack) + AP_STACK_SIZE,
			     ap_entry, idx);
	if (rc)
		return rc;
	if (!wait_until(arrived, (void *)(uintptr_t)idx, AP_ARRIVE_TIMEOUT_US))
		return E_TIMEOUT;
	rc = __atomic_load_n(&ap_status[idx], __ATOMIC_ACQUIRE);
	return rc == 1 ? 0 : rc;
}

unsigned smp_start_aps(const struct vcpu_backend *b, const struct acpi_madt *m, uint32_t bsp_id)
{
	unsigned idx = 1;

	backend = b;
	n_guest = 0;
	guest_ids[n_guest++] = bsp_id;
	if (cpu_start_add(0, bsp_id))
		return 1;
	if (tramp && (!b->init_ap || !b->run_ap)) {
		log_warn("smp: the %s back-end cannot run application processors yet: the guest "
			 "gets the boot CPU only", b->name);
		return 1;
	}
	for (unsigned i = 0; m && tramp && i < m->ncpus; i++) {
		const struct acpi_cpu *c = &m->cpus[i];
		int rc;

		if (!c->enabled || c->apic_id == bsp_id)
			continue;
		if (idx >= SHOJI_MAX_CPUS || c->apic_id > 0xfe) {
			log_warn("smp: cpu apic_id=%u not started: %s", c->apic_id,
				 idx >= SHOJI_MAX_CPUS ? "shoji keeps at most 16 CPUs"
						       : "beyond the xAPIC's 8-bit ids");
			continue;
		}
		rc = start_one(idx, c->apic_id);
		if (!rc)
			rc = cpu_start_add(idx, c->apic_id);
		if (rc) {
			log_error("smp: cpu apic_id=%u did not come up (%s): hidden from the guest",
				  c->apic_id, err_str(rc));
			continue;
		}
		log_info("smp cpu=%u apic_id=%u parked: waits for the guest's start-up IPI", idx,
			 c->apic_id);
		guest_ids[n_guest++] = c->apic_id;
		idx++;
	}
	log_info("smp guest_cpus=%u madt_cpus=%u", n_guest, enabled_cpus(m));
	return n_guest;
}

bool smp_cpu_is_guests(uint32_t apic_id)
{
	for (unsigned i = 0; i < n_guest; i++)
		if (guest_ids[i] == apic_id)
			return true;
	return false;
}
