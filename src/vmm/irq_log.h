/* Refused interrupt programming: one log format and one counter for every
 * source (MSI, MSI-X, IOAPIC), rate-limited like the IOMMU's fault lines:
 *   irq refused source=msi device=00:03.0 vector=0x30 delivery=INIT dest=0x00
 *       mode=physical trigger=edge reason="..."
 * (one line). The entry stays blocked; the guest's write is kept as the
 * value it reads back. */
#ifndef SHOJI_VMM_IRQ_LOG_H
#define SHOJI_VMM_IRQ_LOG_H

#include "vmm/irq_policy.h"

#define IRQ_LOG_BURST 16		/* lines per window, then counted only */
#define IRQ_LOG_WINDOW_US 1000000ULL

void irq_log_refusal(const char *source, const char *device, const struct irq_request *r,
		     const char *why);
uint64_t irq_refusals(void);

#endif
