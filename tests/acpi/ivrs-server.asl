/*
 * ivrs-server: a two-segment, three-IOMMU server-like IVRS (what an EPYC
 * machine's looks like, with invented numbers), every IVHD type 10h entry
 * type and all three IVMD types. iasl 20200925 cannot compile IVHD types 11h
 * and 40h nor ACPI HID entries (F0h): those are built byte by byte in
 * tests/unit/test_ivrs.c and tests/integration/test_ivrs_inspect.py.
 *
 *   ivhd 0  segment 0, IOMMU 00:00.2 at 0xfd200000: buses 00-3f
 *           - 03h/04h range 00:01.0-00:07.7, 02h select 00:08.0
 *           - 43h/04h alias range: bus 02 lies behind a PCIe-to-PCI bridge
 *             at 01:00.0, which forwards its devices' requests as 01:00.0
 *           - 42h alias select: 03:00.0 requests as 00:14.4
 *           - 46h extended select 00:08.1 with ATS disabled
 *           - 47h/04h extended range 04:00.0-3f:1f.7, ATS allowed
 *           - 48h IOAPIC id 33 as 00:14.0 (INIT/ExtInt/NMI/LINT pass), IOAPIC
 *             id 34 as 00:00.1, HPET 0 as 00:14.0
 *   ivhd 1  segment 0, IOMMU 40:00.2 at 0xfd300000: buses 40-7f (03h/04h)
 *   ivhd 2  segment 1, IOMMU 00:00.2 at 0xfe200000 (the same device ID as
 *           ivhd 0, another segment: another IOMMU), 01h all device IDs
 *   ivmd    20h all devices: unity map R/W of 0x7ec00000+1 MiB
 *           21h 00:08.0: unity map read-only of 0x7ed00000+64 KiB
 *           22h 40:00.0-40:1f.7: exclusion range 0x7ee00000+2 MiB
 * Good table: ivrs-inspect exits 0 with no warnings.
 */
[0004]                          Signature : "IVRS"    [I/O Virtualization Reporting Structure]
[0004]                       Table Length : 00000000
[0001]                           Revision : 01
[0001]                           Checksum : 00
[0006]                             Oem ID : "SHOJI "
[0008]                       Oem Table ID : "SERVER  "
[0004]                       Oem Revision : 00000001
[0004]                    Asl Compiler ID : "INTL"
[0004]              Asl Compiler Revision : 20200925

[0004]                Virtualization Info : 00203041
[0008]                           Reserved : 0000000000000000

/* ivhd 0: segment 0, buses 00-3f */
[0001]                      Subtable Type : 10 [Hardware Definition Block]
[0001]                              Flags : B0
[0002]                             Length : 0000
[0002]                           DeviceId : 0002

[0002]                  Capability Offset : 0040
[0008]                       Base Address : 00000000FD200000
[0002]                  PCI Segment Group : 0000
[0002]                Virtualization Info : 0000
[0004]                  Feature Reporting : 80048F6E

/* 00:01.0-00:07.7 */
[0001]                         Entry Type : 03
[0002]                          Device ID : 0008
[0001]                       Data Setting : 00

[0001]                         Entry Type : 04
[0002]                          Device ID : 003F
[0001]                       Data Setting : 00

/* 00:08.0 */
[0001]                         Entry Type : 02
[0002]                          Device ID : 0040
[0001]                       Data Setting : 00

/* bus 02 behind the PCIe-to-PCI bridge 01:00.0: requests carry 01:00.0 */
[0001]                         Entry Type : 43
[0002]                          Device ID : 0200
[0001]                       Data Setting : 00
[0001]                           Reserved : 00
[0002]              Source Used Device ID : 0100
[0001]                           Reserved : 00

[0001]                         Entry Type : 04
[0002]                          Device ID : 02FF
[0001]                       Data Setting : 00

/* 03:00.0 requests as 00:14.4 */
[0001]                         Entry Type : 42
[0002]                          Device ID : 0300
[0001]                       Data Setting : 00
[0001]                           Reserved : 00
[0002]              Source Used Device ID : 00A4
[0001]                           Reserved : 00

