/*
 * ivrs-badbase: three IOMMUs whose register bases are zero, all-ones and not
 * 16 KiB aligned (the MMIO base register holds bits 51:14). Each is a
 * warning; the verdict names the first: devices under them cannot be
 * protected, so the table is not usable (exit 1), but it is not malformed.
 */
[0004]                          Signature : "IVRS"    [I/O Virtualization Reporting Structure]
[0004]                       Table Length : 00000000
[0001]                           Revision : 01
[0001]                           Checksum : 00
[0006]                             Oem ID : "SHOJI "
[0008]                       Oem Table ID : "BADBASE "
[0004]                       Oem Revision : 00000001
[0004]                    Asl Compiler ID : "INTL"
[0004]              Asl Compiler Revision : 20200925

[0004]                Virtualization Info : 00002800
[0008]                           Reserved : 0000000000000000

/* zero */
[0001]                      Subtable Type : 10 [Hardware Definition Block]
[0001]                              Flags : D1
[0002]                             Length : 0000
[0002]                           DeviceId : 0008

[0002]                  Capability Offset : 0040
[0008]                       Base Address : 0000000000000000
[0002]                  PCI Segment Group : 0000
[0002]                Virtualization Info : 0000
[0004]                  Feature Reporting : 00000000

[0001]                         Entry Type : 03
[0002]                          Device ID : 0000
[0001]                       Data Setting : 00

[0001]                         Entry Type : 04
[0002]                          Device ID : 00FF
[0001]                       Data Setting : 00

/* all-ones */
[0001]                      Subtable Type : 10 [Hardware Definition Block]
[0001]                              Flags : D1
[0002]                             Length : 0000
[0002]                           DeviceId : 0010

[0002]                  Capability Offset : 0040
[0008]                       Base Address : FFFFFFFFFFFFFFFF
[0002]                  PCI Segment Group : 0000
[0002]                Virtualization Info : 0000
[0004]                  Feature Reporting : 00000000

[0001]                         Entry Type : 03
[0002]                          Device ID : 0100
[0001]                       Data Setting : 00

[0001]                         Entry Type : 04
[0002]                          Device ID : 01FF
[0001]                       Data Setting : 00

/* 4 KiB but not 16 KiB aligned */
[0001]                      Subtable Type : 10 [Hardware Definition Block]
[0001]                              Flags : D1
[0002]                             Length : 0000
[0002]                           DeviceId : 0018

[0002]                  Capability Offset : 0040
[0008]                       Base Address : 00000000FED81000
[0002]                  PCI Segment Group : 0000
[0002]                Virtualization Info : 0000
[0004]                  Feature Reporting : 00000000

[0001]                         Entry Type : 03
[0002]                          Device ID : 0200
[0001]                       Data Setting : 00

[0001]                         Entry Type : 04
[0002]                          Device ID : 02FF
[0001]                       Data Setting : 00
