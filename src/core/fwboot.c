/* guest=disk (fwboot.h). Low-memory layout the BIOS leaves (IBM PC BIOS
 * data area; Ralf Brown's Interrupt List, MEMORY.LST):
 *   0x0000-0x03ff   real-mode interrupt vector table (vector n at 4n: IP, CS)
 *   0x0413 (word)   base memory size in KiB (what INT 12h returns)
 *   0x040e (word)   segment of the extended BIOS data area (EBDA)
 * The stub takes the top KiB(s) of base memory below the EBDA, the way
 * option ROMs and boot-sector code reserve memory there, so that the boot
 * loader and the OS (Linux's reserve_bios_regions() reads both words) leave
 * it alone. */
#include "arch/x86/fwboot_stub.h"
#include "core/fwboot.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "lib/string.h"
#include "vmm/bios_hook.h"

#define BDA_BASE_MEM_KIB 0x413
#define BDA_EBDA_SEG 0x40e
#define IVT_INT15 (0x15 * 4)
#define BASE_MEM_MIN KiB(64)	/* below this the BDA cannot be right */
#define BASE_MEM_MAX KiB(640)

static struct memmap guest_map;	/* what INT 15h tells the guest */

static uint16_t rd16(paddr_t pa)
{
	uint16_t v;

	memcpy(&v, hal_phys_to_virt(pa), sizeof(v));
	return v;
}

static void wr16(paddr_t pa, uint16_t v)
{
	memcpy(hal_phys_to_virt(pa), &v, sizeof(v));
}

int fwboot_prepare(const struct memmap *map, uint8_t drive, const uint8_t hypercall[3],
		   struct vcpu_entry *e)
{
	size_t len = (size_t)(fwboot_stub_end - fwboot_stub);
	paddr_t top = (paddr_t)rd16(BDA_BASE_MEM_KIB) * KiB(1);
	paddr_t ebda = (paddr_t)rd16(BDA_EBDA_SEG) << 4;
	paddr_t base;
	uint16_t seg;

	if (ebda && ebda < top)
		top = ebda;
	if (top < BASE_MEM_MIN || top > BASE_MEM_MAX) {
		log_error("fwboot: the BIOS data area says base memory ends at 0x%llx (0x413=%u KiB, "
			  "EBDA at 0x%llx): not a BIOS hand-over shoji can boot through",
			  (unsigned long long)top, rd16(BDA_BASE_MEM_KIB), (unsigned long long)ebda);
		return E_RANGE;
	}
	base = ALIGN_DOWN(top - len, KiB(1));
	seg = (uint16_t)(base >> 4);
	memcpy(hal_phys_to_virt(base), fwboot_stub, len);
	/* The stub's calls as this CPU's back-end takes them (VMMCALL on SVM,
	 * VMCALL on VT-x: the other one is #UD). */
	memcpy(hal_phys_to_virt(base + fwboot_stub_offset(fwboot_stub_int15)), hypercall,
	       FWBOOT_VMMCALL_LEN);
	memcpy(hal_phys_to_virt(base + fwboot_stub_offset(fwboot_stub_fail)), hypercall,
	       FWBOOT_VMMCALL_LEN);
	guest_map = *map;
	memmap_set(&guest_map, base, top, MEM_RESERVED);
	bios_hook_init(&(struct bios_hook_config){
		.stub_seg = seg,
		.int15_ip = (uint16_t)(fwboot_stub_offset(fwboot_stub_int15) + FWBOOT_VMMCALL_LEN),
		.fail_ip = (uint16_t)(fwboot_stub_offset(fwboot_stub_fail) + FWBOOT_VMMCALL_LEN),
		.old15_off = rd16(IVT_INT15),
		.old15_seg = rd16(IVT_INT15 + 2),
		.boot_drive = drive,
		.map = &guest_map,
	});
	log_info("fwboot stub=0x%llx-0x%llx base_mem_kib=%u->%u int15=%04x:%04x->%04x:%04x "
		 "drive=0x%02x hypercall=%02x%02x%02x", (unsigned long long)base, (unsigned long long)top,
		 rd16(BDA_BASE_MEM_KIB), (unsigned)(base >> 10), rd16(IVT_INT15 + 2),
		 rd16(IVT_INT15), seg, fwboot_stub_offset(fwboot_stub_int15), drive,
		 hypercall[0], hypercall[1], hypercall[2]);
	wr16(BDA_BASE_MEM_KIB, (uint16_t)(base >> 10));
	wr16(IVT_INT15, fwboot_stub_offset(fwboot_stub_int15));
	wr16(IVT_INT15 + 2, seg);
	*e = (struct vcpu_entry){ .mode = VCPU_ENTRY_REAL, .cs = seg,
				  .rip = fwboot_stub_offset(fwboot_stub_boot), .rdx = drive };
	return 0;
}
