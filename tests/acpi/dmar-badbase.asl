/*
 * dmar-badbase: well-formed, but its remapping units cannot be programmed:
 *   unit 0 register base 0 (a classic firmware bug; Linux says "Your BIOS is
 *          broken; DMAR reported at address zero!")
 *   unit 1 register base 0xfed90800, not 4 KiB aligned
 *   unit 2 register base all-ones (INCLUDE_PCI_ALL)
 * Each is warned about and marked unusable; the devices under them could
 * not be protected, so the table is not usable: dmar-inspect exits 1 with
 * reason "unit 0 has an invalid register base 0x0 ...".
 */
[0004]                          Signature : "DMAR"    [DMA Remapping table]
[0004]                       Table Length : 00000000
[0001]                           Revision : 01
[0001]                           Checksum : 00
[0006]                             Oem ID : "SHOJI "
[0008]                       Oem Table ID : "BADBASE "
[0004]                       Oem Revision : 00000001
[0004]                    Asl Compiler ID : "INTL"
[0004]              Asl Compiler Revision : 20200925

[0001]                 Host Address Width : 26
[0001]                              Flags : 01
[0010]                           Reserved : 00 00 00 00 00 00 00 00 00 00

/* unit 0: base 0 */
[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 0018
[0001]                              Flags : 00
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000
[0008]              Register Base Address : 0000000000000000

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 02,00

/* unit 1: base not page aligned */
[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 0018
[0001]                              Flags : 00
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000
[0008]              Register Base Address : 00000000FED90800

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 03,00

/* unit 2: base all-ones */
[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 0010
[0001]                              Flags : 01
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000
[0008]              Register Base Address : FFFFFFFFFFFFFFFF
