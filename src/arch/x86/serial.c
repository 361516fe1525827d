/* 16550 UART at 115200 8N1, polled (no interrupts: the guest owns the
 * interrupt controllers). Register offsets: PC16550D datasheet. */
#include "arch/x86/cpu.h"
#include "arch/x86/serial.h"
#include "lib/deadline.h"
#include "lib/log.h"

#define UART_THR 0	/* transmit holding (DLAB=0) */
#define UART_DLL 0	/* divisor low (DLAB=1) */
#define UART_IER 1
#define UART_DLM 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LCR_DLAB 0x80
#define LCR_8N1 0x03
#define LSR_THRE 0x20
#define MCR_DTR_RTS 0x03

/* Bounded wait for the transmitter: if the UART is absent (LSR reads 0xff
 * or never drains), give up rather than hang the hypervisor on its log. */
#define THRE_SPINS 100000

static uint16_t port;
static bool present;

void serial_init(uint16_t p)
{
	port = p;
	outb(port + UART_IER, 0x00);
	outb(port + UART_LCR, LCR_DLAB);
	outb(port + UART_DLL, 1);	/* 115200 = 1843200 / 16 / 1 */
	outb(port + UART_DLM, 0);
	outb(port + UART_LCR, LCR_8N1);
	outb(port + UART_FCR, 0x07);	/* enable and clear FIFOs */
	outb(port + UART_MCR, MCR_DTR_RTS);
	present = inb(port + UART_LSR) != 0xff;
}

uint16_t serial_port(void)
{
	return port;
}

static void put(char c)
{
	for (int i = 0; i < THRE_SPINS; i++)
		if (inb(port + UART_LSR) & LSR_THRE)
			break;
	outb(port + UART_THR, (uint8_t)c);
}

void serial_write(const char *s, size_t n)
{
	if (!present)
		return;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			put('\r');
		put(s[i]);
	}
}

/* The log's sink in the image. */
void log_sink_write(const char *s, size_t n)
{
	serial_write(s, n);
}

#define UART_RBR 0	/* receive buffer (DLAB=0) */
#define LSR_DR 0x01	/* data ready */

int serial_read_secret(char *buf, size_t len, uint64_t timeout_us)
{
	struct deadline d = deadline_in_us(timeout_us);
	size_t n = 0;

	if (!present || len == 0)
		return -1;
	for (;;) {
		char c;

		if (!(inb(port + UART_LSR) & LSR_DR)) {
			if (deadline_passed(&d))
				return -1;
			continue;
		}
		c = (char)inb(port + UART_RBR);
		if (c == '\r' || c == '\n')
			break;
		if ((c == 0x7f || c == 0x08) && n) {	/* backspace */
			n--;
			continue;
		}
		if (n + 1 < len && c >= 0x20)
			buf[n++] = c;
	}
	buf[n] = '\0';
	serial_write("\n", 1);
	return (int)n;
}
