package deliver_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor/deliver"
)

func TestRendererLocale(t *testing.T) {
	r, err := deliver.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ lang, want string }{
		{"de", "de"},
		{"de-AT", "de"},
		{"fr-CH, de;q=0.8, en;q=0.5", "de"},
		{"en-GB", "en"},
		{"fr", "en"},
		{"", "en"},
		{"not a tag!", "en"},
	} {
		if got := r.Locale(tc.lang); got != tc.want {
			t.Errorf("Locale(%q) = %q, want %q", tc.lang, got, tc.want)
		}
	}
}

func TestRenderOTP(t *testing.T) {
	r, err := deliver.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	d := deliver.Data{Site: `Bank <script>"x"</script>`, Code: "492817", Lifetime: 9*time.Minute + time.Second}
	for _, tc := range []struct{ lang, subject, text string }{
		{"en", "492817 is your Bank", "valid for 10 minutes"},
		{"de-DE", "492817 ist Ihr Bestätigungscode", "10 Minuten gültig"},
		{"fr", "492817 is your Bank", "valid for 10 minutes"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			c, err := r.Render(deliver.KindOTP, deliver.Email, tc.lang, d)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(c.Subject, tc.subject) || strings.Contains(c.Subject, "\n") {
				t.Errorf("subject %q", c.Subject)
			}
			if !strings.Contains(c.Text, "492817") || !strings.Contains(c.Text, tc.text) || !strings.Contains(c.Text, d.Site) {
				t.Errorf("text %q", c.Text)
			}
			if !strings.Contains(c.HTML, "492817") || strings.Contains(c.HTML, "<script>") || !strings.Contains(c.HTML, "&lt;script&gt;") {
				t.Errorf("html not escaped or without the code: %s", c.HTML)
			}
			sms, err := r.Render(deliver.KindOTP, deliver.SMS, tc.lang, d)
			if err != nil {
				t.Fatal(err)
			}
			if sms.Subject != "" || sms.HTML != "" || !strings.HasPrefix(sms.Text, "492817 ") || strings.HasSuffix(sms.Text, "\n") {
				t.Errorf("sms %+v", sms)
			}
		})
	}
}

func TestRenderMagicLink(t *testing.T) {
	r, err := deliver.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	link := "https://id.bank.test/magic?t=abc&flow=1"
	c, err := r.Render(deliver.KindMagicLink, deliver.Email, "de", deliver.Data{Site: "Bank", URL: link, Lifetime: 15 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.Text, link) || !strings.Contains(c.Subject, "Anmeldelink") {
		t.Errorf("text %q subject %q", c.Text, c.Subject)
	}
	if !strings.Contains(c.HTML, `href="https://id.bank.test/magic?t=abc&amp;flow=1"`) {
		t.Errorf("html without the escaped link: %s", c.HTML)
	}
	c, err = r.Render(deliver.KindMagicLink, deliver.Email, "en", deliver.Data{URL: "javascript:alert(1)"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(c.HTML, `href="javascript:`) {
		t.Errorf("html links to a script: %s", c.HTML)
	}
}

func TestRenderRefuses(t *testing.T) {
	r, err := deliver.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func() error{
		"otp without code": func() error { _, err := r.Render(deliver.KindOTP, deliver.Email, "en", deliver.Data{}); return err },
		"link without url": func() error {
			_, err := r.Render(deliver.KindMagicLink, deliver.Email, "en", deliver.Data{})
			return err
		},
		"unknown kind":    func() error { _, err := r.Render("push", deliver.Email, "en", deliver.Data{Code: "1"}); return err },
		"unknown channel": func() error { _, err := r.Render(deliver.KindOTP, "pigeon", "en", deliver.Data{Code: "1"}); return err },
		"magic link by sms": func() error {
			_, err := r.Render(deliver.KindMagicLink, deliver.SMS, "en", deliver.Data{URL: "https://x"})
			return err
		},
	} {
		if f() == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
