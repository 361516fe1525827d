/* A table-driven parser for the boot loader's command line.
 *
 * The line is split into words at spaces, tabs, CR and LF. Each word is
 * either "key=value" or a bare "key". Quoting and escaping are NOT supported:
 * a value can contain neither a space nor a tab, and quote characters are
 * ordinary characters. Names and values are case-sensitive (only the size
 * suffixes accept both cases, see below).
 *
 * The first word is skipped when it is the image's own path, which QEMU's
 * multiboot loader and GRUB put in front of the arguments ("build/shoji.elf
 * mem=32M"): a first word that contains '/' or ends in ".elf". As a guard
 * against silently dropping an option, a first word with '=' before its first
 * '/' ("key=a/b") is parsed as an option instead. Nothing else is skipped.
 *
 * The caller describes its options in a table whose rows say where in the
 * caller's own config struct each value goes (offset and size), so tests can
 * parse into a plain struct:
 *
 *	static const char *const log_words[] = { "info", "debug", NULL };
 *	static const struct cmdline_option table[] = {
 *		{ .name = "help", .type = CMDLINE_FLAG,
 *		  CMDLINE_FIELD(struct cfg, help), .help = "print the options" },
 *		{ .name = "mem", .type = CMDLINE_SIZE, CMDLINE_FIELD(struct cfg, mem),
 *		  .min = MiB(16), .max = GiB(1), .align = MiB(2),
 *		  .help = "memory size" },
 *		{ .name = "log", .type = CMDLINE_ENUM, CMDLINE_FIELD(struct cfg, log),
 *		  .choices = log_words, .help = "verbosity" },
 *	};
 *	n = cmdline_parse(line, table, ARRAY_SIZE(table), &cfg, &errs);
 *
 * Value syntax per type:
 *   FLAG    bare word only ("help"); stores true. "help=x" is an error.
 *   BOOL    on|off|yes|no|1|0 (lower case); stores true/false.
 *   UINT    decimal ("10", leading zeros are still decimal) or hex with 0x/0X
 *           ("0x3f8"); within [min, max].
 *   SIZE    a UINT followed by an optional binary-unit suffix: K k KiB, M m
 *           MiB, G g GiB, T t TiB (1K = 1024); within [min, max] and, when
 *           align is set, a multiple of align.
 *   ENUM    one of the words in choices (NULL-terminated); stores its index.
 *   CUSTOM  the row's parse callback decides.
 * For UINT and SIZE, max == 0 means "as large as the field holds"; a max
 * larger than the field holds is lowered to what it holds. Numbers that do
 * not fit 64 bits are "too large".
 *
 * Errors are collected, not fatal at the first one. Each names the option and
 * the bad value and says what is expected:
 *   unknown option 'iommu_mode=x' (see 'help')
 *   mem=3X: not a size (expected e.g. 64M)
 *   mem=1T: too large (max 1G)        mem=8M: too small (min 16M)
 *   mem=17M: not a multiple of 2M
 *   log=loud: expected one of info, debug
 *   mem given twice                    help takes no value
 *   mem needs a value (mem=SIZE)       mem=: empty value (mem=SIZE)
 * An option given more than once is an error (reported once, at its second
 * occurrence) unless its row has CMDLINE_REPEAT. A value that fails to parse
 * leaves the field untouched; so does every later occurrence of a duplicate.
 * The parser never writes outside the fields the table names.
 */
#ifndef SHOJI_LIB_CMDLINE_H
#define SHOJI_LIB_CMDLINE_H

#include "lib/types.h"

#define CMDLINE_MAX_ERRORS 8		/* messages kept; more are only counted */
#define CMDLINE_ERROR_LEN 160		/* per message, NUL included (cut if longer) */
#define CMDLINE_MAX_VALUE 255		/* longest value accepted, in characters */
#define CMDLINE_MAX_OPTIONS 64		/* rows per table */

enum cmdline_type {
	CMDLINE_FLAG,
	CMDLINE_BOOL,
	CMDLINE_UINT,
	CMDLINE_SIZE,
	CMDLINE_ENUM,
	CMDLINE_CUSTOM,
};

/* cmdline_option.flags */
#define CMDLINE_HEX	0x1u	/* UINT: show values (default, limits) in hex */
#define CMDLINE_SECRET	0x2u	/* never echo the value: errors and cmdline_format
				 * show "<hidden>" instead (keys, passwords) */
#define CMDLINE_REPEAT	0x4u	/* may be given more than once (CUSTOM parse
				 * callbacks that accumulate, e.g. lists) */

/* Parses value (NUL-terminated, non-empty) into the field at dst, which is
 * the row's size bytes. Returns 0 on success; otherwise a negative E_* and
 * writes to err what is wrong and what is expected, e.g. "expected com1..com4
 * or a port like 0x3f8"; the parser puts "name=value: " in front. It must not
 * write dst when it fails. */
