/* xts-bench: throughput of shoji's AES-XTS (src/crypto/xts.c) on the AES-NI
 * and the portable path, and the time of the passphrase key derivation.
 * Prints a markdown table.
 *
 *   build/tools/xts-bench [RUNS]        benchmark (RUNS per case, default 7;
 *                                       the median is shown)
 *   build/tools/xts-bench --encrypt|--decrypt KEYHEX SECTOR [--unit BYTES]
 *                         [--portable]  <in >out
 *
 * The benchmark encrypts and decrypts 1 MiB as 2048 consecutive 512-byte
 * sectors (xts_encrypt_sectors), in place, CLOCK_MONOTONIC. The tool is built
 * like every host tool (ASan/UBSan, -O1): the portable path in particular
 * runs several times slower than in the -O2 freestanding image (the AES-NI
 * path is assembly and barely affected). Compare rows with each other.
 *
 * The second form is a filter for tests (tests/integration/
 * test_crypto_vectors.py): stdin, a whole number of data units of BYTES
 * (default 512, at least 16) each, is en- or decrypted as units SECTOR,
 * SECTOR + 1, ... with the 64-byte key given in hex (K1 || K2); stderr says
 * which path ran ("xts-bench: path=aesni" or "path=portable"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/cpu.h"
#include "crypto/pbkdf2.h"
#include "crypto/xts.h"
#include "lib/error.h"

#define BENCH_BYTES (1u << 20)
#define MAX_RUNS 101
#define MAX_INPUT (64u << 20)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* MB/s (10^6 bytes per second) of one direction on one path, median of runs */
static double bench_xts(bool portable, bool encrypt, int runs, uint8_t *buf)
{
	static const uint8_t key[XTS_KEY_SIZE] = {
		0x27, 0x18, 0x28, 0x18, 0x28, 0x45, 0x90, 0x45, 0x23, 0x53, 0x60, 0x28,
		0x74, 0x71, 0x35, 0x26, 0x62, 0x49, 0x77, 0x57, 0x24, 0x70, 0x93, 0x69,
		0x99, 0x59, 0x57, 0x49, 0x66, 0x96, 0x76, 0x27, 0x31, 0x41, 0x59, 0x26,
		0x53, 0x58, 0x97, 0x93, 0x23, 0x84, 0x62, 0x64, 0x33, 0x83, 0x27, 0x95,
		0x02, 0x88, 0x41, 0x97, 0x16, 0x93, 0x99, 0x37, 0x51, 0x05, 0x82, 0x09,
		0x74, 0x94, 0x45, 0x92,
	};
	double rate[MAX_RUNS];
	struct xts_ctx c;
	size_t sectors = BENCH_BYTES / XTS_SECTOR_SIZE;

	xts_force_portable(portable);
	if (xts_init(&c, key)) {
		fprintf(stderr, "xts-bench: xts_init failed\n");
		exit(1);
	}
	xts_force_portable(false);
	for (int r = 0; r < runs; r++) {
		double t0 = now_s(), dt;
		int rc = encrypt ? xts_encrypt_sectors(&c, 1000, buf, buf, sectors)
				 : xts_decrypt_sectors(&c, 1000, buf, buf, sectors);

		dt = now_s() - t0;
		if (rc) {
			fprintf(stderr, "xts-bench: %s\n", err_str(rc));
			exit(1);
		}
		rate[r] = BENCH_BYTES / dt / 1e6;
	}
	xts_destroy(&c);
	return median(rate, runs);
}

