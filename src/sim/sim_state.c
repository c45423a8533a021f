/*
 * The state directory: keys made on first run and kept between runs, so
 * the daemon configured against this simulator keeps trusting it.  Nothing
 * secret ever lives in the source tree.
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
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ld_alloc.h"
#include "ld_buf.h"
#include "ld_config.h"
#include "sim.h"
#include "wxpay_crypto.h"

static enum ld_status
mkdir_p(const char *path, struct ld_err *err)
{
	char *copy = ld_strdup(path), *p;
	struct stat sb;

	for (p = copy + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0700) != 0 && errno != EEXIST) {
			ld_err_set(err, LD_EIO, "%s: mkdir: %s", copy,
			    strerror(errno));
			free(copy);
			return LD_EIO;
		}
		*p = '/';
	}
	free(copy);
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return ld_err_set(err, LD_EIO, "%s: mkdir: %s", path,
		    strerror(errno));
	if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return ld_err_set(err, LD_EIO, "%s: not a directory", path);
	return LD_OK;
}

static int
exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

/* Creates path exclusively with mode and writes text to it. */
static enum ld_status
write_new(const char *path, mode_t mode, const char *text,
    struct ld_err *err)
{
	size_t len = strlen(text), off = 0;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	if (fd < 0)
		return ld_err_set(err, LD_EIO, "%s: create: %s", path,
		    strerror(errno));
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);

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

/* PEM text of a key, public or private (caller frees). */
static char *
key_pem(EVP_PKEY *key, int private)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long n;
	int ok;

	if (bio == NULL)
		return NULL;
	ok = private ? PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0,
	    NULL, NULL) : PEM_write_bio_PUBKEY(bio, key);
	if (ok == 1 && (n = BIO_get_mem_data(bio, &data)) > 0)
		out = ld_strndup(data, (size_t)n);
	BIO_free(bio);
	return out;
}

/* Generates an RSA-2048 pair into priv (0600) and pub (0644). */
static enum ld_status
gen_keypair(const char *priv, const char *pub, struct ld_err *err)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);
	char *ptext = NULL, *qtext = NULL;
	enum ld_status st;

	if (key == NULL)
		return ld_err_set(err, LD_ECRYPTO, "%s: RSA key generation "
		    "failed", priv);
	ptext = key_pem(key, 1);
	qtext = key_pem(key, 0);
	EVP_PKEY_free(key);
	if (ptext == NULL || qtext == NULL) {
		free(ptext);
		free(qtext);
		return ld_err_set(err, LD_ECRYPTO, "%s: PEM encoding failed",
		    priv);
	}
	st = write_new(priv, 0600, ptext, err);
	if (st == LD_OK)
		st = write_new(pub, 0644, qtext, err);
	OPENSSL_cleanse(ptext, strlen(ptext));
	free(ptext);
	free(qtext);
	return st;
}

/*
 * A self-signed certificate over the platform key, for clients that work
 * in platform-certificate mode (spec 3.2): five years, like WeChat's.
 */
static enum ld_status
gen_cert(EVP_PKEY *key, const char *path, struct ld_err *err)
{
	X509 *x = X509_new();
	X509_NAME *name;
	BIGNUM *bn = BN_new();
	BIO *bio = BIO_new(BIO_s_mem());
	unsigned char raw[20];
	enum ld_status st = LD_ECRYPTO;
	char *data, *text;
	long n;

	if (x == NULL || bn == NULL || bio == NULL ||
	    RAND_bytes(raw, sizeof raw) != 1)
		goto out;
	raw[0] = (unsigned char)((raw[0] & 0x7f) | 0x10);
	if (BN_bin2bn(raw, sizeof raw, bn) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
	    X509_set_version(x, 2) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 5L * 365 * 86400) ==
	    NULL || X509_set_pubkey(x, key) != 1)
		goto out;
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC,
	    (const unsigned char *)"CN", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
	    (const unsigned char *)"wxpay-sim", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"wxpay-sim platform sign", -1, -1, 0);
	if (X509_set_issuer_name(x, name) != 1 ||
	    X509_sign(x, key, EVP_sha256()) == 0 ||
	    PEM_write_bio_X509(bio, x) != 1 ||
	    (n = BIO_get_mem_data(bio, &data)) <= 0)
		goto out;
	text = ld_strndup(data, (size_t)n);
	st = write_new(path, 0644, text, err);
	free(text);
	if (st != LD_OK)
		goto done;
