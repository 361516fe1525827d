/* Copying to and from the guest by its virtual addresses: a software walk
 * of the guest's own page tables (4-level long mode; 5-level when CR4.LA57),
 * the way the CPU would do it for a user or supervisor access; with paging
 * off (CR0.PG clear) linear == physical. Guest-physical == host-physical,
 * but every physical address shoji touches for the guest (page-table
 * entries, operands, instruction bytes) is checked against the protected-
 * range registry (vmm/protect.h) whatever the paging mode: a range that
 * forbids that kind of CPU access, or that an emulator owns (device
 * registers, not memory), is refused, so the guest cannot make shoji read,
 * write or fetch from the hypervisor, the IOMMU's registers or an emulated
 * device's page. Portable (hal_phys_to_virt), unit-tested. */
#ifndef SHOJI_VMM_GUEST_MEM_H
#define SHOJI_VMM_GUEST_MEM_H

#include "lib/types.h"

struct guest_paging {
	uint64_t cr0, cr3, cr4, efer;
	bool user;	/* the access is made for CPL 3 */
};

/* Whether shoji may touch guest-physical [pa, pa + len) for the guest with
 * `access` (PROTECT_CPU_READ, _WRITE or _EXEC): false when a protected range
 * forbids it or is emulated. */
bool guest_phys_ok(paddr_t pa, uint64_t len, unsigned access);

/* Translates one guest-linear address without checking where it lands
 * (the MMIO emulator needs the address of the emulated page it faulted on;
 * it never dereferences it). Page-table entries are read only where
 * guest_phys_ok allows. E_FAULT when not mapped, not writable (write), not
 * user-accessible (user), a reserved bit is set (guest_walk) or a table is
 * protected; E_UNSUPPORTED for legacy 32-bit or PAE paging outside long
 * mode. */
int guest_translate(const struct guest_paging *p, uint64_t va, bool write, paddr_t *pa);

/* The walk of guest_translate for va (long mode with paging only), with
 * what its entries allow, combined over the levels as the CPU combines them
 * (SDM 3A 4.6.1): user (U/S set at every level), write (R/W set at every
 * level), nx (XD set at some level, with EFER.NXE; without it a set bit 63
 * is reserved: E_FAULT, as the CPU's #PF). PS in a PML5/PML4 entry is
 * reserved too: E_FAULT. Nothing about p->user or CR0.WP is applied: the
 * caller decides. E_UNSUPPORTED with paging off or outside long mode. */
struct guest_walk {
	paddr_t pa;
	bool user, write, nx;
};
int guest_walk(const struct guest_paging *p, uint64_t va, struct guest_walk *w);

/* guest_translate, and E_FAULT when the result is not guest_phys_ok for a
 * read (or a write). */
int guest_virt_to_phys(const struct guest_paging *p, uint64_t va, bool write, paddr_t *pa);

/* Fetches up to max instruction bytes at linear address lin (the caller adds
 * CS.base): stops at the first byte whose page is not mapped or not
 * guest_phys_ok for execution. Returns how many were fetched. */
size_t guest_fetch(const struct guest_paging *p, uint64_t lin, uint8_t *buf, size_t max);

int copy_to_guest(const struct guest_paging *p, uint64_t va, const void *src, size_t n);
int copy_from_guest(const struct guest_paging *p, void *dst, uint64_t va, size_t n);

#endif
