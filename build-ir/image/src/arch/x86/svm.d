build-ir/image/src/arch/x86/svm.o: src/arch/x86/svm.c src/arch/x86/cpu.h \
 src/lib/types.h src/arch/x86/npt.h src/vmm/protect.h \
 src/platform/pci_cfg.h src/arch/x86/svm.h src/arch/x86/vmx.h \
 src/vmm/vmx_caps.h src/arch/x86/svm_vcpu.h src/platform/palloc.h \
 src/vmm/apic_guard.h src/vmm/irq_policy.h src/iommu/irq_remap.h \
 src/vmm/mmio_emul.h src/vmm/vcpu.h src/vmm/x86_decode.h \
 src/vmm/guest_mem.h src/arch/x86/trap.h src/arch/x86/stop.h \
 src/platform/options.h src/lib/cmdline.h src/iommu/iommu.h \
 src/iommu/domain.h src/iommu/iopt.h src/platform/memmap.h \
 src/lib/error.h src/lib/hal.h src/lib/log.h src/lib/string.h \
 src/vmm/pci_ports.h src/vmm/chipset_guard.h src/vmm/cpu_state_check.h \
 src/vmm/power.h
src/arch/x86/cpu.h:
src/lib/types.h:
src/arch/x86/npt.h:
src/vmm/protect.h:
src/platform/pci_cfg.h:
src/arch/x86/svm.h:
src/arch/x86/vmx.h:
src/vmm/vmx_caps.h:
src/arch/x86/svm_vcpu.h:
src/platform/palloc.h:
src/vmm/apic_guard.h:
src/vmm/irq_policy.h:
src/iommu/irq_remap.h:
src/vmm/mmio_emul.h:
src/vmm/vcpu.h:
src/vmm/x86_decode.h:
src/vmm/guest_mem.h:
src/arch/x86/trap.h:
src/arch/x86/stop.h:
src/platform/options.h:
src/lib/cmdline.h:
src/iommu/iommu.h:
src/iommu/domain.h:
src/iommu/iopt.h:
src/platform/memmap.h:
src/lib/error.h:
src/lib/hal.h:
src/lib/log.h:
src/lib/string.h:
src/vmm/pci_ports.h:
src/vmm/chipset_guard.h:
src/vmm/cpu_state_check.h:
src/vmm/power.h:
