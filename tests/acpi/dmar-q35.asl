/*
 * dmar-q35: QEMU 7.2's own DMAR for
 *   qemu-system-x86_64 -machine q35 -nodefaults -device intel-iommu,intremap=on
 *       -device edu -device pcie-root-port,... -device e1000e,bus=<root port>
 * byte for byte except the creator fields (iasl writes its own). Facts from
 * QEMU hw/i386/acpi-build.c build_dmar_q35 and a dump of the real table
 * (tests/integration/test_dmar_inspect.py pulls it out of QEMU via fw_cfg).
 *
 * What it covers (VT-d spec chapter 8):
 *   8.1 HAW field 0x26 = 39-bit DMA addressing, flags INTR_REMAP only.
 *   8.3 one DRHD at 0xfed90000, INCLUDE_PCI_ALL clear: every device on bus 0
 *       is listed explicitly, one path entry each.
 *   8.3.1 scope types IOAPIC (id 0 on QEMU's pseudo bus 0xff), PCI endpoint,
 *       and PCI sub-hierarchy (the root port at 00:02.0; the e1000e behind it
 *       is covered only through it).
 * Good table: dmar-inspect exits 0 with no warnings.
 *
 * It is also the base of the malformed cases. iasl 20200925 recomputes the
 * table length and checksum and some structure lengths, and hangs (loops
 * forever) on a structure or scope length that disagrees with the fields
 * that follow, so truncated tables, bad checksums, zero-length structures
 * and scopes overrunning their structure are made by patching this .aml in
 * tests/unit/test_dmar.c and tests/integration/test_dmar_inspect.py.
 */
[0004]                          Signature : "DMAR"    [DMA Remapping table]
[0004]                       Table Length : 00000078
[0001]                           Revision : 01
[0001]                           Checksum : 00
[0006]                             Oem ID : "BOCHS "
[0008]                       Oem Table ID : "BXPC    "
[0004]                       Oem Revision : 00000001
[0004]                    Asl Compiler ID : "BXPC"
[0004]              Asl Compiler Revision : 00000001

[0001]                 Host Address Width : 26
[0001]                              Flags : 01
[0010]                           Reserved : 00 00 00 00 00 00 00 00 00 00

[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 0048
[0001]                              Flags : 00
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000
[0008]              Register Base Address : 00000000FED90000

[0001]                  Device Scope Type : 03 [IOAPIC Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : FF
[0002]                           PCI Path : 00,00

/* 00:00.0 host bridge */
[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 00,00

/* 00:01.0 edu */
[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 01,00

/* 00:02.0 pcie-root-port: everything below it */
[0001]                  Device Scope Type : 02 [PCI Bridge Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 02,00

/* 00:1f.0 LPC, 00:1f.2 AHCI, 00:1f.3 SMBus (ICH9) */
[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 1F,00

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 1F,02

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 1F,03
