/*
 * ivrs-bad-backwards: malformed on purpose
 * (compiled with iasl -f): ivrs-inspect exits 1 with malformed=yes and
 * names the offset and the rule.
 *
 * An alias range (43h/04h) whose end device ID lies below its start (5.2.2).
 */
[0004]                          Signature : "IVRS"    [I/O Virtualization Reporting Structure]
[0004]                       Table Length : 00000000
[0001]                           Revision : 01
[0001]                           Checksum : 00
[0006]                             Oem ID : "SHOJI "
[0008]                       Oem Table ID : "BACKWARD"
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

[0001]                         Entry Type : 43
[0002]                          Device ID : 0300
[0001]                       Data Setting : 00
[0001]                           Reserved : 00
[0002]              Source Used Device ID : 00A4
[0001]                           Reserved : 00

[0001]                         Entry Type : 04
[0002]                          Device ID : 02FF
[0001]                       Data Setting : 00
