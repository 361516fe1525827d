/* Local APIC guard (see apic_guard.h). ICR layout: Intel SDM 3A 10.6.1,
 * AMD APM vol. 2 16.5: delivery mode bits 10:8 (101b INIT, 110b start-up). */
#include "lib/hal.h"
#include "lib/log.h"
#include "vmm/apic_guard.h"

#define ICR_DM(v) (((v) >> 8) & 7)
#define ICR_DM_INIT 5
#define ICR_DM_STARTUP 6

static uint64_t refused;

bool apic_icr_allowed(uint64_t icr_lo)
{
	unsigned dm = ICR_DM(icr_lo);

	if (dm != ICR_DM_INIT && dm != ICR_DM_STARTUP)
		return true;
	refused++;
	if (refused <= 8)
		log_warn("apic guard: refused the guest's %s IPI (icr=0x%llx): the guest runs on "
			 "one CPU; the others stay with shoji", dm == ICR_DM_INIT ? "INIT" : "start-up",
			 (unsigned long long)icr_lo);
	return false;
}

bool apic_base_write_allowed(uint64_t cur, uint64_t v)
{
	const uint64_t base = 0x000ffffffffff000ULL;

	if ((cur & base) == (v & base))
		return true;
	log_warn("apic guard: refused moving the local APIC from 0x%llx to 0x%llx",
		 (unsigned long long)(cur & base), (unsigned long long)(v & base));
	return false;
}

uint64_t apic_ipis_refused(void)
{
	return refused;
}

static uint64_t apic_read(void *ctx, uint64_t gpa, int size)
{
	(void)ctx;
	return size == 4 ? hal_mmio_read32(gpa) : size == 8 ? hal_mmio_read64(gpa)
	       : size == 2 ? hal_mmio_read16(gpa) : hal_mmio_read8(gpa);
}

static void apic_write(void *ctx, uint64_t gpa, int size, uint64_t v)
{
	(void)ctx;
	if ((gpa & 0xfff) == APIC_ICR_LO && !apic_icr_allowed(v))
		return;
	if (size == 4)
		hal_mmio_write32(gpa, (uint32_t)v);
	else if (size == 8)
		hal_mmio_write64(gpa, v);
	else if (size == 2)
		hal_mmio_write16(gpa, (uint16_t)v);
	else
		hal_mmio_write8(gpa, (uint8_t)v);
}

const struct mmio_ops apic_mmio_ops = { apic_read, apic_write };
