/* What the boot loader tells shoji, copied out of the loader's structures
 * (which sit in memory the guest will own) into shoji's own. */
#ifndef SHOJI_PLATFORM_BOOTINFO_H
#define SHOJI_PLATFORM_BOOTINFO_H

#include "lib/types.h"
#include "platform/memmap.h"

#define BOOT_CMDLINE_MAX 1024
#define BOOT_NAME_MAX 1024	/* a module string: path, role and the guest's command line */
#define BOOT_MODULES_MAX 8
#define BOOT_RSDP_MAX 64
/* Largest Multiboot2 information structure accepted. */
#define MB2_INFO_MAX MiB(1)

struct boot_module {
	paddr_t start, end;		/* end exclusive */
	char name[BOOT_NAME_MAX];	/* the module's string (cmdline) */
};

struct boot_info {
	int protocol;			/* 1 = Multiboot, 2 = Multiboot2 */
	char loader[BOOT_NAME_MAX];
	char cmdline[BOOT_CMDLINE_MAX];
	struct memmap mem;		/* as reported, sanitized */
	struct boot_module modules[BOOT_MODULES_MAX];
	unsigned n_modules;
	uint8_t rsdp[BOOT_RSDP_MAX];	/* copy of the RSDP (Multiboot2 tags 14/15) */
	size_t rsdp_len;		/* 0: none given, scan the BIOS areas */
	paddr_t info_base, info_end;	/* the loader's info structure */
};

/* Parses the loader's information at info_pa according to magic (EAX at
 * entry). Returns 0, or E_INVAL with an error logged when the magic is
 * unknown or the structure is malformed; warnings for what is merely
 * missing or truncated. */
int bootinfo_parse(uint32_t magic, paddr_t info_pa, struct boot_info *bi);

/* Modules carry a role word: "[PATH] role=ROLE [ARGS]" (the path word, if
 * any, comes first: QEMU passes it, GRUB does not). The module with that
 * role, or NULL; *args (if given) points at what follows the role word. */
const struct boot_module *bootinfo_module(const struct boot_info *bi, const char *role,
					  const char **args);

/* One boot-report line per module: "module index=0 start=0x.. end=0x.. size=N name=..." */
void bootinfo_log(const struct boot_info *bi);

#endif
