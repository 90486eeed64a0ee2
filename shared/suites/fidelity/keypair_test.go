package fidelity_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"sync"
)

// keyPair is the signing key of an asymmetric configuration. The two
// servers read a key pair from different places, so each gets it in its
// own form: flask as JWT_PRIVATE_KEY and JWT_PUBLIC_KEY (PEM), jwtgate as
// a key set in JWT_SECRET_KEY (docs/keys.md), which is what `jwtgate keys
// import` makes of flask's JWT_PRIVATE_KEY. A nil *keyPair is an HMAC
// configuration: secretKey.
type keyPair struct {
	Alg     string
	Private crypto.Signer
}

// pairKID is the kid of the configuration's key in jwtgate's key set.
func pairKID(alg string) string { return "fidelity-" + alg }

// keyring holds one key per key type for the servers and one more per
// type that neither server holds (signatures from another key, and tokens
// of a type the configuration does not use).
type keyring struct {
	servers, others map[string]crypto.Signer
}

// harnessKeys are made once per test binary: RSA generation takes a while.
var harnessKeys = sync.OnceValue(func() keyring {
	make1 := func(family string) crypto.Signer {
		var k crypto.Signer
		var err error
		switch family {
		case "RS":
			k, err = rsa.GenerateKey(rand.Reader, 2048)
		case "ES":
			k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		case "Ed":
			_, k, err = ed25519.GenerateKey(rand.Reader)
		}
		if err != nil {
			panic(err)
		}
		return k
	}
	r := keyring{servers: map[string]crypto.Signer{}, others: map[string]crypto.Signer{}}
	for _, f := range []string{"RS", "ES", "Ed"} {
		r.servers[f], r.others[f] = make1(f), make1(f)
	}
	return r
})

// family is the key type an algorithm signs with: "RS" for RS*/PS*, "ES",
// "Ed", or "" for HMAC.
func family(alg string) string {
	switch {
	case strings.HasPrefix(alg, "RS"), strings.HasPrefix(alg, "PS"):
		return "RS"
	case strings.HasPrefix(alg, "ES"):
		return "ES"
	case alg == "EdDSA":
		return "Ed"
	}
	return ""
}

// serverPair is the key both servers of an alg configuration sign with.
func serverPair(alg string) *keyPair {
	return &keyPair{Alg: alg, Private: harnessKeys().servers[family(alg)]}
}

// algorithm is the configuration's JWT_ALGORITHM.
func (p *keyPair) algorithm() string {
	if p == nil {
		return "HS256"
	}
	return p.Alg
}

// signingKey is the key a crafted token of alg is signed with: secretKey
// for HMAC; for a key pair algorithm the servers' key of its type when the
// configuration uses that type (RS384 with the RS256 configuration's key:
// the right key, an algorithm not allowed), else a key neither holds.
func (p *keyPair) signingKey(alg string) any {
	f := family(alg)
	switch {
	case f == "":
		return []byte(secretKey)
	case p != nil && f == family(p.Alg):
		return p.Private
	}
	return harnessKeys().others[f]
}

// otherKey is a key of alg's type that neither server holds.
func (p *keyPair) otherKey(alg string) any {
	if f := family(alg); f != "" {
		return harnessKeys().others[f]
	}
	return []byte("another-key-another-key-another-key-0123")
}

// privatePEM and publicPEM are the key as flask's JWT_PRIVATE_KEY (PKCS #8)
// and JWT_PUBLIC_KEY (SubjectPublicKeyInfo) hold it.
func (p *keyPair) privatePEM() string {
	der, err := x509.MarshalPKCS8PrivateKey(p.Private)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func (p *keyPair) publicPEM() string {
	der, err := x509.MarshalPKIXPublicKey(p.Private.Public())
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// keySet is the key as jwtgate's JWT_SECRET_KEY holds it: a key set of one
// key pair (docs/keys.md), written here by hand so the oracle does not
// lean on jwtgate's own encoder.
func (p *keyPair) keySet() string {
	b, err := json.Marshal(map[string]any{"keys": []map[string]string{
		{"kid": pairKID(p.Alg), "alg": p.Alg, "private_key": p.privatePEM()}}})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// pairConfig is a configuration whose servers sign with a key pair of alg:
// flask gets JWT_PRIVATE_KEY and JWT_PUBLIC_KEY, jwtgate the same key pair
// as a key set; both get env and JWT_ALGORITHM.
func pairConfig(name, alg string, env map[string]string, cats ...catalog) config {
	p := serverPair(alg)
	shared := map[string]string{"JWT_ALGORITHM": alg}
	for k, v := range env {
		shared[k] = v
	}
	return config{Name: name, Env: shared, Pair: p, Catalogs: cats,
		Flask:   map[string]string{"JWT_PRIVATE_KEY": p.privatePEM(), "JWT_PUBLIC_KEY": p.publicPEM()},
		JWTGate: map[string]string{"JWT_SECRET_KEY": p.keySet()}}
}

// keyPairCases are tokens for a key pair configuration that its algorithm
// and key decide (tests/test_asymmetric_crypto.py, and the algorithm
// confusion PyJWT and golang-jwt guard against): the configuration's key
// with and without the kid jwtgate names it by, a forged token naming that
// kid, the same key under other algorithms of its type, keys of the other
// types, and HS256 tokens signed with the public key as the HMAC secret.
func keyPairCases(k kit) []scenario {
	if k.Pair == nil {
		return nil
	}
	a := k.access()
	alg := k.Pair.Alg
	p := func(name, tok string) scenario {
		return sc("pair-"+name, get("/protected", k.present("access", tok)))
	}
	pub := []byte(k.Pair.publicPEM())
	out := []scenario{
		p("valid", a.sign("")),
		p("kid-ours", a.sign("", "kid", pairKID(alg))),
		p("kid-ours-other-key", a.signWith(alg, k.Pair.otherKey(alg), "kid", pairKID(alg))),
		p("public-key-as-hmac-secret", a.signWith("HS256", pub)),
		p("public-key-as-hmac-secret-kid", a.signWith("HS256", pub, "kid", pairKID(alg))),
		p("shared-secret-hs256", a.sign("HS256")),
		sc("pair-refresh-crafted", post("/refresh", k.present("refresh", k.refresh().sign("")),
			func(s *side, rq *request) {
				rq.Header = append(rq.Header, [2]string{s.Names.CSRFHeaderRefresh, craftCSRF})
			})),
		sc("pair-refresh-other-key", post("/refresh", k.present("refresh", k.refresh().signOther()),
			func(s *side, rq *request) {
				rq.Header = append(rq.Header, [2]string{s.Names.CSRFHeaderRefresh, craftCSRF})
			})),
	}
	for _, other := range []string{"RS256", "RS384", "RS512", "PS256", "ES256", "EdDSA"} {
		if other != alg {
			out = append(out, p("alg-"+other, a.sign(other)))
		}
	}
	return out
}
