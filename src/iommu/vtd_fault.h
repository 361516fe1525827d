/* VT-d fault records decoded into the neutral record (iommu/fault.h);
 * portable: no register access here, the driver reads the records. */
#ifndef SHOJI_IOMMU_VTD_FAULT_H
#define SHOJI_IOMMU_VTD_FAULT_H

#include "iommu/fault.h"
#include "lib/types.h"

/* Decodes one 128-bit fault recording register (VT-d 11.4.14) into the
 * neutral record: SID, FI (bits 63:12), T (1 = read), FR with its text. */
void vtd_fault_decode(uint64_t lo, uint64_t hi, struct iommu_fault *f);

/* The reason as text, e.g. "PTE write access not set"; never NULL. */
const char *vtd_fault_reason_str(uint8_t reason);

/* Logs one fault, exactly:
 * "vtd fault unit=U sid=BB:DD.F addr=0x... type=read|write reason=0xRR (text)" */
void vtd_fault_log(unsigned unit, const struct iommu_fault *f);

#endif