out:
	if (st != LD_OK)
		st = ld_err_set(err, LD_ECRYPTO, "%s: cannot make the platform "
		    "certificate", path);
done:
	X509_free(x);
	BN_free(bn);
	BIO_free(bio);
	return st;
}

/* Adds one v3 extension by its configuration text. */
static int
add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok;
}

/*
 * The TLS listener's own certificate when none is configured: EC P-256,
 * self-signed for 127.0.0.1 and localhost, two years.  It is its own CA,
 * so a client trusts it by naming it as its ca_file.
 */
static enum ld_status
gen_tls_cert(const char *key_path, const char *cert_path, struct ld_err *err)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	BIGNUM *bn = BN_new();
	unsigned char raw[16];
	char *kt = NULL, *ct = NULL;
	BIO *bio = BIO_new(BIO_s_mem());
	enum ld_status st = LD_ECRYPTO;
	char *data;
	long n;

	if (key == NULL || x == NULL || bn == NULL || bio == NULL ||
	    RAND_bytes(raw, sizeof raw) != 1)
		goto out;
	raw[0] = (unsigned char)((raw[0] & 0x7f) | 0x10);
	if (BN_bin2bn(raw, sizeof raw, bn) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
	    X509_set_version(x, 2) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 2L * 365 * 86400) ==
	    NULL || X509_set_pubkey(x, key) != 1)
		goto out;
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
	    (const unsigned char *)"wxpay-sim", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"127.0.0.1", -1, -1, 0);
	if (X509_set_issuer_name(x, name) != 1 ||
	    !add_ext(x, NID_basic_constraints, "critical,CA:TRUE") ||
	    !add_ext(x, NID_key_usage,
	    "critical,digitalSignature,keyCertSign") ||
	    !add_ext(x, NID_ext_key_usage, "serverAuth") ||
	    !add_ext(x, NID_subject_alt_name,
	    "IP:127.0.0.1,DNS:localhost") ||
	    X509_sign(x, key, EVP_sha256()) == 0 ||
	    PEM_write_bio_X509(bio, x) != 1 ||
	    (n = BIO_get_mem_data(bio, &data)) <= 0 ||
	    (kt = key_pem(key, 1)) == NULL)
		goto out;
	ct = ld_strndup(data, (size_t)n);
	if ((st = write_new(key_path, 0600, kt, err)) == LD_OK)
		st = write_new(cert_path, 0644, ct, err);
	goto done;
out:
	st = ld_err_set(err, LD_ECRYPTO, "%s: cannot make the TLS "
	    "certificate", cert_path);
done:
	if (kt != NULL)
		OPENSSL_cleanse(kt, strlen(kt));
	free(kt);
	free(ct);
	EVP_PKEY_free(key);
	X509_free(x);
	BN_free(bn);
	BIO_free(bio);
	return st;
}

static enum ld_status
slurp(const char *path, char **out, struct ld_err *err)
{
	struct ld_buf b;

	ld_buf_init(&b, 1024 * 1024);
	if (ld_buf_read_file(&b, path, err) != LD_OK) {
		ld_buf_free(&b);
		return err->code;
	}
	*out = ld_buf_steal(&b, NULL);
	return LD_OK;
}

/*
 * What the APIv2 TLS listener needs: its certificate and key (configured,
 * or generated here on first run) and the CA that issues merchant API
 * certificates, which the listener requires of every APIv2 client.
 */
static enum ld_status
tls_open(struct sim *s, struct ld_err *err)
{
	struct sim_config *c = &s->cfg;
	enum ld_status st;

	if (c->v2_tls_listen == NULL)
		return LD_OK;
	if (c->tls_client_ca_file == NULL)
		return ld_err_set(err, LD_EINVAL, "%s: [sim] v2_tls_listen "
		    "needs tls_client_ca_file", c->path ? c->path :
		    "configuration");
	if (c->tls_cert_file == NULL) {
		c->tls_cert_file = ld_asprintf("%s/tls_cert.pem",
		    c->state_dir);
		free(c->tls_key_file);
		c->tls_key_file = ld_asprintf("%s/tls_key.pem", c->state_dir);
		if (!exists(c->tls_key_file) &&
		    (st = gen_tls_cert(c->tls_key_file, c->tls_cert_file,
		    err)) != LD_OK)
			return st;
	}
	if ((st = ld_config_check_key_file(c->tls_key_file, err)) != LD_OK ||
	    (st = slurp(c->tls_key_file, &s->tls_key_pem, err)) != LD_OK ||
	    (st = slurp(c->tls_cert_file, &s->tls_cert_pem, err)) != LD_OK ||
	    (st = slurp(c->tls_client_ca_file, &s->tls_ca_pem, err)) !=
	    LD_OK)
		return st;
	return LD_OK;
}

