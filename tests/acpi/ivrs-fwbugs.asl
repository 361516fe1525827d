/*
 * ivrs-fwbugs: a usable IVRS with firmware bugs that are safe to live with;
 * each is a warning, and ivrs-inspect exits 0 (tests count them):
 *   1. ivhd 1 repeats ivhd 0 (same type, segment, IOMMU device ID): ignored
 *   2. device IDs 00:18.0-00:1b.7 are claimed by ivhd 0 and ivhd 2: the
 *      first is used
 *   3. two ranges overlap inside ivhd 0
 *   4. a special entry with reserved variety 3: skipped
 *   5. ivmd 0: start not 4 KiB aligned: ignored
 *   6. ivmd 1: length 0: ignored
 *   7. ivmd 2: neither unity map nor exclusion range: ignored
 *   8. ivmd 3 and ivmd 4 overlap for the same device with different flags
 *   9. ivmd 5 names device 7f:00.0, which no IOMMU covers
 *  10. ivmd 6 sets reserved flag bits 7:4 (kept)
 */
[0004]                          Signature : "IVRS"    [I/O Virtualization Reporting Structure]
[0004]                       Table Length : 00000000
[0001]                           Revision : 01
[0001]                           Checksum : 00
[0006]                             Oem ID : "SHOJI "
[0008]                       Oem Table ID : "FWBUGS  "
[0004]                       Oem Revision : 00000001
[0004]                    Asl Compiler ID : "INTL"
[0004]              Asl Compiler Revision : 20200925

[0004]                Virtualization Info : 00002800
[0008]                           Reserved : 0000000000000000

/* ivhd 0 */
[0001]                      Subtable Type : 10 [Hardware Definition Block]
[0001]                              Flags : D1
[0002]                             Length : 0000
[0002]                           DeviceId : 0008

[0002]                  Capability Offset : 0040
[0008]                       Base Address : 00000000FED80000
[0002]                  PCI Segment Group : 0000
[0002]                Virtualization Info : 0000
[0004]                  Feature Reporting : 00000000

[0001]                         Entry Type : 03
[0002]                          Device ID : 0000
[0001]                       Data Setting : 00

[0001]                         Entry Type : 04
[0002]                          Device ID : 00FF
[0001]                       Data Setting : 00

/* overlaps the range above */
[0001]                         Entry Type : 03
[0002]                          Device ID : 0080
[0001]                       Data Setting : 00

[0001]                         Entry Type : 04
[0002]                          Device ID : 00BF
[0001]                       Data Setting : 00

/* reserved variety 3 */
[0001]                         Entry Type : 48
[0002]                          Device ID : 0000
[0001]                       Data Setting : 00
[0001]                             Handle : 05
[0002]              Source Used Device ID : 00A0
[0001]                            Variety : 03

/* ivhd 1: a copy of ivhd 0's header */
[0001]                      Subtable Type : 10 [Hardware Definition Block]
[0001]                              Flags : D1
[0002]                             Length : 0000
[0002]                           DeviceId : 0008

[0002]                  Capability Offset : 0040
[0008]                       Base Address : 00000000FED80000
[0002]                  PCI Segment Group : 0000
[0002]                Virtualization Info : 0000
[0004]                  Feature Reporting : 00000000

[0001]                         Entry Type : 02
[0002]                          Device ID : 0000
[0001]                       Data Setting : 00

/* ivhd 2: another IOMMU, 00:02.0 */
[0001]                      Subtable Type : 10 [Hardware Definition Block]
[0001]                              Flags : D1
[0002]                             Length : 0000
[0002]                           DeviceId : 0010

[0002]                  Capability Offset : 0040
[0008]                       Base Address : 00000000FED84000
[0002]                  PCI Segment Group : 0000
[0002]                Virtualization Info : 0000
[0004]                  Feature Reporting : 00000000

/* 00:18.0-00:1b.7, already under ivhd 0 */
[0001]                         Entry Type : 03
[0002]                          Device ID : 00C0
[0001]                       Data Setting : 00

[0001]                         Entry Type : 04
[0002]                          Device ID : 00DF
[0001]                       Data Setting : 00

/* ivmd 0: start not aligned */
[0001]                      Subtable Type : 21 [Memory Definition Block]
[0001]                              Flags : 07
[0002]                             Length : 0020
[0002]                           DeviceId : 0000

[0002]                     Auxiliary Data : 0000
[0008]                           Reserved : 0000000000000000
[0008]                      Start Address : 000000007EC00800
[0008]                      Memory Length : 0000000000001000

/* ivmd 1: length 0 */
[0001]                      Subtable Type : 21 [Memory Definition Block]
[0001]                              Flags : 07
[0002]                             Length : 0020
[0002]                           DeviceId : 0000

[0002]                     Auxiliary Data : 0000
[0008]                           Reserved : 0000000000000000
[0008]                      Start Address : 000000007EC00000
[0008]                      Memory Length : 0000000000000000

/* ivmd 2: IR/IW without unity or exclusion */
[0001]                      Subtable Type : 21 [Memory Definition Block]
[0001]                              Flags : 06
[0002]                             Length : 0020
[0002]                           DeviceId : 0000

[0002]                     Auxiliary Data : 0000
[0008]                           Reserved : 0000000000000000
[0008]                      Start Address : 000000007EC00000
[0008]                      Memory Length : 0000000000001000

/* ivmd 3: 00:02.0 R/W */
[0001]                      Subtable Type : 21 [Memory Definition Block]
[0001]                              Flags : 07
[0002]                             Length : 0020
[0002]                           DeviceId : 0010

[0002]                     Auxiliary Data : 0000
[0008]                           Reserved : 0000000000000000
[0008]                      Start Address : 000000007EC10000
[0008]                      Memory Length : 0000000000002000

/* ivmd 4: 00:02.0 read-only, overlapping ivmd 3 */
[0001]                      Subtable Type : 21 [Memory Definition Block]
[0001]                              Flags : 03
[0002]                             Length : 0020
[0002]                           DeviceId : 0010

[0002]                     Auxiliary Data : 0000
[0008]                           Reserved : 0000000000000000
[0008]                      Start Address : 000000007EC11000
[0008]                      Memory Length : 0000000000002000

/* ivmd 5: 7f:00.0, under no IOMMU */
[0001]                      Subtable Type : 21 [Memory Definition Block]
[0001]                              Flags : 07
[0002]                             Length : 0020
[0002]                           DeviceId : 7F00

[0002]                     Auxiliary Data : 0000
[0008]                           Reserved : 0000000000000000
[0008]                      Start Address : 000000007EC20000
[0008]                      Memory Length : 0000000000001000

/* ivmd 6: reserved flag bit 4 */
[0001]                      Subtable Type : 20 [Memory Definition Block]
[0001]                              Flags : 17
[0002]                             Length : 0020
[0002]                           DeviceId : 0000

[0002]                     Auxiliary Data : 0000
[0008]                           Reserved : 0000000000000000
[0008]                      Start Address : 000000007EC30000
[0008]                      Memory Length : 0000000000001000
