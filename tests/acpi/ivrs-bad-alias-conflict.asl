/*
 * ivrs-bad-alias-conflict: Not usable (exit 1), not malformed:
 * device 03:00.0 is aliased to 00:14.4 by one entry and to 01:00.0 by an
 * alias range: the IOMMU would use one of two device table entries and
 * shoji cannot know which, so it fails closed.
 */
[0004]                          Signature : "IVRS"    [I/O Virtualization Reporting Structure]
[0004]                       Table Length : 00000000
[0001]                           Revision : 01
[0001]                           Checksum : 00
[0006]                             Oem ID : "SHOJI "
[0008]                       Oem Table ID : "ALIASCON"
[0004]                       Oem Revision : 00000001
[0004]                    Asl Compiler ID : "INTL"
[0004]              Asl Compiler Revision : 20200925

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
[0004]                  Feature Reporting : 00000000

[0001]                         Entry Type : 42
[0002]                          Device ID : 0300
[0001]                       Data Setting : 00
[0001]                           Reserved : 00
[0002]              Source Used Device ID : 00A4
[0001]                           Reserved : 00

[0001]                         Entry Type : 43
[0002]                          Device ID : 0300
[0001]                       Data Setting : 00
[0001]                           Reserved : 00
[0002]              Source Used Device ID : 0100
[0001]                           Reserved : 00

[0001]                         Entry Type : 04
[0002]                          Device ID : 03FF
[0001]                       Data Setting : 00