static enum ld_status
random_digits(char *out, size_t n, struct ld_err *err)
{
	unsigned char raw[64];
	size_t i;

	if (n > sizeof raw || RAND_bytes(raw, (int)n) != 1)
		return ld_err_set(err, LD_ECRYPTO, "RAND_bytes failed");
	for (i = 0; i < n; i++)
		out[i] = (char)('0' + raw[i] % 10);
	out[n] = '\0';
	return LD_OK;
}

/* Reads a one-line text file, without its trailing newline. */
static enum ld_status
read_line(const char *path, char **out, struct ld_err *err)
{
	struct ld_buf b;

	ld_buf_init(&b, 4096);
	if (ld_buf_read_file(&b, path, err) != LD_OK) {
		ld_buf_free(&b);
		return err->code;
	}
	while (b.len > 0 && (b.data[b.len - 1] == '\n' ||
	    b.data[b.len - 1] == '\r' || b.data[b.len - 1] == ' '))
		b.data[--b.len] = '\0';
	*out = ld_buf_steal(&b, NULL);
	return LD_OK;
}

/* A secret: exactly `want` printable bytes after trimming. */
static enum ld_status
load_secret(const char *path, size_t want, char *out, struct ld_err *err)
{
	char *text;
	size_t n;

	if (ld_config_check_key_file(path, err) != LD_OK)
		return err->code;
	if (read_line(path, &text, err) != LD_OK)
		return err->code;
	n = strlen(text);
	if (n != want) {
		OPENSSL_cleanse(text, n);
		free(text);
		return ld_err_set(err, LD_EINVAL,
		    "%s: holds %zu characters, expected %zu", path, n, want);
	}
	memcpy(out, text, want);
	OPENSSL_cleanse(text, n);
	free(text);
	return LD_OK;
}

static enum ld_status
ensure_secret(const char *path, struct ld_err *err)
{
	char key[33], *line;
	enum ld_status st;

	if (exists(path))
		return LD_OK;
	if (wx_random_nonce(key, err) != LD_OK)
		return err->code;
	line = ld_asprintf("%s\n", key);
	st = write_new(path, 0600, line, err);
	OPENSSL_cleanse(key, sizeof key);
	OPENSSL_cleanse(line, strlen(line));
	free(line);
	return st;
}

