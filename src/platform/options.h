/* shoji's own options, from the boot loader's command line, e.g.
 *	shoji.elf mem=128M serial=com2 log=debug exit=qemu
 * The table in options.c is the one place they are defined (name, type,
 * limits, default, help); see lib/cmdline.h for the syntax and the errors.
 * "help" lists them all at boot. */
#ifndef SHOJI_PLATFORM_OPTIONS_H
#define SHOJI_PLATFORM_OPTIONS_H

#include "lib/cmdline.h"
#include "lib/types.h"

/* after stopping: hlt forever, QEMU isa-debug-exit, or Bochs' shutdown port */
enum exit_mode { EXIT_HALT, EXIT_QEMU, EXIT_BOCHS };
enum selftest { SELFTEST_NONE, SELFTEST_PAGEFAULT, SELFTEST_INVALID_OPCODE, SELFTEST_GP, SELFTEST_DMA };
/* The controllers shoji intercepts: a set (intercept=ahci,ide). */
enum intercept {
	INTERCEPT_NONE = 0,
	INTERCEPT_AHCI = 1u << 0,
	INTERCEPT_AHCI_CONFINE_ONLY = 1u << 1,
	INTERCEPT_IDE = 1u << 2,
	INTERCEPT_IDE_CONFINE_ONLY = 1u << 3,
};
#define INTERCEPT_ANY_AHCI (INTERCEPT_AHCI | INTERCEPT_AHCI_CONFINE_ONLY)
#define INTERCEPT_ANY_IDE (INTERCEPT_IDE | INTERCEPT_IDE_CONFINE_ONLY)
#define INTERCEPT_SHADOWED (INTERCEPT_AHCI | INTERCEPT_IDE)	/* these need the key */
/* what the guest is: the PVH kernel module, or the OS on the boot disk */
enum guest_source { GUEST_MODULES, GUEST_DISK };

/* A range of 512-byte sectors: [first, end). */
struct sector_range {
	uint64_t first, end;
};
#define SECTORS_ALL ((struct sector_range){ 0, UINT64_MAX })

#define OPTIONS_QEMU_EXIT_PORT 0xf4	/* isa-debug-exit's iobase */

struct shoji_options {
	bool help;			/* "help": print the options and stop */
	uint64_t hv_mem;		/* "mem=SIZE": hypervisor region size, default 64M,
					 * min 16M, max 1G, multiple of 2M */
	uint16_t serial_port;		/* "serial=com1|com2|com3|com4|0xPORT": log port,
					 * default com1 (0x3f8); com2=0x2f8 com3=0x3e8 com4=0x2e8 */
	bool log_debug;			/* "log=info|debug", default info */
	enum exit_mode exit_mode;	/* "exit=halt|qemu|bochs": how shoji stops when it
					 * has nothing more to run; qemu = write to QEMU's
					 * isa-debug-exit at port 0xf4; bochs = "Shutdown"
					 * to Bochs' port 0x8900; default halt */
	enum selftest selftest;		/* "selftest=none|pagefault|invalid-opcode|gp|dma":
					 * debug only: fault on purpose after bring-up to show
					 * the panic report, or attack the hypervisor by DMA
					 * with QEMU's edu device */
	bool iommu;			/* "iommu=on|off": DMA protection; off must be said
					 * explicitly, default on (fail closed) */
	unsigned intercept;		/* enum intercept flags, "intercept=none|LIST", LIST of
					 * ahci|ahci-confine-only|ide|ide-confine-only joined by
					 * ',': the disk controllers shoji shadows and encrypts
					 * (confine-only: test mode, no shadowing, the IOMMU
					 * domain kept) */
	struct sector_range crypt;	/* "crypt=all|FIRST-END": sectors encrypted */
	bool passphrase;		/* "passphrase": ask for the disk passphrase on the
					 * serial console instead of a key module */
	uint64_t shadow_mem;		/* "shadow=SIZE": shadow DMA window inside the
					 * region, default 16M */
	enum guest_source guest;	/* "guest=modules|disk": the guest kernel module
					 * (role=kernel; none: bring-up only), or the OS
					 * on the BIOS boot drive, booted through the
					 * firmware in real mode (docs/firmware-boot.md);
					 * default modules */
	uint8_t boot_drive;		/* "bootdrive=N": the BIOS drive guest=disk boots
					 * (DL), default 0x80 (the first hard disk) */
};

void options_defaults(struct shoji_options *o);
/* Sets o to the defaults, then parses cmdline (NULL or empty: defaults only).
 * Returns the number of errors (0 = all good); the messages are in errs (may
 * be NULL), see cmdline_log_errors. Options whose value was bad keep their
 * default. */
int options_parse(const char *cmdline, struct shoji_options *o, struct cmdline_errors *errs);
/* Logs "options:" then one line per option (name=syntax, help, limits,
 * default) via log_info. */
void options_log_help(void);
/* One line via log_info, e.g.
 *	"options mem=64M serial=0x3f8 log=info exit=halt selftest=none" */
void options_log(const struct shoji_options *o);

/* The option table, for tests and tools. */
const struct cmdline_option *options_table(size_t *n);

#endif
