/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/ike/ike_cert: a CA and RSA/ECDSA leaves made by the openssl CLI; every AUTH method both ways. */
#include <errno.h>
#include <stdarg.h>

#include "lib/ike/ike_cert.h"
#include "check.h"

static char dir[] = "/tmp/ike_cert_XXXXXX";

/*
 * The CA (RSA) signs leaves with RSA-2048, P-256 and P-384 keys, each with
 * subjectAltName IP 192.0.2.N and DNS <name>.example; another CA (P-256)
 * signs "stranger"; "expired" was valid in January 2020 only.
 */
static const char gen[] =
	"set -e\n"
	"q() { \"$@\" >/dev/null 2>&1 || { echo \"failed: $*\" >&2; exit 1; }; }\n"
	"q openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 "
	"  -subj '/O=dmvpn test/CN=Test CA'\n"
	"q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca2.key -out ca2.pem "
	"  -days 30 -subj '/CN=Other CA'\n"
	"leaf() { # name keyopts ca n\n"
	"  q openssl req -new -newkey $2 -nodes -keyout $1.key -out $1.csr -subj \"/O=dmvpn test/CN=$1\"\n"
	"  echo \"subjectAltName=IP:192.0.2.$4,DNS:$1.example\" > $1.ext\n"
	"  q openssl x509 -req -in $1.csr -CA $3.pem -CAkey $3.key -CAcreateserial -days 30 -extfile $1.ext "
	"    -out $1.pem\n"
	"}\n"
	"leaf rsa rsa:2048 ca 1\n"
	"leaf ec256 'ec -pkeyopt ec_paramgen_curve:P-256' ca 2\n"
	"leaf ec384 'ec -pkeyopt ec_paramgen_curve:P-384' ca 3\n"
	"leaf stranger 'ec -pkeyopt ec_paramgen_curve:P-256' ca2 4\n"
	"q openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout expired.key "
	"  -out expired.csr -subj '/CN=expired'\n"
	"printf '[ca]\\ndefault_ca = d\\n[d]\\ndatabase = index.txt\\nnew_certs_dir = .\\nserial = serial\\n"
	"default_md = sha256\\npolicy = p\\n[p]\\ncommonName = supplied\\n' > ca.cnf\n"
	": > index.txt; echo 01 > serial\n"
	"q openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem "
	"  -startdate 20200101000000Z -enddate 20200201000000Z -notext\n";

static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd))
		return -1;
	return system(cmd);
}

static const char *path(const char *name)
{
	static char buf[4][256];
	static unsigned i;
	char *b = buf[i++ % 4];

	snprintf(b, sizeof(buf[0]), "%s/%s", dir, name);
	return b;
}

static struct ike_cred *load(const char *name, int with_ca)
{
	char cert[64], key[64], err[256] = "";
	struct ike_cred *c;

	snprintf(cert, sizeof(cert), "%s.pem", name);
	snprintf(key, sizeof(key), "%s.key", name);
	c = ike_cred_load(path(cert), path(key), with_ca ? path("ca.pem") : NULL, err, sizeof(err));
	CHECK_MSG(c != NULL, "%s: %s", name, err);
	return c;
}

static int write_file(const char *name, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path(name), "wb");
	int ok = f && fwrite(p, 1, n, f) == n;

	if (f)
		fclose(f);
	return ok ? 0 : -1;
}

static const uint8_t octets[] = "IKE_SA_INIT message | Nr | prf(SK_pi, IDi')";

struct leaf {
	const char *name;
	uint8_t ip;
	uint8_t legacy_method;    /* without RFC 7427 */
	size_t legacy_len;        /* signature length then */
};

static const struct leaf leaves[] = {
	{"rsa", 1, IKE_AUTH_RSA_SIG, 256},
	{"ec256", 2, IKE_AUTH_ECDSA_256, 64},
	{"ec384", 3, IKE_AUTH_ECDSA_384, 96},
};

