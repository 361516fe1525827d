/* AMD-Vi MMIO registers and fields (AMD I/O Virtualization Technology
 * (IOMMU) Specification 48882 rev 3.x, section 3.4 "IOMMU MMIO registers").
 * Facts only: offsets from the IOMMU's MMIO base (IVHD base address, the
 * capability block's base address register, which holds bits 51:14, so the
 * base is 16 KiB aligned). */
#ifndef SHOJI_IOMMU_AMDVI_REGS_H
#define SHOJI_IOMMU_AMDVI_REGS_H

#include "lib/types.h"

#define AMDVI_MMIO_ALIGN	0x4000ULL	/* base bits 13:0 are zero */

/* 0030h IOMMU Extended Feature Register (EFR); IVHD types 11h/40h carry an
 * image of it (5.2.2). */
#define AMDVI_MMIO_EFR			0x0030
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

#endif
