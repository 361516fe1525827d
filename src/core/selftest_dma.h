/* selftest=dma: drives QEMU's edu device to attack the hypervisor region by
 * DMA and checks that the IOMMU stops it (see selftest_dma.c). */
#ifndef SHOJI_CORE_SELFTEST_DMA_H
#define SHOJI_CORE_SELFTEST_DMA_H

#include "platform/bootinfo.h"

/* Runs every case, logs one result line each and a summary; returns the
 * number of failed cases (0 = all passed). protected_ = the IOMMU is on. */
int selftest_dma(const struct boot_info *bi, paddr_t hv_base, paddr_t hv_end, bool protected_);

#endif
