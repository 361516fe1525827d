/* Intel VT-d remapping-unit registers and in-memory structures.
 *
 * Facts from the Intel Virtualization Technology for Directed I/O
 * Architecture Specification (rev. 3.x/4.x): register offsets and fields in
 * chapter 11 ("Register Descriptions"), root/context entries in 9.1/9.3,
 * invalidation descriptors in 6.5.2, fault recording in 7.2 and 11.4.14.
 * Cross-checked with QEMU's hw/i386/intel_iommu_internal.h. */
#ifndef SHOJI_IOMMU_VTD_REGS_H
#define SHOJI_IOMMU_VTD_REGS_H

#include "lib/types.h"

/* 11.4 Register offsets. */
#define VTD_REG_VER	0x00	/* 32: version */
#define VTD_REG_CAP	0x08	/* 64: capabilities */
#define VTD_REG_ECAP	0x10	/* 64: extended capabilities */
#define VTD_REG_GCMD	0x18	/* 32: global command */
#define VTD_REG_GSTS	0x1c	/* 32: global status */
#define VTD_REG_RTADDR	0x20	/* 64: root table address */
#define VTD_REG_CCMD	0x28	/* 64: context command */
#define VTD_REG_FSTS	0x34	/* 32: fault status */
#define VTD_REG_FECTL	0x38	/* 32: fault event control */
#define VTD_REG_FEDATA	0x3c
#define VTD_REG_FEADDR	0x40
#define VTD_REG_FEUADDR	0x44
#define VTD_REG_PMEN	0x64	/* 32: protected memory enable */
#define VTD_REG_PLMBASE	0x68	/* 32 */
#define VTD_REG_PLMLIMIT 0x6c	/* 32 */
#define VTD_REG_PHMBASE	0x70	/* 64 */
#define VTD_REG_PHMLIMIT 0x78	/* 64 */
#define VTD_REG_IQH	0x80	/* 64: invalidation queue head */
#define VTD_REG_IQT	0x88	/* 64: invalidation queue tail */
#define VTD_REG_IQA	0x90	/* 64: invalidation queue address */
#define VTD_REG_ICS	0x9c	/* 32: invalidation completion status */
#define VTD_REG_IRTA	0xb8	/* 64: interrupt remapping table address */
/* IVA / IOTLB are at ECAP.IRO * 16 (+0, +8); fault records at CAP.FRO * 16. */
#define VTD_IOTLB_REG_IVA 0x0
#define VTD_IOTLB_REG_IOTLB 0x8
#define VTD_FRCD_SIZE	16

/* 11.4.1 VER */
#define VTD_VER_MAJOR(v) (((v) >> 4) & 0xf)
#define VTD_VER_MINOR(v) ((v) & 0xf)

/* 11.4.2 CAP */
#define VTD_CAP_ND(c)		((c) & 0x7)			/* domain-id bits = 4 + 2*ND */
#define VTD_CAP_RWBF		(1ULL << 4)			/* required write-buffer flushing */
#define VTD_CAP_PLMR		(1ULL << 5)			/* protected low-memory region */
#define VTD_CAP_PHMR		(1ULL << 6)			/* protected high-memory region */
#define VTD_CAP_CM		(1ULL << 7)			/* caching mode */
#define VTD_CAP_SAGAW(c)	(((c) >> 8) & 0x1f)		/* bit1: 39-bit, bit2: 48, bit3: 57 */
#define VTD_CAP_MGAW(c)		((((c) >> 16) & 0x3f) + 1)	/* max guest address width */
#define VTD_CAP_FRO(c)		((((c) >> 24) & 0x3ff) * 16)	/* fault-recording offset */
#define VTD_CAP_SLLPS(c)	(((c) >> 34) & 0xf)		/* bit0: 2 MiB, bit1: 1 GiB */
#define VTD_CAP_PSI		(1ULL << 39)			/* page-selective invalidation */
#define VTD_CAP_NFR(c)		((((c) >> 40) & 0xff) + 1)	/* number of fault records */

/* 11.4.3 ECAP */
#define VTD_ECAP_C		(1ULL << 0)	/* page-walk coherency */
#define VTD_ECAP_QI		(1ULL << 1)	/* queued invalidation */
#define VTD_ECAP_DT		(1ULL << 2)	/* device-TLB */
#define VTD_ECAP_IR		(1ULL << 3)	/* interrupt remapping */
#define VTD_ECAP_EIM		(1ULL << 4)	/* extended interrupt mode (x2APIC) */
#define VTD_ECAP_PT		(1ULL << 6)	/* pass-through */
#define VTD_ECAP_IRO(e)		((((e) >> 8) & 0x3ff) * 16)	/* IOTLB register offset */
#define VTD_ECAP_SMTS		(1ULL << 43)	/* scalable mode */

