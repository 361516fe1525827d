/*
 * dmar-fwbugs: well-formed and usable, but with every firmware bug the
 * parser reports as a warning without failing (each is safe to live with:
 * nothing becomes reachable that should not be). Expected warnings, 11:
 *   unit 0: INCLUDE_PCI_ALL unit is not the last DRHD of segment 0 (8.3)
 *   unit 0: ACPI namespace scope id 7 with no ANDD declaring it (8.7)
 *   unit 2: same register base as unit 1 (treated as unit 1)
 *   unit 3: second INCLUDE_PCI_ALL unit of segment 0
 *   unit 3: INCLUDE_PCI_ALL unit listing a PCI endpoint (8.3)
 *   00:02.0 listed by both unit 1 and unit 3
 *   rmrr 1 overlaps rmrr 0
 *   rmrr 1 scope names a bridge, not an endpoint (8.4)
 *   rmrr 2 base not 4 KiB aligned (8.4): ignored
 *   atsr: ALL_PORTS set and device scopes listed (8.5)
 *   rhsa names register base 0xdead0000, which no unit has (8.6)
 * dmar-inspect exits 0 and prints those warnings.
 */
[0004]                          Signature : "DMAR"    [DMA Remapping table]
[0004]                       Table Length : 00000000
[0001]                           Revision : 01
[0001]                           Checksum : 00
[0006]                             Oem ID : "SHOJI "
[0008]                       Oem Table ID : "FWBUGS  "
[0004]                       Oem Revision : 00000001
[0004]                    Asl Compiler ID : "INTL"
[0004]              Asl Compiler Revision : 20200925

[0001]                 Host Address Width : 26
[0001]                              Flags : 01
[0010]                           Reserved : 00 00 00 00 00 00 00 00 00 00

/* unit 0: INCLUDE_PCI_ALL but not last */
[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 0018
[0001]                              Flags : 01
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000
[0008]              Register Base Address : 00000000FED90000

[0001]                  Device Scope Type : 05 [ACPI Namespace Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 07
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 15,01

/* unit 1 */
[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 0018
[0001]                              Flags : 00
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000
[0008]              Register Base Address : 00000000FED91000

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 02,00

/* unit 2: same base as unit 1 */
[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 0018
[0001]                              Flags : 00
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000
[0008]              Register Base Address : 00000000FED91000

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 03,00

/* unit 3: second INCLUDE_PCI_ALL, lists 00:02.0 which unit 1 has */
[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 0018
[0001]                              Flags : 01
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000
[0008]              Register Base Address : 00000000FED92000

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 02,00

/* rmrr 0: fine */
[0002]                      Subtable Type : 0001 [Reserved Memory Region]
[0002]                             Length : 0020
[0002]                           Reserved : 0000
[0002]                 PCI Segment Number : 0000
[0008]                       Base Address : 00000000000E0000
[0008]                End Address (limit) : 00000000000FFFFF

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 1D,00

/* rmrr 1: overlaps rmrr 0, scope is a bridge */
[0002]                      Subtable Type : 0001 [Reserved Memory Region]
[0002]                             Length : 0020
[0002]                           Reserved : 0000
[0002]                 PCI Segment Number : 0000
[0008]                       Base Address : 00000000000F0000
[0008]                End Address (limit) : 000000000010FFFF

[0001]                  Device Scope Type : 02 [PCI Bridge Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 1E,00

/* rmrr 2: base not page aligned */
[0002]                      Subtable Type : 0001 [Reserved Memory Region]
[0002]                             Length : 0020
[0002]                           Reserved : 0000
[0002]                 PCI Segment Number : 0000
[0008]                       Base Address : 0000000000100800
[0008]                End Address (limit) : 0000000000101FFF

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 1D,01

/* ALL_PORTS and a scope */
[0002]                      Subtable Type : 0002 [Root Port ATS Capability]
[0002]                             Length : 0010
[0001]                              Flags : 01
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000

[0001]                  Device Scope Type : 02 [PCI Bridge Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 1C,00

/* no unit at this base */
[0002]                      Subtable Type : 0003 [Remapping Hardware Static Affinity]
[0002]                             Length : 0014
[0004]                           Reserved : 00000000
[0008]                       Base Address : 00000000DEAD0000
[0004]                   Proximity Domain : 00000003
