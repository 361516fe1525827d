build-ir/image/src/core/disk.o: src/core/disk.c src/arch/x86/serial.h \
 src/lib/types.h src/core/disk.h src/platform/bootinfo.h \
 src/platform/memmap.h src/platform/options.h src/lib/cmdline.h \
 src/crypto/pbkdf2.h src/crypto/secrets.h src/crypto/selftest.h \
 src/crypto/wipe.h src/crypto/xts.h src/crypto/aes.h src/devices/ahci.h \
 src/devices/ahci_regs.h src/iommu/domain.h src/iommu/iopt.h \
 src/vmm/protect.h src/platform/pci_cfg.h src/iommu/iommu.h \
 src/lib/error.h src/lib/hal.h src/lib/log.h src/lib/printf.h \
 src/lib/string.h src/platform/palloc.h src/platform/pci.h \
 src/vmm/mmio_emul.h src/vmm/vcpu.h src/vmm/x86_decode.h
src/arch/x86/serial.h:
src/lib/types.h:
src/core/disk.h:
src/platform/bootinfo.h:
src/platform/memmap.h:
src/platform/options.h:
src/lib/cmdline.h:
src/crypto/pbkdf2.h:
src/crypto/secrets.h:
src/crypto/selftest.h:
src/crypto/wipe.h:
src/crypto/xts.h:
src/crypto/aes.h:
src/devices/ahci.h:
src/devices/ahci_regs.h:
src/iommu/domain.h:
src/iommu/iopt.h:
src/vmm/protect.h:
src/platform/pci_cfg.h:
src/iommu/iommu.h:
src/lib/error.h:
src/lib/hal.h:
src/lib/log.h:
src/lib/printf.h:
src/lib/string.h:
src/platform/palloc.h:
src/platform/pci.h:
src/vmm/mmio_emul.h:
src/vmm/vcpu.h:
src/vmm/x86_decode.h:
