/* The intercepted disk: the AHCI controller driven by the guest's own driver,
 * shadowed by shoji (src/devices/ahci.c), its data encrypted with AES-XTS
 * (aes-xts-plain64), the controller confined by the IOMMU to the shadow
 * window. */
#ifndef SHOJI_CORE_DISK_H
#define SHOJI_CORE_DISK_H

#include "platform/bootinfo.h"
#include "platform/options.h"

/* Registers the controller's register window (ABAR) as protected, before
 * the IOMMU domains are built: CPU accesses trap to shoji's emulation, no
 * device may DMA there (peer to peer), no other BAR may cover it and the
 * ABAR itself stays where it is. No controller: 0 (disk_setup reports it). */
int disk_protect(const struct shoji_options *o);

/* Takes over the controller before the guest starts. Any failure is an
 * error: shoji then refuses to expose the disk at all (the caller stops)
 * rather than letting the guest write it unencrypted or with a wrong key. */
/* guest_cpus: how many CPUs the guest has (the MADT's usable ones). */
int disk_setup(const struct shoji_options *o, struct boot_info *bi, unsigned guest_cpus);

/* Called on every VM exit: completions, deferred commands. */
void disk_poll(void);

/* For VMMCALL STATUS: commands, bytes, sectors encrypted/decrypted. */
bool disk_active(void);
void disk_stats_text(char *buf, size_t len);

#endif
