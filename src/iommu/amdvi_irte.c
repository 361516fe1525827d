/* AMD-Vi interrupt remapping formats: see amdvi_irte.h; bits in
 * amdvi_regs.h (2.2.5). */
#include "iommu/amdvi_irte.h"
#include "iommu/amdvi_regs.h"
#include "lib/error.h"

/* Vectors 0-15 are exceptions/reserved: an interrupt may not use them. */
#define MIN_VECTOR 16

static bool route_ok(const struct irq_route *r)
{
	return (r->delivery == IRQ_DLM_FIXED || r->delivery == IRQ_DLM_LOWEST) &&
	       r->vector >= MIN_VECTOR;
}

/* Bits 7:0 of both formats: remapped, physical destination mode. */
static uint32_t low_bits(const struct irq_route *r)
{
	return AMDVI_IRTE_REMAP_EN | (uint32_t)r->delivery << AMDVI_IRTE_INT_TYPE_SHIFT;
}

int amdvi_irte32_encode(const struct irq_route *route, uint32_t *irte)
{
	*irte = AMDVI_IRTE32_BLOCKED;
	if (!route_ok(route) || route->dest_apic_id > 0xff)
		return E_INVAL;
	*irte = low_bits(route) | route->dest_apic_id << AMDVI_IRTE_DEST_SHIFT |
		(uint32_t)route->vector << AMDVI_IRTE_VECTOR_SHIFT;
	return 0;
}

int amdvi_irte128_encode(const struct irq_route *route, uint64_t irte[2])
{
	irte[0] = irte[1] = 0;
	if (!route_ok(route))
		return E_INVAL;
	irte[0] = low_bits(route) |
		  (uint64_t)(route->dest_apic_id & 0xffffff) << AMDVI_IRTE128_DEST_LO_SHIFT;
	irte[1] = route->vector | (uint64_t)(route->dest_apic_id >> 24) << AMDVI_IRTE128_DEST_HI_SHIFT;
	return 0;
}

int amdvi_ir_msi_message(uint16_t index, uint64_t *addr, uint32_t *data)
{
	*addr = 0;
	*data = 0;
	if (index >= AMDVI_IR_MAX_ENTRIES)
		return E_INVAL;
	*addr = 0xfee00000ULL;
	*data = index;
	return 0;
}

/* 82093AA 3.2.4 redirection entry: 7:0 vector, 10:8 delivery mode, 11
 * destination mode, 13 polarity (1 = low), 15 trigger (1 = level), 16
 * mask, 63:56 destination. */
#define RTE_DLM_SHIFT 8
#define RTE_ACTIVE_LOW (1ULL << 13)
#define RTE_LEVEL (1ULL << 15)
#define RTE_MASKED (1ULL << 16)

int amdvi_ioapic_rte(uint16_t index, bool level, bool active_low, bool masked, uint64_t *rte)
{
	*rte = RTE_MASKED;
	if (index >= AMDVI_IOAPIC_IR_ENTRIES)
		return E_INVAL;
	*rte = (uint64_t)(index & 0xff) | (uint64_t)(index >> 8) << RTE_DLM_SHIFT |
	       (active_low ? RTE_ACTIVE_LOW : 0) | (level ? RTE_LEVEL : 0) |
	       (masked ? RTE_MASKED : 0);
	return 0;
}
