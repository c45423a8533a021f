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

#include <openssl/rand.h>
#include <openssl/rsa.h>

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

static enum ld_status
write_new(const char *path, mode_t mode, const char *text,
    struct ld_err *err)
{
	return sim_pki_write(path, mode, text, strlen(text), err);
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
	ptext = sim_pki_key_pem(key, 1);
	qtext = sim_pki_key_pem(key, 0);
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
		    (st = sim_pki_tls_cert(c->tls_key_file, c->tls_cert_file,
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

/* A one-line file made once: its text from make(), kept ever after. */
static enum ld_status
made_once(const char *path, enum ld_status (*make)(char *, size_t,
    struct ld_err *), char **out, struct ld_err *err)
{
	char text[64], *line;
	enum ld_status st;

	if (!exists(path)) {
		if ((st = make(text, sizeof text, err)) != LD_OK)
			return st;
		line = ld_asprintf("%s\n", text);
		st = write_new(path, 0644, line, err);
		free(line);
		if (st != LD_OK)
			return st;
	}
	return read_line(path, out, err);
}

/* "PUB_KEY_ID_" and digits, as the merchant platform shows a key's id. */
static enum ld_status
make_key_id(char *out, size_t size, struct ld_err *err)
{
	char digits[40];

	if (random_digits(digits, 34, err) != LD_OK)
		return err->code;
	digits[0] = '0';
	snprintf(out, size, "PUB_KEY_ID_%s", digits);
	return LD_OK;
}

/* A certificate serial: 20 random bytes in upper-case hex, positive. */
static enum ld_status
make_serial(char *out, size_t size, struct ld_err *err)
{
	unsigned char raw[20];
	size_t i;

	if (size < 41 || RAND_bytes(raw, sizeof raw) != 1)
		return ld_err_set(err, LD_ECRYPTO, "RAND_bytes failed");
	raw[0] &= 0x7f;
	for (i = 0; i < sizeof raw; i++)
		snprintf(out + 2 * i, 3, "%02X", raw[i]);
	return LD_OK;
}

/*
 * The platform key pair, its certificate (serial and validity read from
 * it) and the public-key id answers are signed as.
 */
static enum ld_status
platform_open(struct sim *s, const char *dir, struct ld_err *err)
{
	struct sim_config *c = &s->cfg;
	char *path = ld_asprintf("%s/platform_private.pem", dir), *id = NULL;
	const char *pem;
	enum ld_status st;

	snprintf(s->platform_public_file, sizeof s->platform_public_file,
	    "%s/platform_public.pem", dir);
	snprintf(s->platform_cert_file, sizeof s->platform_cert_file,
	    "%s/platform_cert.pem", dir);
	if ((!exists(path) &&
	    (st = gen_keypair(path, s->platform_public_file, err)) != LD_OK) ||
	    (st = ld_config_check_key_file(path, err)) != LD_OK ||
	    (st = wx_load_private_key(path, &s->platform_key, err)) != LD_OK ||
	    (!exists(s->platform_cert_file) &&
	    (st = sim_pki_platform_cert(s->platform_key,
	    s->platform_cert_file, err)) != LD_OK) ||
	    (st = read_line(s->platform_cert_file, &s->platform_cert_pem,
	    err)) != LD_OK)
		goto out;
	pem = s->platform_cert_pem;
	if ((st = wx_cert_serial_pem(pem, strlen(pem),
	    s->platform_cert_serial, err)) != LD_OK ||
	    (st = wx_cert_validity_pem(pem, strlen(pem),
	    &s->platform_cert_not_before, &s->platform_cert_not_after,
	    err)) != LD_OK) {
		ld_err_prefix(err, "%s: ", s->platform_cert_file);
		goto out;
	}
	free(path);
	path = ld_asprintf("%s/platform_key_id", dir);
	if (c->platform_cert_mode)
		id = ld_strdup(s->platform_cert_serial);
	else if (c->platform_key_id != NULL)
		id = ld_strdup(c->platform_key_id);
	else if ((st = made_once(path, make_key_id, &id, err)) != LD_OK)
		goto out;
	snprintf(s->platform_key_id, sizeof s->platform_key_id, "%s", id);
out:
	free(id);
	free(path);
	return st;
}

/* The APIv3 key (callbacks' AEAD) and the APIv2 key (MD5/HMAC signs). */
static enum ld_status
secrets_open(struct sim *s, const char *dir, struct ld_err *err)
{
	struct sim_config *c = &s->cfg;
	enum ld_status st;

	if (c->apiv3_key_file == NULL) {
		c->apiv3_key_file = ld_asprintf("%s/apiv3.key", dir);
		if ((st = ensure_secret(c->apiv3_key_file, err)) != LD_OK)
			return st;
	}
	if ((st = load_secret(c->apiv3_key_file, 32, (char *)s->apiv3_key,
	    err)) != LD_OK)
		return st;
	if (c->apiv2_key_file == NULL) {
		c->apiv2_key_file = ld_asprintf("%s/apiv2.key", dir);
		if ((st = ensure_secret(c->apiv2_key_file, err)) != LD_OK)
			return st;
	}
	memset(s->apiv2_key, 0, sizeof s->apiv2_key);
	return load_secret(c->apiv2_key_file, 32, s->apiv2_key, err);
}

/* The demo merchant: a key pair and a serial made into the state dir. */
static enum ld_status
merchant_generate(struct sim *s, const char *dir, struct ld_err *err)
{
	struct sim_config *c = &s->cfg;
	char *path = ld_asprintf("%s/merchant_private.pem", dir);
	char *pub = ld_asprintf("%s/merchant_public.pem", dir), *serial = NULL;
	enum ld_status st = LD_OK;

	if (!exists(path) && (st = gen_keypair(path, pub, err)) != LD_OK)
		goto out;
	free(s->merchant_private_file);
	s->merchant_private_file = ld_strdup(path);
	if (c->merchant_public_key_file == NULL)
		c->merchant_public_key_file = ld_strdup(pub);
	free(path);
	path = ld_asprintf("%s/merchant_serial", dir);
	if ((st = made_once(path, make_serial, &serial, err)) != LD_OK)
		goto out;
	if (c->merchant_serial == NULL) {
		c->merchant_serial = serial;
		serial = NULL;
	}
out:
	free(serial);
	free(path);
	free(pub);
	return st;
}

/* The merchant whose public key checks requests. */
static enum ld_status
merchant_open(struct sim *s, const char *dir, struct ld_err *err)
{
	struct sim_config *c = &s->cfg;
	const char *conf = c->path ? c->path : "configuration";
	enum ld_status st;

	if (c->generate_merchant &&
	    (st = merchant_generate(s, dir, err)) != LD_OK)
		return st;
	if (c->merchant_public_key_file == NULL)
		return ld_err_set(err, LD_EINVAL, "%s: [sim] "
		    "merchant_public_key_file is not set (or set "
		    "generate_merchant = yes)", conf);
	if (c->merchant_serial == NULL)
		return ld_err_set(err, LD_EINVAL, "%s: [sim] merchant_serial "
		    "is not set", conf);
	return wx_load_public_key(c->merchant_public_key_file,
	    &s->merchant_pub, err);
}

enum ld_status
sim_state_open(struct sim *s, struct ld_err *err)
{
	const char *dir = s->cfg.state_dir;
	enum ld_status st;

	if ((st = mkdir_p(dir, err)) != LD_OK ||
	    (st = platform_open(s, dir, err)) != LD_OK ||
	    (st = secrets_open(s, dir, err)) != LD_OK ||
	    (st = merchant_open(s, dir, err)) != LD_OK)
		return st;
	return tls_open(s, err);
}
