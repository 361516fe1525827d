/* shoji's own resets and power-off (see vmm/power.h for the guest's side). */
#ifndef SHOJI_CORE_POWER_H
#define SHOJI_CORE_POWER_H

#include "platform/acpi_power.h"
#include "vmm/mmio_emul.h"
#include "vmm/power.h"

/* The firmware's reset register, PM1 blocks and sleep types, parsed at
 * boot (platform/acpi_power.h); before the guest is set up. debug_exit_port:
 * QEMU's isa-debug-exit when exit=qemu (its writes are refused to the
 * guest), 0 otherwise. */
void power_init(const struct acpi_power *acpi, uint16_t debug_exit_port);

/* Logs "announce token=HEX source=rdrand|tsc": the per-boot value every
 * reset and power-off announcement carries (scripts/shoji-qemu checks it).
 * Early at boot, before any guest runs. */
void power_token_init(void);

/* Wipe every secret, log "machine reset|power-off path=PATH secrets=wiped token=HEX",
 * then reset or power off the machine. Never return. */
NORETURN void shoji_reset(const char *path);
NORETURN void shoji_power_off(const char *path);

/* The FADT's power registers in memory space (RESET_REG, PM1a/b control
 * and status; vmm/power_policy.h): the distinct pages holding them, stored
 * in pages (at most max; returns how many exist). main.c registers each as
 * an emulated range with writes trapped through power_mmio_ops, whose
 * writes take the same decisions as the I/O path and whose reads show
 * WAK_STS after a refused sleep. */
unsigned power_mmio_pages(paddr_t *pages, unsigned max);

/* The guest's side (vmm/power.h): what the CPU back-end calls for the reset
 * and power paths it intercepts. */
extern const struct power_ops power_guest_ops;

/* The MMIO callbacks of those pages (accesses to other registers on them
 * pass to the hardware unchanged). */
extern const struct mmio_ops power_mmio_ops;

#endif
