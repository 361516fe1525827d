/*
 * ivrs-qemu: QEMU 7.2's own IVRS for
 *   qemu-system-x86_64 -machine q35 -nodefaults -device amd-iommu,intremap=on
 *       -device edu -device pcie-root-port,... -device e1000e,bus=<root port>
 * byte for byte except the creator fields (iasl writes its own), read before
 * any firmware ran (bridges have no bus numbers yet). Facts from QEMU
 * hw/i386/acpi-build.c build_amd_iommu and a dump of the real table
 * (tests/integration/test_ivrs_inspect.py pulls it out of QEMU via fw_cfg).
 *
 * What it covers (AMD IOMMU specification 48882, chapter 5):
 *   5.2.1 revision 1, IVinfo PAsize 40, EFRSup clear.
 *   5.2.2 one IVHD of type 10h: the IOMMU is the PCI function 00:01.0, its
 *       registers at 0xfed80000, flags HtTunEn|IotlbSup|PrefSup|PPRSup,
 *       feature reporting GTSup|GASup; one select entry per function on bus 0,
 *       a start/end-of-range pair for the root port's (still unnumbered)
 *       secondary bus, which QEMU reports as bus 0, and the special entry that
 *       names the IOAPIC (id 0) as requester 00:14.0.
 * Good table: ivrs-inspect exits 0 with no warnings.
 *
 * It is also the base of the patched malformed cases (lengths, checksum,
 * truncation: iasl recomputes those) in tests/unit/test_ivrs.c and
 * tests/integration/test_ivrs_inspect.py.
 */
[0004]                          Signature : "IVRS"    [I/O Virtualization Reporting Structure]
[0004]                       Table Length : 00000000
[0001]                           Revision : 01
[0001]                           Checksum : 00
[0006]                             Oem ID : "BOCHS "
[0008]                       Oem Table ID : "BXPC    "
[0004]                       Oem Revision : 00000001
[0004]                    Asl Compiler ID : "BXPC"
[0004]              Asl Compiler Revision : 00000001

[0004]                Virtualization Info : 00002800
[0008]                           Reserved : 0000000000000000

[0001]                      Subtable Type : 10 [Hardware Definition Block]
[0001]                              Flags : D1
[0002]                             Length : 0000
[0002]                           DeviceId : 0008

[0002]                  Capability Offset : 0040
[0008]                       Base Address : 00000000FED80000
[0002]                  PCI Segment Group : 0000
[0002]                Virtualization Info : 0000
[0004]                  Feature Reporting : 00000044

/* 00:00.0 host bridge */
[0001]                         Entry Type : 02
[0002]                          Device ID : 0000
[0001]                       Data Setting : 00

/* 00:01.0 the AMD IOMMU itself */
[0001]                         Entry Type : 02
[0002]                          Device ID : 0008
[0001]                       Data Setting : 00

/* 00:02.0 edu */
[0001]                         Entry Type : 02
[0002]                          Device ID : 0010
[0001]                       Data Setting : 00

/* 00:03.0 pcie-root-port */
[0001]                         Entry Type : 02
[0002]                          Device ID : 0018
[0001]                       Data Setting : 00

/* the root port's secondary bus (0 before firmware numbers it) */
[0001]                         Entry Type : 03
[0002]                          Device ID : 0000
[0001]                       Data Setting : 00

[0001]                         Entry Type : 04
[0002]                          Device ID : 00FF
[0001]                       Data Setting : 00

/* 00:1f.0 LPC, 00:1f.2 SATA, 00:1f.3 SMBus */
[0001]                         Entry Type : 02
[0002]                          Device ID : 00F8
[0001]                       Data Setting : 00

[0001]                         Entry Type : 02
[0002]                          Device ID : 00FA
[0001]                       Data Setting : 00

[0001]                         Entry Type : 02
[0002]                          Device ID : 00FB
[0001]                       Data Setting : 00

/* IOAPIC id 0 sends as 00:14.0 */
[0001]                         Entry Type : 48
[0002]                          Device ID : 0000
[0001]                       Data Setting : 00
[0001]                             Handle : 00
[0002]              Source Used Device ID : 00A0
[0001]                            Variety : 01
