/* The guest's local APIC, with one exception to passthrough: the guest
 * runs on one CPU, and the others (hidden from it in the MADT) sit in their
 * reset state, so an INIT or start-up IPI would run guest code on a CPU
 * outside SVM, unprotected. shoji emulates the xAPIC page (every access goes
 * to the real APIC, unchanged) and the x2APIC ICR MSR, and drops INIT and
 * SIPI IPIs, logging them; the base address may not move. */
#ifndef SHOJI_VMM_APIC_GUARD_H
#define SHOJI_VMM_APIC_GUARD_H

#include "lib/types.h"
#include "vmm/mmio_emul.h"

#define APIC_DEFAULT_BASE 0xfee00000ULL
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define X2APIC_MSR_ICR 0x830
#define MSR_IA32_APIC_BASE 0x1b

/* Whether an ICR value (low dword; for x2APIC the whole 64-bit MSR) may be
 * sent: false for INIT (delivery mode 101b) and start-up (110b). */
bool apic_icr_allowed(uint64_t icr_lo);

/* A write of v to IA32_APIC_BASE when it holds cur: the base address (bits
 * 51:12) may not change (shoji traps the APIC page where it is); the
 * enable and x2APIC-mode bits may. */
bool apic_base_write_allowed(uint64_t cur, uint64_t v);

/* The MMIO callbacks for the xAPIC page (ctx unused). */
extern const struct mmio_ops apic_mmio_ops;

uint64_t apic_ipis_refused(void);

#endif
