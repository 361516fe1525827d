build-ir/image/src/vmm/pci_ports.o: src/vmm/pci_ports.c src/lib/hal.h \
 src/lib/types.h src/lib/log.h src/vmm/protect.h src/platform/pci_cfg.h \
 src/vmm/msi_virt.h src/vmm/msix_virt.h src/vmm/mmio_emul.h \
 src/vmm/vcpu.h src/vmm/x86_decode.h src/vmm/pci_guard.h \
 src/vmm/pci_ports.h
src/lib/hal.h:
src/lib/types.h:
src/lib/log.h:
src/vmm/protect.h:
src/platform/pci_cfg.h:
src/vmm/msi_virt.h:
src/vmm/msix_virt.h:
src/vmm/mmio_emul.h:
src/vmm/vcpu.h:
src/vmm/x86_decode.h:
src/vmm/pci_guard.h:
src/vmm/pci_ports.h:
