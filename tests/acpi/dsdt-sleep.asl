/*
 * dsdt-sleep: the \_Sx packages shoji's AML scan must find
 * (src/platform/acpi_power.c), compiled by iasl so the encodings are the
 * compiler's, not ours (ACPI 6.5 7.4.2: Package {SLP_TYPa, SLP_TYPb, ...}).
 *   \_S3  root-prefixed name, BytePrefix values        -> a=5 b=6
 *   _S4   inside a Scope, Zero/One opcodes              -> a=1 b=0
 *   _S5   QEMU's form: Package (0x04) {Zero, Zero, ...} -> a=0 b=0
 *   _S1   a Method (computed at run time): not found
 *   _S2   a package with one element: not usable, not found
 *   BIG   a 2-byte PkgLength package before them, whose data mentions
 *         "_S0_" as a string (a name inside data is not a Name()).
 */
DefinitionBlock ("", "DSDT", 2, "SHOJI", "SLEEP", 1)
{
    Name (BIG, Package (0x20) {
        "_S0_", 0x11111111, 0x22222222, 0x33333333, 0x44444444,
        0x55555555, 0x66666666, 0x77777777, 0x88888888, 0x99999999,
        0xAAAAAAAA, 0xBBBBBBBB, 0xCCCCCCCC, 0xDDDDDDDD, 0xEEEEEEEE
    })
    Name (\_S3, Package (0x04) { 0x05, 0x06, Zero, Zero })
    Scope (\_SB) {
        Name (_S4, Package (0x02) { One, Zero })
    }
    Method (_S1, 0, NotSerialized) { Return (Package (0x02) { 0x02, 0x02 }) }
    Name (_S2, Package (0x01) { 0x03 })
    Name (_S5, Package (0x04) { Zero, Zero, Zero, Zero })
}
