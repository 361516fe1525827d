/* Booting Linux through its PVH entry point (the ELF vmlinux, not the
 * bzImage): parse and load the ELF, and build the hvm_start_info block the
 * entry expects. Facts from Xen's public/arch-x86/hvm/start_info.h and
 * docs/misc/pvh.pandoc (the protocol Linux implements in
 * arch/x86/platform/pvh): 32-bit protected mode, paging off, flat CS/DS,
 * EBX = physical address of the start info. Portable: memory through the
 * HAL only, so it is unit-tested on the host. */
#ifndef SHOJI_VMM_PVH_H
#define SHOJI_VMM_PVH_H

#include "lib/types.h"
#include "platform/memmap.h"

#define PVH_MAX_LOAD 8
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC 0x336ec578

struct pvh_segment {
	uint64_t offset, paddr, filesz, memsz;
};

struct pvh_image {
	uint32_t entry;			/* 32-bit physical entry (the PVH note) */
	unsigned n_load;
	struct pvh_segment load[PVH_MAX_LOAD];
	paddr_t lowest, highest;	/* [lowest, highest): all PT_LOAD memory */
};

/* Validates an ELF64 x86-64 image of len bytes (every header, segment and
 * note inside the file, no overflow, segments below 4 GiB and not
 * overlapping) and finds its PVH entry. E_INVAL with a logged reason. */
int pvh_parse(const void *elf, size_t len, struct pvh_image *out);

/* Copies the segments to their physical addresses and zeroes the rest of
 * each (bss). The caller has made sure the destination is free and does not
 * overlap the source. */
void pvh_load(const void *elf, const struct pvh_image *img);

/* Loading the image where it lies, without moving it out of the way first
 * (QEMU's Multiboot loader puts the kernel module right above shoji, inside
 * the kernel's own load range): an order in which to copy the segments from
 * the image at elf_pa such that no segment's destination [paddr, paddr +
 * memsz) covers a source [elf_pa + offset, + filesz) of a segment still to
 * be copied (a segment's own source may: memmove). Returns 0 with
 * order[0..n_load), E_RANGE when there is none (the caller moves the image
 * first). Nothing is copied. */
int pvh_load_order(paddr_t elf_pa, const struct pvh_image *img, uint8_t *order);

/* pvh_load in that order, from the image at elf (= elf_pa's mapping). */
void pvh_load_ordered(const void *elf, const struct pvh_image *img, const uint8_t *order);

/* Xen's hvm_start_info, version 1. */
struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
} PACKED;

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
} PACKED;

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;	/* e820 types */
} PACKED;

#define PVH_INFO_SIZE (3 * PAGE_SIZE)
#define PVH_CMDLINE_MAX 2048

/* Writes the start info, one module (the initrd, if initrd_len), the memory
 * map (shoji's own types become e820 "reserved") and the command line into
 * [info_pa, info_pa + PVH_INFO_SIZE). E_RANGE if they do not fit. */
int pvh_build_start_info(paddr_t info_pa, const char *cmdline, paddr_t initrd,
			 uint64_t initrd_len, const struct memmap *m, paddr_t rsdp);

#endif
