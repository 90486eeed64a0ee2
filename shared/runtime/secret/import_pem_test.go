package secret_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/jwtgate/jwtgate/shared/runtime/secret"
)

// TestImportKeyPairOpenSSLECParam: `openssl ecparam -name prime256v1
// -genkey` (the SEC 1 form docs/keys.md names) writes an EC PARAMETERS
// block before the EC PRIVATE KEY one; flask-jwt-extended (PyJWT,
// cryptography) signs with that file as JWT_PRIVATE_KEY, so keys import
// must take it.
func TestImportKeyPairOpenSSLECParam(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	// DER of the OID prime256v1, what openssl writes in EC PARAMETERS.
	params := []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}
	file := string(pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: params})) +
		string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
	set, err := secret.ImportKeyPair("", "ES256", file)
	if err != nil {
		t.Fatalf("ImportKeyPair(openssl ecparam -genkey output) = %v; flask-jwt-extended signs with this file", err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("set = %+v", set)
	}
}

// TestImportKeyPairOverVerifyOnly: the set already holds the imported
// key's public half as a verify-only entry under the kid the import
// derives; keys import says the key "signs from now on", so the front
// entry must hold the private key (today the private key is dropped and
// every login answers 500 "Could not issue tokens").
func TestImportKeyPairOverVerifyOnly(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	priv := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	first, err := secret.ImportKeyPair("", "ES256", priv)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	verifyOnly := secret.KeySet{Keys: []secret.KeyEntry{{KID: first.Keys[0].KID, Alg: "ES256",
		PublicKey: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))}}}
	set, err := secret.ImportKeyPair(verifyOnly.JSON(), "ES256", priv)
	if err != nil {
		t.Fatal(err)
	}
	if set.Keys[0].PrivateKey == "" {
		t.Fatalf("after import the signing entry %s has no private key: %+v", set.Keys[0].KID, set.Keys[0])
	}
}
