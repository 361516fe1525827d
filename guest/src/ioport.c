/* ioport: raw port I/O from user space (iopl(3)), for the reset and power
 * paths a hostile guest has that busybox cannot reach: the 8042's output
 * port, port 0x92, a byte to 0xcf9, string I/O to an intercepted port.
 *
 * usage: ioport in8|in16|in32 PORT
 *        ioport out8|out16|out32 PORT VALUE [PORT VALUE ...]
 *        ioport outsb PORT VALUE            (one REP OUTSB of one byte)
 * Output: "guest: ioport in8 port=0x92 value=0x2" and "guest: ioport out8
 * port=0x92 value=0x1 status=done" (a write that resets the machine prints
 * its line first, then nothing). Exit 0, 1 on usage, 2 when iopl is refused. */
#include "common.h"

#include <sys/io.h>

static void usage(void)
{
	printf("usage: ioport in8|in16|in32 PORT\n"
	       "       ioport out8|out16|out32 PORT VALUE [PORT VALUE ...]\n"
	       "       ioport outsb PORT VALUE\n");
	exit(EXIT_USAGE);
}

static unsigned long num(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (!*s || *end)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	const char *op;

	prog_name = "ioport";
	if (argc < 3)
		usage();
	op = argv[1];
	if (iopl(3)) {
		say("%s status=denied errno=%s", op, strerror(errno));
		return EXIT_DENIED;
	}
	if (!strncmp(op, "in", 2)) {
		unsigned port = (unsigned)num(argv[2]);
		unsigned v;

		if (!strcmp(op, "in8"))
			v = inb((unsigned short)port);
		else if (!strcmp(op, "in16"))
			v = inw((unsigned short)port);
		else if (!strcmp(op, "in32"))
			v = inl((unsigned short)port);
		else
			usage();
		say("%s port=0x%x value=0x%x", op, port, v);
		return 0;
	}
	if (!strcmp(op, "outsb")) {
		unsigned char b;
		unsigned short port;
		const unsigned char *src = &b;
		unsigned long n = 1;

		if (argc != 4)
			usage();
		port = (unsigned short)num(argv[2]);
		b = (unsigned char)num(argv[3]);
		say("outsb port=0x%x value=0x%x", port, b);
		fflush(stdout);
		__asm__ volatile("rep outsb" : "+S"(src), "+c"(n) : "d"(port) : "memory");
		say("outsb port=0x%x status=done", port);
		return 0;
	}
	if (argc < 4 || (argc - 2) % 2)
		usage();
	for (int i = 2; i + 1 < argc; i += 2) {
		unsigned port = (unsigned)num(argv[i]);
		unsigned long v = num(argv[i + 1]);

		say("%s port=0x%x value=0x%lx", op, port, v);
		fflush(stdout);
		if (!strcmp(op, "out8"))
			outb((unsigned char)v, (unsigned short)port);
		else if (!strcmp(op, "out16"))
			outw((unsigned short)v, (unsigned short)port);
		else if (!strcmp(op, "out32"))
			outl((unsigned)v, (unsigned short)port);
		else
			usage();
		say("%s port=0x%x status=done", op, port);
	}
	return 0;
}
