/* VT-d's interrupt remapping back-end (see vtd_ir.c). */
#ifndef SHOJI_IOMMU_VTD_IR_H
#define SHOJI_IOMMU_VTD_IR_H

#include "iommu/irq_remap.h"
#include "iommu/vtd.h"

/* The operations for irq_remap_init over these units (kept by pointer). */
const struct irq_remap_ops *vtd_ir_ops_for(struct vtd_unit *const *units, unsigned n);

#endif
