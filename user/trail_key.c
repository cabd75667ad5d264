// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Ed25519 key pair of the host and the signatures of checkpoints. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "trail_key.h"

#define KEY_FILE_MAX	4096

/* The whole of a small file. Returns bytes read or -errno. */
static ssize_t slurp(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, total = 0;

	if (fd < 0)
		return -errno;
	while ((size_t)total < cap && (n = read(fd, buf + total, cap - (size_t)total)) > 0)
		total += n;
	close(fd);
	return total;
}

/* The canonical PEM text of key (private or public) in a memory BIO. */
static BIO *pem_of(EVP_PKEY *key, bool private)
{
	BIO *b = BIO_new(BIO_s_mem());
	int ok;

	if (!b)
		return NULL;
	ok = private ? PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)
		     : PEM_write_bio_PUBKEY(b, key);
	if (!ok) {
		BIO_free(b);
		return NULL;
	}
	return b;
}

/* Write key's PEM to path through a temporary file and rename, 0600. */
static int write_pem(const char *path, EVP_PKEY *key, bool private)
{
	char tmp[4200];
	BIO *b = pem_of(key, private);
	char *data;
	long n;
	int fd, err = 0;

	if (!b)
		return -ENOMEM;
	n = BIO_get_mem_data(b, &data);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		BIO_free(b);
		return -errno;
	}
	if (write(fd, data, (size_t)n) != n)
		err = -EIO;
	else if (fsync(fd))
		err = -errno;
	close(fd);
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	BIO_free(b);
	return err;
}

static int load_private(const char *path, EVP_PKEY **key)
{
	char buf[KEY_FILE_MAX];
	ssize_t n = slurp(path, buf, sizeof(buf));
	BIO *b;

	if (n < 0)
		return (int)n;
	b = BIO_new_mem_buf(buf, (int)n);
	if (!b)
		return -ENOMEM;
	*key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (!*key || EVP_PKEY_get_id(*key) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(*key);
		*key = NULL;
		return -EINVAL;
	}
	return 0;
}

/* Why the private key at path did not load (r from load_private). */
static void key_error(struct ea_err *err, const char *path, int r)
{
	ea_err_set(err, "%s: %s", path,
		   r == -EINVAL ? "not an Ed25519 private key in PEM" : strerror(-r));
}

int ea_key_check(const char *key_path, bool *absent, struct ea_err *err)
{
	EVP_PKEY *key = NULL;
	int r = load_private(key_path, &key);

	EVP_PKEY_free(key);
	*absent = r == -ENOENT;
	if (r && !*absent) {
		key_error(err, key_path, r);
		return r;
	}
	return 0;
}

int ea_key_load_or_create(const char *key_path, const char *pub_path, EVP_PKEY **key,
			  struct ea_err *err)
{
	int r = load_private(key_path, key);

	if (r == -ENOENT) {
		*key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		if (!*key) {
			ea_err_set(err, "%s: cannot make an Ed25519 key", key_path);
			return -EINVAL;
		}
		r = write_pem(key_path, *key, true);
	}
	if (r) {
		key_error(err, key_path, r);
		EVP_PKEY_free(*key);
		*key = NULL;
		return r;
	}
	r = write_pem(pub_path, *key, false);
	if (r) {
		ea_err_set(err, "%s: %s", pub_path, strerror(-r));
		EVP_PKEY_free(*key);
		*key = NULL;
	}
	return r;
}

int ea_key_load_public(const char *path, EVP_PKEY **key, const char **why)
{
	char buf[KEY_FILE_MAX], *canon;
	ssize_t n = slurp(path, buf, sizeof(buf));
	BIO *b, *c = NULL;
	long cn;

	*key = NULL;
	*why = "cannot read the public key";
	if (n < 0)
		return (int)n;
	b = BIO_new_mem_buf(buf, (int)n);
	if (b)
		*key = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	BIO_free(b);
	if (*key && EVP_PKEY_get_id(*key) == EVP_PKEY_ED25519)
		c = pem_of(*key, false);
	cn = c ? BIO_get_mem_data(c, &canon) : -1;
	if (cn != n || memcmp(canon, buf, (size_t)n)) {
		*why = "not an Ed25519 public key in the PEM form egress-audit writes";
		EVP_PKEY_free(*key);
		*key = NULL;
		BIO_free(c);
		return -EINVAL;
	}
	BIO_free(c);
	return 0;
}

