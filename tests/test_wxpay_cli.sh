#!/bin/sh
# loandesk wxpay sign|verify|decrypt|v2sign against the SDK vectors in
# tests/kat (sources in tests/kat/README) and against the openssl CLI.
set -u

: "${top_srcdir:=.}"
: "${top_builddir:=.}"
LD="$top_builddir/loandesk"
KAT="$top_srcdir/tests/kat"
PY=/usr/bin/python3
T=$(mktemp -d /tmp/ld-test-wxcli.XXXXXX) || exit 99
trap 'rm -rf "$T"' EXIT
fails=0
n=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { # description, expected, actual
	if [ "$2" = "$3" ]; then ok "$1"; else
		fail "$1"; echo "#   expected: $2"; echo "#   got:      $3"; fi
}
vec() { # id field
	"$PY" -c 'import json,sys
for v in json.load(open(sys.argv[1]))["vectors"]:
    if v["id"] == sys.argv[2]:
        sys.stdout.write(v[sys.argv[3]])' "$KAT/vectors.json" "$1" "$2"
}
sig_of() { sed -n 's/.*signature="\([^"]*\)".*/\1/p'; }

# sign: the official example message with the wechatpay-go key.
for id in derived-get-certificates derived-post-transfer-bills \
    derived-post-cancel-empty-body; do
	vec $id body > "$T/body"
	hv=$("$LD" wxpay sign --key "$KAT/wechatpay-go.test_private_key.pem" \
	    --mchid "$(vec $id mchid)" --serial "$(vec $id serial)" \
	    --method "$(vec $id method)" --url "$(vec $id url)" \
	    --timestamp "$(vec $id timestamp)" --nonce "$(vec $id nonce)" \
	    --body-file "$T/body")
	check "sign $id" "$(vec $id expected_signature)" \
	    "$(echo "$hv" | sig_of)"
done
case "$hv" in
WECHATPAY2-SHA256-RSA2048\ mchid=\"1900000001\",*serial_no=\"F5765756002FDD77\"*)
	ok "sign header shape" ;;
*)	fail "sign header shape: $hv" ;;
esac

# sign: a fresh key, openssl as the oracle (body with UTF-8 and newline).
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$T/k.pem" 2>/dev/null || exit 99
openssl pkey -in "$T/k.pem" -pubout -out "$T/pub.pem" 2>/dev/null || exit 99
printf '{"remark":"\344\270\255"}\n' > "$T/b2"
printf 'POST\n/v3/x?a=1\n1700000000\nNONCE\n{"remark":"\344\270\255"}\n\n' \
    > "$T/msg"
want=$(openssl dgst -sha256 -sign "$T/k.pem" "$T/msg" | base64 -w0)
got=$("$LD" wxpay sign --key "$T/k.pem" --mchid 1 --serial S --method POST \
    --url '/v3/x?a=1' --timestamp 1700000000 --nonce NONCE \
    --body-file "$T/b2" | sig_of)
check "sign equals openssl dgst -sha256 -sign" "$want" "$got"
got=$("$LD" wxpay sign --key "$T/k.pem" --mchid 1 --serial S --method GET \
    --url /v3/y --timestamp 1 --nonce N | sig_of)
printf 'GET\n/v3/y\n1\nN\n\n' > "$T/msg"
want=$(openssl dgst -sha256 -sign "$T/k.pem" "$T/msg" | base64 -w0)
check "sign without body: empty body line" "$want" "$got"

# verify: the wechatpay-go callback, then a changed byte.
id=go-notify-payscore
if "$LD" wxpay verify --pubkey "$KAT/wechatpay-go.notify_test_cert.pem" \
    --timestamp "$(vec $id timestamp)" --nonce "$(vec $id nonce)" \
    --signature "$(vec $id signature)" \
    --body-file "$KAT/wechatpay-go.notify_test_body.json" >/dev/null; then
	ok "verify SDK callback"
else
	fail "verify SDK callback"
fi
sed 's/签约成功/签约失败/' "$KAT/wechatpay-go.notify_test_body.json" \
    > "$T/tampered"
"$LD" wxpay verify --pubkey "$KAT/wechatpay-go.notify_test_cert.pem" \
    --timestamp "$(vec $id timestamp)" --nonce "$(vec $id nonce)" \
    --signature "$(vec $id signature)" --body-file "$T/tampered" \
    >/dev/null 2>&1
check "verify tampered body exits 1" 1 $?
"$LD" wxpay verify --pubkey "$KAT/wechatpay-go.notify_test_cert.pem" \
    --timestamp "$(vec $id timestamp)" --nonce "$(vec $id nonce)" \
    --signature "WECHATPAY/SIGNTEST/AAAA" \
    --body-file "$KAT/wechatpay-go.notify_test_body.json" >/dev/null 2>&1
