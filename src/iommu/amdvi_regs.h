/* AMD-Vi registers and in-memory structures.
 *
 * Facts from the AMD I/O Virtualization Technology (IOMMU) Specification
 * 48882 rev 3.x: MMIO registers in 3.4 ("IOMMU MMIO Registers"), the device
 * table entry in 2.2.2 ("Device Table Entry Format"), commands in 2.4
 * ("Commands"), event log entries in 2.5 ("Event Logging"). Cross-checked
 * with QEMU's hw/i386/amd_iommu.h (the model the tests run against).
 * Offsets are from the IOMMU's MMIO base (the IVHD base address, 5.2.2). */
#ifndef SHOJI_IOMMU_AMDVI_REGS_H
#define SHOJI_IOMMU_AMDVI_REGS_H

#include "lib/types.h"

/* The capability block's base address register holds bits 51:14: the MMIO
 * base is 16 KiB aligned, and the first 16 KiB hold every register below. */
#define AMDVI_MMIO_ALIGN	0x4000ULL
#define AMDVI_MMIO_SIZE		0x4000ULL

/* ---- 3.4 MMIO register offsets (all 64-bit) ---- */
#define AMDVI_MMIO_DEV_TABLE_BASE	0x0000
#define AMDVI_MMIO_CMD_BUF_BASE		0x0008
#define AMDVI_MMIO_EVENT_LOG_BASE	0x0010
#define AMDVI_MMIO_CONTROL		0x0018
#define AMDVI_MMIO_EXCL_BASE		0x0020
#define AMDVI_MMIO_EXCL_LIMIT		0x0028
#define AMDVI_MMIO_EFR			0x0030
#define AMDVI_MMIO_CMD_BUF_HEAD		0x2000
#define AMDVI_MMIO_CMD_BUF_TAIL		0x2008
#define AMDVI_MMIO_EVENT_LOG_HEAD	0x2010
#define AMDVI_MMIO_EVENT_LOG_TAIL	0x2018
#define AMDVI_MMIO_STATUS		0x2020

/* Bits 51:12 of a table base (device table, command buffer, event log,
 * exclusion base/limit): a 4 KiB aligned system physical address. */
#define AMDVI_BASE_ADDR_MASK		0x000ffffffffff000ULL

/* Device Table Base Address Register: bits 8:0 Size = table size in 4 KiB
 * pages minus one (up to 2 MiB, 65536 entries of 32 bytes). */
#define AMDVI_DEV_TABLE_SIZE_MASK	0x1ffULL
#define AMDVI_DEV_TABLE_MAX_PAGES	512u

/* Command Buffer / Event Log Base Address Registers: bits 59:56 ComLen /
 * EventLen = log2 of the number of 16-byte entries, 8 (256 entries, 4 KiB)
 * to 15 (32768 entries, 512 KiB); smaller values are reserved. */
#define AMDVI_RING_LEN_SHIFT		56
#define AMDVI_RING_LEN_MASK		(0xfULL << AMDVI_RING_LEN_SHIFT)
#define AMDVI_RING_LEN_MIN		8u
#define AMDVI_RING_LEN_MAX		15u

/* Head and tail pointer registers: bits 18:4, a byte offset into the ring
 * (entries are 16 bytes). */
#define AMDVI_RING_PTR_MASK		0x7fff0ULL
#define AMDVI_RING_ENTRY_SIZE		16u

/* Exclusion Range Base Register: bit 0 ExEn, bit 1 Allow (all devices). */
#define AMDVI_EXCL_EN			(1ULL << 0)
#define AMDVI_EXCL_ALLOW		(1ULL << 1)

/* Control Register. */
#define AMDVI_CTRL_IOMMU_EN		(1ULL << 0)
#define AMDVI_CTRL_HT_TUN_EN		(1ULL << 1)
#define AMDVI_CTRL_EVENT_LOG_EN		(1ULL << 2)
#define AMDVI_CTRL_EVENT_INT_EN		(1ULL << 3)
#define AMDVI_CTRL_COM_WAIT_INT_EN	(1ULL << 4)
#define AMDVI_CTRL_INV_TIMEOUT_SHIFT	5		/* bits 7:5 */
#define AMDVI_CTRL_INV_TIMEOUT_MASK	(7ULL << 5)
#define AMDVI_CTRL_PASS_PW		(1ULL << 8)
#define AMDVI_CTRL_RES_PASS_PW		(1ULL << 9)
#define AMDVI_CTRL_COHERENT		(1ULL << 10)
#define AMDVI_CTRL_ISOC			(1ULL << 11)
#define AMDVI_CTRL_CMD_BUF_EN		(1ULL << 12)
#define AMDVI_CTRL_GA_EN		(1ULL << 17)