int ea_key_id(EVP_PKEY *key, char id[EA_KEY_ID_LEN])
{
	unsigned char *der = NULL, md[32];
	unsigned int mdlen = sizeof(md);
	int n = i2d_PUBKEY(key, &der);

	if (n <= 0)
		return -EINVAL;
	EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL);
	OPENSSL_free(der);
	memcpy(id, "sha256:", 7);
	ea_hex(id + 7, md, sizeof(md));
	return 0;
}

/* The message a checkpoint signs. */
static int message(char *out, size_t len, const char *host, const struct ea_checkpoint *cp)
{
	char hex[2 * EA_CHAIN_LEN + 1];

	ea_hex(hex, cp->chain, EA_CHAIN_LEN);
	return snprintf(out, len, "egress-audit checkpoint v1 %s %llu %s %s", host,
			(unsigned long long)cp->seq, hex, cp->time);
}

int ea_checkpoint_sign(EVP_PKEY *key, const char *host, struct ea_checkpoint *cp)
{
	char msg[512];
	size_t siglen = EA_SIG_LEN;
	int n = message(msg, sizeof(msg), host, cp), ok;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx || ea_key_id(key, cp->key)) {
		EVP_MD_CTX_free(ctx);
		return -EINVAL;
	}
	ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
	     EVP_DigestSign(ctx, cp->sig, &siglen, (const unsigned char *)msg, (size_t)n) == 1 &&
	     siglen == EA_SIG_LEN;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EINVAL;
}

bool ea_checkpoint_verify(EVP_PKEY *pub, const char *host, const struct ea_checkpoint *cp)
{
	char msg[512], id[EA_KEY_ID_LEN];
	int n = message(msg, sizeof(msg), host, cp);
	EVP_MD_CTX *ctx;
	bool ok;

	if (ea_key_id(pub, id) || strcmp(id, cp->key))
		return false;
	ctx = EVP_MD_CTX_new();
	ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pub) == 1 &&
	     EVP_DigestVerify(ctx, cp->sig, EA_SIG_LEN, (const unsigned char *)msg,
			      (size_t)n) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

void ea_checkpoint_format(const struct ea_checkpoint *cp, char *out, size_t len)
{
	char chain[2 * EA_CHAIN_LEN + 1], sig[2 * EA_SIG_LEN + 1];

	ea_hex(chain, cp->chain, EA_CHAIN_LEN);
	ea_hex(sig, cp->sig, EA_SIG_LEN);
	snprintf(out, len, "{\"seq\":%llu,\"chain\":\"%s\",\"time\":\"%s\",\"sig\":\"%s\","
		 "\"key\":\"%s\"}", (unsigned long long)cp->seq, chain, cp->time, sig, cp->key);
}

/* Parse the fields, then insist that formatting them gives detail back. */
int ea_checkpoint_parse(const char *detail, struct ea_checkpoint *cp)
{
	char chain[65], sig[129], again[EA_REC_DETAIL_MAX];
	unsigned long long seq;
	int end = 0;

	memset(cp, 0, sizeof(*cp));
	if (sscanf(detail, "{\"seq\":%20llu,\"chain\":\"%64[0-9a-f]\",\"time\":\"%39[^\"]\","
		   "\"sig\":\"%128[0-9a-f]\",\"key\":\"%71[^\"]\"}%n", &seq, chain, cp->time,
		   sig, cp->key, &end) != 5 || !end || detail[end])
		return -EINVAL;
	cp->seq = seq;
	if (ea_unhex(cp->chain, chain, EA_CHAIN_LEN) || ea_unhex(cp->sig, sig, EA_SIG_LEN))
		return -EINVAL;
	ea_checkpoint_format(cp, again, sizeof(again));
	return strcmp(again, detail) ? -EINVAL : 0;
}
