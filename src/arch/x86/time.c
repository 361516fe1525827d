/* TSC calibration against PIT channel 2 (Intel 8254 datasheet: mode 0,
 * "interrupt on terminal count"; the channel 2 gate and OUT2 are bits 0 and
 * 5 of port 0x61 on every PC-compatible chipset, q35/ICH9 included). */
#include "arch/x86/cpu.h"
#include "arch/x86/time.h"
#include "lib/hal.h"
#include "lib/log.h"

#define PIT_HZ 1193182u
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_CMD_CH2_MODE0 0xB0	/* channel 2, lobyte/hibyte, mode 0, binary */
#define PORT_B 0x61
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20
#define CAL_MS 10
#define CAL_RUNS 3
/* A PIT that never raises OUT2 must not hang boot: this many polls of port
 * 0x61 (each an I/O access of >= ~100 ns) is far beyond 10 ms. */
#define CAL_MAX_POLLS 50000000u
/* Until calibrated, assume a fast TSC: waits then last longer than asked,
 * never shorter, so no hardware timeout fires early. */
#define ASSUMED_TSC_KHZ 5000000u

static uint64_t tsc_khz = ASSUMED_TSC_KHZ;
static bool calibrated;

/* TSC ticks for one CAL_MS window, or 0 if the PIT did not answer. */
static uint64_t measure_once(void)
{
	uint16_t latch = PIT_HZ / (1000 / CAL_MS);
	uint8_t b = inb(PORT_B);
	uint64_t t0, t1;
	uint32_t polls = 0;

	outb(PORT_B, (b & ~PORT_B_SPEAKER) | PORT_B_GATE2);
	outb(PIT_CMD, PIT_CMD_CH2_MODE0);
	outb(PIT_CH2, latch & 0xff);
	outb(PIT_CH2, latch >> 8);
	t0 = rdtsc();
	while (!(inb(PORT_B) & PORT_B_OUT2))
		if (++polls > CAL_MAX_POLLS)
			return 0;
	t1 = rdtsc();
	outb(PORT_B, b);
	return t1 - t0;
}

uint64_t time_init(void)
{
	uint64_t runs[CAL_RUNS], t;

	for (int i = 0; i < CAL_RUNS; i++) {
		runs[i] = measure_once();
		if (!runs[i]) {
			log_warn("time: PIT channel 2 did not count; assuming tsc_khz=%llu "
				 "(waits may last longer than asked)",
				 (unsigned long long)tsc_khz);
			return tsc_khz;
		}
	}
	/* Median of three: one run disturbed by the host (TCG, a busy machine)
	 * does not skew the result. */
	if (runs[0] > runs[1]) t = runs[0], runs[0] = runs[1], runs[1] = t;
	if (runs[1] > runs[2]) t = runs[1], runs[1] = runs[2], runs[2] = t;
	if (runs[0] > runs[1]) t = runs[0], runs[0] = runs[1], runs[1] = t;
	tsc_khz = runs[1] / CAL_MS;
	if (tsc_khz == 0)
		tsc_khz = 1;
	calibrated = true;
	log_info("time source=tsc calibrated_by=pit tsc_khz=%llu", (unsigned long long)tsc_khz);
	return tsc_khz;
}

uint64_t time_tsc_khz(void)
{
	return tsc_khz;
}

bool time_calibrated(void)
{
	return calibrated;
}

uint64_t hal_time_us(void)
{
	uint64_t t = rdtsc();

	return t / tsc_khz * 1000 + t % tsc_khz * 1000 / tsc_khz;
}

uint64_t hal_cycles(void)
{
	return rdtsc();
}

void hal_cpu_relax(void)
{
	cpu_relax();
}
