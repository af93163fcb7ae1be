package deliver_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor/deliver"
)

// FuzzVerifyWebhook feeds VerifyWebhook hostile headers: it must never
// panic, and never accept a request not signed with the secret.
func FuzzVerifyWebhook(f *testing.F) {
	now := time.Unix(1795960800, 0)
	ok := signed(webhookSecret, now.Unix(), "{}")
	f.Add(ok.Get(deliver.HeaderTimestamp), ok.Get(deliver.HeaderSignature), []byte("{}"))
	f.Add("1795960800", "v1=,v1=zz,,v1", []byte(""))
	f.Add("-1", "v1=00", []byte("x"))
	f.Add("99999999999999999999", "", []byte("x"))
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(deliver.HeaderTimestamp, ts)
		h.Set(deliver.HeaderSignature, sig)
		if deliver.VerifyWebhook([]byte("a different secret, 32 bytes long"), h, body, now) == nil {
			t.Fatalf("accepted %q %q without the secret", ts, sig)
		}
		_ = deliver.VerifyWebhook(webhookSecret, h, body, now)
	})
}
