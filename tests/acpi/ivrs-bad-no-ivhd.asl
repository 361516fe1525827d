/*
 * ivrs-bad-no-ivhd: Not usable (exit 1, error=no_iommu): only an IVMD, no IVHD.
 */
[0004]                          Signature : "IVRS"    [I/O Virtualization Reporting Structure]
[0004]                       Table Length : 00000000
[0001]                           Revision : 01
[0001]                           Checksum : 00
[0006]                             Oem ID : "SHOJI "
[0008]                       Oem Table ID : "NOIVHD  "
[0004]                       Oem Revision : 00000001
[0004]                    Asl Compiler ID : "INTL"
[0004]              Asl Compiler Revision : 20200925

[0004]                Virtualization Info : 00002800
[0008]                           Reserved : 0000000000000000

[0001]                      Subtable Type : 20 [Memory Definition Block]
[0001]                              Flags : 07
[0002]                             Length : 0020
[0002]                           DeviceId : 0000

[0002]                     Auxiliary Data : 0000
[0008]                           Reserved : 0000000000000000
[0008]                      Start Address : 000000007EC00000
[0008]                      Memory Length : 0000000000100000
