/* shoji's own use of its CPU's local APIC (xAPIC, memory-mapped): the
 * INIT-SIPI-SIPI that starts an application processor, and NMIs to another
 * CPU (to wake a parked one or make a running one exit). ICR: Intel SDM 3A
 * 10.6.1, AMD APM vol. 2 16.5; start-up sequence: SDM 3A 8.4.4.1 (the
 * universal algorithm: INIT, 10 ms, SIPI, 200 us, SIPI). */
#ifndef SHOJI_ARCH_X86_LAPIC_H
#define SHOJI_ARCH_X86_LAPIC_H

#include "lib/types.h"

/* Starts the CPU with APIC id apic_id at the trampoline page tramp (below
 * 1 MiB, 4 KiB aligned, shoji's): copies ap_boot.S there, which enters
 * entry(arg) in 64-bit mode on stack_top with shoji's page tables. Returns
 * 0 once the IPIs were delivered, E_TIMEOUT when the APIC did not accept
 * one. Whether the CPU arrived is the caller's to check (a flag entry
 * sets), with its own timeout. */
int lapic_start_cpu(uint32_t apic_id, paddr_t tramp, void *stack_top,
		    void (*entry)(uint64_t arg), uint64_t arg);

/* An NMI to the CPU with APIC id apic_id. The guest's ICR high dword (its
 * destination, which it may have written and not yet used) is kept. */
int lapic_send_nmi(uint32_t apic_id);

#endif
