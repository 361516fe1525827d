/* How shoji stops when it has nothing more to run or hit a fatal error. */
#ifndef SHOJI_ARCH_X86_STOP_H
#define SHOJI_ARCH_X86_STOP_H

#include "lib/types.h"
#include "platform/options.h"

enum stop_status { STOP_OK = 0, STOP_FAILURE = 1 };

/* QEMU's isa-debug-exit device (hw/misc/debugexit.c): a write of v makes
 * QEMU exit with status (v << 1) | 1. The values are chosen so that neither
 * status (33, 35) can be mistaken for QEMU's own error exit (1);
 * scripts/shoji-qemu maps 33 -> 0 (ok) and 35 -> 1 (failure). */
#define QEMU_DEBUG_EXIT_PORT 0xf4
#define QEMU_EXIT_OK 0x10
#define QEMU_EXIT_FAILURE 0x11

/* Bochs has no isa-debug-exit; its shutdown port (iodev/unmapped.cc) ends
 * the emulation when the bytes "Shutdown" are written to it in order. The
 * status cannot travel with it: scripts/shoji-bochs takes it from the
 * "stopped status=" log line written just before. */
#define BOCHS_SHUTDOWN_PORT 0x8900
#define BOCHS_SHUTDOWN_WORD "Shutdown"

/* Selects what shoji_stop does after logging (exit=halt|qemu|bochs). */
void stop_set_exit(enum exit_mode mode);

/* Wipes every registered secret (crypto/secrets.h) and the dead part of
 * the stack, logs "stopped status=ok|failure", then halts the CPU forever,
 * makes QEMU exit when exit=qemu, or ends Bochs when exit=bochs. Every
 * path that stops running the guest ends here (fatal exits, panics,
 * exceptions). */
NORETURN void shoji_stop(enum stop_status status);

/* The wipe shoji_stop and the reset/power-off paths (core/power.c) make
 * before they leave: secrets_wipe_all(reason), then the dead stack. */
void shoji_wipe_before_leaving(const char *reason);

#endif
