package device_test

import (
	"errors"
	"testing"

	"github.com/stepup-auth/stepup/stepup/factor/push/pushdevice"
)

// One enrolled device, any self-registered user's, must not fill the
// memory of requests seen and so lock every other device out for ten
// minutes: its own requests past its share are refused, others' are not.
func TestOneDeviceCannotFillTheReplayMemoryForEveryone(t *testing.T) {
	e := newEnv(t, envOptions{replays: 1000})
	alice := e.phone(e.alice, "alice's")
	bob, _ := e.st.Users().Get(e.ctx, "bob")
	mallory := e.phone(bob, "bob's")
	// Bob's phone polls as fast as it can, each request new and signed.
	var err error
	for i := 0; i < 1000 && err == nil; i++ {
		_, err = mallory.Next(e.ctx, 0)
	}
	var he *pushdevice.Error
	if err == nil || !errors.As(err, &he) || he.Status != 429 {
		t.Errorf("a device sending a thousand requests in its window: %v, want its own 429 at some point", err)
	}
	if _, err := alice.Next(e.ctx, 0); err != nil {
		t.Fatalf("another user's phone, after one device flooded the API: %v", err)
	}
}