static int benchmark(int runs)
{
	uint8_t *buf = malloc(BENCH_BYTES);
	bool aesni = crypto_aesni_usable();
	double t[MAX_RUNS];
	uint8_t key[SHOJI_KDF_KEY_SIZE];

	if (!buf)
		return 1;
	for (size_t i = 0; i < BENCH_BYTES; i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	printf("### AES-XTS-256 (aes-xts-plain64), 1 MiB = 2048 x 512-byte sectors in place, "
	       "median of %d runs\n\n", runs);
	printf("Host tool build (ASan/UBSan, -O1): the portable C path is slower than in the "
	       "-O2 image.\n\n");
	printf("| path | encrypt MB/s | decrypt MB/s |\n|---|---:|---:|\n");
	if (aesni)
		printf("| AES-NI (aesni_xts.S) | %.1f | %.1f |\n", bench_xts(false, true, runs, buf),
		       bench_xts(false, false, runs, buf));
	else
		printf("| AES-NI | n/a (CPU lacks AES-NI) | n/a |\n");
	printf("| portable constant-time C | %.2f | %.2f |\n", bench_xts(true, true, runs, buf),
	       bench_xts(true, false, runs, buf));
	free(buf);

	/* the boot-time key derivation: fewer runs, it is slow on purpose */
	runs = runs > 3 ? 3 : runs;
	for (int r = 0; r < runs; r++) {
		double t0 = now_s();

		shoji_passphrase_key("benchmark", 9, "QM00001", key);
		t[r] = now_s() - t0;
	}
	printf("\n| key derivation | time |\n|---|---:|\n");
	printf("| PBKDF2-HMAC-SHA256, %u iterations, 64 bytes (shoji_passphrase_key) | %.2f s |\n",
	       SHOJI_KDF_ITERATIONS, median(t, runs));
	return 0;
}

static int unhex(uint8_t *out, size_t n, const char *hex)
{
	if (strlen(hex) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static int filter(int argc, char **argv)
{
	bool encrypt = strcmp(argv[1], "--encrypt") == 0, portable = false;
	uint8_t key[XTS_KEY_SIZE], *buf;
	unsigned long long sector;
	size_t unit = XTS_SECTOR_SIZE, len = 0, got;
	struct xts_ctx c;
	char *end;
	int rc;

	if (argc < 4 || unhex(key, sizeof(key), argv[2])) {
		fprintf(stderr, "xts-bench: expected KEYHEX (128 hex digits) SECTOR\n");
		return 2;
	}
	sector = strtoull(argv[3], &end, 0);
	if (*end) {
		fprintf(stderr, "xts-bench: bad SECTOR '%s'\n", argv[3]);
		return 2;
	}
	for (int i = 4; i < argc; i++) {
		if (strcmp(argv[i], "--portable") == 0) {
			portable = true;
		} else if (strcmp(argv[i], "--unit") == 0 && i + 1 < argc) {
			unit = strtoul(argv[++i], &end, 0);
			if (*end || unit < 16 || unit > XTS_MAX_UNIT) {
				fprintf(stderr, "xts-bench: bad --unit\n");
				return 2;
			}
		} else {
			fprintf(stderr, "xts-bench: unknown argument '%s'\n", argv[i]);
			return 2;
		}
	}
	buf = malloc(MAX_INPUT);
	if (!buf)
		return 1;
	while ((got = fread(buf + len, 1, MAX_INPUT - len, stdin)) > 0)
		len += got;
	if (len % unit) {
		fprintf(stderr, "xts-bench: input (%zu bytes) is not a whole number of %zu-byte "
			"units\n", len, unit);
		return 2;
	}
	xts_force_portable(portable);
	rc = xts_init(&c, key);
	if (rc) {
		fprintf(stderr, "xts-bench: key refused (%s; K1 == K2?)\n", err_str(rc));
		return 1;
	}
	fprintf(stderr, "xts-bench: path=%s\n", xts_uses_aesni(&c) ? "aesni" : "portable");
	for (size_t off = 0; off < len; off += unit, sector++) {
		rc = encrypt ? xts_encrypt_sector(&c, sector, buf + off, buf + off, unit)
			     : xts_decrypt_sector(&c, sector, buf + off, buf + off, unit);
		if (rc) {
			fprintf(stderr, "xts-bench: %s\n", err_str(rc));
			return 1;
		}
	}
	xts_destroy(&c);
	fwrite(buf, 1, len, stdout);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int runs = 7;

	if (argc > 1 && (strcmp(argv[1], "--encrypt") == 0 || strcmp(argv[1], "--decrypt") == 0))
		return filter(argc, argv);
	if (argc > 1)
		runs = atoi(argv[1]);
	if (runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: %s [RUNS 1..%d]\n"
			"       %s --encrypt|--decrypt KEYHEX SECTOR [--unit BYTES] [--portable]\n",
			argv[0], MAX_RUNS, argv[0]);
		return 2;
	}
	return benchmark(runs);
}
