/*
 * The certificates the simulator makes: the platform certificate over the
 * platform key, the TLS listener's certificate, and for APIv2 a merchant
 * CA with the API certificate it issues (apiclient_cert.p12, protected by
 * the merchant id as WeChat Pay's is).  Nothing secret is ever written
 * readable by others, and no existing file is overwritten.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ld_alloc.h"
#include "sim.h"

enum ld_status
sim_pki_write(const char *path, mode_t mode, const void *data, size_t len,
    struct ld_err *err)
{
	const char *p = data;
	size_t off = 0;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return ld_err_set(err, LD_EIO, "%s: create: %s", path,
		    strerror(errno));
	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return ld_err_set(err, LD_EIO, "%s: write: %s", path,
			    strerror(errno));
		}
		off += (size_t)w;
	}
	if (fchmod(fd, mode) != 0 || close(fd) != 0)
		return ld_err_set(err, LD_EIO, "%s: %s", path,
		    strerror(errno));
	return LD_OK;
}

/* Writes what a memory BIO holds; the BIO is freed. */
static enum ld_status
write_bio(const char *path, mode_t mode, BIO *bio, struct ld_err *err)
{
	char *data;
	long n = BIO_get_mem_data(bio, &data);
	enum ld_status st;

	st = n > 0 ? sim_pki_write(path, mode, data, (size_t)n, err) :
	    ld_err_set(err, LD_ECRYPTO, "%s: nothing to write", path);
	if (n > 0)
		OPENSSL_cleanse(data, (size_t)n);
	BIO_free(bio);
	return st;
}

char *
sim_pki_key_pem(EVP_PKEY *key, int private)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long n;
	int ok;

	if (bio == NULL)
		return NULL;
	ok = private ? PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0,
	    NULL, NULL) : PEM_write_bio_PUBKEY(bio, key);
	if (ok == 1 && (n = BIO_get_mem_data(bio, &data)) > 0) {
		out = ld_strndup(data, (size_t)n);
		OPENSSL_cleanse(data, (size_t)n);
	}
	BIO_free(bio);
	return out;
}

/* A new certificate: random positive serial, valid from an hour ago. */
static X509 *
cert_new(EVP_PKEY *key, long days)
{
	X509 *x = X509_new();
	BIGNUM *bn = BN_new();
	unsigned char raw[16];
	int ok;

	ok = x != NULL && bn != NULL && RAND_bytes(raw, sizeof raw) == 1;
	if (ok) {
		raw[0] = (unsigned char)((raw[0] & 0x7f) | 0x10);
		ok = BN_bin2bn(raw, sizeof raw, bn) != NULL &&
		    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL &&
		    X509_set_version(x, 2) == 1 &&
		    X509_gmtime_adj(X509_getm_notBefore(x), -3600) != NULL &&
		    X509_gmtime_adj(X509_getm_notAfter(x), days * 86400) !=
		    NULL && X509_set_pubkey(x, key) == 1;
	}
	BN_free(bn);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Adds name entries: pairs of field and value, NULL-terminated. */
static int
name_set(X509_NAME *name, const char *const *kv)
{
	for (; kv[0] != NULL; kv += 2)
		if (X509_NAME_add_entry_by_txt(name, kv[0], MBSTRING_UTF8,
		    (const unsigned char *)kv[1], -1, -1, 0) != 1)
			return 0;
	return 1;
}

/* Adds one v3 extension by its configuration text, issuer given. */
static int
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok;
}

/* Writes x as PEM to path (0644). */
static enum ld_status
write_cert(X509 *x, const char *path, struct ld_err *err)
{
	BIO *bio = BIO_new(BIO_s_mem());

	if (bio == NULL || PEM_write_bio_X509(bio, x) != 1) {
		BIO_free(bio);
		return ld_err_set(err, LD_ECRYPTO, "%s: PEM encoding failed",
		    path);
	}
	return write_bio(path, 0644, bio, err);
}

/* Writes key as PKCS#8 PEM to path (0600). */
static enum ld_status
write_key(EVP_PKEY *key, const char *path, struct ld_err *err)
{
	char *pem = sim_pki_key_pem(key, 1);
	enum ld_status st;

	if (pem == NULL)
		return ld_err_set(err, LD_ECRYPTO, "%s: PEM encoding failed",
		    path);
	st = sim_pki_write(path, 0600, pem, strlen(pem), err);
	OPENSSL_cleanse(pem, strlen(pem));
	free(pem);
	return st;
}

enum ld_status
sim_pki_platform_cert(EVP_PKEY *key, const char *path, struct ld_err *err)
{
	static const char *const subject[] = { "C", "CN", "O", "wxpay-sim",
	    "CN", "wxpay-sim platform sign", NULL };
	X509 *x = cert_new(key, 5L * 365);
	enum ld_status st;

	if (x == NULL || !name_set(X509_get_subject_name(x), subject) ||
	    X509_set_issuer_name(x, X509_get_subject_name(x)) != 1 ||
	    X509_sign(x, key, EVP_sha256()) == 0)
		st = ld_err_set(err, LD_ECRYPTO, "%s: cannot make the "
		    "platform certificate", path);
	else
		st = write_cert(x, path, err);
	X509_free(x);
	return st;
}

enum ld_status
sim_pki_tls_cert(const char *key_path, const char *cert_path,
    struct ld_err *err)
{
	static const char *const subject[] = { "O", "wxpay-sim", "CN",
	    "127.0.0.1", NULL };
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = key != NULL ? cert_new(key, 2L * 365) : NULL;
	enum ld_status st;

