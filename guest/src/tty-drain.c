/* tty-drain: waits until everything written to a terminal has been sent
 * (tcdrain(3)), so that a power-off right after it does not cut the
 * console's last lines. A UART that paces its output at the baud rate, as
 * Bochs' does, is still sending when /init powers the machine off; QEMU's
 * is done at once and this returns at once.
 *
 * usage: tty-drain [DEVICE]   (default /dev/console); exit 0, or 1 when the
 * device cannot be opened or is not a terminal. */
#include "common.h"

#include <termios.h>

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/console";
	int fd;

	prog_name = "tty-drain";
	fd = open(dev, O_WRONLY | O_NOCTTY);
	if (fd < 0)
		die(EXIT_USAGE, "%s: %s", dev, errname(errno));
	if (tcdrain(fd))
		die(EXIT_USAGE, "tcdrain %s: %s", dev, errname(errno));
	close(fd);
	return 0;
}
