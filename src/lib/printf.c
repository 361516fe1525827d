/* Freestanding vsnprintf. Portable: the image uses it for the log, host unit
 * tests compare it with libc's. */
#include "lib/printf.h"
#include "lib/string.h"

struct out {
	char *buf;
	size_t size;
	size_t len;	/* characters produced so far (may exceed size) */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_n(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

struct spec {
	bool left, zero, plus, space, alt;
	int width;	/* -1: none */
	int prec;	/* -1: none */
	char length;	/* 'H' hh, 'h', 'l', 'L' ll, 'z', 'j', 't', 0 */
	char conv;
};

/* Emit an integer already split into sign and magnitude. */
static void put_int(struct out *o, const struct spec *sp, uint64_t mag, bool neg)
{
	char digits[24];
	int nd = 0;
	unsigned base = 10;
	const char *set = "0123456789abcdef";
	const char *prefix = "";
	int npad, nzero, plen;

	if (sp->conv == 'x' || sp->conv == 'X' || sp->conv == 'p')
		base = 16;
	else if (sp->conv == 'o')
		base = 8;
	if (sp->conv == 'X')
		set = "0123456789ABCDEF";

	while (mag) {
		digits[nd++] = set[mag % base];
		mag /= base;
	}
	/* Precision 0 with value 0 prints no digits (C11 7.21.6.1). */
	if (nd == 0 && sp->prec != 0)
		digits[nd++] = '0';

	if (neg)
		prefix = "-";
	else if (sp->plus && (sp->conv == 'd' || sp->conv == 'i'))
		prefix = "+";
	else if (sp->space && (sp->conv == 'd' || sp->conv == 'i'))
		prefix = " ";
	else if (sp->conv == 'p' || (sp->alt && nd && digits[nd - 1] != '0' &&
				     (sp->conv == 'x' || sp->conv == 'X')))
		prefix = sp->conv == 'X' ? "0X" : "0x";
	else if (sp->alt && sp->conv == 'o' && (nd == 0 || digits[nd - 1] != '0'))
		prefix = "0";

	plen = (int)strlen(prefix);
	nzero = sp->prec > nd ? sp->prec - nd : 0;
	npad = sp->width - plen - nzero - nd;
	if (sp->zero && !sp->left && sp->prec < 0) {
		nzero += npad > 0 ? npad : 0;
		npad = 0;
	}
	if (!sp->left)
		put_n(o, ' ', npad);
	while (*prefix)
		put(o, *prefix++);
	put_n(o, '0', nzero);
	while (nd)
		put(o, digits[--nd]);
	if (sp->left)
		put_n(o, ' ', npad);
}

static void put_str(struct out *o, const struct spec *sp, const char *s)
{
	int n;

	if (!s)
		s = "(null)";
	n = (int)(sp->prec >= 0 ? strnlen(s, (size_t)sp->prec) : strlen(s));
	if (!sp->left)
		put_n(o, ' ', sp->width - n);
	for (int i = 0; i < n; i++)
		put(o, s[i]);
	if (sp->left)
		put_n(o, ' ', sp->width - n);
}

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
	memset(sp, 0, sizeof(*sp));
	sp->width = -1;
	sp->prec = -1;
	for (;; f++) {
		if (*f == '-')
			sp->left = true;
		else if (*f == '0')
			sp->zero = true;
		else if (*f == '+')
			sp->plus = true;
		else if (*f == ' ')
			sp->space = true;
		else if (*f == '#')
			sp->alt = true;
		else
			break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->left = true;
			sp->width = -sp->width;
		}
		f++;
	} else {
		while (*f >= '0' && *f <= '9')
			sp->width = (sp->width < 0 ? 0 : sp->width * 10) + (*f++ - '0');
	}
	if (*f == '.') {
		f++;
		sp->prec = 0;
		if (*f == '*') {
			sp->prec = va_arg(*ap, int);
			if (sp->prec < 0)
				sp->prec = -1;
			f++;
		} else {
			while (*f >= '0' && *f <= '9')
				sp->prec = sp->prec * 10 + (*f++ - '0');
		}
	}
	if (f[0] == 'h' && f[1] == 'h')
		sp->length = 'H', f += 2;
	else if (f[0] == 'l' && f[1] == 'l')
		sp->length = 'L', f += 2;
	else if (*f == 'h' || *f == 'l' || *f == 'z' || *f == 'j' || *f == 't')
		sp->length = *f++;
	sp->conv = *f;
	return f;
}

static int64_t signed_arg(char length, va_list *ap)
{
	switch (length) {
	case 'H': return (signed char)va_arg(*ap, int);
	case 'h': return (short)va_arg(*ap, int);
	case 'l': return va_arg(*ap, long);
	case 'L': return va_arg(*ap, long long);
	case 'z': return (int64_t)va_arg(*ap, size_t);
	case 'j': return va_arg(*ap, intmax_t);
	case 't': return va_arg(*ap, ptrdiff_t);
	default: return va_arg(*ap, int);
	}
}

static uint64_t unsigned_arg(char length, va_list *ap)
{
	switch (length) {
	case 'H': return (unsigned char)va_arg(*ap, unsigned);
	case 'h': return (unsigned short)va_arg(*ap, unsigned);
	case 'l': return va_arg(*ap, unsigned long);
	case 'L': return va_arg(*ap, unsigned long long);
	case 'z': return va_arg(*ap, size_t);
	case 'j': return va_arg(*ap, uintmax_t);
	case 't': return (uint64_t)va_arg(*ap, ptrdiff_t);
	default: return va_arg(*ap, unsigned);
	}
}

int shoji_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap_in)
{
	struct out o = { buf, size, 0 };
	struct spec sp;
	va_list ap;

	va_copy(ap, ap_in);
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			put(&o, *f);
			continue;
		}
		f = parse_spec(f + 1, &sp, &ap);
		switch (sp.conv) {
		case 'd':
		case 'i': {
			int64_t v = signed_arg(sp.length, &ap);
			put_int(&o, &sp, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			put_int(&o, &sp, unsigned_arg(sp.length, &ap), false);
			break;
		case 'p':
			put_int(&o, &sp, (uintptr_t)va_arg(ap, void *), false);
			break;
		case 'c': {
			char c[2] = { (char)va_arg(ap, int), 0 };
			struct spec s1 = sp;

			s1.prec = 1;
			if (c[0] == 0) {	/* a NUL character still counts */
				put_n(&o, ' ', sp.left ? 0 : sp.width - 1);
				put(&o, 0);
				put_n(&o, ' ', sp.left ? sp.width - 1 : 0);
			} else {
				put_str(&o, &s1, c);
			}
			break;
		}
		case 's':
			put_str(&o, &sp, va_arg(ap, const char *));
			break;
		case '%':
			put(&o, '%');
			break;
		case '\0':	/* format ends in '%': print it, stop */
			put(&o, '%');
			f--;
			break;
		default:	/* unknown conversion: print it verbatim */
			put(&o, '%');
			put(&o, sp.conv);
			break;
		}
	}
	va_end(ap);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int shoji_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = shoji_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
