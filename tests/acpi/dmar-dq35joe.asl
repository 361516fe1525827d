/*
 * dmar-dq35joe: modelled on the Intel DQ35JOE board's DMAR from the talk
 * (shared/seed/README.md): 35-bit host address width and four remapping
 * units,
 *   0xFEB00000  scope 00:1b.0 (HD audio)
 *   0xFEB01000  scopes 00:02.0 and 00:02.1 (integrated graphics)
 *   0xFEB02000  no scope
 *   0xFEB03000  INCLUDE_PCI_ALL (every other device of segment 0), last
 * plus structures that board may not have, added so that one good table
 * exercises every structure type iasl 20200925 knows (it cannot compile
 * 8.8 SATC; the unit tests build that one from bytes):
 *   8.3.1 ACPI namespace device scope (enumeration id 1) in the INCLUDE_PCI_ALL
 *         unit, named by the ANDD below: the ISA DMA controller, requester
 *         id 00:1f.0
 *   8.4 RMRR 0x3f6e8000-0x3f6fffff for the USB controllers 00:1d.0 and
 *       00:1d.7 and a device behind the PCI bridge 00:1e.0: a two-hop path
 *       1e.0/01.0, which only the live PCI topology turns into a BDF
 *   8.5 ATSR for root port 00:1c.0
 *   8.6 RHSA: unit 0xFEB03000 in proximity domain 0
 *   8.7 ANDD: device number 1 = \_SB.PCI0.LPCB.DMAC
 * Header flags: none (Q35-era hardware has no interrupt remapping).
 * Good table: dmar-inspect exits 0 with no warnings.
 */
[0004]                          Signature : "DMAR"    [DMA Remapping table]
[0004]                       Table Length : 00000000
[0001]                           Revision : 01
[0001]                           Checksum : 00
[0006]                             Oem ID : "INTEL "
[0008]                       Oem Table ID : "DQ35JOE "
[0004]                       Oem Revision : 00000601
[0004]                    Asl Compiler ID : "MSFT"
[0004]              Asl Compiler Revision : 01000013

[0001]                 Host Address Width : 22
[0001]                              Flags : 00
[0010]                           Reserved : 00 00 00 00 00 00 00 00 00 00

/* unit 0: HD audio */
[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 0018
[0001]                              Flags : 00
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000
[0008]              Register Base Address : 00000000FEB00000

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 1B,00

/* unit 1: integrated graphics, both functions */
[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 0020
[0001]                              Flags : 00
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000
[0008]              Register Base Address : 00000000FEB01000

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 02,00

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 02,01

/* unit 2: no device scope at all */
[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 0010
[0001]                              Flags : 00
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000
[0008]              Register Base Address : 00000000FEB02000

/* unit 3: INCLUDE_PCI_ALL, the last DRHD of segment 0 (8.3) */
[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 0018
[0001]                              Flags : 01
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000
[0008]              Register Base Address : 00000000FEB03000

[0001]                  Device Scope Type : 05 [ACPI Namespace Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 01
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 1F,00

/* USB legacy-emulation buffers; the third device is two hops away */
[0002]                      Subtable Type : 0001 [Reserved Memory Region]
[0002]                             Length : 0032
[0002]                           Reserved : 0000
[0002]                 PCI Segment Number : 0000
[0008]                       Base Address : 000000003F6E8000
[0008]                End Address (limit) : 000000003F6FFFFF

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 1D,00

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 1D,07

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 0A
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 1E,00
[0002]                           PCI Path : 01,00

[0002]                      Subtable Type : 0002 [Root Port ATS Capability]
[0002]                             Length : 0010
[0001]                              Flags : 00
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000

[0001]                  Device Scope Type : 02 [PCI Bridge Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 1C,00

[0002]                      Subtable Type : 0003 [Remapping Hardware Static Affinity]
[0002]                             Length : 0014
[0004]                           Reserved : 00000000
[0008]                       Base Address : 00000000FEB03000
[0004]                   Proximity Domain : 00000000

[0002]                      Subtable Type : 0004 [ACPI Namespace Device Declaration]
[0002]                             Length : 001C
[0003]                           Reserved : 000000
[0001]                      Device Number : 01
[0000]                        Device Name : "\_SB.PCI0.LPCB.DMAC"
