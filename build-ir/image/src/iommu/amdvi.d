build-ir/image/src/iommu/amdvi.o: src/iommu/amdvi.c src/iommu/amdvi.h \
 src/iommu/amdvi_cmdbuf.h src/iommu/amdvi_cmd.h src/lib/types.h \
 src/iommu/amdvi_evlog.h src/iommu/amdvi_event.h src/iommu/fault.h \
 src/iommu/ivrs.h src/iommu/amdvi_dte.h src/iommu/amdvi_pte.h \
 src/iommu/amdvi_regs.h src/iommu/iommu_backend.h src/iommu/domain.h \
 src/iommu/iopt.h src/vmm/protect.h src/platform/pci_cfg.h \
 src/iommu/iommu.h src/platform/memmap.h src/iommu/irq_remap.h \
 src/lib/deadline.h src/lib/hal.h src/lib/error.h src/lib/log.h \
 src/lib/string.h src/platform/pci.h
src/iommu/amdvi.h:
src/iommu/amdvi_cmdbuf.h:
src/iommu/amdvi_cmd.h:
src/lib/types.h:
src/iommu/amdvi_evlog.h:
src/iommu/amdvi_event.h:
src/iommu/fault.h:
src/iommu/ivrs.h:
src/iommu/amdvi_dte.h:
src/iommu/amdvi_pte.h:
src/iommu/amdvi_regs.h:
src/iommu/iommu_backend.h:
src/iommu/domain.h:
src/iommu/iopt.h:
src/vmm/protect.h:
src/platform/pci_cfg.h:
src/iommu/iommu.h:
src/platform/memmap.h:
src/iommu/irq_remap.h:
src/lib/deadline.h:
src/lib/hal.h:
src/lib/error.h:
src/lib/log.h:
src/lib/string.h:
src/platform/pci.h:
