package magiclink_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor/magiclink"
)

func TestNewRefusesBadOptions(t *testing.T) {
	e := newEnv(t)
	cases := map[string]struct {
		edit func(*magiclink.Options)
		want string
	}{
		"no challenges":      {func(o *magiclink.Options) { o.Challenges = nil }, "option Challenges is required"},
		"no sender":          {func(o *magiclink.Options) { o.Sender = nil }, "option Sender is required"},
		"short key":          {func(o *magiclink.Options) { o.Key = bytes.Repeat([]byte("k"), 31) }, "at least 32 bytes but it has 31"},
		"http base":          {func(o *magiclink.Options) { o.BaseURL = "http://id.example.test" }, "must be https"},
		"relative base":      {func(o *magiclink.Options) { o.BaseURL = "/magic" }, "absolute URL"},
		"base with a query":  {func(o *magiclink.Options) { o.BaseURL = baseURL + "/?x=1" }, "no user, query or fragment"},
		"no site":            {func(o *magiclink.Options) { o.Site = " " }, "option Site is required"},
		"too long a life":    {func(o *magiclink.Options) { o.Lifetime = 11 * time.Minute }, "between 0 and 10m0s but it is 11m0s"},
		"a negative life":    {func(o *magiclink.Options) { o.Lifetime = -time.Second }, "between 0 and 10m0s"},
		"http to a loopback": {func(o *magiclink.Options) { o.BaseURL = "http://127.0.0.1:8080/" }, ""},
		"https with a path":  {func(o *magiclink.Options) { o.BaseURL = baseURL + "/auth/" }, ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			o := e.o
			c.edit(&o)
			_, err := magiclink.New(o)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("New: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "magiclink: ")):
				t.Fatalf("New: %v, want an error with %q", err, c.want)
			}
		})
	}
	t.Run("every problem at once", func(t *testing.T) {
		_, err := magiclink.New(magiclink.Options{})
		if err == nil || strings.Count(err.Error(), "magiclink: ") != 7 {
			t.Fatalf("New of no options: %v, want seven problems", err)
		}
	})
}

// A base URL with a path puts the link under it.
func TestLinkUnderTheBasePath(t *testing.T) {
	e := newEnv(t, func(o *magiclink.Options) { o.BaseURL = baseURL + "/auth/" })
	if _, err := e.f.BeginVerify(t.Context(), e.target()); err != nil {
		t.Fatal(err)
	}
	text, _ := parts(t, e.mb.received()[0].data)
	if !strings.Contains(text, baseURL+"/auth"+magiclink.Path+"?token=") {
		t.Fatalf("the link is not under /auth:\n%s", text)
	}
}
