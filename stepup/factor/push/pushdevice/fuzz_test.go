package pushdevice_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stepup-auth/stepup/stepup/factor/push/pushdevice"
)

// refuse is a transport that sends nothing, so that a fuzzed URI never
// reaches the network.
type refuse struct{}

var errRefused = errors.New("not sent")

func (refuse) RoundTrip(*http.Request) (*http.Response, error) { return nil, errRefused }

// The enrollment URI comes from a QR code, which anyone can print: the
// device reads it without panicking, and sends nothing but an enrollment
// to the server it names.
func FuzzEnrollURI(f *testing.F) {
	f.Add("stepup-push://enroll?server=https%3A%2F%2Fid.example.com&token=a.b")
	f.Add("stepup-push://enroll?server=javascript:alert(1)&token=x")
	f.Add("https://id.example.com")
	f.Add("%")
	f.Fuzz(func(t *testing.T, uri string) {
		d, err := pushdevice.New(pushdevice.Options{Client: &http.Client{Transport: refuse{}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Enroll(context.Background(), uri, "n", "p"); err == nil {
			t.Fatalf("Enroll(%q) succeeded with nothing sent", uri)
		}
		if d.ID() != "" {
			t.Fatalf("Enroll(%q) failed but the device has an id", uri)
		}
	})
}
