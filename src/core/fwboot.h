/* guest=disk: hand the machine back to the BIOS's boot path (docs/
 * firmware-boot.md). */
#ifndef SHOJI_CORE_FWBOOT_H
#define SHOJI_CORE_FWBOOT_H

#include "platform/memmap.h"
#include "vmm/vcpu.h"

/* Puts the real-mode stub below the EBDA (taken out of the BDA's base
 * memory and, with shoji's region, out of the memory map INT 15h reports),
 * hooks INT 15h in the guest's vector table and fills *e with the real-mode
 * entry that loads drive `drive`'s boot sector. `map` is shoji's memory map
 * (the region marked); `hypercall` the back-end's hypercall instruction
 * (struct vcpu_backend.hypercall), written into the stub's two calls. Nothing else of low memory is touched. E_RANGE
 * (logged) when the BIOS data area does not describe a usable base memory. */
int fwboot_prepare(const struct memmap *map, uint8_t drive, const uint8_t hypercall[3],
		   struct vcpu_entry *e);

#endif
