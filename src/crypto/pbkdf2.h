/* PBKDF2 (RFC 8018 section 5.2, = PKCS #5 v2.1) with HMAC-SHA256 as the PRF,
 * and shoji's passphrase-to-disk-key derivation.
 *
 * shoji's disk key from a passphrase (shoji_passphrase_key):
 *
 *   key[64] = PBKDF2-HMAC-SHA256(P = the passphrase bytes as typed (no
 *                                    terminator, no newline),
 *                                S = "shoji-xts-plain64-v1:" || disk_id,
 *                                c = SHOJI_KDF_ITERATIONS = 600000,
 *                                dkLen = 64)
 *
 * used as K1 || K2 of XTS-AES-256 (xts.h). disk_id is a string the caller
 * picks to tell disks apart (recommended: the drive's serial number as ATA
 * IDENTIFY reports it, leading and trailing spaces removed; it may be empty,
 * at most SHOJI_KDF_MAX_DISK_ID bytes). The same key outside shoji, e.g. to
 * open the disk with cryptsetup on any Linux:
 *
 *   python3 -c 'import hashlib,sys; sys.stdout.buffer.write(hashlib.pbkdf2_hmac(
 *       "sha256", b"PASSPHRASE", b"shoji-xts-plain64-v1:" + b"DISKID", 600000, 64))' >KEY
 *   cryptsetup open --type plain --cipher aes-xts-plain64 --key-size 512 \
 *       --key-file KEY /dev/sdX shoji
 *
 * The numbers: 600000 is the iteration count OWASP's Password Storage Cheat
 * Sheet (2023) gives for PBKDF2-HMAC-SHA256. 64 bytes are two PBKDF2 blocks,
 * so a derivation is 2 x 600000 HMACs = 2.4M SHA-256 compressions: ~0.2 s
 * natively, a few seconds under QEMU TCG, once per boot. A guesser needs
 * both blocks too: with XTS, K1 alone does not decrypt a sector (the tweak
 * needs K2), so the usual "dkLen > hLen costs the defender more than the
 * attacker" weakness of PBKDF2 does not apply. The salt prefix names the
 * format and its version: changing any parameter means a new prefix, never
 * a silent reinterpretation of an existing disk. See src/crypto/README.md. */
#ifndef SHOJI_CRYPTO_PBKDF2_H
#define SHOJI_CRYPTO_PBKDF2_H

#include "lib/types.h"

#define SHOJI_KDF_SALT_PREFIX "shoji-xts-plain64-v1:"
#define SHOJI_KDF_ITERATIONS 600000u
#define SHOJI_KDF_KEY_SIZE 64
#define SHOJI_KDF_MAX_DISK_ID 64	/* bytes of disk_id */

/* DK = PBKDF2(P, S, c, dkLen) into out[out_len]. Returns 0, or E_INVAL when
 * iterations or out_len is 0. Takes 2 * iterations * ceil(out_len / 32)
 * SHA-256 compressions. */
int pbkdf2_hmac_sha256(const void *pass, size_t pass_len, const void *salt, size_t salt_len,
		       uint32_t iterations, uint8_t *out, size_t out_len);

/* shoji's disk key, see above. disk_id may be NULL (= empty). Returns 0, or
 * E_INVAL when disk_id is longer than SHOJI_KDF_MAX_DISK_ID bytes. */
int shoji_passphrase_key(const void *pass, size_t pass_len, const char *disk_id,
			 uint8_t key[SHOJI_KDF_KEY_SIZE]);

#endif
