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

/* When the FADT's RESET_REG is in memory space: the page holding it (the
 * guest's NPT traps that page through power_reset_mmio_ops). */
bool power_reset_mmio_page(paddr_t *page);

/* The guest's side (vmm/power.h): what the CPU back-end calls for the reset
 * and power paths it intercepts. */
extern const struct power_ops power_guest_ops;

/* The MMIO callbacks of the page holding a memory-space RESET_REG (every
 * other access passes to the hardware unchanged). */
extern const struct mmio_ops power_reset_mmio_ops;

#endif
