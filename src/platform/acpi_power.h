/* What the firmware's ACPI tables say about resetting and powering off the
 * machine: the FADT's reset register and PM1 blocks (ACPI 6.5 section 5.2.9,
 * Table 5.9) and the sleep types of the \_S1..\_S5 packages in the DSDT and
 * SSDTs (ACPI 6.5 section 7.4.2, "\_Sx (System States)": a package whose
 * first two integers are the SLP_TYP values for PM1a_CNT and PM1b_CNT).
 *
 * shoji needs them to recognise the guest's reset and power-off writes
 * (vmm/power_policy.h) and to perform them itself (core/power.c). Parsed
 * once at boot into a private copy: the guest may rewrite the tables in its
 * memory afterwards, which changes nothing here.
 *
 * The sleep types are found by looking for the AML of "Name (_Sx, Package
 * () {...})" (NameOp, the name, PackageOp) rather than by running the AML:
 * the packages are static data in every firmware seen (QEMU's, SeaBIOS',
 * the DQ35JOE's), and an AML interpreter inside the hypervisor would be a
 * large attack surface for nothing. A firmware that computes \_S5 in a
 * Method is reported (s5=unknown) and shoji then refuses every SLP_EN write
 * rather than guess (docs/resets.md). */
#ifndef SHOJI_PLATFORM_ACPI_POWER_H
#define SHOJI_PLATFORM_ACPI_POWER_H

#include "lib/types.h"
#include "platform/acpi.h"

/* Generic Address Structure, ACPI 6.5 section 5.2.3.2. */
#define ACPI_GAS_MEMORY 0
#define ACPI_GAS_IO 1
struct acpi_gas {
	uint8_t space;		/* ACPI_GAS_MEMORY, ACPI_GAS_IO, others unused here */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t addr;		/* 0: the register does not exist */
};

#define ACPI_SLEEP_STATES 6	/* S0..S5 */
#define ACPI_SLP_TYP_NONE (-1)	/* no \_Sx package found */

/* FADT Flags (Table 5.10). */
#define ACPI_FADT_RESET_REG_SUP (1u << 10)
#define ACPI_FADT_HW_REDUCED (1u << 20)

struct acpi_power {
	bool fadt;			/* a valid FADT was found */
	uint8_t fadt_revision;
	uint32_t flags;
	bool reset_supported;		/* RESET_REG_SUP and a usable register */
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	struct acpi_gas pm1a_evt, pm1b_evt;	/* status (first half), enable */
	struct acpi_gas pm1a_cnt, pm1b_cnt;
	uint8_t pm1_evt_len, pm1_cnt_len;
	struct acpi_gas sleep_ctl, sleep_sts;	/* hardware-reduced ACPI only */
	int8_t slp_typ_a[ACPI_SLEEP_STATES];	/* ACPI_SLP_TYP_NONE or 0..7 */
	int8_t slp_typ_b[ACPI_SLEEP_STATES];
	paddr_t dsdt;
};

/* Finds the FADT ("FACP"), parses it, then scans the DSDT it names and every
 * SSDT for the \_Sx packages. Returns 0, E_NOENT (no FADT: out->fadt is
 * false and everything else empty) or E_INVAL (a FADT too short for the
 * ACPI 1.0 fields). A bad DSDT is warned about and leaves the sleep types
 * unknown. */
int acpi_power_parse(struct acpi_power *out);

/* The FADT alone (already validated by the caller). The 64-bit X_ fields
 * win over the 32-bit ones when the table is long enough and they are
 * non-zero (ACPI 6.5 5.2.9). Sleep types are left ACPI_SLP_TYP_NONE. */
int acpi_fadt_parse_table(const struct acpi_header *fadt, struct acpi_power *out);

/* Scans AML (a table body) for Name(_Sx, Package(){a, b, ...}) and fills
 * the sleep types it finds (the first definition of each state wins).
 * Returns how many states were found. */
unsigned acpi_scan_sleep_types(const uint8_t *aml, size_t len, struct acpi_power *out);

/* "acpi power reset=io:0xcf9/0x6 pm1a_cnt=io:0x604 pm1b_cnt=none
 *  pm1a_evt=io:0x600 s1=none s2=none s3=1 s4=2 s5=0" */
void acpi_power_log(const struct acpi_power *p);

#endif
