/* Which guest I/O (and memory) writes reset or power off the machine, or
 * put it to sleep: the decisions shoji takes on the guest's reset and power
 * paths (docs/resets.md). Portable and pure: the caller (core/power.c,
 * called by the CPU back-end on an intercepted access) does the I/O and
 * acts on the decision.
 *
 * The paths, and where their meaning comes from:
 *  - 0xCF9, Reset Control Register (Intel ICH9 datasheet 13.7.5, "RST_CNT"):
 *    bit 1 SYS_RST (hard vs soft reset), bit 2 RST_CPU (a 0->1 transition
 *    starts the reset the other bits select), bit 3 FULL_RST (power-cycle).
 *    A write with RST_CPU set is a reset request; others only select the
 *    kind and pass. A dword access at 0xCF8 is PCI CONFIG_ADDRESS, not this.
 *  - The 8042 keyboard controller's command port 0x64: commands 0xF0-0xFF
 *    pulse the output lines whose bits 3:0 are clear, and line 0 is the
 *    CPU reset (so 0xFE, Linux reboot=kbd, is the classic one); command 0xD1
 *    makes the next byte written to port 0x60 the output port, whose bit 0
 *    held low resets the CPU (IBM PC/AT Technical Reference, 8042 commands;
 *    QEMU hw/input/pckbd.c behaves the same).
 *  - System control port A, 0x92 (ICH9 13.7.2 / PS/2 "fast reset"): bit 0
 *    set resets the CPU (bit 1 is A20 and passes).
 *  - The FADT's RESET_REG (I/O or memory space) written with RESET_VALUE
 *    (ACPI 6.5 5.2.9 and 4.8.3.6). The PM1 registers below, too, may be in
 *    I/O or memory space (their GAS says which): the same rules apply.
 *  - PM1a/PM1b control (ACPI 6.5 4.8.3.2.1, Table 4.16): SLP_EN (bit 13)
 *    with SLP_TYP (bits 12:10) = the \_S5 type is power-off; with the type
 *    of \_S1..\_S4, or a type no \_Sx package names, it is a sleep request,
 *    refused: the write is passed without SLP_EN (sleeping would hand the
 *    machine to the firmware's wake path without shoji, key in RAM), and
 *    PM1 status then reads WAK_STS (bit 15, Table 4.14) as set until the
 *    guest clears it, so an OS waiting for the wake sees its sleep end at
 *    once instead of spinning forever.
 * A guest triple fault and an INIT that reaches the guest's CPU are reset
 * requests too; the back-end reports those itself (vmm/power.h). */
#ifndef SHOJI_VMM_POWER_POLICY_H
#define SHOJI_VMM_POWER_POLICY_H

#include "lib/types.h"
#include "platform/acpi_power.h"

#define PORT_KBD_DATA 0x60
#define PORT_KBD_CMD 0x64
#define PORT_SYS_CTRL_A 0x92
#define PORT_RST_CNT 0xcf9

#define RST_CNT_SYS_RST (1u << 1)
#define RST_CNT_RST_CPU (1u << 2)
#define RST_CNT_FULL_RST (1u << 3)
#define KBD_CMD_WRITE_OUTPORT 0xd1
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_EN (1u << 13)
#define PM1_STS_WAK (1u << 15)

enum power_action {
	POWER_PASS,		/* write value to the hardware */
	POWER_RESET,		/* the guest asks for a reset */
	POWER_OFF,		/* the guest asks for power-off (S5) */
	POWER_SLEEP_REFUSED,	/* a sleep request: write value (SLP_EN cleared) */
	POWER_DROPPED,		/* the write is not the guest's to make: dropped */
};

#define POWER_SLEEP_UNKNOWN 0xff	/* SLP_TYP that no \_Sx package names */

struct power_decision {
	enum power_action action;
	const char *path;	/* "cf9", "kbd-pulse", "kbd-outport", "port92",
				 * "fadt-reset-reg", "pm1a-cnt", "pm1b-cnt"; NULL on PASS */
	unsigned sleep_state;	/* POWER_SLEEP_REFUSED: 1..4 or POWER_SLEEP_UNKNOWN */
	unsigned slp_typ;	/* the SLP_TYP written (POWER_OFF, POWER_SLEEP_REFUSED) */
	uint64_t value;		/* what to write to the hardware (PASS, SLEEP_REFUSED) */
};

struct power_policy {
	struct acpi_power acpi;
	bool kbd_outport_next;	/* 0xD1 seen: the next 0x60 byte is the output port */
	bool fake_wake;		/* a refused sleep: WAK_STS reads set until cleared */
	uint16_t debug_exit_port;	/* QEMU isa-debug-exit or Bochs' shutdown port
					 * (4 ports guarded), 0: none */
};

void power_policy_init(struct power_policy *p, const struct acpi_power *acpi);

/* With exit=qemu shoji ends QEMU through isa-debug-exit (core/stop.h), and
 * the launcher reads shoji's status from QEMU's exit code: the guest must
 * not write those ports (it would end the machine without a wipe, with a
 * status of its choosing). Writes there are POWER_DROPPED ("debug-exit"). */
void power_policy_guard_debug_exit(struct power_policy *p, uint16_t port);

/* The I/O ports the back-end must intercept (every byte of every register
 * above). Returns how many were stored (at most max; more are counted so
 * the caller can tell it was short). */
unsigned power_policy_ports(const struct power_policy *p, uint16_t *ports, unsigned max);

/* Whether an access of size bytes at port touches a register above (and
 * is not the dword CONFIG_ADDRESS access at 0xCF8). */
bool power_policy_claims(const struct power_policy *p, uint16_t port, unsigned size);

/* A guest write the policy claims. */
struct power_decision power_policy_io_write(struct power_policy *p, uint16_t port,
					    unsigned size, uint32_t value);

/* A guest read the policy claims: hw is what the hardware returned; the
 * result is what the guest sees (WAK_STS forced while fake_wake). */
uint32_t power_policy_io_read(const struct power_policy *p, uint16_t port, unsigned size,
			      uint32_t hw);

/* The FADT's registers in memory space (a GAS with address space 0:
 * RESET_REG, PM1a/PM1b control, PM1a/PM1b status; hardware-reduced or
 * non-PC platforms put them there): the same rules as in I/O space.
 * Whether [addr, addr+size) touches one, a guest write there, a guest read
 * (hw: what the hardware returned), and the distinct 4 KiB pages that hold
 * them, for the caller to trap (returns how many; at most max stored). */
bool power_policy_mmio_claims(const struct power_policy *p, uint64_t addr, unsigned size);
struct power_decision power_policy_mmio_write(struct power_policy *p, uint64_t addr,
					      unsigned size, uint64_t value);
uint64_t power_policy_mmio_read(const struct power_policy *p, uint64_t addr, unsigned size,
				uint64_t hw);
unsigned power_policy_mmio_pages(const struct power_policy *p, uint64_t *pages, unsigned max);

#endif