static int verify(const struct ike_cred *ca, const struct ike_cred *peer, uint8_t id_type, const void *id,
		  size_t id_len, uint8_t method, const uint8_t *sig, size_t sig_len, const uint8_t *o, size_t olen,
		  char *err, size_t errlen)
{
	const uint8_t *der;
	size_t der_len;

	if (ike_cred_cert_der(peer, &der, &der_len))
		return -999;
	return ike_cred_verify_peer(ca, der, der_len, id_type, id, id_len, method, sig, sig_len, o, olen, err,
				    errlen);
}

static void test_methods(const struct ike_cred *ca)
{
	for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		const struct leaf *l = &leaves[i];
		struct ike_cred *c = load(l->name, 0);
		/* 0: legacy; 1: SHA-256 announced; 7: SHA-256/384/512 announced. */
		static const int modes[] = {0, IKE_SIGHASH_SHA256, IKE_SIGHASH_SHA256 | IKE_SIGHASH_SHA384 |
					    IKE_SIGHASH_SHA512, IKE_SIGHASH_SHA512};

		if (!c)
			continue;
		for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
			uint8_t sig[600], method = 0, bad[sizeof(octets)];
			size_t sig_len = sizeof(sig);
			uint8_t idt;
			const uint8_t *idd;
			size_t idl;
			uint8_t ip[4] = {192, 0, 2, l->ip};
			char fqdn[32], err[256] = "";

			CHECK_INT(ike_cred_sign(c, modes[m], octets, sizeof(octets), &method, sig, &sig_len), 0);
			if (!modes[m]) {
				CHECK_INT(method, l->legacy_method);
				CHECK_INT(sig_len, l->legacy_len);
			} else {
				/* RFC 7427 3: length byte, AlgorithmIdentifier, signature. */
				CHECK_INT(method, IKE_AUTH_DIGITAL_SIG);
				CHECK(sig[0] == 0x0f || sig[0] == 0x0c);
				CHECK_INT(sig[1], 0x30);
			}
			CHECK_INT(ike_cred_id(c, &idt, &idd, &idl), 0);
			CHECK_INT(idt, IKE_ID_DER_DN);
			CHECK_MSG(verify(ca, c, idt, idd, idl, method, sig, sig_len, octets, sizeof(octets), err,
					 sizeof(err)) == 0,
				  "%s mode %d: %s", l->name, modes[m], err);
			/* Other IDs: the altNames match, other values do not. */
			CHECK_INT(verify(ca, c, IKE_ID_IPV4, ip, 4, method, sig, sig_len, octets, sizeof(octets), err,
					 sizeof(err)), 0);
			snprintf(fqdn, sizeof(fqdn), "%s.EXAMPLE", l->name);
			CHECK_INT(verify(ca, c, IKE_ID_FQDN, fqdn, strlen(fqdn), method, sig, sig_len, octets,
					 sizeof(octets), err, sizeof(err)), 0);
			ip[3] ^= 0x80;
			CHECK_INT(verify(ca, c, IKE_ID_IPV4, ip, 4, method, sig, sig_len, octets, sizeof(octets), err,
					 sizeof(err)), -EACCES);
			CHECK(strstr(err, "ID") != NULL);
			CHECK_INT(verify(ca, c, IKE_ID_FQDN, "hub.example", 11, method, sig, sig_len, octets,
					 sizeof(octets), err, sizeof(err)), -EACCES);
			CHECK_INT(verify(ca, c, IKE_ID_DER_DN, idd, idl - 1, method, sig, sig_len, octets,
					 sizeof(octets), err, sizeof(err)), -EACCES);
			/* Other octets, a flipped signature bit, another method. */
			memcpy(bad, octets, sizeof(bad));
			bad[3] ^= 1;
			CHECK_INT(verify(ca, c, idt, idd, idl, method, sig, sig_len, bad, sizeof(bad), err,
					 sizeof(err)), -EACCES);
			CHECK(strstr(err, "does not verify") != NULL);
			sig[sig_len - 1] ^= 1;
			CHECK_INT(verify(ca, c, idt, idd, idl, method, sig, sig_len, octets, sizeof(octets), err,
					 sizeof(err)), -EACCES);
			sig[sig_len - 1] ^= 1;
			CHECK_INT(verify(ca, c, idt, idd, idl, method == IKE_AUTH_RSA_SIG ? IKE_AUTH_ECDSA_256
							   : IKE_AUTH_RSA_SIG, sig, sig_len, octets, sizeof(octets), err,
					 sizeof(err)), -EACCES);
			CHECK_INT(verify(ca, c, idt, idd, idl, IKE_AUTH_PSK, sig, sig_len, octets, sizeof(octets), err,
					 sizeof(err)), -EACCES);
			CHECK_INT(verify(ca, c, idt, idd, idl, method, sig, modes[m] ? 1 : sig_len - 1, octets,
					 sizeof(octets), err, sizeof(err)), -EACCES);
			/* Too small a buffer. */
			sig_len = 10;
			CHECK_INT(ike_cred_sign(c, modes[m], octets, sizeof(octets), &method, sig, &sig_len), -ENOSPC);
		}
		ike_cred_free(c);
	}
}

