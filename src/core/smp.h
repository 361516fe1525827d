/* The application processors at boot (docs/smp.md): shoji reserves a
 * trampoline page below 1 MiB, starts every CPU the MADT lists (its own
 * INIT-SIPI-SIPI), gives each its own stack, GDT/TSS, IDT and SSE state,
 * enables the CPU back-end on it and parks it until the guest starts it
 * (vmm/cpu_start.h). CPUs that did not come up are hidden from the guest. */
#ifndef SHOJI_CORE_SMP_H
#define SHOJI_CORE_SMP_H

#include "platform/acpi.h"
#include "platform/bootinfo.h"
#include "vmm/vcpu.h"

/* Before the IOMMU domains and the nested tables are built: with more than
 * one enabled CPU in the MADT, takes the highest usable page below 640 KiB
 * (clear of the guest's start info) out of the guest's memory map and
 * registers it as protected. 0, or an error (logged; the guest then gets
 * the boot CPU only). */
int smp_reserve_trampoline(struct boot_info *bi, const struct acpi_madt *m);

/* Starts the MADT's other enabled CPUs with back-end b (init done on the
 * boot CPU), registers every CPU with vmm/cpu_start.h. Returns how many
 * CPUs the guest gets (1 + the APs that came up). */
unsigned smp_start_aps(const struct vcpu_backend *b, const struct acpi_madt *m, uint32_t bsp_id);

/* Whether the CPU with this APIC id is the guest's (for the MADT given to it). */
bool smp_cpu_is_guests(uint32_t apic_id);

#endif
