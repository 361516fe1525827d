#include "arch/x86/cpu.h"
#include "arch/x86/stop.h"
#include "crypto/secrets.h"
#include "lib/log.h"

extern char boot_stack_bottom[], boot_stack_top[];

static enum exit_mode exit_mode = EXIT_HALT;
static int stopping;

void stop_set_exit(enum exit_mode mode)
{
	exit_mode = mode;
}

static void bochs_shutdown(void)
{
	for (const char *c = BOCHS_SHUTDOWN_WORD; *c; c++)
		outb(BOCHS_SHUTDOWN_PORT, (uint8_t)*c);
}

void shoji_wipe_before_leaving(const char *reason)
{
	/* A fault inside the wipe comes back here through the exception
	 * handler: try once more (the wipe restarts from the first region),
	 * then give up rather than recurse until the stack is gone. */
	if (stopping++ >= 2)
		return;
	secrets_wipe_all(reason);
	/* Dead frames below the stack pointer may still hold copies that
	 * their functions did not wipe (spilled registers, temporaries of
	 * the key schedule): clear them too. Nothing below RSP is live
	 * (the image is built with -mno-red-zone). */
	cpu_wipe_stack_below_sp(boot_stack_bottom, boot_stack_top);
}

void shoji_stop(enum stop_status status)
{
	cli();
	shoji_wipe_before_leaving(status == STOP_OK ? "stop-ok" : "stop-failure");
	log_info("stopped status=%s", status == STOP_OK ? "ok" : "failure");
	if (exit_mode == EXIT_QEMU)
		outl(QEMU_DEBUG_EXIT_PORT, status == STOP_OK ? QEMU_EXIT_OK : QEMU_EXIT_FAILURE);
	else if (exit_mode == EXIT_BOCHS)
		bochs_shutdown();
	for (;;)
		hlt();
}
