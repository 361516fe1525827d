/* Launching the guest: Linux through its PVH entry, under SVM. */
#ifndef SHOJI_CORE_GUEST_H
#define SHOJI_CORE_GUEST_H

#include "arch/x86/npt.h"
#include "platform/acpi.h"
#include "platform/bootinfo.h"

struct guest_platform {
	struct boot_info *bi;		/* modules and memory map (changed: moves, region) */
	paddr_t hv_base, hv_end;
	void (*on_exit)(void);			/* run after every VM exit */
	const struct acpi_madt *madt;		/* IOAPICs (virtualised), or NULL */
	bool boot_disk;				/* guest=disk: through the BIOS's boot
						 * path (docs/firmware-boot.md) */
	uint8_t boot_drive;			/* its BIOS drive number (DL) */
};

/* True when the boot loader gave a module with role=kernel. */
bool guest_present(const struct boot_info *bi);

/* Loads the guest and runs it; what it may not reach comes from the
 * protected-range registry (vmm/protect.h), complete by then except for
 * the local APIC page, which this registers; returns only on an error before the guest
 * starts (logged; the caller stops). */
int guest_launch(const struct guest_platform *p);

/* The CPU back-end's set_read_page (vmm/vcpu.h): an emulator's page of
 * what the guest's reads return (the AHCI register image). Only once the
 * guest's nested tables exist (from the first exit on); E_UNSUPPORTED
 * when the back-end has no such mapping. */
int guest_set_read_page(paddr_t gpa, paddr_t page);

/* The back-end's kick_others (vmm/vcpu.h); nothing when it has none. */
void guest_kick_others(void);

#endif
