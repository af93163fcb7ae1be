package acr_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"time"

	"github.com/stepup-auth/stepup/acr"
)

// A resource server refuses a transfer to a session that is not mfa within
// five minutes; the client reads the challenge and asks the authorization
// server for a token that meets it.
func ExampleChallenge() {
	transfer := func(w http.ResponseWriter, r *http.Request) {
		// The token's acr and auth_time fell short of the route's policy.
		acr.Challenge{
			Error:       acr.CodeInsufficientUserAuthentication,
			Description: "A transfer needs mfa within 5 minutes",
			ACRValues:   []string{acr.MFA.String()},
			MaxAge:      5 * time.Minute,
			HasMaxAge:   true,
		}.ServeHTTP(w, r)
	}
	api := httptest.NewServer(http.HandlerFunc(transfer))
	defer api.Close()

	resp, err := http.Post(api.URL+"/transfer", "application/json", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("WWW-Authenticate"))

	c, err := acr.ParseChallenge(resp)
	if err != nil {
		fmt.Println(err)
		return
	}
	if c.Error == acr.CodeInsufficientUserAuthentication {
		authorize := url.Values{"client_id": {"bank"}, "response_type": {"code"}, "scope": {"openid"}}
		for name, v := range c.AuthParams() {
			authorize[name] = v
		}
		fmt.Println("https://id.example/authorize?" + authorize.Encode())
	}
	// Output:
	// 401 Bearer error="insufficient_user_authentication", error_description="A transfer needs mfa within 5 minutes", acr_values="urn:stepup:acr:mfa", max_age="300"
	// https://id.example/authorize?acr_values=urn%3Astepup%3Aacr%3Amfa&client_id=bank&max_age=300&response_type=code&scope=openid
}

// A client that got a 401 from an API reads what it asks for from the
// WWW-Authenticate header, here RFC 9470's example beside a Basic challenge.
func ExampleParseWWWAuthenticate() {
	c, err := acr.ParseWWWAuthenticate(`Basic realm="legacy", Bearer error="insufficient_user_authentication", ` +
		`error_description="More recent authentication is required", max_age="5"`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Error, c.MaxAge, c.AuthParams().Encode())
	// Output:
	// insufficient_user_authentication 5s max_age=5
}
