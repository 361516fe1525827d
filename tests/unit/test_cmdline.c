/* Unit tests: the generic command-line parser (lib/cmdline) with a synthetic
 * table covering every type and error, then shoji's own options
 * (platform/options). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "host/host.h"
#include "lib/cmdline.h"
#include "lib/error.h"
#include "platform/options.h"

/* ---- a synthetic table ---- */

enum color { RED, GREEN, BLUE };

struct tcfg {
	bool flag;
	bool sw;
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;
	uint16_t port;		/* UINT, hex display, 0x100..0x3ff */
	uint64_t size;		/* SIZE 4K..1G, multiple of 4K */
	uint16_t size16;	/* SIZE, no limits given: field max */
	enum color color;
	uint32_t even;		/* CUSTOM: an even number */
	char secret[16];	/* CUSTOM, SECRET */
	uint32_t sum;		/* CUSTOM, REPEAT: adds up */
	uint32_t guard;		/* never named by the table */
};

static int parse_even(const char *value, void *dst, char *err, size_t errlen)
{
	uint64_t v;
	uint32_t x;

	if (cmdline_parse_uint(value, &v) || v > UINT32_MAX || (v & 1)) {
		snprintf(err, errlen, "expected an even number");
		return E_INVAL;
	}
	x = (uint32_t)v;
	memcpy(dst, &x, sizeof(x));
	return 0;
}

static void format_even(const void *src, char *buf, size_t len)
{
	uint32_t x;

	memcpy(&x, src, sizeof(x));
	snprintf(buf, len, "%u", x);
}

static int parse_secret(const char *value, void *dst, char *err, size_t errlen)
{
	if (strlen(value) >= 16) {
		snprintf(err, errlen, "longer than 15 characters");
		return E_RANGE;
	}
	strcpy(dst, value);
	return 0;
}

static void format_secret(const void *src, char *buf, size_t len)
{
	snprintf(buf, len, "%s", (const char *)src);
}

static int parse_add(const char *value, void *dst, char *err, size_t errlen)
{
	uint64_t v;
	uint32_t sum;

	if (cmdline_parse_uint(value, &v))
		return E_INVAL;	/* no message: the parser uses err_str */
	memcpy(&sum, dst, sizeof(sum));
	sum += (uint32_t)v;
	memcpy(dst, &sum, sizeof(sum));
	return 0;
}

static const char *const colors[] = { "red", "green", "blue", NULL };

#define F(m) CMDLINE_FIELD(struct tcfg, m)
static const struct cmdline_option ttab[] = {
	{ .name = "flag", .type = CMDLINE_FLAG, F(flag), .help = "a flag" },
	{ .name = "sw", .type = CMDLINE_BOOL, F(sw), .help = "a switch" },
	{ .name = "u8", .type = CMDLINE_UINT, F(u8), .help = "a byte" },
	{ .name = "u32", .type = CMDLINE_UINT, F(u32), .min = 10, .max = 1000,
	  .help = "bounded" },
	{ .name = "u64", .type = CMDLINE_UINT, F(u64), .help = "wide" },
	{ .name = "port", .type = CMDLINE_UINT, F(port), .min = 0x100, .max = 0x3ff,
	  .flags = CMDLINE_HEX, .help = "a port" },
	{ .name = "size", .type = CMDLINE_SIZE, F(size), .min = KiB(4), .max = GiB(1),
	  .align = KiB(4), .help = "a size" },
	{ .name = "size16", .type = CMDLINE_SIZE, F(size16), .help = "small size" },
	{ .name = "color", .type = CMDLINE_ENUM, F(color), .choices = colors,
	  .help = "a color" },
	{ .name = "even", .type = CMDLINE_CUSTOM, F(even), .parse = parse_even,
	  .format = format_even, .syntax = "EVEN", .help = "an even number" },
	{ .name = "secret", .type = CMDLINE_CUSTOM, F(secret), .parse = parse_secret,
	  .format = format_secret, .flags = CMDLINE_SECRET, .help = "a secret" },
	{ .name = "add", .type = CMDLINE_CUSTOM, F(sum), .parse = parse_add,
	  .flags = CMDLINE_REPEAT, .help = "adds up" },
};
#define NT ARRAY_SIZE(ttab)

static void tdefaults(struct tcfg *c)
{
	memset(c, 0, sizeof(*c));
	c->u8 = 7;
	c->u32 = 100;
	c->port = 0x200;
	c->size = MiB(1);
	c->color = GREEN;
	c->even = 2;
	c->guard = 0xdeadbeef;
}

static struct cmdline_errors errs;

static int tparse(const char *line, struct tcfg *c)
{
	tdefaults(c);
	return cmdline_parse(line, ttab, NT, c, &errs);
}

/* Asserts that line yields exactly the one error msg and leaves every field
 * at its default. */
static void expect_one_error(const char *line, const char *msg)
{
	struct tcfg c, d;

	tdefaults(&d);
	int n = tparse(line, &c);
	if (n != 1 || strcmp(errs.msg[0], msg)) {
		print_error("line '%s': %d errors, first '%s', wanted '%s'\n", line, n,
			    n ? errs.msg[0] : "", msg);
		fail();
	}
	assert_int_equal(errs.count, 1);
	assert_memory_equal(&c, &d, sizeof(c));
}