/*
 * The openssl CLI as the other side: it verifies what we sign (RSA method
 * 1 = PKCS#1 v1.5 over SHA-1; RFC 7427 ECDSA = DER over SHA-384 for P-384)
 * and we verify what it signs, wrapped in RFC 7427's AlgorithmIdentifier.
 */
static void test_cli_interop(const struct ike_cred *ca)
{
	struct ike_cred *rsa = load("rsa", 0), *ec = load("ec384", 0);
	uint8_t sig[600], method, cli[600], auth[700];
	size_t sig_len = sizeof(sig), n;
	const uint8_t *idd;
	size_t idl;
	uint8_t idt;
	char err[256] = "";
	FILE *f;
	static const uint8_t ai_rsa_sha256[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
						0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};

	if (!rsa || !ec)
		goto out;
	CHECK_INT(write_file("octets.bin", octets, sizeof(octets)), 0);
	CHECK_INT(sh("openssl x509 -in %s -pubkey -noout > %s", path("rsa.pem"), path("rsa.pub")), 0);
	CHECK_INT(sh("openssl x509 -in %s -pubkey -noout > %s", path("ec384.pem"), path("ec384.pub")), 0);

	CHECK_INT(ike_cred_sign(rsa, 0, octets, sizeof(octets), &method, sig, &sig_len), 0);
	CHECK_INT(write_file("rsa.sig", sig, sig_len), 0);
	CHECK_INT(sh("openssl dgst -sha1 -verify %s -signature %s %s >/dev/null", path("rsa.pub"), path("rsa.sig"),
		     path("octets.bin")), 0);

	sig_len = sizeof(sig);
	CHECK_INT(ike_cred_sign(ec, IKE_SIGHASH_SHA256 | IKE_SIGHASH_SHA384, octets, sizeof(octets), &method, sig,
				&sig_len), 0);
	CHECK_INT(sig[0], 12);
	CHECK_INT(sig[12], 0x03);         /* ecdsa-with-SHA384 */
	CHECK_INT(write_file("ec.sig", sig + 13, sig_len - 13), 0);
	CHECK_INT(sh("openssl dgst -sha384 -verify %s -signature %s %s >/dev/null", path("ec384.pub"),
		     path("ec.sig"), path("octets.bin")), 0);

	/* The CLI signs with sha256WithRSAEncryption; we verify it as method 14. */
	CHECK_INT(sh("openssl dgst -sha256 -sign %s -out %s %s", path("rsa.key"), path("cli.sig"),
		     path("octets.bin")), 0);
	f = fopen(path("cli.sig"), "rb");
	n = f ? fread(cli, 1, sizeof(cli), f) : 0;
	if (f)
		fclose(f);
	CHECK_INT(n, 256);
	auth[0] = sizeof(ai_rsa_sha256);
	memcpy(auth + 1, ai_rsa_sha256, sizeof(ai_rsa_sha256));
	memcpy(auth + 1 + sizeof(ai_rsa_sha256), cli, n);
	CHECK_INT(ike_cred_id(rsa, &idt, &idd, &idl), 0);
	CHECK_MSG(verify(ca, rsa, idt, idd, idl, IKE_AUTH_DIGITAL_SIG, auth, 1 + sizeof(ai_rsa_sha256) + n, octets,
			 sizeof(octets), err, sizeof(err)) == 0, "%s", err);
	/* The same signature claimed as SHA-512: refused. */
	auth[13] = 0x0d;
	CHECK_INT(verify(ca, rsa, idt, idd, idl, IKE_AUTH_DIGITAL_SIG, auth, 1 + sizeof(ai_rsa_sha256) + n, octets,
			 sizeof(octets), err, sizeof(err)), -EACCES);
out:
	ike_cred_free(rsa);
	ike_cred_free(ec);
}

