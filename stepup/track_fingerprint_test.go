package stepup

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/netip"
	"testing"
)

// TestFingerprintKeepsItsBytes checks that a call with no vouched
// destinations hashes the bytes records stored before vouching existed
// were keyed with, so that their retries are still told from new calls;
// and that a vouched address makes another call.
func TestFingerprintKeepsItsBytes(t *testing.T) {
	r := Track{ClientID: "k1", Origin: Origin{IP: netip.MustParseAddr("198.51.100.7"), UserAgent: "UA", DeviceID: "d"}, RedirectURL: "https://app.example/done"}
	custom := json.RawMessage(`{"amount":1500}`)
	old, _ := json.Marshal(struct {
		Client, Device, UserAgent, IP, Redirect string
		Custom                                  json.RawMessage
	}{r.ClientID, r.DeviceID, r.UserAgent, r.IP.String(), r.RedirectURL, custom})
	sum := sha256.Sum256(old)
	if got, want := fingerprintOf(r, custom), base64.RawURLEncoding.EncodeToString(sum[:]); got != want {
		t.Fatalf("fingerprint %s, want the stored records' %s", got, want)
	}
	vouched := r
	vouched.Vouched = Vouched{Email: "pat@example.com"}
	if fingerprintOf(vouched, custom) == fingerprintOf(r, custom) {
		t.Fatal("a vouched address does not change the fingerprint")
	}
}
