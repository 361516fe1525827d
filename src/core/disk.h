/* The intercepted disk: the AHCI controller driven by the guest's own driver,
 * shadowed by shoji (src/devices/ahci.c), its data encrypted with AES-XTS
 * (aes-xts-plain64), the controller confined by the IOMMU to the shadow
 * window. */
#ifndef SHOJI_CORE_DISK_H
#define SHOJI_CORE_DISK_H

#include "arch/x86/npt.h"
#include "platform/bootinfo.h"
#include "platform/options.h"

/* Takes over the controller before the guest starts. On success *hole is
 * the controller's register window for the guest's nested page tables
 * (every access trapped and emulated). Any failure is an error: shoji then
 * refuses to expose the disk at all (the caller stops) rather than letting
 * the guest write it unencrypted or with a wrong key. */
int disk_setup(const struct shoji_options *o, struct boot_info *bi, struct npt_hole *hole);

/* Called on every VM exit: completions, deferred commands. */
void disk_poll(void);

/* For VMMCALL STATUS: commands, bytes, sectors encrypted/decrypted. */
bool disk_active(void);
void disk_stats_text(char *buf, size_t len);

#endif