/* 11.4.4 GCMD / 11.4.5 GSTS: same bit positions. TE, QIE, IRE and CFI are
 * states that a GCMD write must carry along; SRTP, SFL, WBF and SIRTP are
 * one-shot commands that must not be repeated (11.4.4, "software must
 * read GSTS, mask the one-shot bits, then set or clear one bit"). */
#define VTD_GCMD_TE		(1u << 31)	/* translation enable */
#define VTD_GCMD_SRTP		(1u << 30)	/* set root table pointer */
#define VTD_GCMD_SFL		(1u << 29)
#define VTD_GCMD_EAFL		(1u << 28)
#define VTD_GCMD_WBF		(1u << 27)	/* write buffer flush */
#define VTD_GCMD_QIE		(1u << 26)	/* queued invalidation enable */
#define VTD_GCMD_IRE		(1u << 25)	/* interrupt remapping enable */
#define VTD_GCMD_SIRTP		(1u << 24)
#define VTD_GCMD_CFI		(1u << 23)	/* compatibility format interrupts */
#define VTD_GCMD_ONE_SHOT	(VTD_GCMD_SRTP | VTD_GCMD_SFL | VTD_GCMD_EAFL | \
				 VTD_GCMD_WBF | VTD_GCMD_SIRTP)
#define VTD_GSTS_TES		VTD_GCMD_TE
#define VTD_GSTS_RTPS		VTD_GCMD_SRTP
#define VTD_GSTS_WBFS		VTD_GCMD_WBF
#define VTD_GSTS_QIES		VTD_GCMD_QIE
#define VTD_GSTS_IRES		VTD_GCMD_IRE
#define VTD_GSTS_IRTPS		VTD_GCMD_SIRTP	/* table pointer latched */
#define VTD_GSTS_CFIS		VTD_GCMD_CFI	/* compatibility format allowed */

/* 11.4.29 IRTA: bits 63:12 table address, bit 11 EIME (x2APIC mode), bits
 * 3:0 S: the table has 2^(S+1) entries. */
#define VTD_IRTA_EIME		(1ULL << 11)
#define VTD_IRTA_S(entries_log2) ((uint64_t)((entries_log2) - 1) & 0xf)

/* 11.4.7 RTADDR: bits 11:10 TTM (0 = legacy root table). */
#define VTD_RTADDR_TTM_MASK	(3ULL << 10)

/* 11.4.8 CCMD */
#define VTD_CCMD_ICC		(1ULL << 63)	/* invalidate context cache (busy) */
#define VTD_CCMD_CIRG_GLOBAL	(1ULL << 61)
#define VTD_CCMD_CIRG_DOMAIN	(2ULL << 61)
#define VTD_CCMD_CIRG_DEVICE	(3ULL << 61)
#define VTD_CCMD_CAIG(v)	(((v) >> 59) & 3)	/* actual granularity */

/* 11.4.8.1 IOTLB invalidate register */
#define VTD_IOTLB_IVT		(1ULL << 63)	/* invalidate (busy) */
#define VTD_IOTLB_IIRG_GLOBAL	(1ULL << 60)
#define VTD_IOTLB_IIRG_DOMAIN	(2ULL << 60)
#define VTD_IOTLB_IAIG(v)	(((v) >> 57) & 3)
#define VTD_IOTLB_DR		(1ULL << 49)	/* drain reads */
#define VTD_IOTLB_DW		(1ULL << 48)	/* drain writes */
#define VTD_IOTLB_DID(d)	((uint64_t)(d) << 32)

/* 11.4.9 FSTS: PFO, AFO, APF, IQE, ICE, ITE are write-1-to-clear; PPF is
 * the OR of the fault records' F bits and clears when they are cleared. */
#define VTD_FSTS_PFO		(1u << 0)	/* primary fault overflow */
#define VTD_FSTS_PPF		(1u << 1)	/* primary pending fault */
#define VTD_FSTS_AFO		(1u << 2)
#define VTD_FSTS_APF		(1u << 3)
#define VTD_FSTS_IQE		(1u << 4)	/* invalidation queue error */
#define VTD_FSTS_ICE		(1u << 5)	/* invalidation completion error */
#define VTD_FSTS_ITE		(1u << 6)	/* invalidation time-out error */
#define VTD_FSTS_FRI(v)		(((v) >> 8) & 0xff)	/* first fault record index */
#define VTD_FSTS_W1C		(VTD_FSTS_PFO | VTD_FSTS_AFO | VTD_FSTS_APF | \
				 VTD_FSTS_IQE | VTD_FSTS_ICE | VTD_FSTS_ITE)

/* 11.4.10 FECTL */
#define VTD_FECTL_IM		(1u << 31)	/* interrupt mask */
#define VTD_FECTL_IP		(1u << 30)	/* interrupt pending */

