# aseg-dma: a device (edu) writes into SMRAM's legacy window at 0xA8000,
# where SeaBIOS keeps the SMI handler (shoji.script=aseg-dma). Natively the
# write lands (QEMU without VGA decodes SMRAM's RAM there for non-SMM
# accesses); under shoji the window is out of every IOMMU domain and the
# write faults. The host compares its own dump of the window with the
# pattern's checksum printed here.
echo "guest: aseg-dma start uptime=$(uptime_s)"
edu-dma --seed 7 write-to 0xa8000 256
echo "guest: aseg-dma done rc=$?"
true