typedef int (*cmdline_parse_fn)(const char *value, void *dst, char *err, size_t errlen);
/* Writes the field at src as a command-line value (what parse would accept)
 * to buf. Used for defaults in the help text and by cmdline_format. */
typedef void (*cmdline_format_fn)(const void *src, char *buf, size_t len);

struct cmdline_option {
	const char *name;		/* the key; no '=' or spaces */
	enum cmdline_type type;
	size_t offset;			/* of the field in the caller's config struct */
	size_t size;			/* of that field: sizeof(bool) for FLAG and BOOL,
					 * 1, 2, 4 or 8 for UINT, SIZE and ENUM (an unsigned
					 * integer or an enum), anything for CUSTOM */
	uint64_t min, max;		/* UINT, SIZE: inclusive limits (max 0: field max) */
	uint64_t align;			/* SIZE: required alignment (0: none) */
	const char *const *choices;	/* ENUM: NULL-terminated words; index stored */
	cmdline_parse_fn parse;		/* CUSTOM: required */
	cmdline_format_fn format;	/* CUSTOM: optional ("?" shown without it) */
	const char *syntax;		/* value syntax for help/errors, e.g. "com1..com4|0xPORT";
					 * NULL: derived from the type ("SIZE", "N",
					 * "on|off", "info|debug", "VALUE") */
	unsigned flags;			/* CMDLINE_HEX, CMDLINE_SECRET, CMDLINE_REPEAT */
	const char *help;		/* one short phrase */
};

/* offset and size of a member, for a row's initialiser */
#define CMDLINE_FIELD(type, member) \
	.offset = offsetof(type, member), .size = sizeof(((type *)0)->member)

struct cmdline_errors {
	int count;			/* errors found; may exceed CMDLINE_MAX_ERRORS */
	char msg[CMDLINE_MAX_ERRORS][CMDLINE_ERROR_LEN];	/* the first ones */
};

/* Number of messages actually stored in errs (min(count, CMDLINE_MAX_ERRORS)). */
static inline int cmdline_errors_stored(const struct cmdline_errors *errs)
{
	return errs->count < CMDLINE_MAX_ERRORS ? errs->count : CMDLINE_MAX_ERRORS;
}

/* Parses line (NULL or empty: nothing to do) against the n rows of opts,
 * storing values into the fields of cfg. Fields of options not given are
 * left as they are, so set cfg's defaults first. errs (may be NULL) is reset,
 * then receives the errors. Returns the number of errors, 0 when all is well.
 * A malformed table (bad size, ENUM without choices, CUSTOM without parse,
 * empty or duplicate name, more than CMDLINE_MAX_OPTIONS rows) is itself
 * reported as an error and nothing is parsed. */
int cmdline_parse(const char *line, const struct cmdline_option *opts, size_t n,
		  void *cfg, struct cmdline_errors *errs);

/* Logs every stored message with log_error, and "N more errors not shown"
 * when some were only counted. */
void cmdline_log_errors(const struct cmdline_errors *errs);

/* The help text: calls emit once per row, in table order, with one line
 * (no newline, no log prefix) of the form
 *	"  NAME=SYNTAX  HELP (LIMITS; default VALUE)"
 * e.g. "  mem=SIZE               hypervisor memory (16M..1G, multiple of 2M;
 * default 64M)". FLAG rows show neither syntax nor default. The defaults
 * are read from the fields of defaults (a config struct holding them). */
typedef void (*cmdline_emit_fn)(void *ctx, const char *line);
void cmdline_help(const struct cmdline_option *opts, size_t n, const void *defaults,
		  cmdline_emit_fn emit, void *ctx);

/* Writes "name=value name=value ..." for every row but FLAG rows, with the
 * values held in cfg, to buf (always NUL-terminated when len > 0; cut if
 * too small). Returns the length the whole text would have had. */
size_t cmdline_format(const struct cmdline_option *opts, size_t n, const void *cfg,
		      char *buf, size_t len);

/* Building blocks, also for CUSTOM parse callbacks:
 * cmdline_parse_uint: the whole of s as decimal or 0x hex. 0, E_INVAL (not a
 * number) or E_RANGE (does not fit 64 bits).
 * cmdline_parse_size: the same plus an optional suffix (see above).
 * cmdline_format_size: the largest exact unit: 64M, 1G, 4K, 1536K, 1000. */
int cmdline_parse_uint(const char *s, uint64_t *out);
int cmdline_parse_size(const char *s, uint64_t *out);
void cmdline_format_size(uint64_t v, char *buf, size_t len);

#endif
