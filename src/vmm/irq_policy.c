/* Interrupt request policy (see irq_policy.h). Bit layouts: Intel SDM 3A
 * 10.11.1 (MSI address: 31:20 0xFEE, 19:12 destination, 3 redirection
 * hint, 2 destination mode), 10.11.2 (MSI data: 7:0 vector, 10:8 delivery
 * mode, 14 level, 15 trigger mode); 82093AA IOAPIC datasheet 3.2.4
 * (redirection entry: 7:0 vector, 10:8 delivery mode, 11 destination mode,
 * 13 polarity, 15 trigger mode, 16 mask, 63:56 destination); VT-d 5.1.2.2
 * and 5.1.5.1 for the remappable-format bits the guest must not set;
 * SDM 3A 10.6.2.2 for logical destinations (flat and cluster models). */
#include "lib/printf.h"
#include "vmm/irq_policy.h"

const char *irq_delivery_name(unsigned dm)
{
	static const char *const names[8] = { "fixed", "lowest-priority", "SMI", "reserved",
					      "NMI", "INIT", "start-up", "ExtINT" };

	return names[dm & 7];
}

void irq_decode_msi(uint32_t addr_lo, uint32_t addr_hi, uint32_t data, struct irq_request *r)
{
	*r = (struct irq_request){
		.vector = (uint8_t)data,
		.delivery = (data >> 8) & 7,
		.logical = addr_lo & (1u << 2),
		.level = data & (1u << 15),
		.dest = (uint8_t)(addr_lo >> 12),
	};
	if ((addr_lo >> 20) != 0xfee || addr_hi)
		r->malformed = "the address is not an interrupt message (not 0xFEExxxxx)";
	else if (addr_lo & (1u << 4))
		r->malformed = "remappable-format message (the guest has no interrupt remapping)";
}

void irq_decode_ioapic(uint64_t rte, struct irq_request *r)
{
	*r = (struct irq_request){
		.vector = (uint8_t)rte,
		.delivery = (rte >> 8) & 7,
		.logical = rte & (1u << 11),
		.active_low = rte & (1u << 13),
		.level = rte & (1u << 15),
		.masked = rte & (1u << 16),
		.dest = (uint8_t)(rte >> 56),
	};
	if (rte & (1ULL << 48))
		r->malformed = "remappable-format entry (the guest has no interrupt remapping)";
}

/* Whether a logical destination selects this CPU (SDM 3A 10.6.2.2). */
static bool logical_match(uint8_t dest, uint8_t ldr, bool cluster)
{
	if (!cluster)
		return (dest & ldr) != 0;
	return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf) != 0 && (dest >> 4) != 0xf;
}

const char *irq_policy_check(const struct irq_request *r, const struct irq_guest_cpus *cpus,
			     struct irq_route *out)
{
	int target = -1;

	if (r->malformed)
		return r->malformed;
	switch (r->delivery) {
	case IRQ_DM_FIXED:
	case IRQ_DM_LOWEST:
		break;
	case IRQ_DM_INIT:
		return "delivery mode INIT is not allowed (it would reset a CPU under shoji)";
	case IRQ_DM_NMI:
		return "delivery mode NMI is not allowed";
	case IRQ_DM_SMI:
		return "delivery mode SMI is not allowed";
	case IRQ_DM_EXTINT:
		return "delivery mode ExtINT is not allowed";
	case IRQ_DM_STARTUP:
		return "delivery mode start-up is not allowed";
	default:
		return "reserved delivery mode";
	}
	if (r->vector < 0x10)
		return "vector below 0x10 (reserved by the APIC)";
	if (!r->logical) {
		if (r->dest == 0xff)
			return "physical broadcast (0xff) reaches CPUs that are not the guest's";
		for (unsigned i = 0; i < cpus->n; i++)
			if (cpus->cpu[i].apic_id == r->dest)
				target = (int)i;
		if (target < 0)
			return "destination is not a CPU of the guest's";
	} else {
		unsigned matches = 0;

		for (unsigned i = 0; i < cpus->n; i++)
			if (logical_match(r->dest, cpus->cpu[i].ldr, cpus->cpu[i].cluster)) {
				if (target < 0)
					target = (int)i;
				matches++;
			}
		if (!matches)
			return "logical destination selects no CPU of the guest's";
		if (matches > 1 && r->delivery == IRQ_DM_FIXED)
			return "fixed multicast to several CPUs is not supported";
	}
	*out = (struct irq_route){
		.vector = r->vector,
		.delivery = r->delivery == IRQ_DM_LOWEST ? IRQ_DLM_LOWEST : IRQ_DLM_FIXED,
		.level = r->level,
		.dest_apic_id = cpus->cpu[target].apic_id,
	};
	return NULL;
}

size_t irq_request_str(const struct irq_request *r, char *buf, size_t len)
{
	return (size_t)shoji_snprintf(buf, len, "vector=0x%02x delivery=%s dest=0x%02x mode=%s "
				      "trigger=%s", r->vector, irq_delivery_name(r->delivery),
				      r->dest, r->logical ? "logical" : "physical",
				      r->level ? "level" : "edge");
}
