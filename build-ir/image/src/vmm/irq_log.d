build-ir/image/src/vmm/irq_log.o: src/vmm/irq_log.c src/lib/hal.h \
 src/lib/types.h src/lib/log.h src/vmm/irq_log.h src/vmm/irq_policy.h \
 src/iommu/irq_remap.h src/platform/pci_cfg.h
src/lib/hal.h:
src/lib/types.h:
src/lib/log.h:
src/vmm/irq_log.h:
src/vmm/irq_policy.h:
src/iommu/irq_remap.h:
src/platform/pci_cfg.h:
