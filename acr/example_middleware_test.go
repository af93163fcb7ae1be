package acr_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/stepup-auth/stepup/acr"
)

// An API whose balance needs a sign-in and whose transfers need mfa within
// five minutes. In production the keys come from the issuer
// (NewRemoteKeySet); here a static key set stands in, and the example
// signs the tokens an authorization server would issue.
func ExampleMiddleware() {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	keys, _ := acr.NewStaticKeySet(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"},
	}})
	v, err := acr.NewVerifier(keys, acr.VerifierConfig{Issuer: "https://id.example", Audience: "bank-api"})
	if err != nil {
		fmt.Println(err)
		return
	}

	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := acr.FromContext(r.Context())
		fmt.Fprintf(w, "hello %s, at %s", claims.Subject, claims.Level)
	})
	mux := http.NewServeMux()
	mux.Handle("GET /balance", acr.Middleware(v, acr.Require(acr.OneFactor))(hello))
	mux.Handle("POST /transfer", acr.Middleware(v, acr.Require(acr.MFA, acr.MaxAge(5*time.Minute)))(hello))
	api := httptest.NewServer(mux)
	defer api.Close()

	// A token of a password sign-in a minute ago, as the issuer signs it.
	signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType("at+jwt"))
	now := time.Now()
	token, _ := jwt.Signed(signer).Claims(map[string]any{
		"iss": "https://id.example", "aud": "bank-api", "sub": "alice", "client_id": "bank",
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"acr": "urn:stepup:acr:1fa", "amr": []string{"pwd"}, "auth_time": now.Add(-time.Minute).Unix(),
	}).Serialize()

	for _, route := range []struct{ method, path string }{{"GET", "/balance"}, {"POST", "/transfer"}} {
		req, _ := http.NewRequest(route.method, api.URL+route.path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			fmt.Println(route.path, resp.StatusCode, string(body))
			continue
		}
		// The client steps up with what the challenge asks.
		c, _ := acr.ParseChallenge(resp)
		fmt.Println(route.path, resp.StatusCode, c.Error, c.AuthParams().Encode())
	}
	// Output:
	// /balance 200 hello alice, at urn:stepup:acr:1fa
	// /transfer 401 insufficient_user_authentication acr_values=urn%3Astepup%3Aacr%3Amfa&max_age=300
}
