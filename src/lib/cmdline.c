/* Table-driven command-line parser: see cmdline.h. Portable: works on
 * (pointer, length) slices of the const line, copies a value out only to
 * hand it NUL-terminated to a parse function. */
#include "lib/cmdline.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"

#define SHOW_MAX 64	/* characters of a word or value quoted in a message */

/* ---- numbers ---- */

/* The first len characters of s as decimal or 0x hex. */
static int parse_number(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	unsigned base = 10;
	bool overflow = false;
	size_t i = 0;

	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len)
		return E_INVAL;
	for (; i < len; i++) {
		unsigned d;

		if (s[i] >= '0' && s[i] <= '9')
			d = (unsigned)(s[i] - '0');
		else if (base == 16 && s[i] >= 'a' && s[i] <= 'f')
			d = (unsigned)(s[i] - 'a' + 10);
		else if (base == 16 && s[i] >= 'A' && s[i] <= 'F')
			d = (unsigned)(s[i] - 'A' + 10);
		else
			return E_INVAL;
		/* keep scanning after an overflow: a long string with a bad
		 * character in it is "not a number" rather than "too large" */
		if (v > (UINT64_MAX - d) / base)
			overflow = true;
		else
			v = v * base + d;
	}
	if (overflow)
		return E_RANGE;
	*out = v;
	return 0;
}

int cmdline_parse_uint(const char *s, uint64_t *out)
{
	return parse_number(s, strlen(s), out);
}

static const struct {
	const char *suffix;
	unsigned shift;
} size_suffixes[] = {
	{ "K", 10 }, { "k", 10 }, { "KiB", 10 },
	{ "M", 20 }, { "m", 20 }, { "MiB", 20 },
	{ "G", 30 }, { "g", 30 }, { "GiB", 30 },
	{ "T", 40 }, { "t", 40 }, { "TiB", 40 },
};