/* 11.4.14 Fault recording register (128 bits): low qword bits 63:12 FI
 * (faulting page address); high qword: bit 63 F (fault, write 1 to
 * clear), bit 62 T (type: 0 = write request, 1 = read request in the
 * legacy encoding), bits 61:60 AT, bits 39:32 FR (reason), bits 15:0 SID. */
#define VTD_FRCD_HI_F		(1ULL << 63)
#define VTD_FRCD_HI_T		(1ULL << 62)
#define VTD_FRCD_HI_FR(h)	(((h) >> 32) & 0xff)
#define VTD_FRCD_HI_SID(h)	((h) & 0xffff)
#define VTD_FRCD_LO_FI(l)	((l) & ~0xfffULL)

/* 11.4.15 PMEN */
#define VTD_PMEN_EPM		(1u << 31)	/* enable protected memory */
#define VTD_PMEN_PRS		(1u << 0)	/* protected region status */

/* 11.4.9.3 IQA: bits 2:0 queue size (2^QS 4 KiB pages), bit 11 DW (256-bit
 * descriptors; shoji uses 128-bit ones, DW = 0). IQT/IQH: bits 18:4 index. */
#define VTD_IQA_QS(n)		((uint64_t)(n) & 7)
#define VTD_IQ_INDEX_SHIFT	4
#define VTD_ICS_IWC		(1u << 0)

/* 9.1 Root entry (legacy mode, 128 bits): lo bit 0 P, bits 63:12 CTP. */
#define VTD_ROOT_P		(1ULL << 0)
/* 9.3 Context entry (legacy, 128 bits): lo bit 0 P, bit 1 FPD, bits 3:2 TT
 * (0 = second-level translation only), bits 63:12 SLPTPTR; hi bits 2:0 AW
 * (1 = 39-bit/3-level, 2 = 48/4, 3 = 57/5), bits 23:8 DID. */
#define VTD_CTX_LO_P		(1ULL << 0)
#define VTD_CTX_LO_FPD		(1ULL << 1)
#define VTD_CTX_LO_TT_SLT	(0ULL << 2)
#define VTD_CTX_HI_AW(aw)	((uint64_t)(aw) & 7)
#define VTD_CTX_HI_DID(d)	((uint64_t)(d) << 8)

struct vtd_entry128 {
	uint64_t lo, hi;
};

/* 6.5.2 Invalidation descriptors (128-bit). */
#define VTD_INV_CC		0x1		/* context-cache invalidate */
#define VTD_INV_IOTLB		0x2
#define VTD_INV_IEC		0x4		/* interrupt entry cache invalidate */
#define VTD_INV_WAIT		0x5
/* 6.5.2.7 IEC descriptor: bit 4 G (1 = index-selective), bits 31:27 IM
 * (2^IM entries from IIDX), bits 47:32 IIDX. */
#define VTD_INV_IEC_INDEX	(1ULL << 4)
#define VTD_INV_IEC_IM(m)	((uint64_t)((m) & 0x1f) << 27)
#define VTD_INV_IEC_IIDX(i)	((uint64_t)(i) << 32)
#define VTD_INV_CC_GLOBAL	(1ULL << 4)
#define VTD_INV_IOTLB_GLOBAL	(1ULL << 4)
#define VTD_INV_IOTLB_DOMAIN	(2ULL << 4)
#define VTD_INV_IOTLB_DR	(1ULL << 7)
#define VTD_INV_IOTLB_DW	(1ULL << 6)
#define VTD_INV_IOTLB_DID(d)	((uint64_t)(d) << 16)
#define VTD_INV_WAIT_IF		(1ULL << 4)
#define VTD_INV_WAIT_SW		(1ULL << 5)	/* status write */
#define VTD_INV_WAIT_FN		(1ULL << 6)	/* fence */
#define VTD_INV_WAIT_DATA(d)	((uint64_t)(d) << 32)

/* 7.1.3 Legacy fault reasons (Appendix A of rev. 3.x lists them). */
enum vtd_fault_reason {
	VTD_FR_ROOT_NOT_PRESENT = 0x1,
	VTD_FR_CTX_NOT_PRESENT = 0x2,
	VTD_FR_CTX_INVALID = 0x3,
	VTD_FR_BEYOND_AGAW = 0x4,
	VTD_FR_WRITE = 0x5,
	VTD_FR_READ = 0x6,
	VTD_FR_PTE_ACCESS = 0x7,
	VTD_FR_ROOT_ACCESS = 0x8,
	VTD_FR_CTX_ACCESS = 0x9,
	VTD_FR_ROOT_RSVD = 0xa,
	VTD_FR_CTX_RSVD = 0xb,
	VTD_FR_PTE_RSVD = 0xc,
	VTD_FR_TT_BLOCKED = 0xd,
};

#endif