/* Status Register (the event/completion bits are write-1-to-clear). */
#define AMDVI_STATUS_EVENT_OVERFLOW	(1ULL << 0)
#define AMDVI_STATUS_EVENT_LOG_INT	(1ULL << 1)
#define AMDVI_STATUS_COM_WAIT_INT	(1ULL << 2)
#define AMDVI_STATUS_EVENT_LOG_RUN	(1ULL << 3)
#define AMDVI_STATUS_CMD_BUF_RUN	(1ULL << 4)

/* Extended Feature Register (0030h); IVHD types 11h/40h carry an image of
 * it (5.2.2). */
#define AMDVI_EFR_PREF_SUP		(1ULL << 0)	/* prefetch IOMMU pages */
#define AMDVI_EFR_PPR_SUP		(1ULL << 1)	/* peripheral page requests */
#define AMDVI_EFR_XT_SUP		(1ULL << 2)	/* x2APIC interrupt format */
#define AMDVI_EFR_NX_SUP		(1ULL << 3)	/* no-execute protection */
#define AMDVI_EFR_GT_SUP		(1ULL << 4)	/* guest translation */
#define AMDVI_EFR_IA_SUP		(1ULL << 6)	/* INVALIDATE_IOMMU_ALL */
#define AMDVI_EFR_GA_SUP		(1ULL << 7)	/* guest virtual APIC */
#define AMDVI_EFR_HE_SUP		(1ULL << 8)	/* hardware error registers */
#define AMDVI_EFR_PC_SUP		(1ULL << 9)	/* performance counters */
#define AMDVI_EFR_HATS(v)		((unsigned)(((v) >> 10) & 3))	/* host levels */
#define AMDVI_EFR_GATS(v)		((unsigned)(((v) >> 12) & 3))	/* guest levels */
#define AMDVI_EFR_GLX_SUP(v)		((unsigned)(((v) >> 14) & 3))
#define AMDVI_EFR_SMIF_SUP(v)		((unsigned)(((v) >> 16) & 3))
#define AMDVI_EFR_SMIF_RC(v)		((unsigned)(((v) >> 18) & 7))
#define AMDVI_EFR_GAM_SUP(v)		((unsigned)(((v) >> 21) & 7))
#define AMDVI_EFR_PAS_MAX(v)		((unsigned)(((v) >> 32) & 0x1f))

/* ---- 2.2.2 Device table entry: 256 bits, four little-endian qwords ---- */
#define AMDVI_DTE_SIZE			32u
/* qword 0 (bits 63:0) */
#define AMDVI_DTE0_V			(1ULL << 0)	/* entry valid */
#define AMDVI_DTE0_TV			(1ULL << 1)	/* translation fields valid */
#define AMDVI_DTE0_MODE_SHIFT		9		/* bits 11:9 paging mode */
#define AMDVI_DTE0_MODE_MASK		(7ULL << 9)
#define AMDVI_DTE0_ROOT_MASK		AMDVI_BASE_ADDR_MASK	/* bits 51:12 */
#define AMDVI_DTE0_IR			(1ULL << 61)	/* DMA reads allowed */
#define AMDVI_DTE0_IW			(1ULL << 62)	/* DMA writes allowed */
/* qword 1 (bits 127:64) */
#define AMDVI_DTE1_DOMAIN_MASK		0xffffULL	/* bits 79:64 domain ID */
#define AMDVI_DTE1_SYSMGT_SHIFT		40		/* bits 105:104 */
#define AMDVI_DTE1_SYSMGT_MASK		(3ULL << 40)
/* qword 2 (bits 191:128): interrupt remapping */
#define AMDVI_DTE2_IV			(1ULL << 0)	/* interrupt fields valid */
#define AMDVI_DTE2_INTTABLEN_SHIFT	1		/* bits 132:129 */
#define AMDVI_DTE2_INTTABLEN_MASK	(0xfULL << 1)
#define AMDVI_DTE2_IG			(1ULL << 5)	/* ignore unmapped interrupts */
#define AMDVI_DTE2_INTTAB_MASK		0x000fffffffffffc0ULL	/* bits 179:134 */
#define AMDVI_DTE2_INIT_PASS		(1ULL << 56)
#define AMDVI_DTE2_EINT_PASS		(1ULL << 57)
#define AMDVI_DTE2_NMI_PASS		(1ULL << 58)
#define AMDVI_DTE2_INTCTL_SHIFT		60		/* bits 189:188 */
#define AMDVI_DTE2_INTCTL_MASK		(3ULL << 60)
#define AMDVI_DTE2_LINT0_PASS		(1ULL << 62)
#define AMDVI_DTE2_LINT1_PASS		(1ULL << 63)