check "verify SIGNTEST probe exits 1" 1 $?
# verify an openssl-made answer signature with a PUBLIC KEY file.
printf '1700000000\nN\n{"a":1}\n' > "$T/msg"
printf '{"a":1}' > "$T/b3"
sig=$(openssl dgst -sha256 -sign "$T/k.pem" "$T/msg" | base64 -w0)
"$LD" wxpay verify --pubkey "$T/pub.pem" --timestamp 1700000000 --nonce N \
    --signature "$sig" --body-file "$T/b3" >/dev/null
check "verify openssl signature" 0 $?
"$LD" wxpay verify --pubkey "$T/pub.pem" --timestamp 1700000001 --nonce N \
    --signature "$sig" --body-file "$T/b3" >/dev/null 2>&1
check "verify changed timestamp exits 1" 1 $?
"$LD" wxpay verify --pubkey "$T/pub.pem" --nonce N --signature "$sig" \
    --body-file "$T/b3" >/dev/null 2>&1
check "verify usage error exits 2" 2 $?

# decrypt: the wechatpay-java AEAD_AES_256_GCM vector as a callback.
id=java-aead-aes-256
printf '%s\n' "$(vec $id key)" > "$T/apiv3.key"
chmod 600 "$T/apiv3.key"
# The envelope has every field of a callback (docs/wxpay-api.md, "Transfer
# bills: callbacks").
printf '{"id":"1","create_time":"2025-01-01T10:00:00+08:00","resource_type":"encrypt-resource","event_type":"MCHTRANSFER.BILL.FINISHED","summary":"x","resource":{"original_type":"mch_payment","algorithm":"AEAD_AES_256_GCM","ciphertext":"%s","associated_data":"%s","nonce":"%s"}}' \
    "$(vec $id ciphertext)" "$(vec $id aad)" "$(vec $id nonce)" > "$T/notify"
got=$("$LD" wxpay decrypt --apiv3-key-file "$T/apiv3.key" \
    --notify-file "$T/notify")
check "decrypt SDK vector" "$(vec $id expected_plaintext)" "$got"
sed 's/"associatedData"/"associatedDatA"/' "$T/notify" > "$T/notify2"
"$LD" wxpay decrypt --apiv3-key-file "$T/apiv3.key" \
    --notify-file "$T/notify2" >/dev/null 2>&1
check "decrypt with wrong associated_data exits 1" 1 $?
sed 's/"resource_type":"encrypt-resource",//' "$T/notify" > "$T/notify3"
"$LD" wxpay decrypt --apiv3-key-file "$T/apiv3.key" \
    --notify-file "$T/notify3" >/dev/null 2>&1
check "decrypt of an envelope without resource_type exits 1" 1 $?
chmod 644 "$T/apiv3.key"
"$LD" wxpay decrypt --apiv3-key-file "$T/apiv3.key" \
    --notify-file "$T/notify" >/dev/null 2>&1
check "decrypt refuses a world-readable key" 1 $?

# v2sign: the official APIv2 example.
printf '<xml><appid>wxd930ea5d5a258f4f</appid><mch_id>10000100</mch_id><device_info>1000</device_info><body><![CDATA[test]]></body><nonce_str>ibuaiVcKdpRxkhJA</nonce_str><sign>IGNORED</sign></xml>' \
    > "$T/v2.xml"
got=$("$LD" wxpay v2sign --key "$(vec v2-official-md5 key)" --sign-type MD5 \
    --xml-file "$T/v2.xml")
check "v2sign MD5" "$(vec v2-official-md5 expected_sign)" "$got"
got=$("$LD" wxpay v2sign --key "$(vec v2-official-md5 key)" \
    --sign-type HMAC-SHA256 --xml-file "$T/v2.xml")
check "v2sign HMAC-SHA256" "$(vec v2-official-hmac-sha256 expected_sign)" \
    "$got"
# The MD5 by hand with md5sum, for an independent check.
want=$(printf 'appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA&key=192006250b4c09247ec02edce69f6a2d' \
    | md5sum | cut -c1-32 | tr a-f A-F)
got=$("$LD" wxpay v2sign --key 192006250b4c09247ec02edce69f6a2d \
    --sign-type MD5 --xml-file "$T/v2.xml")
check "v2sign MD5 equals md5sum" "$want" "$got"
printf '<!DOCTYPE x [<!ENTITY e "1">]><xml><a>&e;</a></xml>' > "$T/evil.xml"
"$LD" wxpay v2sign --key k --sign-type MD5 --xml-file "$T/evil.xml" \
    >/dev/null 2>&1
check "v2sign refuses a DTD" 1 $?
"$LD" wxpay v2sign --key k --sign-type SHA1 --xml-file "$T/v2.xml" \
    >/dev/null 2>&1
check "v2sign unknown type exits 2" 2 $?

for c in sign verify decrypt v2sign; do
	case $("$LD" wxpay $c --help) in
	usage:*) ok "wxpay $c --help" ;;
	*) fail "wxpay $c --help" ;;
	esac
done

echo "1..$n"
[ "$fails" -eq 0 ]