/* 00:08.1: ATS disabled */
[0001]                         Entry Type : 46
[0002]                          Device ID : 0041
[0001]                       Data Setting : 00
[0004]                      Extended Data : 80000000

/* 04:00.0-3f:1f.7: ATS allowed */
[0001]                         Entry Type : 47
[0002]                          Device ID : 0400
[0001]                       Data Setting : 00
[0004]                      Extended Data : 00000000

[0001]                         Entry Type : 04
[0002]                          Device ID : 3FFF
[0001]                       Data Setting : 00

/* IOAPIC id 33 as 00:14.0, INIT/ExtInt/NMI/LINT0/LINT1 pass */
[0001]                         Entry Type : 48
[0002]                          Device ID : 0000
[0001]                       Data Setting : D7
[0001]                             Handle : 21
[0002]              Source Used Device ID : 00A0
[0001]                            Variety : 01

/* IOAPIC id 34 as 00:00.1 */
[0001]                         Entry Type : 48
[0002]                          Device ID : 0000
[0001]                       Data Setting : 00
[0001]                             Handle : 22
[0002]              Source Used Device ID : 0001
[0001]                            Variety : 01

/* HPET 0 as 00:14.0 */
[0001]                         Entry Type : 48
[0002]                          Device ID : 0000
[0001]                       Data Setting : 00
[0001]                             Handle : 00
[0002]              Source Used Device ID : 00A0
[0001]                            Variety : 02

/* ivhd 1: segment 0, buses 40-7f */
[0001]                      Subtable Type : 10 [Hardware Definition Block]
[0001]                              Flags : B0
[0002]                             Length : 0000
[0002]                           DeviceId : 4002

[0002]                  Capability Offset : 0040
[0008]                       Base Address : 00000000FD300000
[0002]                  PCI Segment Group : 0000
[0002]                Virtualization Info : 0000
[0004]                  Feature Reporting : 80048F6E

[0001]                         Entry Type : 03
[0002]                          Device ID : 4000
[0001]                       Data Setting : 00

[0001]                         Entry Type : 04
[0002]                          Device ID : 7FFF
[0001]                       Data Setting : 00

/* ivhd 2: segment 1, all buses */
[0001]                      Subtable Type : 10 [Hardware Definition Block]
[0001]                              Flags : B0
[0002]                             Length : 0000
[0002]                           DeviceId : 0002

[0002]                  Capability Offset : 0040
[0008]                       Base Address : 00000000FE200000
[0002]                  PCI Segment Group : 0001
[0002]                Virtualization Info : 0000
[0004]                  Feature Reporting : 80048F6E

/* all device IDs of segment 1 (the only IOMMU there) */
[0001]                         Entry Type : 01
[0002]                          Device ID : 0000
[0001]                       Data Setting : 00

/* ivmd: all devices, unity R/W */
[0001]                      Subtable Type : 20 [Memory Definition Block]
[0001]                              Flags : 07
[0002]                             Length : 0020
[0002]                           DeviceId : 0000

[0002]                     Auxiliary Data : 0000
[0008]                           Reserved : 0000000000000000
[0008]                      Start Address : 000000007EC00000
[0008]                      Memory Length : 0000000000100000

/* ivmd: 00:08.0, unity read-only */
[0001]                      Subtable Type : 21 [Memory Definition Block]
[0001]                              Flags : 03
[0002]                             Length : 0020
[0002]                           DeviceId : 0040

[0002]                     Auxiliary Data : 0000
[0008]                           Reserved : 0000000000000000
[0008]                      Start Address : 000000007ED00000
[0008]                      Memory Length : 0000000000010000

/* ivmd: 40:00.0-40:1f.7, exclusion range */
[0001]                      Subtable Type : 22 [Memory Definition Block]
[0001]                              Flags : 08
[0002]                             Length : 0020
[0002]                           DeviceId : 4000

[0002]                     Auxiliary Data : 40FF
[0008]                           Reserved : 0000000000000000
[0008]                      Start Address : 000000007EE00000
[0008]                      Memory Length : 0000000000200000
