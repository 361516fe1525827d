/* shoji's options: the table below is the only place an option is defined;
 * a new option is one row (and a field in struct shoji_options). */
#include "platform/options.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"

static const struct {
	const char *name;
	uint16_t port;
} com_ports[] = {
	{ "com1", 0x3f8 }, { "com2", 0x2f8 }, { "com3", 0x3e8 }, { "com4", 0x2e8 },
};

static int parse_serial(const char *value, void *dst, char *err, size_t errlen)
{
	uint64_t v;
	uint16_t port;

	for (size_t i = 0; i < ARRAY_SIZE(com_ports); i++) {
		if (!strcmp(value, com_ports[i].name)) {
			port = com_ports[i].port;
			memcpy(dst, &port, sizeof(port));
			return 0;
		}
	}
	switch (cmdline_parse_uint(value, &v)) {
	case 0:
		if (v == 0 || v > 0xffff - 7) {	/* a UART spans 8 ports */
			shoji_snprintf(err, errlen, "port out of range (0x1..0xfff8)");
			return E_RANGE;
		}
		port = (uint16_t)v;
		memcpy(dst, &port, sizeof(port));
		return 0;
	case E_RANGE:
		shoji_snprintf(err, errlen, "port out of range (0x1..0xfff8)");
		return E_RANGE;
	default:
		shoji_snprintf(err, errlen, "expected one of com1, com2, com3, com4 or a port like 0x3f8");
		return E_INVAL;
	}
}

static void format_serial(const void *src, char *buf, size_t len)
{
	uint16_t port;

	memcpy(&port, src, sizeof(port));
	shoji_snprintf(buf, len, "0x%x", port);
}

/* "all" or FIRST-END (sector numbers, END exclusive, decimal or 0x hex). */
static int parse_sectors(const char *value, void *dst, char *err, size_t errlen)
{
	struct sector_range r = SECTORS_ALL;
	char first[32];
	const char *dash = strchr(value, '-');
	size_t n;

	if (!strcmp(value, "all")) {
		memcpy(dst, &r, sizeof(r));
		return 0;
	}
	n = dash ? (size_t)(dash - value) : 0;
	if (!dash || n == 0 || n >= sizeof(first)) {
		shoji_snprintf(err, errlen, "expected all or FIRST-END (sector numbers)");
		return E_INVAL;
	}
	memcpy(first, value, n);
	first[n] = '\0';
	if (cmdline_parse_uint(first, &r.first) || cmdline_parse_uint(dash + 1, &r.end)) {
		shoji_snprintf(err, errlen, "expected all or FIRST-END (sector numbers)");
		return E_INVAL;
	}
	if (r.end <= r.first) {
		shoji_snprintf(err, errlen, "END must be greater than FIRST");
		return E_RANGE;
	}
	memcpy(dst, &r, sizeof(r));
	return 0;
}

static void format_sectors(const void *src, char *buf, size_t len)
{
	struct sector_range r;

	memcpy(&r, src, sizeof(r));
	if (r.first == 0 && r.end == UINT64_MAX)
		shoji_snprintf(buf, len, "all");
	else
		shoji_snprintf(buf, len, "%llu-%llu", (unsigned long long)r.first,
			       (unsigned long long)r.end);
}

static const struct {
	const char *word;
	unsigned flag;
} intercept_words[] = {
	{ "ahci", INTERCEPT_AHCI }, { "ahci-confine-only", INTERCEPT_AHCI_CONFINE_ONLY },
	{ "ide", INTERCEPT_IDE }, { "ide-confine-only", INTERCEPT_IDE_CONFINE_ONLY },
};

/* "none" or controllers joined by ',' (each at most once, and not a
 * controller both shadowed and confine-only). */
static int parse_intercept(const char *value, void *dst, char *err, size_t errlen)
{
	unsigned set = 0;
	const char *p = value;

	if (!strcmp(value, "none")) {
		memcpy(dst, &set, sizeof(set));
		return 0;
	}
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		unsigned flag = 0;

		for (size_t i = 0; i < ARRAY_SIZE(intercept_words); i++)
			if (strlen(intercept_words[i].word) == n &&
			    !strncmp(intercept_words[i].word, p, n))
				flag = intercept_words[i].flag;
		if (!flag || (set & flag)) {
			shoji_snprintf(err, errlen, "expected none or a list of ahci, "
				       "ahci-confine-only, ide, ide-confine-only (each once)");
			return E_INVAL;
		}
		set |= flag;
		p += n;
		if (*p == ',' && !*++p) {
			shoji_snprintf(err, errlen, "empty controller after ','");
			return E_INVAL;
		}
	}
	if ((set & INTERCEPT_ANY_AHCI) == INTERCEPT_ANY_AHCI ||
	    (set & INTERCEPT_ANY_IDE) == INTERCEPT_ANY_IDE) {
		shoji_snprintf(err, errlen, "a controller is either shadowed or confine-only");
		return E_INVAL;
	}
	memcpy(dst, &set, sizeof(set));
	return 0;
}

static void format_intercept(const void *src, char *buf, size_t len)
{
	unsigned set;
	size_t n = 0;

	memcpy(&set, src, sizeof(set));
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(intercept_words); i++)
		if (set & intercept_words[i].flag)
			n += (size_t)shoji_snprintf(buf + n, n < len ? len - n : 0, "%s%s",
						    n ? "," : "", intercept_words[i].word);
	if (!n)
		shoji_snprintf(buf, len, "none");
}
static const char *const log_words[] = { "info", "debug", NULL };
static const char *const guest_words[] = { "modules", "disk", NULL };
static const char *const exit_words[] = { "halt", "qemu", "bochs", NULL };
static const char *const selftest_words[] = {
	"none", "pagefault", "invalid-opcode", "gp", "dma", NULL
};

