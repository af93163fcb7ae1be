package cognito

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The states of stepup's track API this package branches on.
const (
	StateAllow              = "ALLOW"
	StateBlock              = "BLOCK"
	StateReviewRequired     = "REVIEW_REQUIRED"
	StateChallengeRequired  = "CHALLENGE_REQUIRED"
	StateChallengeSucceeded = "CHALLENGE_SUCCEEDED"
)

// maxResponse bounds an answer of stepup read into memory.
const maxResponse = 64 << 10

// Client is a small client of stepup's track API, authenticated with a
// server API key.
type Client struct {
	base string
	key  string
	http *http.Client
}

// NewClient returns a client of the stepup at baseURL (its public URL,
// https, or http on a loopback host for development) with the server API
// key key. hc nil is an http.Client with a 3-second timeout: a trigger
// that waits long on stepup makes the user wait.
// The client follows no redirect, with hc or without.
func NewClient(baseURL, key string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("cognito: the stepup URL must be an absolute URL without user info, query or fragment")
	}
	if u.Scheme != "https" && (u.Scheme != "http" || !loopback(u.Hostname())) {
		return nil, errors.New("cognito: the stepup URL must be https (http only on a loopback host)")
	}
	if key == "" {
		return nil, errors.New("cognito: a server API key is required")
	}
	if hc == nil {
		hc = &http.Client{Timeout: 3 * time.Second}
	}
	// No redirect is followed: the track API answers where it is asked,
	// and Go would send the API key after a redirect to the same host
	// over plain http, and take a decision from there. A redirect is an
	// answer other than success (APIError).
	own := *hc
	own.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{base: strings.TrimSuffix(u.String(), "/"), key: key, http: &own}, nil
}

func loopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// APIError is an answer of stepup other than success: its HTTP status and
// the error's code and message of the API's error body, when it had one.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("cognito: stepup answered %d", e.Status)
	}
	return fmt.Sprintf("cognito: stepup answered %d %s: %s", e.Status, e.Code, e.Message)
}

// Track is a track call's body, as the track API takes it.
type Track struct {
	IdempotencyKey string         `json:"idempotencyKey"`
	RedirectURL    string         `json:"redirectUrl,omitempty"`
	Email          string         `json:"email,omitempty"`
	PhoneNumber    string         `json:"phoneNumber,omitempty"`
	Custom         map[string]any `json:"custom,omitempty"`
}

// Decision is the track API's answer to a track call.
type Decision struct {
	State          string   `json:"state"`
	IdempotencyKey string   `json:"idempotencyKey"`
	ActionID       string   `json:"actionId"`
	URL            string   `json:"url"`
	Token          string   `json:"token"`
	RequiredLevel  string   `json:"requiredLevel"`
	AllowedMethods []string `json:"allowedMethods"`
}

// Validation is the answer of /v1/validate: how a challenge ended.
type Validation struct {
	IsValid        bool     `json:"isValid"`
	State          string   `json:"state"`
	ActionID       string   `json:"actionId"`
	UserID         string   `json:"userId"`
	Action         string   `json:"action"`
	IdempotencyKey string   `json:"idempotencyKey"`
	Method         string   `json:"verificationMethod"`
	ACR            string   `json:"acr"`
	AMR            []string `json:"amr"`
}

// Track tracks action for userID: POST /v1/users/{userID}/actions/{action}.
func (c *Client) Track(ctx context.Context, userID, action string, body Track) (Decision, error) {
	var out Decision
	err := c.do(ctx, http.MethodPost, "/v1/users/"+url.PathEscape(userID)+"/actions/"+url.PathEscape(action), body, &out)
	if err == nil && out.State == "" {
		err = errors.New("cognito: stepup's decision has no state")
	}
	return out, err
}

// Recorded reports whether stepup holds a record of action for userID
// under key: GET /v1/users/{userID}/actions/{action}/{key}, where 404 is
// false.
func (c *Client) Recorded(ctx context.Context, userID, action, key string) (bool, error) {
	err := c.do(ctx, http.MethodGet, "/v1/users/"+url.PathEscape(userID)+"/actions/"+url.PathEscape(action)+"/"+url.PathEscape(key), nil, &struct{}{})
	var api *APIError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &api) && api.Status == http.StatusNotFound:
		return false, nil
	}
	return false, err
}

// Validate posts a validation token to /v1/validate. An invalid, expired
// or used token is a Validation with IsValid false, not an error.
func (c *Client) Validate(ctx context.Context, token string) (Validation, error) {
	var out Validation
	err := c.do(ctx, http.MethodPost, "/v1/validate", map[string]string{"token": token}, &out)
	return out, err
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("cognito: %w", err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return fmt.Errorf("cognito: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cognito: stepup could not be reached: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return fmt.Errorf("cognito: stepup's answer could not be read: %w", err)
	}
	if len(data) > maxResponse {
		return fmt.Errorf("cognito: stepup's answer is over %d bytes", maxResponse)
	}
	if resp.StatusCode != http.StatusOK {
		e := &APIError{Status: resp.StatusCode}
		var eb struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(data, &eb) == nil {
			e.Code, e.Message = eb.Error.Code, eb.Error.Message
		}
		return e
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("cognito: stepup's answer is not the JSON expected: %w", err)
	}
	return nil
}
