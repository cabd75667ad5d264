/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The host's Ed25519 key pair and the checkpoints it signs (see trail.h).
 * The private key is PEM (PKCS#8), 0600; the public key PEM
 * (SubjectPublicKeyInfo). A public key file is accepted only in exactly
 * the form this program writes, so that no byte of it goes unchecked.
 */
#ifndef EA_TRAIL_KEY_H
#define EA_TRAIL_KEY_H

#include <stdbool.h>
#include <stdint.h>
#include <openssl/evp.h>

#include "err.h"
#include "trail_fmt.h"

#define EA_KEY_ID_LEN	(7 + 64 + 1)	/* "sha256:" hex NUL */
#define EA_SIG_LEN	64

struct ea_checkpoint {
	uint64_t seq;			/* the record it covers */
	uint8_t chain[EA_CHAIN_LEN];	/* that record's chain value */
	char time[40];			/* RFC 3339, when it was signed */
	uint8_t sig[EA_SIG_LEN];
	char key[EA_KEY_ID_LEN];
};

/*
 * Load the private key at key_path, or make a pair when there is none;
 * (re)write pub_path from it. 0 or -errno with err naming the path.
 */
int ea_key_load_or_create(const char *key_path, const char *pub_path, EVP_PKEY **key,
			  struct ea_err *err);
/*
 * Whether the private key at key_path loads, without making one: 0 with
 * *absent true when there is none (ea_key_load_or_create would make it),
 * else -errno with err as ea_key_load_or_create would say it.
 */
int ea_key_check(const char *key_path, bool *absent, struct ea_err *err);
/* A public key file as ea_key_load_or_create writes it. 0 or -errno, *why. */
int ea_key_load_public(const char *path, EVP_PKEY **key, const char **why);
/* "sha256:" and the hex SHA-256 of the public key's DER. */
int ea_key_id(EVP_PKEY *key, char id[EA_KEY_ID_LEN]);

/* Sign cp (seq, chain, time) for host; fills sig and key. 0 or -EINVAL. */
int ea_checkpoint_sign(EVP_PKEY *key, const char *host, struct ea_checkpoint *cp);
/* Whether cp's signature is good for host under pub. */
bool ea_checkpoint_verify(EVP_PKEY *pub, const char *host, const struct ea_checkpoint *cp);

/* The detail JSON of a checkpoint record, and back (only that exact form). */
void ea_checkpoint_format(const struct ea_checkpoint *cp, char *out, size_t len);
int ea_checkpoint_parse(const char *detail, struct ea_checkpoint *cp);

#endif /* EA_TRAIL_KEY_H */
