/* The HPET's FSB interrupts, virtualised (issue 10).
 *
 * An HPET timer whose configuration has Tn_FSB_EN_CNF set sends its
 * interrupt as a memory write of Tn_FSB_INT_VAL to Tn_FSB_INT_ADDR (IA-PC
 * HPET 1.0a, 2.3.8 and 2.3.9): an MSI of the guest's choosing, INIT and NMI
 * included. The HPET's register block (ACPI HPET table) is registered as an
 * emulated range whose writes exit (reads pass: the main counter is read
 * often, and reading back shoji's message is no leak). Each timer's
 * configuration and FSB route the guest writes are kept here; the route is
 * decoded as an MSI (irq_decode_msi) and checked by irq_policy_check()
 * (fixed or lowest priority, one of the guest's CPUs). Allowed: the timer
 * gets shoji's message for the checked route, FSB delivery as the guest
 * asked. Refused: the timer keeps Tn_FSB_EN_CNF and Tn_INT_ENB_CNF clear
 * (it sends nothing), one log line names the timer and what it asked
 * (irq_log). Every other register write passes unchanged.
 *
 * shoji's message: where the IOMMU names a requester id for this HPET (a
 * DMAR HPET device scope, VT-d 8.3.1.1; an IVRS special HPET entry) the
 * timer has its own remapping handle with that source check and sends the
 * remappable-format message; otherwise the checked route is written in
 * compatibility format (destination the guest CPU's physical APIC id).
 * QEMU 7.2's HPET (-global hpet.msi=on) writes its FSB message to system
 * memory, not through the IOMMU, and its DMAR names no HPET: there the
 * compatibility-format message is what reaches the CPU. On hardware whose
 * IOMMU blocks compatibility format and names no HPET source, such a
 * message is dropped by the unit (the guest's timer interrupt is lost, no
 * forged interrupt gets through either). Portable, unit-tested in
 * tests/unit/test_hpet_virt.c. */
#ifndef SHOJI_VMM_HPET_VIRT_H
#define SHOJI_VMM_HPET_VIRT_H

#include "lib/types.h"
#include "vmm/mmio_emul.h"

/* Registers (HPET 1.0a 2.3): offsets in the block. */
#define HPET_REG_CAP 0x000		/* General Capabilities and ID */
#define HPET_REG_CFG 0x010		/* General Configuration */
#define HPET_REG_TIMER(n) (0x100 + 0x20 * (n))
#define HPET_TN_CFG 0x00		/* Timer N Configuration and Capabilities */
#define HPET_TN_CMP 0x08		/* Timer N Comparator Value */
#define HPET_TN_FSB 0x10		/* Timer N FSB Interrupt Route */
#define HPET_CAP_NUM_TIM(cap) ((unsigned)(((cap) >> 8) & 0x1f) + 1)	/* bits 12:8 */
#define HPET_TN_INT_TYPE (1u << 1)	/* level */
#define HPET_TN_INT_ENB (1u << 2)
#define HPET_TN_VAL_SET (1u << 6)	/* write-once: the next comparator write sets the accumulator */
#define HPET_TN_FSB_EN (1u << 14)
#define HPET_TN_FSB_CAP (1u << 15)
#define HPET_MAX_TIMERS 32

struct irq_source;

/* The HPET at base with this HPET number. src: the requester id its FSB
 * messages carry when the IOMMU remaps them (handles are allocated), NULL
 * for compatibility-format messages. Every timer's current configuration
 * and route (the firmware's) is decided like a guest write. */
int hpet_virt_init(paddr_t base, uint8_t number, const struct irq_source *src);
void hpet_virt_reset(void);		/* host unit tests start from nothing */
bool hpet_virt_active(void);
paddr_t hpet_virt_base(void);

/* MMIO callbacks for the block's page (ctx unused). */
extern const struct mmio_ops hpet_mmio_ops;

#endif
