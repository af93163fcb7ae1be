package signals

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stepup-auth/stepup/stepup/factor/factortest"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/conformance"
)

var firstSignIn = conformance.Start

// newDevices returns Devices over a fresh store that holds the user alice.
func newDevices(t *testing.T, opts DeviceOptions) (*Devices, store.Store) {
	t.Helper()
	st := factortest.NewStore(t, nil)
	factortest.NewUser(t, st, "alice")
	return NewDevices(st.Devices(), opts), st
}

// testDeviceID returns a caller device id for a short name.
func testDeviceID(t testing.TB, name string) string {
	t.Helper()
	id, err := CallerDeviceID("device-" + name)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustRecognize(t *testing.T, d *Devices, userID, deviceID string, now time.Time) DeviceSignal {
	t.Helper()
	sig, err := d.Recognize(context.Background(), userID, deviceID, now)
	if err != nil {
		t.Fatalf("Recognize(%q, %q): %v", userID, deviceID, err)
	}
	return sig
}

func mustRemember(t *testing.T, d *Devices, userID, deviceID string, now time.Time) {
	t.Helper()
	if err := d.Remember(context.Background(), userID, deviceID, "Mozilla/5.0", "192.0.2.1", now); err != nil {
		t.Fatalf("Remember(%q, %q): %v", userID, deviceID, err)
	}
}

func TestDeviceKnownOnlyAfterRemember(t *testing.T) {
	d, _ := newDevices(t, DeviceOptions{})
	laptop, phone := testDeviceID(t, "laptop"), testDeviceID(t, "phone")

	// Trying, however often, makes no device known.
	for range 3 {
		if got, want := mustRecognize(t, d, "alice", laptop, firstSignIn), (DeviceSignal{ID: laptop, New: true}); got != want {
			t.Fatalf("before any sign-in: %+v, want %+v", got, want)
		}
	}
	mustRemember(t, d, "alice", laptop, firstSignIn)
	if got, want := mustRecognize(t, d, "alice", laptop, firstSignIn.Add(time.Hour)), (DeviceSignal{ID: laptop, FirstSeen: firstSignIn, Count: 1, LastIP: "192.0.2.1", LastSeen: firstSignIn}); got != want {
		t.Fatalf("after a sign-in: %+v, want %+v", got, want)
	}
	if got, want := mustRecognize(t, d, "alice", phone, firstSignIn.Add(time.Hour)), (DeviceSignal{ID: phone, New: true, Count: 1, LastIP: "192.0.2.1", LastSeen: firstSignIn}); got != want {
		t.Fatalf("another device: %+v, want %+v", got, want)
	}
	mustRemember(t, d, "alice", phone, firstSignIn.Add(2*time.Hour))
	mustRemember(t, d, "alice", laptop, firstSignIn.Add(3*time.Hour))
	if got, want := mustRecognize(t, d, "alice", phone, firstSignIn.Add(4*time.Hour)), (DeviceSignal{ID: phone, FirstSeen: firstSignIn.Add(2 * time.Hour), Count: 2,
		LastIP: "192.0.2.1", LastSeen: firstSignIn.Add(3 * time.Hour)}); got != want { // the laptop's, the latest
		t.Fatalf("the second device: %+v, want %+v", got, want)
	}
	if got, want := mustRecognize(t, d, "alice", "", firstSignIn), (DeviceSignal{New: true, Count: 2, LastIP: "192.0.2.1", LastSeen: firstSignIn.Add(3 * time.Hour)}); got != want {
		t.Fatalf("no device id: %+v, want %+v", got, want)
	}
}

func TestDeviceIsPerUser(t *testing.T) {
	d, st := newDevices(t, DeviceOptions{})
	factortest.NewUser(t, st, "bob")
	laptop := testDeviceID(t, "laptop")
	mustRemember(t, d, "alice", laptop, firstSignIn)
	if got := mustRecognize(t, d, "bob", laptop, firstSignIn); !got.New || got.Count != 0 {
		t.Fatalf("alice's device for bob: %+v, want new and none", got)
	}
}

func TestRememberUpdatesLastSeen(t *testing.T) {
	d, st := newDevices(t, DeviceOptions{})
	laptop := testDeviceID(t, "laptop")
	ctx := context.Background()
	mustRemember(t, d, "alice", laptop, firstSignIn)
	if err := d.Remember(ctx, "alice", laptop, "Firefox", "2001:db8::1", firstSignIn.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// A sign-in that finishes after a later one changes nothing.
	if err := d.Remember(ctx, "alice", laptop, "Old", "198.51.100.7", firstSignIn.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	dev, err := st.Devices().Get(ctx, "alice", laptop)
	if err != nil {
		t.Fatal(err)
	}
	if !dev.FirstSeen.Equal(firstSignIn) || !dev.LastSeen.Equal(firstSignIn.Add(time.Hour)) || dev.UserAgent != "Firefox" || dev.LastIP != "2001:db8::1" {
		t.Fatalf("device %+v: want first seen %v, last seen an hour later from Firefox at 2001:db8::1", dev, firstSignIn)
	}
}

func TestRememberKeepsAtMostMaxPerUser(t *testing.T) {
	d, st := newDevices(t, DeviceOptions{MaxPerUser: 3})
	ids := make([]string, 6)
	for i := range ids {
		ids[i] = testDeviceID(t, fmt.Sprint(i))
	}
	mustRemember(t, d, "alice", ids[0], firstSignIn)
	mustRemember(t, d, "alice", ids[1], firstSignIn.Add(1*time.Minute))
	mustRemember(t, d, "alice", ids[2], firstSignIn.Add(2*time.Minute))
	mustRemember(t, d, "alice", ids[0], firstSignIn.Add(3*time.Minute)) // 0 is now more recent than 1
	mustRemember(t, d, "alice", ids[3], firstSignIn.Add(4*time.Minute))
	now := firstSignIn.Add(5 * time.Minute)
	for i, known := range []bool{true, false, true, true} {
		sig := mustRecognize(t, d, "alice", ids[i], now)
		if sig.New == known || sig.Count != 3 {
			t.Errorf("device %d: %+v, want known %v of 3", i, sig, known)
		}
	}
	// The cap holds as more come.
	mustRemember(t, d, "alice", ids[4], firstSignIn.Add(6*time.Minute))
	mustRemember(t, d, "alice", ids[5], firstSignIn.Add(7*time.Minute))
	devs, err := st.Devices().ListByUser(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, dev := range devs {
		got = append(got, strings.TrimPrefix(dev.ID, "caller:device-"))
	}
	if strings.Join(got, ",") != "3,4,5" {
		t.Fatalf("devices kept %v, want the three most recently seen: 3, 4, 5", got)
	}
}

func TestDeviceForgottenAfterForgetAfter(t *testing.T) {
	d, st := newDevices(t, DeviceOptions{ForgetAfter: 10 * 24 * time.Hour})
	laptop, phone := testDeviceID(t, "laptop"), testDeviceID(t, "phone")
	mustRemember(t, d, "alice", laptop, firstSignIn)
	later := firstSignIn.Add(10 * 24 * time.Hour)
	if got := mustRecognize(t, d, "alice", laptop, later.Add(-time.Second)); got.New || got.Count != 1 {
		t.Fatalf("a second before the horizon: %+v, want known", got)
	}
	if got, want := mustRecognize(t, d, "alice", laptop, later), (DeviceSignal{ID: laptop, New: true}); got != want {
		t.Fatalf("at the horizon: %+v, want %+v", got, want)
	}
	// Signing in again on it starts it over.
	mustRemember(t, d, "alice", laptop, later)
	if got, want := mustRecognize(t, d, "alice", laptop, later), (DeviceSignal{ID: laptop, FirstSeen: later, Count: 1, LastIP: "192.0.2.1", LastSeen: later}); got != want {
		t.Fatalf("remembered again: %+v, want %+v", got, want)
	}
	// A new device clears out forgotten ones, whatever the cap.
	mustRemember(t, d, "alice", phone, later.Add(10*24*time.Hour))
	devs, err := st.Devices().ListByUser(context.Background(), "alice")
	if err != nil || len(devs) != 1 || devs[0].ID != phone {
		t.Fatalf("devices kept %+v, %v; want the phone alone", devs, err)
	}
}

func TestRememberConcurrentlyOneDevice(t *testing.T) {
	d, st := newDevices(t, DeviceOptions{})
	laptop := testDeviceID(t, "laptop")
	const n = rememberAttempts
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			<-start
			errs <- d.Remember(context.Background(), "alice", laptop, fmt.Sprint("agent ", i), "192.0.2.1", firstSignIn.Add(time.Duration(i)*time.Second))
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Remember: %v", err)
		}
	}
	devs, err := st.Devices().ListByUser(context.Background(), "alice")
	if err != nil || len(devs) != 1 {
		t.Fatalf("devices %+v, %v; want one", devs, err)
	}
	// Whatever the order, the latest sign-in wins, and the first is kept.
	last := firstSignIn.Add((n - 1) * time.Second)
	if dev := devs[0]; !dev.LastSeen.Equal(last) || dev.UserAgent != fmt.Sprint("agent ", n-1) || dev.FirstSeen.After(last) {
		t.Fatalf("device %+v: want last seen %v by agent %d", dev, last, n-1)
	}
}

func TestRememberConcurrentlyManyDevicesKeepsTheCap(t *testing.T) {
	d, st := newDevices(t, DeviceOptions{MaxPerUser: 4})
	var wg sync.WaitGroup
	for i := range 16 {
		id := testDeviceID(t, fmt.Sprint(i))
		wg.Go(func() {
			if err := d.Remember(context.Background(), "alice", id, "", "", firstSignIn.Add(time.Duration(i)*time.Second)); err != nil {
				t.Errorf("Remember: %v", err)
			}
		})
	}
	wg.Wait()
	devs, err := st.Devices().ListByUser(context.Background(), "alice")
	if err != nil || len(devs) == 0 || len(devs) > 4 {
		t.Fatalf("%d devices, %v; want 1 to 4", len(devs), err)
	}
}

func TestDevicesOfAnUnknownUser(t *testing.T) {
	d, _ := newDevices(t, DeviceOptions{})
	laptop := testDeviceID(t, "laptop")
	if got, want := mustRecognize(t, d, "nobody", laptop, firstSignIn), (DeviceSignal{ID: laptop, New: true}); got != want {
		t.Fatalf("Recognize: %+v, want %+v", got, want)
	}
	if got, want := mustRecognize(t, d, "", laptop, firstSignIn), (DeviceSignal{ID: laptop, New: true}); got != want {
		t.Fatalf("Recognize with no user: %+v, want %+v", got, want)
	}
	if err := d.Remember(context.Background(), "nobody", laptop, "", "", firstSignIn); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Remember for a user who does not exist: %v, want store.ErrNotFound", err)
	}
	if err := d.Remember(context.Background(), "", laptop, "", "", firstSignIn); err == nil {
		t.Fatal("Remember with no user: no error")
	}
}

func TestDevicesRefuseIDsWithoutANamespace(t *testing.T) {
	d, st := newDevices(t, DeviceOptions{})
	ctx := context.Background()
	if _, err := d.Recognize(ctx, "alice", "1b4e28ba-2fa1-11d2", firstSignIn); !errors.Is(err, ErrInvalidDeviceID) {
		t.Errorf("Recognize of a raw id: %v, want ErrInvalidDeviceID", err)
	}
	if err := d.Remember(ctx, "alice", "1b4e28ba-2fa1-11d2", "", "", firstSignIn); !errors.Is(err, ErrInvalidDeviceID) {
		t.Errorf("Remember of a raw id: %v, want ErrInvalidDeviceID", err)
	}
	if err := d.Remember(ctx, "alice", "", "", "", firstSignIn); err != nil {
		t.Errorf("Remember of no device: %v", err)
	}
	if devs, _ := st.Devices().ListByUser(ctx, "alice"); len(devs) != 0 {
		t.Fatalf("devices %+v stored, want none", devs)
	}
}

func TestRememberBoundsWhatItKeeps(t *testing.T) {
	d, st := newDevices(t, DeviceOptions{})
	laptop := testDeviceID(t, "laptop")
	agent := strings.Repeat("é", maxDeviceFieldLen) // two bytes each
	if err := d.Remember(context.Background(), "alice", laptop, agent, strings.Repeat("1", 2000), firstSignIn); err != nil {
		t.Fatal(err)
	}
	dev, err := st.Devices().Get(context.Background(), "alice", laptop)
	if err != nil {
		t.Fatal(err)
	}
	if len(dev.UserAgent) != maxDeviceFieldLen || !utf8.ValidString(dev.UserAgent) || len(dev.LastIP) != maxDeviceFieldLen {
		t.Fatalf("kept a %d-byte user agent (valid UTF-8: %v) and a %d-byte address; want %d bytes each",
			len(dev.UserAgent), utf8.ValidString(dev.UserAgent), len(dev.LastIP), maxDeviceFieldLen)
	}
	if got := truncateUTF8("aé", 2); got != "a" {
		t.Fatalf("truncateUTF8 cut a character in two: %q", got)
	}
}

// conflictingDevices loses every update, as if another request always
// wrote first.
type conflictingDevices struct {
	store.Devices
	updates atomic.Int32
}

func (c *conflictingDevices) Update(context.Context, *store.Device) error {
	c.updates.Add(1)
	return store.ErrConflict
}

func TestRememberGivesUpAfterBoundedConflicts(t *testing.T) {
	_, st := newDevices(t, DeviceOptions{})
	laptop := testDeviceID(t, "laptop")
	cd := &conflictingDevices{Devices: st.Devices()}
	d := NewDevices(cd, DeviceOptions{})
	mustRemember(t, d, "alice", laptop, firstSignIn) // a create: no update yet
	err := d.Remember(context.Background(), "alice", laptop, "", "", firstSignIn.Add(time.Hour))
	if !errors.Is(err, store.ErrConflict) || !strings.HasPrefix(err.Error(), "signals: ") {
		t.Fatalf("Remember that always loses: %v, want store.ErrConflict", err)
	}
	if got := cd.updates.Load(); got != rememberAttempts {
		t.Fatalf("%d updates tried, want %d", got, rememberAttempts)
	}
}

// racingDevices lets another request create each device just before
// Remember's own Create, which then finds it taken.
type racingDevices struct {
	store.Devices
	other time.Time // when the other request signed in
}

func (r racingDevices) Create(ctx context.Context, d *store.Device) error {
	first := *d
	first.FirstSeen, first.LastSeen, first.UserAgent = r.other, r.other, "the other request"
	if err := r.Devices.Create(ctx, &first); err != nil {
		return err
	}
	return r.Devices.Create(ctx, d)
}

func TestRememberAfterAConcurrentCreateUpdates(t *testing.T) {
	_, st := newDevices(t, DeviceOptions{})
	laptop := testDeviceID(t, "laptop")
	d := NewDevices(racingDevices{Devices: st.Devices(), other: firstSignIn}, DeviceOptions{})
	if err := d.Remember(context.Background(), "alice", laptop, "this request", "", firstSignIn.Add(time.Second)); err != nil {
		t.Fatalf("Remember that lost the create: %v", err)
	}
	dev, err := st.Devices().Get(context.Background(), "alice", laptop)
	if err != nil {
		t.Fatal(err)
	}
	if !dev.FirstSeen.Equal(firstSignIn) || !dev.LastSeen.Equal(firstSignIn.Add(time.Second)) || dev.UserAgent != "this request" {
		t.Fatalf("device %+v: want first seen by the other request, last by this one", dev)
	}
}
