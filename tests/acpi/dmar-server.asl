/*
 * dmar-server: a two-segment server-style table (invented values, real-world
 * shapes) for what the other good tables leave out:
 *   8.1 HAW field 0x2d = 46 bits; flags 0x7: INTR_REMAP, X2APIC_OPT_OUT and
 *       DMA_CTRL_PLATFORM_OPT_IN all set
 *   8.3 three units over two segments, each segment ending with its own
 *       INCLUDE_PCI_ALL unit (iasl 20200925 calls the DRHD size byte
 *       "Reserved" and forces it to 0, so the size field is tested in
 *       tests/unit/test_dmar.c)
 *   8.3.1 every scope type: PCI sub-hierarchy (root port 00:03.0), a two-hop
 *       endpoint (1c.4/00.0: the device behind root port 00:1c.4), an MSI
 *       HPET, IOAPICs (one on the 0xf0 pseudo bus, one on a PCI function),
 *       an ACPI namespace device (id 1 = the ANDD's I2C controller)
 *   8.4 two RMRRs (xHCI/EHCI buffers; the graphics stolen memory)
 *   8.5 an ATSR listing root ports, and an ALL_PORTS ATSR for segment 1
 *   8.6 an RHSA per unit (proximity domains 0, 0, 1)
 *   8.7 an ANDD
 * Good table: dmar-inspect exits 0 with no warnings.
 */
[0004]                          Signature : "DMAR"    [DMA Remapping table]
[0004]                       Table Length : 00000000
[0001]                           Revision : 01
[0001]                           Checksum : 00
[0006]                             Oem ID : "SHOJI "
[0008]                       Oem Table ID : "SERVER  "
[0004]                       Oem Revision : 00000001
[0004]                    Asl Compiler ID : "INTL"
[0004]              Asl Compiler Revision : 20200925

[0001]                 Host Address Width : 2D
[0001]                              Flags : 07
[0010]                           Reserved : 00 00 00 00 00 00 00 00 00 00

/* unit 0, segment 0: root port 00:03.0 and below, the device behind root port 00:1c.4, HPET 0 */
[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 002A
[0001]                              Flags : 00
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000
[0008]              Register Base Address : 00000000D37FC000

[0001]                  Device Scope Type : 02 [PCI Bridge Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 03,00

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 0A
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 1C,04
[0002]                           PCI Path : 00,00

[0001]                  Device Scope Type : 04 [Message-capable HPET Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 1F,00

/* unit 1, segment 0: everything else; IOAPICs 8 and 9, ACPI device 1 */
[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 0028
[0001]                              Flags : 01
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000
[0008]              Register Base Address : 00000000FBFFC000

[0001]                  Device Scope Type : 03 [IOAPIC Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 08
[0001]                     PCI Bus Number : F0
[0002]                           PCI Path : 1F,00

[0001]                  Device Scope Type : 03 [IOAPIC Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 09
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 05,04

[0001]                  Device Scope Type : 05 [ACPI Namespace Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 01
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 15,00

/* unit 2, segment 1: everything; IOAPIC 10 */
[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 0018
[0001]                              Flags : 01
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0001
[0008]              Register Base Address : 00000000C5FFC000

[0001]                  Device Scope Type : 03 [IOAPIC Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 0A
[0001]                     PCI Bus Number : 80
[0002]                           PCI Path : 05,04

/* USB controllers 00:14.0 and 00:1a.0 */
[0002]                      Subtable Type : 0001 [Reserved Memory Region]
[0002]                             Length : 0028
[0002]                           Reserved : 0000
[0002]                 PCI Segment Number : 0000
[0008]                       Base Address : 000000006D2A5000
[0008]                End Address (limit) : 000000006D2B3FFF

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 14,00

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 1A,00

/* integrated graphics stolen memory */
[0002]                      Subtable Type : 0001 [Reserved Memory Region]
[0002]                             Length : 0020
[0002]                           Reserved : 0000
[0002]                 PCI Segment Number : 0000
[0008]                       Base Address : 000000006F800000
[0008]                End Address (limit) : 000000007FFFFFFF

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 02,00

/* ATS-capable root ports of segment 0 */
[0002]                      Subtable Type : 0002 [Root Port ATS Capability]
[0002]                             Length : 0018
[0001]                              Flags : 00
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000

[0001]                  Device Scope Type : 02 [PCI Bridge Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 01,00

[0001]                  Device Scope Type : 02 [PCI Bridge Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 03,00

/* segment 1: all root ports support ATS */
[0002]                      Subtable Type : 0002 [Root Port ATS Capability]
[0002]                             Length : 0008
[0001]                              Flags : 01
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0001

/* unit 0 in proximity domain 0 */
[0002]                      Subtable Type : 0003 [Remapping Hardware Static Affinity]
[0002]                             Length : 0014
[0004]                           Reserved : 00000000
[0008]                       Base Address : 00000000D37FC000
[0004]                   Proximity Domain : 00000000

/* unit 1 in proximity domain 0 */
[0002]                      Subtable Type : 0003 [Remapping Hardware Static Affinity]
[0002]                             Length : 0014
[0004]                           Reserved : 00000000
[0008]                       Base Address : 00000000FBFFC000
[0004]                   Proximity Domain : 00000000

/* unit 2 in proximity domain 1 */
[0002]                      Subtable Type : 0003 [Remapping Hardware Static Affinity]
[0002]                             Length : 0014
[0004]                           Reserved : 00000000
[0008]                       Base Address : 00000000C5FFC000
[0004]                   Proximity Domain : 00000001

/* ACPI device number 1 */
[0002]                      Subtable Type : 0004 [ACPI Namespace Device Declaration]
[0002]                             Length : 0017
[0003]                           Reserved : 000000
[0001]                      Device Number : 01
[0000]                        Device Name : "\_SB.PCI0.I2C0"