enum ld_status
sim_state_open(struct sim *s, struct ld_err *err)
{
	struct sim_config *c = &s->cfg;
	char *dir = c->state_dir, *path = NULL, *pub = NULL, *text = NULL;
	enum ld_status st;

	if ((st = mkdir_p(dir, err)) != LD_OK)
		return st;

	/* The platform key pair and its public-key id. */
	path = ld_asprintf("%s/platform_private.pem", dir);
	snprintf(s->platform_public_file, sizeof s->platform_public_file,
	    "%s/platform_public.pem", dir);
	if (!exists(path) &&
	    (st = gen_keypair(path, s->platform_public_file, err)) != LD_OK)
		goto out;
	if ((st = ld_config_check_key_file(path, err)) != LD_OK ||
	    (st = wx_load_private_key(path, &s->platform_key, err)) != LD_OK)
		goto out;
	snprintf(s->platform_cert_file, sizeof s->platform_cert_file,
	    "%s/platform_cert.pem", dir);
	if (!exists(s->platform_cert_file) && (st = gen_cert(s->platform_key,
	    s->platform_cert_file, err)) != LD_OK)
		goto out;
	if ((st = wx_cert_serial(s->platform_cert_file,
	    s->platform_cert_serial, err)) != LD_OK ||
	    (st = read_line(s->platform_cert_file, &s->platform_cert_pem,
	    err)) != LD_OK)
		goto out;
	free(path);
	path = ld_asprintf("%s/platform_key_id", dir);
	if (c->platform_cert_mode) {
		snprintf(s->platform_key_id, sizeof s->platform_key_id, "%s",
		    s->platform_cert_serial);
	} else if (c->platform_key_id != NULL) {
		snprintf(s->platform_key_id, sizeof s->platform_key_id, "%s",
		    c->platform_key_id);
	} else {
		if (!exists(path)) {
			char digits[40], *line;

			if ((st = random_digits(digits, 34, err)) != LD_OK)
				goto out;
			/* Spec 3.2: "PUB_KEY_ID_" and digits. */
			digits[0] = '0';
			line = ld_asprintf("PUB_KEY_ID_%s\n", digits);
			st = write_new(path, 0644, line, err);
			free(line);
			if (st != LD_OK)
				goto out;
		}
		if ((st = read_line(path, &text, err)) != LD_OK)
			goto out;
		snprintf(s->platform_key_id, sizeof s->platform_key_id, "%s",
		    text);
		free(text);
		text = NULL;
	}

	/* APIv3 (callbacks' AEAD) and APIv2 (MD5/HMAC signs) keys. */
	if (c->apiv3_key_file == NULL) {
		c->apiv3_key_file = ld_asprintf("%s/apiv3.key", dir);
		if ((st = ensure_secret(c->apiv3_key_file, err)) != LD_OK)
			goto out;
	}
	if ((st = load_secret(c->apiv3_key_file, 32, (char *)s->apiv3_key,
	    err)) != LD_OK)
		goto out;
	if (c->apiv2_key_file == NULL) {
		c->apiv2_key_file = ld_asprintf("%s/apiv2.key", dir);
		if ((st = ensure_secret(c->apiv2_key_file, err)) != LD_OK)
			goto out;
	}
	memset(s->apiv2_key, 0, sizeof s->apiv2_key);
	if ((st = load_secret(c->apiv2_key_file, 32, s->apiv2_key, err)) !=
	    LD_OK)
		goto out;

	/* The merchant: its public key checks requests. */
	if (c->generate_merchant) {
		free(path);
		path = ld_asprintf("%s/merchant_private.pem", dir);
		pub = ld_asprintf("%s/merchant_public.pem", dir);
		if (!exists(path) &&
		    (st = gen_keypair(path, pub, err)) != LD_OK)
			goto out;
		free(s->merchant_private_file);
		s->merchant_private_file = ld_strdup(path);
		if (c->merchant_public_key_file == NULL)
			c->merchant_public_key_file = ld_strdup(pub);
		free(path);
		path = ld_asprintf("%s/merchant_serial", dir);
		if (!exists(path)) {
			unsigned char raw[20];
			char hex[41], *line;
			size_t i;

			if (RAND_bytes(raw, sizeof raw) != 1) {
				st = ld_err_set(err, LD_ECRYPTO,
				    "RAND_bytes failed");
				goto out;
			}
			raw[0] &= 0x7f;
			for (i = 0; i < sizeof raw; i++)
				snprintf(hex + 2 * i, 3, "%02X", raw[i]);
			line = ld_asprintf("%s\n", hex);
			st = write_new(path, 0644, line, err);
			free(line);
			if (st != LD_OK)
				goto out;
		}
		if (c->merchant_serial == NULL &&
		    (st = read_line(path, &c->merchant_serial, err)) != LD_OK)
			goto out;
	}
	if (c->merchant_public_key_file == NULL) {
		st = ld_err_set(err, LD_EINVAL, "%s: [sim] "
		    "merchant_public_key_file is not set (or set "
		    "generate_merchant = yes)", c->path ? c->path :
		    "configuration");
		goto out;
	}
	if (c->merchant_serial == NULL) {
		st = ld_err_set(err, LD_EINVAL, "%s: [sim] merchant_serial "
		    "is not set", c->path ? c->path : "configuration");
		goto out;
	}
	if ((st = wx_load_public_key(c->merchant_public_key_file,
	    &s->merchant_pub, err)) != LD_OK)
		goto out;
	st = tls_open(s, err);
out:
	free(path);
	free(pub);
	free(text);
	return st;
}