/* ---- numbers ---- */

static void test_parse_uint(void **state)
{
	uint64_t v = 42;

	(void)state;
	assert_int_equal(cmdline_parse_uint("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(cmdline_parse_uint("1234", &v), 0);
	assert_int_equal(v, 1234);
	assert_int_equal(cmdline_parse_uint("010", &v), 0);
	assert_int_equal(v, 10);	/* leading zero is not octal */
	assert_int_equal(cmdline_parse_uint("0x3f8", &v), 0);
	assert_int_equal(v, 0x3f8);
	assert_int_equal(cmdline_parse_uint("0X3F8", &v), 0);
	assert_int_equal(v, 0x3f8);
	assert_int_equal(cmdline_parse_uint("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(cmdline_parse_uint("0xffffffffffffffff", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(cmdline_parse_uint("0x00000000000000000000001", &v), 0);
	assert_int_equal(v, 1);

	v = 42;
	assert_int_equal(cmdline_parse_uint("18446744073709551616", &v), E_RANGE);
	assert_int_equal(cmdline_parse_uint("99999999999999999999", &v), E_RANGE);
	assert_int_equal(cmdline_parse_uint("0x10000000000000000", &v), E_RANGE);
	assert_int_equal(cmdline_parse_uint("", &v), E_INVAL);
	assert_int_equal(cmdline_parse_uint("0x", &v), E_INVAL);
	assert_int_equal(cmdline_parse_uint("-1", &v), E_INVAL);
	assert_int_equal(cmdline_parse_uint("+1", &v), E_INVAL);
	assert_int_equal(cmdline_parse_uint("12a", &v), E_INVAL);
	assert_int_equal(cmdline_parse_uint("0xfg", &v), E_INVAL);
	assert_int_equal(cmdline_parse_uint("99999999999999999999z", &v), E_INVAL);
	assert_int_equal(v, 42);	/* untouched by failures */
}

static void test_parse_size(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} ok[] = {
		{ "0", 0 }, { "4096", 4096 }, { "0x1000", 4096 },
		{ "4K", KiB(4) }, { "4k", KiB(4) }, { "4KiB", KiB(4) },
		{ "64M", MiB(64) }, { "64m", MiB(64) }, { "64MiB", MiB(64) },
		{ "1G", GiB(1) }, { "1g", GiB(1) }, { "1GiB", GiB(1) },
		{ "2T", 2ULL << 40 }, { "2t", 2ULL << 40 }, { "2TiB", 2ULL << 40 },
		{ "0x10M", MiB(16) }, { "0x1aK", KiB(26) }, { "007M", MiB(7) },
		{ "16777215T", 16777215ULL << 40 },
		{ "18446744073709551615", UINT64_MAX },
	};
	static const char *const bad[] = {
		"", "M", "3X", "64MB", "64Mi", "64kib", "64KIB", "1.5G", "-1M", "0x",
		"0xM", "64 M", "M64", "64MM", "0x1Gx",
	};
	static const char *const big[] = {
		"17179869184G", "16777216T", "99999999999999999999",
		"18014398509481984K", "0x10000000000000000",
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		v = 12345;
		if (cmdline_parse_size(ok[i].s, &v) || v != ok[i].v) {
			print_error("'%s' -> %llu\n", ok[i].s, (unsigned long long)v);
			fail();
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		v = 12345;
		if (cmdline_parse_size(bad[i], &v) != E_INVAL || v != 12345) {
			print_error("'%s' accepted\n", bad[i]);
			fail();
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(big); i++) {
		if (cmdline_parse_size(big[i], &v) != E_RANGE) {
			print_error("'%s' not E_RANGE\n", big[i]);
			fail();
		}
	}
}

static void test_format_size(void **state)
{
	char b[32];

	(void)state;
	cmdline_format_size(0, b, sizeof(b));
	assert_string_equal(b, "0");
	cmdline_format_size(1000, b, sizeof(b));
	assert_string_equal(b, "1000");
	cmdline_format_size(1024, b, sizeof(b));
	assert_string_equal(b, "1K");
	cmdline_format_size(KiB(1536), b, sizeof(b));
	assert_string_equal(b, "1536K");
	cmdline_format_size(MiB(64), b, sizeof(b));
	assert_string_equal(b, "64M");
	cmdline_format_size(GiB(1), b, sizeof(b));
	assert_string_equal(b, "1G");
	cmdline_format_size(GiB(3072), b, sizeof(b));
	assert_string_equal(b, "3T");
	cmdline_format_size(UINT64_MAX, b, sizeof(b));
	assert_string_equal(b, "18446744073709551615");
	cmdline_format_size(MiB(64), b, 3);
	assert_string_equal(b, "64");	/* cut, still terminated */
}

/* ---- the generic parser ---- */

static void test_all_types(void **state)
{
	struct tcfg c;

	(void)state;
	assert_int_equal(tparse("flag sw=on u8=255 u32=0x3e8 u64=18446744073709551615 "
				"port=0x3f8 size=2M size16=63K color=blue even=0x10 "
				"secret=hunter2 add=1 add=2 add=40", &c), 0);
	assert_int_equal(errs.count, 0);
	assert_true(c.flag);
	assert_true(c.sw);
	assert_int_equal(c.u8, 255);
	assert_int_equal(c.u32, 1000);
	assert_true(c.u64 == UINT64_MAX);
	assert_int_equal(c.port, 0x3f8);
	assert_true(c.size == MiB(2));
	assert_int_equal(c.size16, 63 * 1024);
	assert_int_equal(c.color, BLUE);
	assert_int_equal(c.even, 16);
	assert_string_equal(c.secret, "hunter2");
	assert_int_equal(c.sum, 43);
	assert_int_equal(c.guard, 0xdeadbeef);
}

static void test_bool_words(void **state)
{
	static const struct {
		const char *line;
		bool v;
	} cases[] = {
		{ "sw=on", true }, { "sw=yes", true }, { "sw=1", true },
		{ "sw=off", false }, { "sw=no", false }, { "sw=0", false },
	};
	struct tcfg c;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		tdefaults(&c);
		c.sw = !cases[i].v;
		assert_int_equal(cmdline_parse(cases[i].line, ttab, NT, &c, &errs), 0);
		assert_int_equal(c.sw, cases[i].v);
	}
	expect_one_error("sw=On", "sw=On: expected one of on, off, yes, no, 1, 0");
	expect_one_error("sw=true", "sw=true: expected one of on, off, yes, no, 1, 0");
	expect_one_error("sw", "sw needs a value (sw=on|off)");
}

static void test_nothing_given(void **state)
{
	static const char *const lines[] = { "", "   ", "\t", " \t \t  ", "\r\n", "shoji.elf",
					     "  /boot/shoji  ", "build/shoji.elf\t" };
	struct tcfg c, d;

	(void)state;
	tdefaults(&d);
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		assert_int_equal(tparse(lines[i], &c), 0);
		assert_memory_equal(&c, &d, sizeof(c));
	}
	assert_int_equal(tparse(NULL, &c), 0);
	assert_memory_equal(&c, &d, sizeof(c));
	assert_int_equal(cmdline_parse("", ttab, NT, &c, NULL), 0);
}

static void test_separators(void **state)
{
	struct tcfg c;

	(void)state;
	assert_int_equal(tparse("\tu8=1\t\tu32=20  \t flag\t", &c), 0);
	assert_int_equal(c.u8, 1);
	assert_int_equal(c.u32, 20);
	assert_true(c.flag);
	assert_int_equal(tparse("u8=3\ncolor=red\r\n", &c), 0);
	assert_int_equal(c.u8, 3);
	assert_int_equal(c.color, RED);
}

static void test_image_path(void **state)
{
	struct tcfg c;

	(void)state;
	/* QEMU's multiboot loader: "path args" */
	assert_int_equal(tparse("build/shoji.elf u8=9", &c), 0);
	assert_int_equal(c.u8, 9);
	assert_int_equal(tparse("shoji.elf u8=9", &c), 0);
	assert_int_equal(c.u8, 9);
	assert_int_equal(tparse("/boot/shoji u8=9 flag", &c), 0);
	assert_int_equal(c.u8, 9);
	assert_true(c.flag);
	assert_int_equal(tparse("   (hd0)/boot/shoji\tflag", &c), 0);
	assert_true(c.flag);

	/* a first word that is an option is parsed, not skipped */
	assert_int_equal(tparse("flag u8=9", &c), 0);
	assert_true(c.flag);
	assert_int_equal(tparse("u8=9", &c), 0);
	assert_int_equal(c.u8, 9);
}

static void test_image_path_errors(void **state)
{
	struct tcfg c;

	(void)state;
	/* a first word that is not a path is an option like any other */
	assert_int_equal(tparse("shoji u8=9", &c), 1);
	assert_string_equal(errs.msg[0], "unknown option 'shoji' (see 'help')");
	assert_int_equal(c.u8, 9);
	assert_int_equal(tparse("shoji.elf.gz", &c), 1);
	assert_string_equal(errs.msg[0], "unknown option 'shoji.elf.gz' (see 'help')");
	/* later words are never skipped */
	assert_int_equal(tparse("build/shoji.elf a/b other.elf", &c), 2);
	assert_string_equal(errs.msg[0], "unknown option 'a/b' (see 'help')");
	assert_string_equal(errs.msg[1], "unknown option 'other.elf' (see 'help')");
	assert_int_equal(tparse("flag build/shoji.elf", &c), 1);
	assert_string_equal(errs.msg[0], "unknown option 'build/shoji.elf' (see 'help')");
	assert_true(c.flag);
	/* key=value with a '/' in the value is an option, not a path */
	assert_int_equal(tparse("color=a/b", &c), 1);
	assert_string_equal(errs.msg[0], "color=a/b: expected one of red, green, blue");
	assert_int_equal(tparse("secret=a/b", &c), 0);
	assert_string_equal(c.secret, "a/b");
}

static void test_error_messages(void **state)
{
	(void)state;
	expect_one_error("bogus", "unknown option 'bogus' (see 'help')");
	expect_one_error("bogus=1", "unknown option 'bogus=1' (see 'help')");
	expect_one_error("=1", "unknown option '=1' (see 'help')");
	expect_one_error("FLAG", "unknown option 'FLAG' (see 'help')");	/* case matters */
	expect_one_error("fla", "unknown option 'fla' (see 'help')");	/* no prefixes */
	expect_one_error("flags", "unknown option 'flags' (see 'help')");
	expect_one_error("flag=1", "flag takes no value");
	expect_one_error("flag=", "flag takes no value");
	expect_one_error("u8", "u8 needs a value (u8=N)");
	expect_one_error("u8=", "u8=: empty value (u8=N)");
	expect_one_error("size=", "size=: empty value (size=SIZE)");
	expect_one_error("color=", "color=: empty value (color=red|green|blue)");
	expect_one_error("even", "even needs a value (even=EVEN)");
	expect_one_error("u8=x", "u8=x: not a number (expected decimal or 0x hex)");
	expect_one_error("u8=1K", "u8=1K: not a number (expected decimal or 0x hex)");
	expect_one_error("u8=256", "u8=256: too large (max 255)");
	expect_one_error("u32=9", "u32=9: too small (min 10)");
	expect_one_error("u32=1001", "u32=1001: too large (max 1000)");
	expect_one_error("u64=99999999999999999999",
			 "u64=99999999999999999999: too large (max 18446744073709551615)");
	expect_one_error("port=0xff", "port=0xff: too small (min 0x100)");
	expect_one_error("port=1024", "port=1024: too large (max 0x3ff)");
	expect_one_error("size=3X", "size=3X: not a size (expected e.g. 64M)");
	expect_one_error("size=2G", "size=2G: too large (max 1G)");
	expect_one_error("size=99999999999999999999",
			 "size=99999999999999999999: too large (max 1G)");
	expect_one_error("size=17179869184G", "size=17179869184G: too large (max 1G)");
	expect_one_error("size=2K", "size=2K: too small (min 4K)");
	expect_one_error("size=6K", "size=6K: not a multiple of 4K");
	expect_one_error("size16=64K", "size16=64K: too large (max 65535)");
	expect_one_error("color=Red", "color=Red: expected one of red, green, blue");
	expect_one_error("even=3", "even=3: expected an even number");
	expect_one_error("add=x", "add=x: invalid");
}

static void test_value_limits_and_quoting(void **state)
{
	char line[600], msg[CMDLINE_ERROR_LEN];
	struct tcfg c;

	(void)state;
	/* the longest value accepted, and one more */
	memcpy(line, "even=", 5);
	memset(line + 5, '0', CMDLINE_MAX_VALUE - 1);
	line[5 + CMDLINE_MAX_VALUE - 1] = '8';
	line[5 + CMDLINE_MAX_VALUE] = '\0';
	assert_int_equal(tparse(line, &c), 0);
	assert_int_equal(c.even, 8);
	memcpy(line, "even=", 5);
	memset(line + 5, '0', CMDLINE_MAX_VALUE + 1);
	line[5 + CMDLINE_MAX_VALUE + 1] = '\0';
	snprintf(msg, sizeof(msg), "even=%.64s...: value too long (max %d characters)",
		 line + 5, CMDLINE_MAX_VALUE);
	expect_one_error(line, msg);

	/* long words are cut in messages, odd bytes shown as '?' */
	memset(line, 'z', 100);
	line[100] = '\0';
	snprintf(msg, sizeof(msg), "unknown option '%.64s...' (see 'help')", line);
	expect_one_error(line, msg);
	expect_one_error("bo\x01gus\xff", "unknown option 'bo?gus?' (see 'help')");

	/* secrets never appear in messages */
	expect_one_error("secret=sixteen-chars-xx",
			 "secret=<hidden>: longer than 15 characters");
}

static void test_duplicates(void **state)
{
	struct tcfg c;

	(void)state;
	assert_int_equal(tparse("flag flag", &c), 1);
	assert_string_equal(errs.msg[0], "flag given twice");
	assert_true(c.flag);
	/* the first value stays; the repeat is reported once, however often */
	assert_int_equal(tparse("u8=1 u8=2 u8=3 size=8K size=8K", &c), 2);
	assert_string_equal(errs.msg[0], "u8 given twice");
	assert_string_equal(errs.msg[1], "size given twice");
	assert_int_equal(c.u8, 1);
	/* a bad value still counts as given */
	assert_int_equal(tparse("size=3X size=8K", &c), 2);
	assert_string_equal(errs.msg[0], "size=3X: not a size (expected e.g. 64M)");
	assert_string_equal(errs.msg[1], "size given twice");
	assert_true(c.size == MiB(1));
	/* CMDLINE_REPEAT rows may repeat */
	assert_int_equal(tparse("add=1 add=2", &c), 0);
	assert_int_equal(c.sum, 3);
}

static void test_errors_collected(void **state)
{
	struct tcfg c;

	(void)state;
	/* errors do not stop the parse: good options around them still apply */
	assert_int_equal(tparse("u8=1 bogus size=3X u32=20 color=pink flag=1 sw=on", &c), 4);
	assert_string_equal(errs.msg[0], "unknown option 'bogus' (see 'help')");
	assert_string_equal(errs.msg[1], "size=3X: not a size (expected e.g. 64M)");
	assert_string_equal(errs.msg[2], "color=pink: expected one of red, green, blue");
	assert_string_equal(errs.msg[3], "flag takes no value");
	assert_int_equal(c.u8, 1);
	assert_int_equal(c.u32, 20);
	assert_true(c.sw);
	assert_false(c.flag);
	assert_true(c.size == MiB(1));
	assert_int_equal(c.color, GREEN);

	/* more than CMDLINE_MAX_ERRORS: the first are kept, all are counted */
	assert_int_equal(tparse("a b c d e f g h i j", &c), 10);
	assert_int_equal(errs.count, 10);
	assert_int_equal(cmdline_errors_stored(&errs), CMDLINE_MAX_ERRORS);
	assert_string_equal(errs.msg[0], "unknown option 'a' (see 'help')");
	assert_string_equal(errs.msg[7], "unknown option 'h' (see 'help')");

	host_log_clear();
	cmdline_log_errors(&errs);
	assert_int_equal(host_log_count("shoji: error: unknown option '"), 8);
	assert_int_equal(host_log_count("shoji: error: unknown option 'i'"), 0);
	assert_int_equal(host_log_count("shoji: error: 2 more errors not shown\n"), 1);

	/* a parse resets errs */
	assert_int_equal(tparse("u8=2", &c), 0);
	assert_int_equal(errs.count, 0);
	host_log_clear();
	cmdline_log_errors(&errs);
	assert_int_equal(host_log_len, 0);
}

static void test_bad_tables(void **state)
{
	static const char *const none[] = { NULL };
	const struct cmdline_option bad_size[] = {
		{ .name = "x", .type = CMDLINE_UINT, .offset = 0, .size = 3 },
	};
	const struct cmdline_option bad_enum[] = {
		{ .name = "x", .type = CMDLINE_ENUM, .offset = 0, .size = 4, .choices = none },
	};
	const struct cmdline_option bad_custom[] = {
		{ .name = "x", .type = CMDLINE_CUSTOM, .offset = 0, .size = 4 },
	};
	const struct cmdline_option twice[] = {
		{ .name = "x", .type = CMDLINE_UINT, .offset = 0, .size = 4 },
		{ .name = "x", .type = CMDLINE_UINT, .offset = 4, .size = 4 },
	};
	const struct cmdline_option bad_range[] = {
		{ .name = "x", .type = CMDLINE_UINT, .offset = 0, .size = 1, .min = 300 },
	};
	const struct cmdline_option bad_flag[] = {
		{ .name = "x=y", .type = CMDLINE_FLAG, .offset = 0, .size = 1 },
	};
	uint32_t cfg[2] = { 5, 5 };

	(void)state;
	assert_int_equal(cmdline_parse("x=1", bad_size, 1, cfg, &errs), 1);
	assert_string_equal(errs.msg[0], "option table: row 0 ('x'): size is not 1, 2, 4 or 8");
	assert_int_equal(cmdline_parse("x=1", bad_enum, 1, cfg, &errs), 1);
	assert_string_equal(errs.msg[0], "option table: row 0 ('x'): no choices");
	assert_int_equal(cmdline_parse("x=1", bad_custom, 1, cfg, &errs), 1);
	assert_string_equal(errs.msg[0], "option table: row 0 ('x'): no parse function");
	assert_int_equal(cmdline_parse("x=1", twice, 2, cfg, &errs), 1);
	assert_string_equal(errs.msg[0], "option table: row 1 ('x'): name used twice");
	assert_int_equal(cmdline_parse("x=1", bad_range, 1, cfg, &errs), 1);
	assert_string_equal(errs.msg[0], "option table: row 0 ('x'): min above max");
	assert_int_equal(cmdline_parse("", bad_flag, 1, cfg, &errs), 1);
	assert_string_equal(errs.msg[0],
			    "option table: row 0 ('x=y'): name contains '=' or a space");
	assert_int_equal(cfg[0], 5);	/* nothing parsed */
	assert_int_equal(cfg[1], 5);
}

struct lines {
	int n;
	char text[16][256];
};

static void collect(void *ctx, const char *line)
{
	struct lines *l = ctx;

	assert_true(l->n < 16);
	assert_null(strchr(line, '\n'));
	snprintf(l->text[l->n++], sizeof(l->text[0]), "%s", line);
}

static void test_help_generic(void **state)
{
	struct lines l = { 0 };
	struct tcfg d;

	(void)state;
	tdefaults(&d);
	cmdline_help(ttab, NT, &d, collect, &l);
	assert_int_equal(l.n, (int)NT);
	assert_string_equal(l.text[0], "  flag                     a flag");
	assert_string_equal(l.text[1], "  sw=on|off                a switch (default off)");
	assert_string_equal(l.text[2], "  u8=N                     a byte (default 7)");
	assert_string_equal(l.text[3], "  u32=N                    bounded (10..1000; default 100)");
	assert_string_equal(l.text[5], "  port=N                   a port (0x100..0x3ff; default 0x200)");
	assert_string_equal(l.text[6],
			    "  size=SIZE                a size (4K..1G, multiple of 4K; default 1M)");
	assert_string_equal(l.text[8], "  color=red|green|blue     a color (default green)");
	assert_string_equal(l.text[9], "  even=EVEN                an even number (default 2)");
	assert_string_equal(l.text[10], "  secret=VALUE             a secret (default <hidden>)");
	assert_string_equal(l.text[11], "  add=VALUE                adds up (default ?)");
}

static void test_format_generic(void **state)
{
	char buf[512], small[20];
	struct tcfg c;
	size_t n;

	(void)state;
	assert_int_equal(tparse("flag u8=200 size=12K color=red secret=pw u64=0x10", &c), 0);
	n = cmdline_format(ttab, NT, &c, buf, sizeof(buf));
	assert_string_equal(buf, "sw=off u8=200 u32=100 u64=16 port=0x200 size=12K size16=0 "
			    "color=red even=2 secret=<hidden> add=?");
	assert_int_equal(n, strlen(buf));
	assert_int_equal(cmdline_format(ttab, NT, &c, small, sizeof(small)), n);
	assert_string_equal(small, "sw=off u8=200 u32=1");
	assert_int_equal(cmdline_format(ttab, NT, &c, NULL, 0), n);
}

/* ---- shoji's options ---- */

static struct shoji_options opts;

static void expect_option_error(const char *line, const char *msg)
{
	struct shoji_options d;

	options_defaults(&d);
	int n = options_parse(line, &opts, &errs);
	if (n != 1 || strcmp(errs.msg[0], msg)) {
		print_error("line '%s': %d errors, first '%s', wanted '%s'\n", line, n,
			    n ? errs.msg[0] : "", msg);
		fail();
	}
	assert_memory_equal(&opts, &d, sizeof(d));
}

static void test_options_defaults(void **state)
{
	(void)state;
	memset(&opts, 0xa5, sizeof(opts));
	options_defaults(&opts);
	assert_false(opts.help);
	assert_true(opts.hv_mem == MiB(64));
	assert_int_equal(opts.serial_port, 0x3f8);
	assert_false(opts.log_debug);
	assert_int_equal(opts.exit_mode, EXIT_HALT);
	assert_int_equal(opts.selftest, SELFTEST_NONE);

	/* options_parse starts from the defaults whatever o held */
	memset(&opts, 0xa5, sizeof(opts));
	assert_int_equal(options_parse("build/shoji.elf", &opts, &errs), 0);
	assert_true(opts.hv_mem == MiB(64));
	assert_int_equal(opts.serial_port, 0x3f8);
	assert_false(opts.help);
	memset(&opts, 0xa5, sizeof(opts));
	assert_int_equal(options_parse(NULL, &opts, &errs), 0);
	assert_int_equal(opts.exit_mode, EXIT_HALT);
}

static void test_options_values(void **state)
{
	(void)state;
	assert_int_equal(options_parse("build/shoji.elf mem=32M", &opts, &errs), 0);
	assert_true(opts.hv_mem == MiB(32));
	assert_int_equal(options_parse("shoji.elf help mem=1G serial=com2 log=debug exit=qemu "
				       "selftest=invalid-opcode", &opts, &errs), 0);
	assert_true(opts.help);
	assert_true(opts.hv_mem == GiB(1));
	assert_int_equal(opts.serial_port, 0x2f8);
	assert_true(opts.log_debug);
	assert_int_equal(opts.exit_mode, EXIT_QEMU);
	assert_int_equal(opts.selftest, SELFTEST_INVALID_OPCODE);
	assert_int_equal(options_parse("exit=bochs", &opts, &errs), 0);
	assert_int_equal(opts.exit_mode, EXIT_BOCHS);
	assert_int_equal(options_parse("exit=bochsx", &opts, &errs), 1);

	assert_int_equal(options_parse("mem=16M", &opts, &errs), 0);
	assert_true(opts.hv_mem == MiB(16));
	assert_int_equal(options_parse("mem=0x4000000", &opts, &errs), 0);
	assert_true(opts.hv_mem == MiB(64));
	assert_int_equal(options_parse("mem=1024MiB", &opts, &errs), 0);
	assert_true(opts.hv_mem == GiB(1));
	assert_int_equal(options_parse("mem=18432k", &opts, &errs), 0);
	assert_true(opts.hv_mem == MiB(18));

	static const struct {
		const char *line;
		uint16_t port;
	} serial[] = {
		{ "serial=com1", 0x3f8 }, { "serial=com2", 0x2f8 }, { "serial=com3", 0x3e8 },
		{ "serial=com4", 0x2e8 }, { "serial=0x2f8", 0x2f8 }, { "serial=1016", 0x3f8 },
		{ "serial=0xe000", 0xe000 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(serial); i++) {
		assert_int_equal(options_parse(serial[i].line, &opts, &errs), 0);
		assert_int_equal(opts.serial_port, serial[i].port);
	}

	static const struct {
		const char *line;
		enum selftest st;
	} st[] = {
		{ "selftest=none", SELFTEST_NONE }, { "selftest=pagefault", SELFTEST_PAGEFAULT },
		{ "selftest=invalid-opcode", SELFTEST_INVALID_OPCODE },
		{ "selftest=gp", SELFTEST_GP },
	};
	for (size_t i = 0; i < ARRAY_SIZE(st); i++) {
		assert_int_equal(options_parse(st[i].line, &opts, &errs), 0);
		assert_int_equal(opts.selftest, st[i].st);
	}

	assert_int_equal(options_parse("log=info exit=halt", &opts, &errs), 0);
	assert_false(opts.log_debug);
	assert_int_equal(opts.exit_mode, EXIT_HALT);
}

static void test_options_errors(void **state)
{
	(void)state;
	expect_option_error("iommu_mode=x", "unknown option 'iommu_mode=x' (see 'help')");
	expect_option_error("build/shoji.elf mem=3X", "mem=3X: not a size (expected e.g. 64M)");
	expect_option_error("mem=1T", "mem=1T: too large (max 1G)");
	expect_option_error("mem=1026M", "mem=1026M: too large (max 1G)");
	expect_option_error("mem=14M", "mem=14M: too small (min 16M)");
	expect_option_error("mem=17M", "mem=17M: not a multiple of 2M");
	expect_option_error("mem=99999999999999999999",
			    "mem=99999999999999999999: too large (max 1G)");
	expect_option_error("mem=", "mem=: empty value (mem=SIZE)");
	expect_option_error("mem", "mem needs a value (mem=SIZE)");
	expect_option_error("log=loud", "log=loud: expected one of info, debug");
	expect_option_error("exit=now", "exit=now: expected one of halt, qemu, bochs");
	expect_option_error("selftest=ud",
			    "selftest=ud: expected one of none, pagefault, invalid-opcode, gp, dma");
	expect_option_error("help=1", "help takes no value");
	expect_option_error("serial=com5", "serial=com5: expected one of com1, com2, com3, "
			    "com4 or a port like 0x3f8");
	expect_option_error("serial=0", "serial=0: port out of range (0x1..0xfff8)");
	expect_option_error("serial=0x10000", "serial=0x10000: port out of range (0x1..0xfff8)");
	expect_option_error("serial=99999999999999999999",
			    "serial=99999999999999999999: port out of range (0x1..0xfff8)");

	/* "mem given twice": the first value stays */
	assert_int_equal(options_parse("mem=32M mem=128M", &opts, &errs), 1);
	assert_string_equal(errs.msg[0], "mem given twice");
	assert_true(opts.hv_mem == MiB(32));

	/* several at once */
	assert_int_equal(options_parse("shoji.elf mem=3X log=loud iommu_mode=on log=debug", &opts,
				       &errs), 4);
	assert_string_equal(errs.msg[0], "mem=3X: not a size (expected e.g. 64M)");
	assert_string_equal(errs.msg[1], "log=loud: expected one of info, debug");
	assert_string_equal(errs.msg[2], "unknown option 'iommu_mode=on' (see 'help')");
	assert_string_equal(errs.msg[3], "log given twice");
}

static void test_options_log(void **state)
{
	(void)state;
	options_defaults(&opts);
	host_log_clear();
	options_log(&opts);
	assert_string_equal(host_log,
			    "shoji: options mem=64M serial=0x3f8 log=info exit=halt selftest=none "
			    "intercept=none crypt=all shadow=16M guest=modules bootdrive=0x80 "
			    "iommu=on\n");

	assert_int_equal(options_parse("help mem=128M serial=com4 log=debug exit=qemu selftest=gp iommu=off",
				       &opts, &errs), 0);
	host_log_clear();
	options_log(&opts);
	assert_string_equal(host_log,
			    "shoji: options mem=128M serial=0x2e8 log=debug exit=qemu selftest=gp "
			    "intercept=none crypt=all shadow=16M guest=modules bootdrive=0x80 "
			    "iommu=off\n");
}

/* guest=disk and its drive (docs/firmware-boot.md). */
static void test_options_guest_disk(void **state)
{
	(void)state;
	assert_int_equal(options_parse("guest=disk bootdrive=0x81", &opts, &errs), 0);
	assert_int_equal(opts.guest, GUEST_DISK);
	assert_int_equal(opts.boot_drive, 0x81);
	assert_int_equal(options_parse("", &opts, &errs), 0);
	assert_int_equal(opts.guest, GUEST_MODULES);
	assert_int_equal(opts.boot_drive, 0x80);
	assert_int_equal(options_parse("guest=floppy bootdrive=0x100", &opts, &errs), 2);
	assert_string_equal(errs.msg[0], "guest=floppy: expected one of modules, disk");
	assert_true(strstr(errs.msg[1], "bootdrive=0x100") != NULL);
	assert_int_equal(opts.guest, GUEST_MODULES);
	assert_int_equal(opts.boot_drive, 0x80);
}

static void test_options_help(void **state)
{
	size_t n;
	const struct cmdline_option *t = options_table(&n);
	char needle[64];

	(void)state;
	host_log_clear();
	options_log_help();
	assert_int_equal(host_log_count("shoji: "), (int)n + 1);
	assert_int_equal(host_log_count("shoji: options:\n"), 1);
	assert_true(n >= 6);
	/* every option has a line, at the start of the text after the prefix */
	for (size_t i = 0; i < n; i++) {
		snprintf(needle, sizeof(needle), "shoji:   %s%s", t[i].name,
			 t[i].type == CMDLINE_FLAG ? " " : "=");
		if (host_log_count(needle) != 1) {
			print_error("no help line for '%s':\n%s", t[i].name, host_log);
			fail();
		}
	}
	assert_int_equal(host_log_count("shoji:   help                     print the options "
					"and stop\n"), 1);
	assert_int_equal(host_log_count("  mem=SIZE                 hypervisor memory region "
					"size (16M..1G, multiple of 2M; default 64M)\n"), 1);
	assert_int_equal(host_log_count("serial=com1|com2|com3|com4|0xPORT"), 1);
	assert_int_equal(host_log_count("(default 0x3f8)\n"), 1);
	assert_int_equal(host_log_count("log=info|debug"), 1);
	assert_int_equal(host_log_count("exit=halt|qemu|bochs"), 1);
	assert_int_equal(host_log_count("selftest=none|pagefault|invalid-opcode|gp|dma"), 1);
	assert_int_equal(host_log_count("(default info)\n"), 1);
	assert_int_equal(host_log_count("(default halt)\n"), 1);
	assert_int_equal(host_log_count("(default none)\n"), 2);	/* selftest, intercept */
	assert_int_equal(host_log_count("intercept=none|LIST      disk controllers to shadow and "
					"encrypt, joined by ',': ahci, ide (e.g. ahci,ide); "
					"ahci-confine-only, ide-confine-only: test mode, IOMMU only "
					"(default none)\n"), 1);
	assert_int_equal(host_log_count("crypt=all|FIRST-END"), 1);
}

static void test_options_disk(void **state)
{
	assert_int_equal(options_parse("intercept=ahci crypt=2048-4096 passphrase shadow=32M",
				       &opts, &errs), 0);
	assert_int_equal(opts.intercept, INTERCEPT_AHCI);
	assert_int_equal(opts.crypt.first, 2048);
	assert_int_equal(opts.crypt.end, 4096);
	assert_true(opts.passphrase);
	assert_int_equal(opts.shadow_mem, MiB(32));
	assert_int_equal(options_parse("crypt=all", &opts, &errs), 0);
	assert_int_equal(opts.crypt.end, UINT64_MAX);
	expect_option_error("crypt=100-100", "crypt=100-100: END must be greater than FIRST");
	expect_option_error("crypt=abc", "crypt=abc: expected all or FIRST-END (sector numbers)");
	expect_option_error("crypt=-5", "crypt=-5: expected all or FIRST-END (sector numbers)");
	expect_option_error("intercept=nvme",
			    "intercept=nvme: expected none or a list of ahci, ahci-confine-only, ide, "
			    "ide-confine-only (each once)");
	expect_option_error("intercept=ahci,ahci",
			    "intercept=ahci,ahci: expected none or a list of ahci, ahci-confine-only, "
			    "ide, ide-confine-only (each once)");
	expect_option_error("intercept=ide,", "intercept=ide,: empty controller after ','");
	expect_option_error("intercept=ide,ide-confine-only",
			    "intercept=ide,ide-confine-only: a controller is either shadowed or "
			    "confine-only");
	assert_int_equal(options_parse("intercept=ahci,ide", &opts, &errs), 0);
	assert_int_equal(opts.intercept, INTERCEPT_AHCI | INTERCEPT_IDE);
	host_log_clear();
	options_log(&opts);
	assert_int_equal(host_log_count(" intercept=ahci,ide "), 1);
	assert_int_equal(options_parse("intercept=ide-confine-only", &opts, &errs), 0);
	assert_int_equal(opts.intercept, INTERCEPT_IDE_CONFINE_ONLY);
	expect_option_error("shadow=3M", "shadow=3M: not a multiple of 2M");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_uint),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_format_size),
		cmocka_unit_test(test_all_types),
		cmocka_unit_test(test_bool_words),
		cmocka_unit_test(test_nothing_given),
		cmocka_unit_test(test_separators),
		cmocka_unit_test(test_image_path),
		cmocka_unit_test(test_image_path_errors),
		cmocka_unit_test(test_error_messages),
		cmocka_unit_test(test_value_limits_and_quoting),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_errors_collected),
		cmocka_unit_test(test_bad_tables),
		cmocka_unit_test(test_help_generic),
		cmocka_unit_test(test_format_generic),
		cmocka_unit_test(test_options_defaults),
		cmocka_unit_test(test_options_values),
		cmocka_unit_test(test_options_errors),
		cmocka_unit_test(test_options_log),
		cmocka_unit_test(test_options_guest_disk),
		cmocka_unit_test(test_options_help),
		cmocka_unit_test(test_options_disk),
	};

	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