	/* Its own CA: a client trusts it by naming it as its ca_file. */
	if (x == NULL || !name_set(X509_get_subject_name(x), subject) ||
	    X509_set_issuer_name(x, X509_get_subject_name(x)) != 1 ||
	    !add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") ||
	    !add_ext(x, x, NID_key_usage,
	    "critical,digitalSignature,keyCertSign") ||
	    !add_ext(x, x, NID_ext_key_usage, "serverAuth") ||
	    !add_ext(x, x, NID_subject_alt_name,
	    "IP:127.0.0.1,DNS:localhost") ||
	    X509_sign(x, key, EVP_sha256()) == 0)
		st = ld_err_set(err, LD_ECRYPTO, "%s: cannot make the TLS "
		    "certificate", cert_path);
	else if ((st = write_key(key, key_path, err)) == LD_OK)
		st = write_cert(x, cert_path, err);
	X509_free(x);
	EVP_PKEY_free(key);
	return st;
}

/* The merchant CA: RSA-2048, self-signed, ten years. */
static X509 *
merchant_ca(EVP_PKEY *key)
{
	static const char *const subject[] = { "C", "CN", "O",
	    "wxpay-sim", "CN", "wxpay-sim merchant API CA", NULL };
	X509 *x = cert_new(key, 10L * 365);

	if (x == NULL || !name_set(X509_get_subject_name(x), subject) ||
	    X509_set_issuer_name(x, X509_get_subject_name(x)) != 1 ||
	    !add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") ||
	    !add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    !add_ext(x, x, NID_subject_key_identifier, "hash") ||
	    X509_sign(x, key, EVP_sha256()) == 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/*
 * The merchant's API certificate: RSA-2048 like WeChat Pay's, CN = the
 * merchant id (what the simulator checks), five years, client auth.
 */
static X509 *
merchant_cert(EVP_PKEY *key, const char *mchid, X509 *ca, EVP_PKEY *ca_key)
{
	const char *subject[] = { "C", "CN", "O", "wxpay-sim merchant",
	    "CN", mchid, NULL };
	X509 *x = cert_new(key, 5L * 365);

	if (x == NULL || !name_set(X509_get_subject_name(x), subject) ||
	    X509_set_issuer_name(x, X509_get_subject_name(ca)) != 1 ||
	    !add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(x, ca, NID_key_usage,
	    "critical,digitalSignature,keyEncipherment") ||
	    !add_ext(x, ca, NID_ext_key_usage, "clientAuth") ||
	    !add_ext(x, ca, NID_authority_key_identifier, "keyid:always") ||
	    X509_sign(x, ca_key, EVP_sha256()) == 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* apiclient_cert.p12: key and certificate, password the merchant id. */
static enum ld_status
write_p12(const char *path, const char *mchid, EVP_PKEY *key, X509 *x,
    struct ld_err *err)
{
	PKCS12 *p12 = PKCS12_create(mchid, "Tenpay Certificate", key, x,
	    NULL, 0, 0, 0, 0, 0);
	BIO *bio = BIO_new(BIO_s_mem());

	if (p12 == NULL || bio == NULL || i2d_PKCS12_bio(bio, p12) != 1) {
		PKCS12_free(p12);
		BIO_free(bio);
		return ld_err_set(err, LD_ECRYPTO, "%s: cannot make the "
		    "PKCS#12 file", path);
	}
	PKCS12_free(p12);
	return write_bio(path, 0600, bio, err);
}

/* mkdir -m 0700 dir unless it is a directory already. */
static enum ld_status
dir_ready(const char *dir, struct ld_err *err)
{
	struct stat sb;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return ld_err_set(err, LD_EIO, "%s: mkdir: %s", dir,
		    strerror(errno));
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return ld_err_set(err, LD_EIO, "%s: not a directory", dir);
	return LD_OK;
}

enum ld_status
sim_pki_v2_client(const char *dir, const char *mchid, struct ld_err *err)
{
	static const char *const names[] = { "merchant_ca.pem",
	    "merchant_ca_key.pem", "apiclient_cert.pem", "apiclient_key.pem",
	    "apiclient_cert.p12" };
	EVP_PKEY *ca_key = NULL, *key = NULL;
	X509 *ca = NULL, *x = NULL;
	char *path[5];
	enum ld_status st;
	size_t i;

	if ((st = dir_ready(dir, err)) != LD_OK)
		return st;
	for (i = 0; i < 5; i++)
		path[i] = ld_asprintf("%s/%s", dir, names[i]);
	/* All or nothing: refuse before writing the first. */
	for (i = 0; i < 5; i++)
		if (access(path[i], F_OK) == 0) {
			st = ld_err_set(err, LD_ECONFLICT, "%s exists; not "
			    "overwriting it", path[i]);
			goto out;
		}
	ca_key = EVP_RSA_gen(2048);
	key = EVP_RSA_gen(2048);
	if (ca_key == NULL || key == NULL || (ca = merchant_ca(ca_key)) ==
	    NULL || (x = merchant_cert(key, mchid, ca, ca_key)) == NULL) {
		st = ld_err_set(err, LD_ECRYPTO, "%s: cannot make the merchant "
		    "CA and certificate", dir);
		goto out;
	}
	/* Nothing half made: what was written goes again on a failure. */
	for (i = 0; i < 5 && st == LD_OK; i++) {
		switch (i) {
		case 0:
			st = write_cert(ca, path[i], err);
			break;
		case 1:
			st = write_key(ca_key, path[i], err);
			break;
		case 2:
			st = write_cert(x, path[i], err);
			break;
		case 3:
			st = write_key(key, path[i], err);
			break;
		default:
			st = write_p12(path[i], mchid, key, x, err);
			break;
		}
	}
	if (st != LD_OK)
		while (--i > 0)
			unlink(path[i - 1]);
out:
	for (i = 0; i < 5; i++)
		free(path[i]);
	X509_free(ca);
	X509_free(x);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	return st;
}
