package push

import (
	"context"
	"crypto/ecdsa"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/store"
)

// The device's side of the factor: what the device API calls once it has
// checked a request's signature.

var (
	// ErrUnknownDevice means no enrolled push device has the id a request
	// names.
	ErrUnknownDevice = errors.New("push: no such device")
	// ErrNotPending means the push an answer names is not waiting for
	// this device's answer: unknown, expired, answered already, or sent
	// to other devices. The device drops it.
	ErrNotPending = errors.New("push: the push is not waiting for an answer")
)

// Device is an enrolled push device: its authenticator and its key.
type Device struct {
	Authenticator *store.Authenticator
	Key           *ecdsa.PublicKey
}

// ID is the device's id, its authenticator's.
func (d *Device) ID() string { return d.Authenticator.ID }

// UserID is the id of the device's user.
func (d *Device) UserID() string { return d.Authenticator.UserID }

// Device returns the enrolled push device id: ErrUnknownDevice, wrapped,
// if there is none.
func (f *Factor) Device(ctx context.Context, id string) (*Device, error) {
	a, err := f.auths.Get(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("push: device %q: %w", id, ErrUnknownDevice)
	case err != nil:
		return nil, fmt.Errorf("push: device %q: %w", id, err)
	}
	if a.Method != acr.Push || !a.Verified {
		return nil, fmt.Errorf("push: authenticator %q is not a push device: %w", id, ErrUnknownDevice)
	}
	key, err := parseKeyDER(a.PublicKey)
	if err != nil {
		// Stored at enrollment after the same check: a damaged record.
		return nil, fmt.Errorf("push: device %q: the stored key: %w", id, err)
	}
	return &Device{Authenticator: a, Key: key}, nil
}

// Push is a push as its device sees it: what to offer, and until when.
type Push struct {
	ID string
	// Choices are the numbers to offer; the user picks the one their
	// page shows.
	Choices []int
	Created time.Time
	Expires time.Time
}

// Pending returns the pushes waiting for d's answer, oldest first.
func (f *Factor) Pending(ctx context.Context, d *Device) ([]Push, error) {
	all, err := f.challenges.ListByUser(ctx, d.UserID())
	if err != nil {
		return nil, fmt.Errorf("push: pushes of device %q: %w", d.ID(), err)
	}
	var out []Push
	for _, c := range all {
		if r, ok := decode(c, kindPush); ok && c.Method == acr.Push && r.State == StatePending && slices.Contains(r.Authenticators, d.ID()) {
			out = append(out, Push{ID: c.ID, Choices: slices.Clone(r.Choices), Created: c.CreatedAt, Expires: c.ExpiresAt})
		}
	}
	slices.SortFunc(out, func(a, b Push) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// Decision is a device's answer to a push: approve with the number the
// user picked, or deny.
type Decision struct {
	Approve bool
	Number  int
}

// Answer records d's decision on push id and returns the state it put the
// push in: StateApproved only for an approval with the number the page
// shows, StateWrongNumber for one with another, StateDenied for a deny.
// Either of the last two starts the cool-off. A push takes one answer:
// ErrNotPending, wrapped, for any after it, and for a push that is not
// d's to answer.
func (f *Factor) Answer(ctx context.Context, d *Device, id string, dec Decision) (State, error) {
	c, err := f.challenges.Get(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", fmt.Errorf("push: %q: %w", id, ErrNotPending)
	case err != nil:
		return "", fmt.Errorf("push: %q: %w", id, err)
	}
	r, ok := decode(c, kindPush)
	if !ok || c.Method != acr.Push || c.UserID != d.UserID() || !slices.Contains(r.Authenticators, d.ID()) {
		return "", fmt.Errorf("push: %q was not sent to device %q: %w", id, d.ID(), ErrNotPending)
	}
	if r.State != StatePending {
		return "", fmt.Errorf("push: %q is %s: %w", id, r.State, ErrNotPending)
	}
	now := f.now()
	switch {
	case !dec.Approve:
		r.State = StateDenied
	case dec.Number >= lowest && dec.Number <= highest &&
		subtle.ConstantTimeEq(int32(dec.Number), int32(r.Number)) == 1:
		r.State = StateApproved
	default:
		r.State = StateWrongNumber
	}
	r.Authenticator, r.AnsweredAt = d.ID(), now
	c.Data = r.encode()
	// The compare-and-set on the version read above: of two answers
	// racing, from two devices or a replayed request, one wins.
	switch err := f.challenges.Update(ctx, c); {
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
		return "", fmt.Errorf("push: %q was answered meanwhile: %w", id, ErrNotPending)
	case err != nil:
		return "", fmt.Errorf("push: %q: %w", id, err)
	}
	// The cool-off starts before the pending push is freed: the other way
	// round, a push asked for in between would pass both.
	if r.State != StateApproved {
		if err := f.coolOff(ctx, c.UserID, c.FlowID, now); err != nil {
			// The answer stands; the page's next poll starts the cool-off.
			f.log.WarnContext(ctx, "push: the cool-off after a refused push could not be started", "push", id, "err", err)
		}
	}
	f.release(ctx, c.UserID, c.ID)
	return r.State, nil
}