int cmdline_parse_size(const char *s, uint64_t *out)
{
	size_t i = 0;
	unsigned shift = 0;
	uint64_t v;
	int rc;

	/* the number: digits, or 0x and hex digits (no hex digit is a suffix
	 * letter, so the split is unambiguous) */
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		i = 2;
		while ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		       (s[i] >= 'A' && s[i] <= 'F'))
			i++;
	} else {
		while (s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (s[i]) {
		size_t k;

		for (k = 0; k < ARRAY_SIZE(size_suffixes); k++)
			if (!strcmp(s + i, size_suffixes[k].suffix))
				break;
		if (k == ARRAY_SIZE(size_suffixes))
			return E_INVAL;
		shift = size_suffixes[k].shift;
	}
	rc = parse_number(s, i, &v);
	if (rc)
		return rc;
	if (shift && v > (UINT64_MAX >> shift))
		return E_RANGE;
	*out = v << shift;
	return 0;
}

void cmdline_format_size(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "TGMK";
	static const unsigned shifts[] = { 40, 30, 20, 10 };

	if (v) {
		for (size_t i = 0; i < ARRAY_SIZE(shifts); i++) {
			uint64_t unit = 1ULL << shifts[i];

			if (v % unit == 0) {
				shoji_snprintf(buf, len, "%llu%c",
					       (unsigned long long)(v >> shifts[i]), units[i]);
				return;
			}
		}
	}
	shoji_snprintf(buf, len, "%llu", (unsigned long long)v);
}

/* ---- fields ---- */

static uint64_t field_max(size_t size)
{
	return size >= 8 ? UINT64_MAX : (1ULL << (size * 8)) - 1;
}

static uint64_t load_uint(const void *p, size_t size)
{
	switch (size) {
	case 1: { uint8_t v; memcpy(&v, p, 1); return v; }
	case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
	case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
	case 8: { uint64_t v; memcpy(&v, p, 8); return v; }
	default: return 0;
	}
}

static void store_uint(void *p, size_t size, uint64_t x)
{
	switch (size) {
	case 1: { uint8_t v = (uint8_t)x; memcpy(p, &v, 1); break; }
	case 2: { uint16_t v = (uint16_t)x; memcpy(p, &v, 2); break; }
	case 4: { uint32_t v = (uint32_t)x; memcpy(p, &v, 4); break; }
	case 8: memcpy(p, &x, 8); break;
	default: break;
	}
}

static void store_bool(void *p, bool b)
{
	memcpy(p, &b, sizeof(b));
}

static bool load_bool(const void *p)
{
	unsigned char c;

	memcpy(&c, p, 1);	/* read the byte: a bad bool must not trip UBSan */
	return c != 0;
}

static uint64_t opt_max(const struct cmdline_option *o)
{
	uint64_t fm = field_max(o->size);

	return (o->max == 0 || o->max > fm) ? fm : o->max;
}

static size_t enum_count(const struct cmdline_option *o)
{
	size_t k = 0;

	while (o->choices[k])
		k++;
	return k;
}

/* A value as the command line would write it. */
static void format_number(const struct cmdline_option *o, uint64_t v, char *buf, size_t len)
{
	if (o->type == CMDLINE_SIZE)
		cmdline_format_size(v, buf, len);
	else if (o->flags & CMDLINE_HEX)
		shoji_snprintf(buf, len, "0x%llx", (unsigned long long)v);
	else
		shoji_snprintf(buf, len, "%llu", (unsigned long long)v);
}

static void format_value(const struct cmdline_option *o, const void *field, char *buf, size_t len)
{
	switch (o->type) {
	case CMDLINE_FLAG:
	case CMDLINE_BOOL:
		shoji_snprintf(buf, len, "%s", load_bool(field) ? "on" : "off");
		break;
	case CMDLINE_UINT:
	case CMDLINE_SIZE:
		format_number(o, load_uint(field, o->size), buf, len);
		break;
	case CMDLINE_ENUM: {
		uint64_t i = load_uint(field, o->size);

		shoji_snprintf(buf, len, "%s", i < enum_count(o) ? o->choices[i] : "?");
		break;
	}
	case CMDLINE_CUSTOM:
		if (o->format && len) {
			buf[0] = '\0';
			o->format(field, buf, len);
		} else {
			shoji_snprintf(buf, len, "?");
		}
		break;
	}
}

/* The value syntax: the row's own, or one derived from its type. */
static void format_syntax(const struct cmdline_option *o, char *buf, size_t len)
{
	size_t n = 0;

	if (o->syntax) {
		shoji_snprintf(buf, len, "%s", o->syntax);
		return;
	}
	switch (o->type) {
	case CMDLINE_FLAG: shoji_snprintf(buf, len, "%s", ""); break;
	case CMDLINE_BOOL: shoji_snprintf(buf, len, "on|off"); break;
	case CMDLINE_UINT: shoji_snprintf(buf, len, "N"); break;
	case CMDLINE_SIZE: shoji_snprintf(buf, len, "SIZE"); break;
	case CMDLINE_CUSTOM: shoji_snprintf(buf, len, "VALUE"); break;
	case CMDLINE_ENUM:
		buf[0] = '\0';
		for (size_t k = 0; o->choices[k]; k++) {
			n += (size_t)shoji_snprintf(buf + MIN(n, len - 1), len - MIN(n, len - 1),
						    "%s%s", k ? "|" : "", o->choices[k]);
		}
		break;
	}
}

/* ---- errors ---- */

struct ctx {
	const struct cmdline_option *opts;
	size_t n;
	unsigned char *cfg;
	struct cmdline_errors *errs;
	int count;
};

static void PRINTF_LIKE(2, 3) add_error(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->errs && c->count < CMDLINE_MAX_ERRORS) {
		va_start(ap, fmt);
		shoji_vsnprintf(c->errs->msg[c->count], CMDLINE_ERROR_LEN, fmt, ap);
		va_end(ap);
	}
	c->count++;
	if (c->errs)
		c->errs->count = c->count;
}

/* A slice of the line made safe to quote: at most SHOW_MAX characters
 * ("..." marks a cut), control and non-ASCII bytes shown as '?'. */
