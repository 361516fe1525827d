#include "arch/x86/cpu.h"
#include "core/stop.h"
#include "lib/log.h"

static bool qemu_exit;

void stop_set_qemu_exit(bool on)
{
	qemu_exit = on;
}

void shoji_stop(enum stop_status status)
{
	cli();
	log_info("stopped status=%s", status == STOP_OK ? "ok" : "failure");
	if (qemu_exit)
		outl(QEMU_DEBUG_EXIT_PORT, status == STOP_OK ? QEMU_EXIT_OK : QEMU_EXIT_FAILURE);
	for (;;)
		hlt();
}
