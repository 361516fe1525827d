/* What interrupt the guest may make a device (or the IOAPIC) send.
 *
 * The guest programs interrupt messages in the formats of a machine
 * without interrupt remapping (the IOMMU is shoji's, hidden from it): MSI
 * address/data (Intel SDM 3A 10.11.1-2, identical for AMD) and IOAPIC
 * redirection entries (82093AA datasheet 3.2.4). shoji decodes what it
 * asked for, checks it here, and programs a remapping entry with the
 * result (iommu/irq_remap.h); the device itself only ever holds shoji's
 * message. Allowed:
 *   - delivery mode fixed or lowest-priority, vector 0x10-0xff;
 *   - a destination that is one CPU of the guest's: physical mode, the
 *     guest CPU's APIC id; logical mode, a destination whose flat or
 *     cluster match (the guest's own LDR/DFR) picks exactly one guest CPU
 *     (other CPUs are shoji's: their LDR is 0 since they never ran).
 * Refused, with the reason: INIT, NMI, SMI, ExtINT, start-up and the
 * reserved mode (each reaches the CPU outside the guest's control of it),
 * broadcasts and destinations outside the guest's CPUs, an address that is
 * not an interrupt message (bits 31:20 != 0xFEE, or upper bits set), and a
 * remappable-format message (bit 4 of the address / bit 48 of an RTE: the
 * guest has no IOMMU, so such a message could only aim at shoji's entries).
 * Portable and unit-tested (tests/unit/test_irq_policy.c). */
#ifndef SHOJI_VMM_IRQ_POLICY_H
#define SHOJI_VMM_IRQ_POLICY_H

#include "iommu/irq_remap.h"
#include "lib/types.h"

/* Delivery modes (SDM 3A table 10-2 / MSI data bits 10:8). */
enum irq_delivery {
	IRQ_DM_FIXED = 0,
	IRQ_DM_LOWEST = 1,
	IRQ_DM_SMI = 2,
	IRQ_DM_RESERVED = 3,
	IRQ_DM_NMI = 4,
	IRQ_DM_INIT = 5,
	IRQ_DM_STARTUP = 6,
	IRQ_DM_EXTINT = 7,
};

/* An interrupt request as the guest programmed it. */
struct irq_request {
	uint8_t vector;
	uint8_t delivery;	/* enum irq_delivery */
	bool logical;		/* destination mode */
	bool level;		/* trigger mode */
	bool active_low;	/* IOAPIC pin polarity (not part of an MSI) */
	bool masked;		/* IOAPIC mask bit (not part of an MSI) */
	uint8_t dest;		/* xAPIC destination */
	const char *malformed;	/* set by the decoders: why it is no interrupt */
};

/* The guest's CPUs as its local APICs say now. */
#define IRQ_MAX_GUEST_CPUS 16
struct irq_guest_cpus {
	unsigned n;
	struct {
		uint8_t apic_id;	/* xAPIC id (bits 31:24 of the ID register) */
		uint8_t ldr;		/* logical APIC id (LDR bits 31:24) */
		bool cluster;		/* DFR model: 0x0 cluster, 0xF flat */
	} cpu[IRQ_MAX_GUEST_CPUS];
};

/* MSI address (low 32 bits, upper 32 bits) and data as the guest wrote them. */
void irq_decode_msi(uint32_t addr_lo, uint32_t addr_hi, uint32_t data, struct irq_request *r);
/* A 64-bit IOAPIC redirection entry as the guest wrote it. */
void irq_decode_ioapic(uint64_t rte, struct irq_request *r);

/* NULL when allowed (*out is the route to program), else why not, e.g.
 * "delivery mode INIT is not allowed". */
const char *irq_policy_check(const struct irq_request *r, const struct irq_guest_cpus *cpus,
			     struct irq_route *out);

const char *irq_delivery_name(unsigned dm);

/* "vector=0x.. delivery=INIT dest=0x.. mode=physical trigger=edge" */
size_t irq_request_str(const struct irq_request *r, char *buf, size_t len);

#endif