static void test_chain(const struct ike_cred *ca)
{
	struct ike_cred *stranger = load("stranger", 0), *expired = load("expired", 0), *c = load("ec256", 0);
	struct ike_cred *ca2;
	uint8_t sig[200], method, idt, keyid[20];
	size_t sig_len = sizeof(sig);
	const uint8_t *idd, *der;
	size_t idl, der_len;
	char err[256] = "";

	if (!stranger || !expired || !c)
		goto out;
	/* Signed by another CA. */
	CHECK_INT(ike_cred_sign(stranger, 1, octets, sizeof(octets), &method, sig, &sig_len), 0);
	CHECK_INT(ike_cred_id(stranger, &idt, &idd, &idl), 0);
	CHECK_INT(verify(ca, stranger, idt, idd, idl, method, sig, sig_len, octets, sizeof(octets), err,
			 sizeof(err)), -EACCES);
	CHECK_MSG(strstr(err, "certificate:") != NULL, "%s", err);
	/* ...which that CA accepts. */
	ca2 = ike_cred_load(NULL, NULL, path("ca2.pem"), err, sizeof(err));
	CHECK(ca2 != NULL);
	CHECK_INT(verify(ca2, stranger, idt, idd, idl, method, sig, sig_len, octets, sizeof(octets), err,
			 sizeof(err)), 0);
	/* ...and our leaves are strangers to it. */
	sig_len = sizeof(sig);
	CHECK_INT(ike_cred_sign(c, 0, octets, sizeof(octets), &method, sig, &sig_len), 0);
	CHECK_INT(ike_cred_id(c, &idt, &idd, &idl), 0);
	CHECK_INT(verify(ca2, c, idt, idd, idl, method, sig, sig_len, octets, sizeof(octets), err, sizeof(err)),
		  -EACCES);
	ike_cred_free(ca2);

	/* Expired in 2020. */
	sig_len = sizeof(sig);
	CHECK_INT(ike_cred_sign(expired, 1, octets, sizeof(octets), &method, sig, &sig_len), 0);
	CHECK_INT(ike_cred_id(expired, &idt, &idd, &idl), 0);
	CHECK_INT(verify(ca, expired, idt, idd, idl, method, sig, sig_len, octets, sizeof(octets), err,
			 sizeof(err)), -EACCES);
	CHECK_MSG(strstr(err, "expired") != NULL, "%s", err);

	/* Malformed certificates. */
	CHECK_INT(ike_cred_cert_der(c, &der, &der_len), 0);
	CHECK_INT(ike_cred_verify_peer(ca, der, der_len - 1, idt, idd, idl, method, sig, sig_len, octets,
				       sizeof(octets), err, sizeof(err)), -EACCES);
	CHECK_INT(ike_cred_verify_peer(ca, der, 0, idt, idd, idl, method, sig, sig_len, octets, sizeof(octets),
				       err, sizeof(err)), -EACCES);
	CHECK_INT(ike_cred_verify_peer(c, der, der_len, idt, idd, idl, method, sig, sig_len, octets,
				       sizeof(octets), err, sizeof(err)), -EACCES);        /* no CA loaded */

	/* CERTREQ: SHA-1 of the CA's SubjectPublicKeyInfo, as the CLI computes it. */
	CHECK_INT(ike_cred_ca_keyid(ca, keyid), 0);
	CHECK_INT(ike_cred_ca_keyid(c, keyid), -ENOENT);
	{
		uint8_t want[20];
		unsigned v;
		FILE *f;
		char line[128] = "";
		int ok = 0;

		ike_cred_ca_keyid(ca, keyid);
		CHECK_INT(sh("openssl x509 -in %s -pubkey -noout | openssl pkey -pubin -outform DER | "
			     "openssl dgst -sha1 -r > %s", path("ca.pem"), path("keyid.txt")), 0);
		f = fopen(path("keyid.txt"), "r");
		if (f && fgets(line, sizeof(line), f)) {
			ok = 1;
			for (int i = 0; i < 20; i++) {
				if (sscanf(line + 2 * i, "%2x", &v) != 1)
					ok = 0;
				want[i] = (uint8_t)v;
			}
		}
		if (f)
			fclose(f);
		CHECK(ok && !memcmp(want, keyid, 20));
	}
out:
	ike_cred_free(stranger);
	ike_cred_free(expired);
	ike_cred_free(c);
}

