package signals

// Device recognition: is the device of this request one the user has
// signed in on before? Recognize answers from the store and writes
// nothing; only Remember, after a successful sign-in or step-up, makes a
// device known. If merely trying made a device known, an attacker with a
// stolen password would try once, fail the second factor, and come back on
// a "known" device.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/stepup-auth/stepup/stepup/store"
)

// DeviceSignal is what the rules know of the request's device.
type DeviceSignal struct {
	// ID is the device id, "" when the request named no device.
	ID string
	// New is true unless the user has signed in on this device before
	// (within the DeviceOptions.ForgetAfter horizon).
	New bool
	// FirstSeen is when the device was first remembered for the user,
	// zero for a new device.
	FirstSeen time.Time
	// Count is how many devices the user has signed in on, this one
	// included when it is known.
	Count int
	// LastIP and LastSeen are where and when the user last signed in or
	// stepped up, on whichever device: the previous sighting that travel
	// compares this request with. Zero without one.
	LastIP   string
	LastSeen time.Time
}

// DeviceOptions configures Devices. A zero field takes its default.
type DeviceOptions struct {
	// MaxPerUser bounds the devices remembered per user (default 50): past
	// it, the least recently seen device is forgotten, so that a user
	// record cannot grow without bound.
	MaxPerUser int
	// ForgetAfter is how long a device stays known after it was last seen
	// (default 400 days: a device cookie set at the last sign-in has
	// expired by then, so the browser cannot present it any more).
	ForgetAfter time.Duration
}

// Defaults of DeviceOptions.
const (
	DefaultMaxDevicesPerUser = 50
	DefaultDeviceForgetAfter = 400 * 24 * time.Hour
)

// rememberAttempts bounds Remember's optimistic retries. Each lost attempt
// means another request's write to the same device won, and a request
// that finds a newer sign-in recorded stops, so k concurrent sign-ins on
// one device need at most k attempts; real ones are two or three.
const rememberAttempts = 8

// maxDeviceFieldLen bounds the user agent and address kept per device,
// which the client chooses, so that a device record has a bounded size.
const maxDeviceFieldLen = 512

// Devices recognises and remembers the devices users sign in on.
type Devices struct {
	store       store.Devices
	maxPerUser  int
	forgetAfter time.Duration
}

// NewDevices returns a Devices over st.
func NewDevices(st store.Devices, opts DeviceOptions) *Devices {
	if opts.MaxPerUser <= 0 {
		opts.MaxPerUser = DefaultMaxDevicesPerUser
	}
	if opts.ForgetAfter <= 0 {
		opts.ForgetAfter = DefaultDeviceForgetAfter
	}
	return &Devices{store: st, maxPerUser: opts.MaxPerUser, forgetAfter: opts.ForgetAfter}
}

// Recognize tells whether the user has signed in on deviceID before, an id
// from DeviceCookie.Open or CallerDeviceID. It only reads. An empty
// deviceID is a new device; an empty userID (no user known yet) is a new
// device of a user with none; a user who does not exist has no devices.
func (d *Devices) Recognize(ctx context.Context, userID, deviceID string, now time.Time) (DeviceSignal, error) {
	if deviceID != "" {
		if err := checkDeviceID(deviceID); err != nil {
			return DeviceSignal{}, err
		}
	}
	sig := DeviceSignal{ID: deviceID, New: true}
	if userID == "" {
		return sig, nil
	}
	// One listing answers both questions from one consistent read, and a
	// user has at most MaxPerUser devices.
	devs, err := d.store.ListByUser(ctx, userID)
	if err != nil {
		return DeviceSignal{}, fmt.Errorf("signals: the devices of a user: %w", err)
	}
	for _, dev := range devs {
		if d.forgotten(dev, now) {
			continue
		}
		sig.Count++
		if deviceID != "" && dev.ID == deviceID {
			sig.New = false
			sig.FirstSeen = dev.FirstSeen
		}
		if dev.LastSeen.After(sig.LastSeen) {
			sig.LastIP, sig.LastSeen = dev.LastIP, dev.LastSeen
		}
	}
	return sig, nil
}

