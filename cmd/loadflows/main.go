// Command loadflows drives complete OpenID Connect authorization-code flows
// with PKCE against a running stepup, as a load test: authorize → sign-in →
// callback → token, each flow with a fresh cookie jar (a new browser) over
// shared keep-alive connections; or the refresh grant alone.
//
//	loadflows -issuer http://localhost:8080 -client load -users 16 -password ... -workers 64 -duration 10s
//
// It prints flows (or refreshes) per second and latency percentiles. Every
// loop is bounded in count and time.
package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const redirectURI = "http://localhost:9/callback"

type driver struct {
	issuer, client, user, password string
	transport                      *http.Transport
}

func main() {
	d := &driver{}
	flag.StringVar(&d.issuer, "issuer", "http://localhost:8080", "the stepup issuer URL")
	flag.StringVar(&d.client, "client", "load", "a public client whose redirect URI is "+redirectURI)
	flag.StringVar(&d.user, "user", "load", "the accounts' name prefix: <user>-0, <user>-1, ... (registered if missing)")
	users := flag.Int("users", 16, "how many accounts the flows sign in as, in turn: stepup throttles "+
		"concurrent sign-ins of one account as guessing")
	flag.StringVar(&d.password, "password", "load-test-password", "its password")
	mode := flag.String("mode", "flows", "flows: full authorization-code flows; refresh: the refresh grant alone")
	workers := flag.Int("workers", 32, "concurrent browsers")
	duration := flag.Duration("duration", 10*time.Second, "how long to run")
	maxOps := flag.Int("max", 1_000_000, "stop after this many operations")
	flag.Parse()
	d.transport = &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute}

	*users = max(*users, 1)
	for i := range *users { // signs each account in, and registers it on first use
		if _, err := d.flow(d.account(i), false, false); err != nil {
			// Signing in first keeps a second run within stepup's limit
			// of registrations per address.
			if _, err := d.flow(d.account(i), true, false); err != nil {
				fmt.Fprintln(os.Stderr, "loadflows: warm-up flow:", err)
				os.Exit(1)
			}
		}
	}
	var next atomic.Int64
	op := func() error { _, err := d.flow(d.account(int(next.Add(1))%*users), false, false); return err }
	if *mode == "refresh" {
		tokens := make(chan string, *workers)
		for i := range *workers {
			t, err := d.flow(d.account(i%*users), false, true)
			if err != nil {
				fmt.Fprintln(os.Stderr, "loadflows: getting a refresh token:", err)
				os.Exit(1)
			}
			tokens <- t
		}
		op = func() error {
			t := <-tokens
			next, err := d.refresh(t)
			if err != nil {
				tokens <- t
				return err
			}
			tokens <- next
			return nil
		}
	}
	run(op, *workers, *duration, *maxOps, *mode)
}

// run calls op from workers goroutines until duration or maxOps, and prints
// the rate and latencies.
func run(op func() error, workers int, duration time.Duration, maxOps int, what string) {
	var (
		count, failed atomic.Int64
		mu            sync.Mutex
		latencies     []time.Duration
		firstErr      atomic.Value
		wg            sync.WaitGroup
	)
	deadline := time.Now().Add(duration)
	start := time.Now()
	for range workers {
		wg.Go(func() {
			var local []time.Duration
			for time.Now().Before(deadline) && count.Add(1) <= int64(maxOps) {
				t0 := time.Now()
				if err := op(); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			latencies = append(latencies, local...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[int(float64(len(latencies)-1)*p)]
	}
	fmt.Printf("%s: %d ok, %d failed in %.1fs with %d workers: %.0f/s; latency p50 %v p99 %v\n",
		what, len(latencies), failed.Load(), elapsed.Seconds(), workers,
		float64(len(latencies))/elapsed.Seconds(), pct(0.5).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond))
	if e := firstErr.Load(); e != nil {
		fmt.Printf("first error: %s\n", e)
	}
}

// account is the name of the i-th account.
func (d *driver) account(i int) string { return fmt.Sprintf("%s-%d", d.user, i) }

// flow runs one authorization-code flow of user in a new browser and
// returns the refresh token when offline is set. register signs up instead
// of in.
func (d *driver) flow(user string, register, offline bool) (string, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Transport: d.transport, Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	verifier := random(32)
	sum := sha256.Sum256([]byte(verifier))
	scope := "openid"
	if offline {
		scope += " offline_access"
	}
	q := url.Values{"client_id": {d.client}, "redirect_uri": {redirectURI}, "response_type": {"code"}, "scope": {scope},
		"state": {random(12)}, "nonce": {random(12)}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"}}
	next := d.issuer + "/authorize?" + q.Encode()
	var page string
	// authorize → the sign-in page
	for range 3 {
		body, loc, err := d.get(c, next)
		if err != nil {
			return "", err
		}
		if loc == "" {
			page = body
			break
		}
		next = d.resolve(loc)
	}
	form := url.Values{"flow": {hidden(page, "flow")}, "csrf": {hidden(page, "csrf")}, "username": {user}, "password": {d.password}}
	path := "/signin"
	if register {
		form.Set("confirm", d.password)
		path = "/register"
	}
	loc, err := d.post(c, d.issuer+path, form)
	if err != nil {
		return "", err
	}
	if register && loc == "" { // taken: the account exists already, sign in instead
		return d.flow(user, false, offline)
	}
	// → the redirect URI with the code
	cb, err := url.Parse(loc)
	if err != nil || cb.Query().Get("code") == "" {
		return "", fmt.Errorf("no code in %q", loc)
	}
	tok, err := d.token(url.Values{"grant_type": {"authorization_code"}, "code": {cb.Query().Get("code")},
		"redirect_uri": {redirectURI}, "client_id": {d.client}, "code_verifier": {verifier}})
	if err != nil {
		return "", err
	}
	return tok.RefreshToken, nil
}

func (d *driver) refresh(token string) (string, error) {
	tok, err := d.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}, "client_id": {d.client}})
	if err != nil {
		return "", err
	}
	return tok.RefreshToken, nil
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token"`
}

func (d *driver) token(form url.Values) (*tokenResponse, error) {
	resp, err := (&http.Client{Transport: d.transport}).PostForm(d.issuer+"/oauth/token", form)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var t tokenResponse
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("token endpoint: %d %s", resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&t); err != nil || t.AccessToken == "" || t.IDToken == "" {
		return nil, errors.New("token endpoint: no tokens")
	}
	return &t, nil
}

func (d *driver) get(c *http.Client, u string) (body, location string, err error) {
	resp, err := c.Get(u)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 {
		return "", "", fmt.Errorf("GET %s: %d", u, resp.StatusCode)
	}
	return string(b), resp.Header.Get("Location"), nil
}

func (d *driver) post(c *http.Client, u string, form url.Values) (string, error) {
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", d.issuer)
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode >= 400 && resp.StatusCode != http.StatusUnprocessableEntity {
		return "", fmt.Errorf("POST %s: %d", u, resp.StatusCode)
	}
	return resp.Header.Get("Location"), nil
}

func (d *driver) resolve(loc string) string {
	if strings.HasPrefix(loc, "/") {
		return d.issuer + loc
	}
	return loc
}

// hidden returns the value of a hidden input of a page.
func hidden(page, name string) string {
	marker := `name="` + name + `" value="`
	i := strings.Index(page, marker)
	if i < 0 {
		return ""
	}
	rest := page[i+len(marker):]
	return strings.ReplaceAll(rest[:strings.IndexByte(rest, '"')], "&#43;", "+")
}

func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