static const char *show(char *buf, size_t size, const char *s, size_t len)
{
	size_t k = 0, i;

	for (i = 0; i < len && k + 4 < size && i < SHOW_MAX; i++) {
		unsigned char ch = (unsigned char)s[i];

		buf[k++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	if (i < len && k + 4 <= size) {
		buf[k++] = '.';
		buf[k++] = '.';
		buf[k++] = '.';
	}
	buf[k] = '\0';
	return buf;
}

/* ---- the table ---- */

static const char *table_problem(const struct cmdline_option *opts, size_t i)
{
	const struct cmdline_option *o = &opts[i];

	if (!o->name || !o->name[0])
		return "empty name";
	for (const char *p = o->name; *p; p++)
		if (*p == '=' || *p == ' ' || *p == '\t')
			return "name contains '=' or a space";
	for (size_t j = 0; j < i; j++)
		if (!strcmp(opts[j].name, o->name))
			return "name used twice";
	switch (o->type) {
	case CMDLINE_FLAG:
	case CMDLINE_BOOL:
		if (o->size != sizeof(bool))
			return "size is not sizeof(bool)";
		break;
	case CMDLINE_UINT:
	case CMDLINE_SIZE:
	case CMDLINE_ENUM:
		if (o->size != 1 && o->size != 2 && o->size != 4 && o->size != 8)
			return "size is not 1, 2, 4 or 8";
		if (o->type == CMDLINE_ENUM && (!o->choices || !o->choices[0]))
			return "no choices";
		if (o->type != CMDLINE_ENUM && o->min > opt_max(o))
			return "min above max";
		if (o->type == CMDLINE_SIZE && o->align && (o->align & (o->align - 1)))
			return "align is not a power of two";
		break;
	case CMDLINE_CUSTOM:
		if (!o->parse)
			return "no parse function";
		break;
	default:
		return "unknown type";
	}
	return NULL;
}

static bool check_table(struct ctx *c)
{
	bool ok = true;

	if (c->n > CMDLINE_MAX_OPTIONS) {
		add_error(c, "option table: %zu rows (max %d)", c->n, CMDLINE_MAX_OPTIONS);
		return false;
	}
	for (size_t i = 0; i < c->n; i++) {
		const char *why = table_problem(c->opts, i);

		if (why) {
			add_error(c, "option table: row %zu ('%s'): %s", i,
				  c->opts[i].name ? c->opts[i].name : "", why);
			ok = false;
		}
	}
	return ok;
}

/* ---- one word ---- */

static const char *const bool_words[] = { "off", "on", "no", "yes", "0", "1" };

/* Parses value for row o into the field; on failure adds an error. */
static void parse_value(struct ctx *c, const struct cmdline_option *o, const char *value)
{
	void *field = c->cfg + o->offset;
	char shown[SHOW_MAX + 4], lim[32], err[96];
	uint64_t v;
	int rc;

	if (o->flags & CMDLINE_SECRET)
		shoji_snprintf(shown, sizeof(shown), "<hidden>");
	else
		show(shown, sizeof(shown), value, strlen(value));

	switch (o->type) {
	case CMDLINE_FLAG:	/* handled by the caller */
		break;
	case CMDLINE_BOOL:
		for (size_t k = 0; k < ARRAY_SIZE(bool_words); k++) {
			if (!strcmp(value, bool_words[k])) {
				store_bool(field, k & 1);
				return;
			}
		}
		add_error(c, "%s=%s: expected one of on, off, yes, no, 1, 0", o->name, shown);
		break;
	case CMDLINE_UINT:
	case CMDLINE_SIZE:
		rc = o->type == CMDLINE_SIZE ? cmdline_parse_size(value, &v)
					     : cmdline_parse_uint(value, &v);
		if (rc == E_INVAL) {
			if (o->type == CMDLINE_SIZE)
				add_error(c, "%s=%s: not a size (expected e.g. 64M)", o->name, shown);
			else
				add_error(c, "%s=%s: not a number (expected decimal or 0x hex)",
					  o->name, shown);
			break;
		}
		if (rc == E_RANGE || v > opt_max(o)) {
			format_number(o, opt_max(o), lim, sizeof(lim));
			add_error(c, "%s=%s: too large (max %s)", o->name, shown, lim);
			break;
		}
		if (v < o->min) {
			format_number(o, o->min, lim, sizeof(lim));
			add_error(c, "%s=%s: too small (min %s)", o->name, shown, lim);
			break;
		}
		if (o->type == CMDLINE_SIZE && o->align && !IS_ALIGNED(v, o->align)) {
			format_number(o, o->align, lim, sizeof(lim));
			add_error(c, "%s=%s: not a multiple of %s", o->name, shown, lim);
			break;
		}
		store_uint(field, o->size, v);
		break;
	case CMDLINE_ENUM: {
		char list[CMDLINE_ERROR_LEN];
		size_t n = 0;

		for (size_t k = 0; o->choices[k]; k++) {
			if (!strcmp(value, o->choices[k])) {
				store_uint(field, o->size, k);
				return;
			}
		}
		list[0] = '\0';
		for (size_t k = 0; o->choices[k] && n < sizeof(list); k++)
			n += (size_t)shoji_snprintf(list + n, sizeof(list) - n, "%s%s",
						    k ? ", " : "", o->choices[k]);
		add_error(c, "%s=%s: expected one of %s", o->name, shown, list);
		break;
	}
	case CMDLINE_CUSTOM:
		err[0] = '\0';
		rc = o->parse(value, field, err, sizeof(err));
		if (rc)
			add_error(c, "%s=%s: %s", o->name, shown, err[0] ? err : err_str(rc));
		break;
	}
}

static void parse_word(struct ctx *c, const char *w, size_t len, bool *seen, bool *dup_reported)
{
	const char *eq = NULL;
	size_t klen, vlen, i;
	const struct cmdline_option *o = NULL;
	char shown[SHOW_MAX + 4], syntax[CMDLINE_ERROR_LEN / 2];
	char value[CMDLINE_MAX_VALUE + 1];

	for (size_t k = 0; k < len; k++) {
		if (w[k] == '=') {
			eq = w + k;
			break;
		}
	}
	klen = eq ? (size_t)(eq - w) : len;
	for (i = 0; i < c->n; i++) {
		if (strlen(c->opts[i].name) == klen && !memcmp(c->opts[i].name, w, klen)) {
			o = &c->opts[i];
			break;
		}
	}
	if (!o) {
		add_error(c, "unknown option '%s' (see 'help')", show(shown, sizeof(shown), w, len));
		return;
	}
	if (seen[i] && !(o->flags & CMDLINE_REPEAT)) {
		if (!dup_reported[i])
			add_error(c, "%s given twice", o->name);
		dup_reported[i] = true;
		return;
	}
	seen[i] = true;

	if (o->type == CMDLINE_FLAG) {
		if (eq)
			add_error(c, "%s takes no value", o->name);
		else
			store_bool(c->cfg + o->offset, true);
		return;
	}
	format_syntax(o, syntax, sizeof(syntax));
	if (!eq) {
		add_error(c, "%s needs a value (%s=%s)", o->name, o->name, syntax);
		return;
	}
	vlen = len - klen - 1;
	if (vlen == 0) {
		add_error(c, "%s=: empty value (%s=%s)", o->name, o->name, syntax);
		return;
	}
	if (vlen > CMDLINE_MAX_VALUE) {
		if (o->flags & CMDLINE_SECRET)
			shoji_snprintf(shown, sizeof(shown), "<hidden>");
		else
			show(shown, sizeof(shown), eq + 1, vlen);
		add_error(c, "%s=%s: value too long (max %d characters)", o->name, shown,
			  CMDLINE_MAX_VALUE);
		return;
	}
	memcpy(value, eq + 1, vlen);
	value[vlen] = '\0';
	parse_value(c, o, value);
}

static bool is_sep(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static bool is_image_path(const char *w, size_t len)
{
	for (size_t k = 0; k < len; k++) {
		if (w[k] == '=')
			return false;	/* "key=a/b" is an option */
		if (w[k] == '/')
			return true;
	}
	return len >= 4 && !memcmp(w + len - 4, ".elf", 4);
}

int cmdline_parse(const char *line, const struct cmdline_option *opts, size_t n,
		  void *cfg, struct cmdline_errors *errs)
{
	struct ctx c = { opts, n, cfg, errs, 0 };
	bool seen[CMDLINE_MAX_OPTIONS] = { false };
	bool dup_reported[CMDLINE_MAX_OPTIONS] = { false };
	bool first = true;

	if (errs)
		memset(errs, 0, sizeof(*errs));
	if (!check_table(&c))
		return c.count;
	if (!line)
		return 0;
	for (const char *p = line;;) {
		const char *w;

		while (is_sep(*p))
			p++;
		if (!*p)
			break;
		w = p;
		while (*p && !is_sep(*p))
			p++;
		if (first && is_image_path(w, (size_t)(p - w))) {
			first = false;
			continue;
		}
		first = false;
		parse_word(&c, w, (size_t)(p - w), seen, dup_reported);
	}
	return c.count;
}

void cmdline_log_errors(const struct cmdline_errors *errs)
{
	int stored = cmdline_errors_stored(errs);

	for (int i = 0; i < stored; i++)
		log_error("%s", errs->msg[i]);
	if (errs->count > stored)
		log_error("%d more errors not shown", errs->count - stored);
}

/* ---- help and listing ---- */

static void format_limits(const struct cmdline_option *o, char *buf, size_t len)
{
	char lo[32], hi[32], al[32];

	buf[0] = '\0';
	if (o->type != CMDLINE_UINT && o->type != CMDLINE_SIZE)
		return;
	format_number(o, o->min, lo, sizeof(lo));
	format_number(o, opt_max(o), hi, sizeof(hi));
	if (o->min != 0 || o->max != 0)
		shoji_snprintf(buf, len, "%s..%s", lo, hi);
	if (o->type == CMDLINE_SIZE && o->align > 1) {
		size_t k = strlen(buf);

		format_number(o, o->align, al, sizeof(al));
		shoji_snprintf(buf + k, len - k, "%smultiple of %s", k ? ", " : "", al);
	}
}

void cmdline_help(const struct cmdline_option *opts, size_t n, const void *defaults,
		  cmdline_emit_fn emit, void *ctx)
{
	const unsigned char *cfg = defaults;

	for (size_t i = 0; i < n; i++) {
		const struct cmdline_option *o = &opts[i];
		char line[256], head[96], syntax[80], lim[64], def[64];

		if (o->type == CMDLINE_FLAG) {
			shoji_snprintf(line, sizeof(line), "  %-24s %s", o->name,
				       o->help ? o->help : "");
		} else {
			format_syntax(o, syntax, sizeof(syntax));
			shoji_snprintf(head, sizeof(head), "%s=%s", o->name, syntax);
			format_limits(o, lim, sizeof(lim));
			format_value(o, cfg + o->offset, def, sizeof(def));
			if (o->flags & CMDLINE_SECRET)
				shoji_snprintf(def, sizeof(def), "<hidden>");
			shoji_snprintf(line, sizeof(line), "  %-24s %s (%s%sdefault %s)", head,
				       o->help ? o->help : "", lim, lim[0] ? "; " : "", def);
		}
		emit(ctx, line);
	}
}

size_t cmdline_format(const struct cmdline_option *opts, size_t n, const void *cfg,
		      char *buf, size_t len)
{
	const unsigned char *base = cfg;
	size_t out = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const struct cmdline_option *o = &opts[i];
		char val[CMDLINE_MAX_VALUE + 1];
		size_t at = len ? MIN(out, len - 1) : 0;

		if (o->type == CMDLINE_FLAG)
			continue;
		if (o->flags & CMDLINE_SECRET)
			shoji_snprintf(val, sizeof(val), "<hidden>");
		else
			format_value(o, base + o->offset, val, sizeof(val));
		out += (size_t)shoji_snprintf(len ? buf + at : NULL, len ? len - at : 0,
					      "%s%s=%s", out ? " " : "", o->name, val);
	}
	return out;
}
