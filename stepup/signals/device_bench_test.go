package signals

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor/factortest"
)

// Recognize runs on every decision; a user at the cap has 50 devices.
func BenchmarkRecognize(b *testing.B) {
	st := factortest.NewStore(b, nil)
	factortest.NewUser(b, st, "alice")
	d := NewDevices(st.Devices(), DeviceOptions{})
	ctx := context.Background()
	var last string
	for i := range DefaultMaxDevicesPerUser {
		last = testDeviceID(b, fmt.Sprint(i))
		if err := d.Remember(ctx, "alice", last, "Mozilla/5.0", "192.0.2.1", firstSignIn.Add(time.Duration(i)*time.Minute)); err != nil {
			b.Fatal(err)
		}
	}
	now := firstSignIn.Add(time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if sig, err := d.Recognize(ctx, "alice", last, now); err != nil || sig.New || sig.Count != DefaultMaxDevicesPerUser {
			b.Fatalf("Recognize = %+v, %v", sig, err)
		}
	}
}

func BenchmarkDeviceCookieOpen(b *testing.B) {
	c := newDeviceCookie(b, testCookieKey)
	_, value := c.New()
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := c.Open(value); !ok {
			b.Fatal("refused")
		}
	}
}