/* Paging modes (DTE Mode): 0 no translation, 1-6 levels of tables. */
#define AMDVI_MODE_NONE			0u
#define AMDVI_MODE_MAX_LEVELS		6u
/* IntCtl: what happens to fixed/arbitrated interrupts. */
#define AMDVI_INTCTL_ABORT		0u	/* target abort */
#define AMDVI_INTCTL_PASS		1u	/* forwarded unmapped */
#define AMDVI_INTCTL_REMAP		2u	/* through the remapping table */
/* IntTabLen: 2^n table entries, n = 0 .. 11 (2048); larger is reserved. */
#define AMDVI_INTTABLEN_MAX		11u
/* Interrupt remapping tables are 128-byte aligned (2.2.5). */
#define AMDVI_INTTAB_ALIGN		128u

/* ---- 2.2.3 I/O page tables for host translation: 512 64-bit entries per
 * 4 KiB table. A level-L table is indexed by address bits
 * [20 + 9(L-1) : 12 + 9(L-1)]. ---- */
#define AMDVI_PTE_PR			(1ULL << 0)	/* present */
#define AMDVI_PTE_A			(1ULL << 5)	/* accessed (set by the IOMMU) */
#define AMDVI_PTE_D			(1ULL << 6)	/* dirty (leaves, set by the IOMMU) */
#define AMDVI_PTE_NEXT_SHIFT		9		/* bits 11:9 NextLevel */
#define AMDVI_PTE_NEXT_MASK		(7ULL << 9)
#define AMDVI_PTE_ADDR_MASK		AMDVI_BASE_ADDR_MASK	/* bits 51:12 */
#define AMDVI_PTE_U			(1ULL << 59)	/* untranslated access only */
#define AMDVI_PTE_FC			(1ULL << 60)	/* force coherent */
#define AMDVI_PTE_IR			(1ULL << 61)	/* reads allowed */
#define AMDVI_PTE_IW			(1ULL << 62)	/* writes allowed */
/* NextLevel 0: a leaf of the table level's natural size (4 KiB at level 1,
 * 2 MiB at 2, 1 GiB at 3, ...); 1-6: a table of that level (lower than the
 * current one; levels in between are skipped); 7: a leaf whose size is
 * encoded in the address like INVALIDATE_IOMMU_PAGES' (lowest zero bit k
 * >= 12: 2^(k+1) bytes), repeated in every entry it spans. Permissions are
 * the AND of IR/IW along the walk, DTE included. */
#define AMDVI_NEXT_LEAF			0u
#define AMDVI_NEXT_SIZED_LEAF		7u
#define AMDVI_PT_ENTRIES		512u

/* ---- 2.2.5 Interrupt remapping tables: one per device (DTE IntTableRootPtr,
 * 2^IntTabLen entries), indexed by MSI data bits 10:0. ---- */
#define AMDVI_IR_INDEX_MASK		0x7ffu		/* MSI data 10:0 */
#define AMDVI_IR_MAX_ENTRIES		2048u
/* 32-bit entry (Control.GAEn = 0). */
#define AMDVI_IRTE_REMAP_EN		(1u << 0)	/* else the interrupt is refused */
#define AMDVI_IRTE_SUP_IOPF		(1u << 1)	/* suppress the fault event */
#define AMDVI_IRTE_INT_TYPE_SHIFT	2		/* bits 4:2, APIC delivery mode */
#define AMDVI_IRTE_RQ_EOI		(1u << 5)
#define AMDVI_IRTE_DM_LOGICAL		(1u << 6)
#define AMDVI_IRTE_GUEST_MODE		(1u << 7)	/* 128-bit format only */
#define AMDVI_IRTE_DEST_SHIFT		8		/* bits 15:8 */
#define AMDVI_IRTE_VECTOR_SHIFT		16		/* bits 23:16 */
/* 128-bit entry (Control.GAEn = 1), remapped (not guest) mode: low qword
 * bits 7:0 as above, bits 31:8 destination 23:0; high qword bits 7:0 vector,
 * bits 63:56 destination 31:24. */
#define AMDVI_IRTE128_DEST_LO_SHIFT	8
#define AMDVI_IRTE128_DEST_HI_SHIFT	56
/* An IOAPIC's interrupts (2.2.5): the IOAPIC sends an MSI whose data is
 * its redirection entry's vector (bits 7:0) and delivery mode (10:8,
 * 82093AA 3.2.4), so bits 10:0 of the entry choose the remapping entry.
 * Only fixed (000b) and arbitrated (001b) requests are looked up in the
 * table (the other types follow the DTE's pass bits): an IOAPIC reaches
 * entries 0-511 of its table. */