// Remember records that the user signed in or stepped up on deviceID at
// now, from ip with userAgent: it makes the device known, or updates when
// and from where it was last seen. Call it only after a success. An empty
// deviceID remembers nothing. A user who does not exist gives an error
// that wraps store.ErrNotFound.
func (d *Devices) Remember(ctx context.Context, userID, deviceID, userAgent, ip string, now time.Time) error {
	if deviceID == "" {
		return nil
	}
	if err := checkDeviceID(deviceID); err != nil {
		return err
	}
	if userID == "" {
		return errors.New("signals: remember a device: no user")
	}
	userAgent, ip = truncateUTF8(userAgent, maxDeviceFieldLen), truncateUTF8(ip, maxDeviceFieldLen)
	for range rememberAttempts {
		dev, err := d.store.Get(ctx, userID, deviceID)
		switch {
		case err == nil:
			err = d.seen(ctx, dev, userAgent, ip, now)
			// ErrNotFound: forgotten since the Get, to make room for
			// another device; the next attempt creates it again.
			if !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		case errors.Is(err, store.ErrNotFound):
			err = d.create(ctx, &store.Device{
				UserID: userID, ID: deviceID, UserAgent: userAgent, LastIP: ip,
				FirstSeen: now, LastSeen: now,
			})
			// ErrConflict: another request remembered it first; the next
			// attempt updates it.
			if !errors.Is(err, store.ErrConflict) {
				return err
			}
		default:
			return fmt.Errorf("signals: remember a device: %w", err)
		}
	}
	return fmt.Errorf("signals: remember a device: %d attempts lost to concurrent writes: %w", rememberAttempts, store.ErrConflict)
}

// seen updates a known device; store.ErrConflict if another write came
// first.
func (d *Devices) seen(ctx context.Context, dev *store.Device, userAgent, ip string, now time.Time) error {
	if !now.After(dev.LastSeen) {
		return nil // a sign-in as late or later is recorded already
	}
	if d.forgotten(dev, now) {
		// Recognize called it new, so it starts again as one.
		dev.FirstSeen = now
	}
	dev.LastSeen, dev.UserAgent, dev.LastIP = now, userAgent, ip
	if err := d.store.Update(ctx, dev); err != nil {
		return fmt.Errorf("signals: remember a device: %w", err)
	}
	return nil
}

// create stores a new device, then forgets the user's least recently seen
// devices past MaxPerUser. Trimming after the create, not before, means
// that a create that loses a race has forgotten nothing; two creates that
// race may each trim, and then the user has fewer devices than the cap,
// never more for longer than the race.
func (d *Devices) create(ctx context.Context, dev *store.Device) error {
	if err := d.store.Create(ctx, dev); err != nil {
		return fmt.Errorf("signals: remember a device: %w", err)
	}
	devs, err := d.store.ListByUser(ctx, dev.UserID)
	if err != nil {
		return fmt.Errorf("signals: remember a device: list to trim: %w", err)
	}
	devs = slices.DeleteFunc(devs, func(o *store.Device) bool { return o.ID == dev.ID })
	slices.SortFunc(devs, func(a, b *store.Device) int {
		return cmp.Or(a.LastSeen.Compare(b.LastSeen), cmp.Compare(a.ID, b.ID))
	})
	keep := d.maxPerUser - 1 // and the new one
	for i, o := range devs {
		if i >= len(devs)-keep && !d.forgotten(o, dev.LastSeen) {
			break
		}
		err := d.store.Delete(ctx, o.UserID, o.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("signals: remember a device: forget the least recently seen: %w", err)
		}
	}
	return nil
}

// forgotten reports whether dev was last seen longer than ForgetAfter
// before now: then it counts as new, and as none of the user's devices.
func (d *Devices) forgotten(dev *store.Device, now time.Time) bool {
	return !now.Before(dev.LastSeen.Add(d.forgetAfter))
}

// truncateUTF8 cuts s to at most n bytes, on a UTF-8 character boundary.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
