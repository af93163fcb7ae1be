package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/stepup-auth/stepup/acr"
)

// maxAPIResponse bounds what the demo reads of its API's answers.
const maxAPIResponse = 64 << 10

// call is one request of the demo's pages to its API, as the result page
// shows it.
type call struct {
	Request string // "POST /demo/api/transfer"
	Status  int
	// Challenge is the WWW-Authenticate header of a 401, as sent.
	Challenge string
	// Then says what the demo did about the challenge.
	Then string
	// parsed is Challenge, read with acr.ParseChallenge.
	parsed acr.Challenge
	result apiResult
}

// allowed reports whether the API did the action.
func (c call) allowed() bool { return c.Status == http.StatusOK }

// stepUp reports whether the API asks for a stronger or fresher
// authentication (RFC 9470), which a new authorization request with the
// challenge's acr_values and max_age can bring.
func (c call) stepUp() bool {
	return c.Status == http.StatusUnauthorized && c.parsed.Error == acr.CodeInsufficientUserAuthentication
}

// signIn reports whether the API refuses the token itself (expired, or
// none): a new sign-in, with no parameters, brings a new one.
func (c call) signIn() bool {
	return c.Status == http.StatusUnauthorized && (c.parsed.Error == "" || c.parsed.Error == acr.CodeInvalidToken)
}

// callAPI does a's request to the demo's API with an access token. An
// answer other than 200 or a Bearer 401 is an error.
func (s *Server) callAPI(ctx context.Context, a action, accessToken string) (call, error) {
	c := call{Request: a.Method + " " + apiPrefix + a.Name}
	req, err := http.NewRequestWithContext(ctx, a.Method, s.issuer+apiPrefix+a.Name, nil)
	if err != nil {
		return c, fmt.Errorf("demo: API request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return c, fmt.Errorf("demo: API %s: %w", c.Request, err)
	}
	defer resp.Body.Close()
	c.Status = resp.StatusCode
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIResponse))
	if err != nil {
		return c, fmt.Errorf("demo: API %s: %w", c.Request, err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		if err := json.Unmarshal(body, &c.result); err != nil {
			return c, fmt.Errorf("demo: API %s: %w", c.Request, err)
		}
		return c, nil
	case http.StatusUnauthorized:
		c.Challenge = resp.Header.Get("WWW-Authenticate")
		if c.parsed, err = acr.ParseChallenge(resp); err != nil {
			return c, fmt.Errorf("demo: API %s: %w", c.Request, err)
		}
		return c, nil
	}
	return c, fmt.Errorf("demo: API %s answered %s: %.200s", c.Request, resp.Status, body)
}