static void test_load_errors(void)
{
	char err[256] = "";

	CHECK(ike_cred_load(path("nope.pem"), NULL, NULL, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "nope.pem") != NULL);
	CHECK(ike_cred_load(path("rsa.csr"), NULL, NULL, err, sizeof(err)) == NULL);     /* not a certificate */
	CHECK(strstr(err, "rsa.csr") != NULL);
	CHECK(ike_cred_load(path("rsa.pem"), path("ec256.key"), NULL, err, sizeof(err)) == NULL);
	CHECK_MSG(strstr(err, "does not match") != NULL, "%s", err);
	CHECK(ike_cred_load(NULL, NULL, path("rsa.key"), err, sizeof(err)) == NULL);     /* a key as CA */
	CHECK(strstr(err, "rsa.key") != NULL);
	{
		struct ike_cred *c = ike_cred_load(NULL, NULL, path("ca.pem"), err, sizeof(err));
		uint8_t m, sig[10];
		size_t sl = sizeof(sig);
		const uint8_t *d;
		size_t dl;

		CHECK(c != NULL);
		CHECK_INT(ike_cred_sign(c, 0, octets, sizeof(octets), &m, sig, &sl), -ENOENT);
		CHECK_INT(ike_cred_cert_der(c, &d, &dl), -ENOENT);
		ike_cred_free(c);
	}
}

static void test_sighash(void)
{
	uint8_t out[8];

	CHECK_INT(ike_sighash_ours(out, sizeof(out)), 6);
	CHECK(!memcmp(out, "\x00\x02\x00\x03\x00\x04", 6));
	CHECK_INT(ike_sighash_parse(out, 6), IKE_SIGHASH_SHA256 | IKE_SIGHASH_SHA384 | IKE_SIGHASH_SHA512);
	/* strongSwan 5.9 announces SHA-1 too, and "Identity" (5) */
	CHECK_INT(ike_sighash_parse((const uint8_t *)"\x00\x01\x00\x02\x00\x05", 6), IKE_SIGHASH_SHA256);
	CHECK_INT(ike_sighash_parse((const uint8_t *)"\x00\x01\x00", 3), 0);
	CHECK_INT(ike_sighash_ours(out, 5), 0);
}

int main(void)
{
	struct ike_cred *ca;
	char err[256] = "";

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	{
		FILE *p;
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "cd %s && sh", dir);
		p = popen(cmd, "w");
		if (!p || fputs(gen, p) < 0 || pclose(p) != 0) {
			fprintf(stderr, "test_ike_cert: could not make certificates with the openssl CLI\n");
			sh("rm -rf %s", dir);
			return 1;
		}
	}
	ca = ike_cred_load(NULL, NULL, path("ca.pem"), err, sizeof(err));
	CHECK_MSG(ca != NULL, "%s", err);
	if (ca) {
		test_methods(ca);
		test_cli_interop(ca);
		test_chain(ca);
	}
	test_load_errors();
	test_sighash();
	ike_cred_free(ca);
	sh("rm -rf %s", dir);
	return check_done("test_ike_cert");
}
