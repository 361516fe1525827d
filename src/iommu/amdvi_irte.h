/* AMD-Vi interrupt remapping formats (portable, no register access; AMD
 * IOMMU spec 48882 rev 3.x, 2.2.5): the 32-bit and 128-bit remapping table
 * entries and the MSI message a device sends to use one. Unlike VT-d, the
 * tables are per device (the DTE points at them) and the entry is chosen
 * by the MSI data's low 11 bits, so the source check is the DTE itself:
 * a requester can only reach its own table. Trigger mode is not in the
 * entry (it travels with the message). Interrupt types other than fixed
 * and arbitrated are governed by the DTE's pass bits, not by entries.
 * An IOAPIC has a table of its own (its IVRS special entry's requester
 * ID); the index of a pin's entry travels in the redirection entry's
 * vector and delivery-mode fields (the message data's bits 10:0). */
#ifndef SHOJI_IOMMU_AMDVI_IRTE_H
#define SHOJI_IOMMU_AMDVI_IRTE_H

#include "iommu/irq_remap.h"
#include "lib/types.h"

/* An entry that refuses its interrupt (RemapEn clear: target abort). */
#define AMDVI_IRTE32_BLOCKED	0u

/* route as a 32-bit entry: physical destination, delivery fixed or lowest
 * priority (arbitrated). E_INVAL (*irte blocked) for another delivery mode,
 * a vector below 16 or a destination above 255 (this format has 8 bits). */
int amdvi_irte32_encode(const struct irq_route *route, uint32_t *irte);

/* The same as a 128-bit entry (Control.GAEn = 1), 32-bit destinations. */
int amdvi_irte128_encode(const struct irq_route *route, uint64_t irte[2]);

/* The MSI a device sends to use entry index (< 2048) of its table: the
 * address is the interrupt range's base, the data the index (multi-message
 * MSI adds the message number, selecting index + n). E_INVAL otherwise. */
int amdvi_ir_msi_message(uint16_t index, uint64_t *addr, uint32_t *data);

/* The IOAPIC redirection entry (82093AA 3.2.4) that sends through entry
 * index (< AMDVI_IOAPIC_IR_ENTRIES) of the IOAPIC's table: vector field =
 * index bits 7:0, delivery mode = index bit 8 (fixed or lowest priority:
 * the two the IOMMU looks up), physical destination mode, destination 0
 * (the entry's destination is the one delivered), trigger mode, polarity
 * and mask as given. E_INVAL (*rte masked, vector 0) past the table. */
int amdvi_ioapic_rte(uint16_t index, bool level, bool active_low, bool masked, uint64_t *rte);

#endif