/* enum values are the indexes of these words */
STATIC_ASSERT(GUEST_MODULES == 0 && GUEST_DISK == 1, "guest_words order");
STATIC_ASSERT(EXIT_HALT == 0 && EXIT_QEMU == 1 && EXIT_BOCHS == 2, "exit_words order");
STATIC_ASSERT(SELFTEST_NONE == 0 && SELFTEST_PAGEFAULT == 1 &&
	      SELFTEST_INVALID_OPCODE == 2 && SELFTEST_GP == 3 && SELFTEST_DMA == 4,
	      "selftest_words order");

#define OPT(member) CMDLINE_FIELD(struct shoji_options, member)

static const struct cmdline_option table[] = {
	{ .name = "help", .type = CMDLINE_FLAG, OPT(help),
	  .help = "print the options and stop" },
	{ .name = "mem", .type = CMDLINE_SIZE, OPT(hv_mem),
	  .min = MiB(16), .max = GiB(1), .align = MiB(2),
	  .help = "hypervisor memory region size" },
	{ .name = "serial", .type = CMDLINE_CUSTOM, OPT(serial_port),
	  .parse = parse_serial, .format = format_serial,
	  .syntax = "com1|com2|com3|com4|0xPORT",
	  .help = "serial port for the log" },
	{ .name = "log", .type = CMDLINE_ENUM, OPT(log_debug), .choices = log_words,
	  .help = "log verbosity" },
	{ .name = "exit", .type = CMDLINE_ENUM, OPT(exit_mode), .choices = exit_words,
	  .help = "when done: hlt forever, exit QEMU via isa-debug-exit (port 0xf4), "
		  "or end Bochs via its shutdown port (0x8900)" },
	{ .name = "selftest", .type = CMDLINE_ENUM, OPT(selftest), .choices = selftest_words,
	  .help = "debug: fault on purpose after bring-up to show the panic report, "
		  "or (dma) attack the hypervisor by DMA with QEMU's edu device" },
	{ .name = "intercept", .type = CMDLINE_CUSTOM, OPT(intercept), .parse = parse_intercept,
	  .format = format_intercept,
	  .syntax = "none|LIST",
	  .help = "disk controllers to shadow and encrypt, joined by ',': ahci, ide (e.g. "
		  "ahci,ide); ahci-confine-only, ide-confine-only: test mode, IOMMU only" },
	{ .name = "crypt", .type = CMDLINE_CUSTOM, OPT(crypt), .parse = parse_sectors,
	  .format = format_sectors, .syntax = "all|FIRST-END",
	  .help = "512-byte sectors encrypted with AES-XTS (END exclusive)" },
	{ .name = "passphrase", .type = CMDLINE_FLAG, OPT(passphrase),
	  .help = "ask for the disk passphrase on the serial console (PBKDF2-HMAC-SHA256) "
		  "instead of a key module" },
	{ .name = "shadow", .type = CMDLINE_SIZE, OPT(shadow_mem),
	  .min = MiB(2), .max = MiB(512), .align = MiB(2),
	  .help = "shadow DMA window for the intercepted disk, inside the hypervisor region" },
	{ .name = "guest", .type = CMDLINE_ENUM, OPT(guest), .choices = guest_words,
	  .help = "the guest: the kernel module (role=kernel; without one shoji stops after "
		  "bring-up), or the OS on the BIOS boot drive, booted through the firmware "
		  "in real mode (docs/firmware-boot.md)" },
	{ .name = "bootdrive", .type = CMDLINE_UINT, OPT(boot_drive), .min = 0, .max = 0xff,
	  .flags = CMDLINE_HEX,
	  .help = "BIOS drive number guest=disk boots (0x80: the first hard disk)" },
	{ .name = "iommu", .type = CMDLINE_BOOL, OPT(iommu),
	  .help = "DMA protection by the IOMMU; without a usable one shoji refuses to go on "
		  "unless this says off" },
};

const struct cmdline_option *options_table(size_t *n)
{
	*n = ARRAY_SIZE(table);
	return table;
}

void options_defaults(struct shoji_options *o)
{
	memset(o, 0, sizeof(*o));
	o->help = false;
	o->hv_mem = MiB(64);
	o->serial_port = 0x3f8;
	o->log_debug = false;
	o->exit_mode = EXIT_HALT;
	o->selftest = SELFTEST_NONE;
	o->iommu = true;
	o->intercept = INTERCEPT_NONE;
	o->crypt = SECTORS_ALL;
	o->passphrase = false;
	o->shadow_mem = MiB(16);
	o->guest = GUEST_MODULES;
	o->boot_drive = 0x80;
}

int options_parse(const char *cmdline, struct shoji_options *o, struct cmdline_errors *errs)
{
	options_defaults(o);
	return cmdline_parse(cmdline, table, ARRAY_SIZE(table), o, errs);
}

static void emit_log(void *ctx, const char *line)
{
	(void)ctx;
	log_info("%s", line);
}

void options_log_help(void)
{
	struct shoji_options d;

	options_defaults(&d);
	log_info("options:");
	cmdline_help(table, ARRAY_SIZE(table), &d, emit_log, NULL);
}

void options_log(const struct shoji_options *o)
{
	char buf[400];

	cmdline_format(table, ARRAY_SIZE(table), o, buf, sizeof(buf));
	log_info("options %s", buf);
}