#define AMDVI_IOAPIC_IR_ENTRIES		512u
#define AMDVI_IOAPIC_IR_LOG2		9u

/* ---- 2.4 Commands: 128 bits, four little-endian dwords ---- */
#define AMDVI_CMD_SIZE			16u
#define AMDVI_CMD_OPCODE_SHIFT		28		/* dword 1, bits 31:28 */
enum amdvi_cmd_opcode {
	AMDVI_CMD_COMPLETION_WAIT = 0x1,
	AMDVI_CMD_INVALIDATE_DEVTAB_ENTRY = 0x2,
	AMDVI_CMD_INVALIDATE_IOMMU_PAGES = 0x3,
	AMDVI_CMD_INVALIDATE_IOTLB_PAGES = 0x4,
	AMDVI_CMD_INVALIDATE_INTERRUPT_TABLE = 0x5,
	AMDVI_CMD_PREFETCH_IOMMU_PAGES = 0x6,
	AMDVI_CMD_COMPLETE_PPR_REQUEST = 0x7,
	AMDVI_CMD_INVALIDATE_IOMMU_ALL = 0x8,
};
/* COMPLETION_WAIT dword 0: bit 0 S (store data at the address), bit 1 I
 * (interrupt), bit 2 F (flush queue), bits 31:3 store address 31:3;
 * dword 1 bits 19:0 store address 51:32; dwords 2-3 the data. */
#define AMDVI_CW_S			(1u << 0)
#define AMDVI_CW_I			(1u << 1)
#define AMDVI_CW_F			(1u << 2)
#define AMDVI_CW_ADDR_HI_MASK		0xfffffu
/* INVALIDATE_IOMMU_PAGES dword 1 bits 15:0 domain ID; dword 2: bit 0 S
 * (range, size encoded in the address), bit 1 PDE (page directory entries
 * too), bit 2 GN (guest); bits 31:12 address 31:12; dword 3 address 63:32.
 * With S set, the lowest zero bit k >= 12 of the address says the range is
 * 2^(k+1) bytes, aligned; 0x7ffffffffffff000 is "everything". */
#define AMDVI_INV_S			(1u << 0)
#define AMDVI_INV_PDE			(1u << 1)
#define AMDVI_INV_GN			(1u << 2)
#define AMDVI_INV_ALL_ADDR		0x7ffffffffffff000ULL

/* ---- 2.5 Event log entries: 128 bits, four little-endian dwords ----
 * dword 0 bits 15:0 device ID, bits 19:16 PASID 19:16; dword 1 bits 15:0
 * domain ID or PASID 15:0, bits 27:16 flags, bits 31:28 event code;
 * dwords 2-3 the address. */
#define AMDVI_EVENT_SIZE		16u
enum amdvi_event_code {
	AMDVI_EVENT_ILLEGAL_DEV_TABLE_ENTRY = 0x1,
	AMDVI_EVENT_IO_PAGE_FAULT = 0x2,
	AMDVI_EVENT_DEV_TAB_HARDWARE_ERROR = 0x3,
	AMDVI_EVENT_PAGE_TAB_HARDWARE_ERROR = 0x4,
	AMDVI_EVENT_ILLEGAL_COMMAND_ERROR = 0x5,
	AMDVI_EVENT_COMMAND_HARDWARE_ERROR = 0x6,
	AMDVI_EVENT_IOTLB_INV_TIMEOUT = 0x7,
	AMDVI_EVENT_INVALID_DEVICE_REQUEST = 0x8,
	AMDVI_EVENT_INVALID_PPR_REQUEST = 0x9,
	AMDVI_EVENT_COUNTER_ZERO = 0xa,
};
/* Event flags (the 12-bit field), as IO_PAGE_FAULT defines them. */
#define AMDVI_EVF_GN			(1u << 0)	/* guest (PASID valid) */
#define AMDVI_EVF_NX			(1u << 1)	/* no-execute violation */
#define AMDVI_EVF_US			(1u << 2)	/* user/supervisor */
#define AMDVI_EVF_I			(1u << 3)	/* interrupt request */
#define AMDVI_EVF_PR			(1u << 4)	/* translation present */
#define AMDVI_EVF_RW			(1u << 5)	/* write access */
#define AMDVI_EVF_PE			(1u << 6)	/* permission error */
#define AMDVI_EVF_RZ			(1u << 7)	/* reserved bit not zero */
#define AMDVI_EVF_TR			(1u << 8)	/* translation request */

#endif
