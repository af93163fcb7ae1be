package stepup

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/stepup-auth/stepup/stepup/store"
)

// UpstreamIdentity is who an upstream OpenID Provider's verified ID token
// says signed in.
type UpstreamIdentity struct {
	Upstream      string // the configured upstream's id
	Issuer        string
	Subject       string
	Email         string
	EmailVerified bool
	Username      string
	Name          string
	// AuthTime is the upstream's auth_time; zero when it sent none, and
	// then how old its sign-in is cannot be known.
	AuthTime time.Time
}

// ErrUpstreamUser means an upstream identity is linked to a stepup user
// who is disabled or gone: the upstream sign-in does not sign them in.
var ErrUpstreamUser = errors.New("stepup: the linked user is disabled or gone")

// Federation links upstream identities to stepup users.
type Federation struct {
	users store.Users
	links store.UpstreamLinks
	now   func() time.Time
	rand  io.Reader
}

// NewFederation returns the linking service; now and random default to the
// real clock and crypto/rand.
func NewFederation(users store.Users, links store.UpstreamLinks, now func() time.Time, random io.Reader) *Federation {
	if now == nil {
		now = time.Now
	}
	if random == nil {
		random = rand.Reader
	}
	return &Federation{users: users, links: links, now: now, rand: random}
}

// Link returns the user an upstream identity is linked to, linking it
// first if it is new: to the existing user with the same email when
// byEmail is set and both the upstream and stepup say the address is
// verified, else to a new user.
//
// Only (issuer, subject) identifies an upstream user. An email is a claim
// anyone can make at many providers; linking by an unverified one would
// hand the stepup account of that address to whoever typed it upstream,
// and linking to a stepup account whose own address is unverified would
// let whoever registered it first wait for the real owner (pre-hijacking).
func (f *Federation) Link(ctx context.Context, id UpstreamIdentity, byEmail bool) (*store.User, error) {
	if id.Issuer == "" || id.Subject == "" {
		return nil, errors.New("stepup: an upstream identity needs an issuer and a subject")
	}
	for range 3 { // a lost race to link the same new identity reads the winner's link
		u, err := f.linked(ctx, id)
		if !errors.Is(err, store.ErrNotFound) {
			return u, err
		}
		u, created, err := f.target(ctx, id, byEmail)
		if err != nil {
			return nil, err
		}
		link := &store.UpstreamLink{Issuer: id.Issuer, Subject: id.Subject, UserID: u.ID, Upstream: id.Upstream, CreatedAt: f.now()}
		switch err := f.links.Create(ctx, link); {
		case err == nil:
			return u, nil
		case errors.Is(err, store.ErrConflict):
			if created {
				// The user made for this identity would be an orphan.
				if err := f.users.Delete(ctx, u.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
					return nil, fmt.Errorf("stepup: link upstream identity: %w", err)
				}
			}
		default:
			return nil, fmt.Errorf("stepup: link upstream identity: %w", err)
		}
	}
	return nil, errors.New("stepup: link upstream identity: it kept changing while linked")
}

// linked returns the active user the identity is linked to; ErrNotFound
// when it is linked to no one.
func (f *Federation) linked(ctx context.Context, id UpstreamIdentity) (*store.User, error) {
	l, err := f.links.Get(ctx, id.Issuer, id.Subject)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("stepup: find upstream link: %w", err)
	}
	u, err := f.users.Get(ctx, l.UserID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, ErrUpstreamUser
	case err != nil:
		return nil, fmt.Errorf("stepup: find linked user: %w", err)
	case u.Disabled:
		return nil, ErrUpstreamUser
	}
	return u, nil
}

// target is the user a new identity is to be linked to, and whether it
// was made for it.
func (f *Federation) target(ctx context.Context, id UpstreamIdentity, byEmail bool) (*store.User, bool, error) {
	email := canonicalEmail(id.Email)
	if byEmail && id.EmailVerified && email != "" {
		u, err := f.users.GetByEmail(ctx, email)
		switch {
		case err == nil && u.EmailVerified && !u.Disabled:
			// Not to an account already linked to another subject of
			// this issuer: the address has passed from that upstream
			// account to this one, and the account is the first's.
			taken, err := f.linkedAt(ctx, u.ID, id.Issuer)
			if err != nil {
				return nil, false, err
			}
			if !taken {
				return u, false, nil
			}
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return nil, false, fmt.Errorf("stepup: find user by email: %w", err)
		}
	}
	u, err := f.create(ctx, id, email)
	return u, err == nil, err
}

// linkedAt reports whether the user has an identity at issuer linked.
func (f *Federation) linkedAt(ctx context.Context, userID, issuer string) (bool, error) {
	links, err := f.links.ListByUser(ctx, userID)
	if err != nil {
		return false, fmt.Errorf("stepup: list upstream links: %w", err)
	}
	for _, l := range links {
		if l.Issuer == issuer {
			return true, nil
		}
	}
	return false, nil
}

// create makes a user for a new upstream identity. It takes the email
// only when the upstream verified it and no one has it: a new account
// never claims an address it has not proved.
func (f *Federation) create(ctx context.Context, id UpstreamIdentity, email string) (*store.User, error) {
	var raw [16]byte
	if _, err := io.ReadFull(f.rand, raw[:]); err != nil {
		return nil, fmt.Errorf("stepup: new upstream user id: %w", err)
	}
	now := f.now()
	name := id.Name
	if name == "" {
		name = id.Username
	}
	u := &store.User{
		ID:          base64.RawURLEncoding.EncodeToString(raw[:]),
		DisplayName: name,
		Attributes:  map[string]string{"upstream": id.Upstream},
		CreatedAt:   now,
		UpdatedAt:   now,
	}
	if id.EmailVerified && email != "" {
		u.Email, u.EmailVerified = email, true
	}
	err := f.users.Create(ctx, u)
	if errors.Is(err, store.ErrConflict) && u.Email != "" {
		// The address is another user's, whom this identity may not
		// take over: the new user goes without it.
		u.Email, u.EmailVerified = "", false
		err = f.users.Create(ctx, u)
	}
	if err != nil {
		return nil, fmt.Errorf("stepup: create upstream user: %w", err)
	}
	return u, nil
}

// canonicalEmail is an address as stepup stores a user's email: in
// lower case, as the store's uniqueness asks (store.User) and as the email
// OTP factor makes a proved address the user's, so that "Alice@x.example"
// and "alice@x.example" are one mailbox and one account.
func canonicalEmail(raw string) string {
	return strings.ToLower(strings.TrimSpace(raw))
}
