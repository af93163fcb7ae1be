package magiclink

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/deliver"
	"github.com/stepup-auth/stepup/stepup/store"
)

// BeginVerify sends a link to one of t.UserID's verified email addresses
// (t.Authenticators[0] when set, else the first) and returns the prompt
// of the tab that waits for it: the challenge id and the masked address.
// The challenge is bound to t.FlowID and t.Browser, which must be set. A
// failed send leaves no challenge and wraps deliver.ErrUndelivered.
func (f *Factor) BeginVerify(ctx context.Context, t factor.Target) (factor.Prompt, error) {
	if t.UserID == "" || t.FlowID == "" || t.Browser == "" {
		return factor.Prompt{}, errors.New("magiclink: a link is bound to a user, a flow and a browser: the target lacks one")
	}
	auth, err := f.address(ctx, t)
	if err != nil {
		return factor.Prompt{}, err
	}
	now := f.now()
	if f.throttle != nil {
		if err := f.throttle.Allow(auth.Destination, now); err != nil {
			return factor.Prompt{}, fmt.Errorf("magiclink: sending to %s: %w", deliver.Mask(auth.Destination), err)
		}
	}
	id, err := f.newID()
	if err != nil {
		return factor.Prompt{}, err
	}
	d, err := data{Authenticator: auth.ID, Browser: f.browserHash(t.Browser), State: pending}.encode()
	if err != nil {
		return factor.Prompt{}, err
	}
	c := &store.Challenge{
		ID: id, Method: acr.EmailMagicLink, UserID: t.UserID, FlowID: t.FlowID,
		Data: d, MaxAttempts: MaxAttempts, CreatedAt: now, ExpiresAt: now.Add(f.lifetime),
	}
	if err := f.challenges.Create(ctx, c); err != nil {
		return factor.Prompt{}, fmt.Errorf("magiclink: challenge: %w", err)
	}
	if err := f.send(ctx, t, auth.Destination, id); err != nil {
		// A link that never arrived must not stay valid: were it
		// delivered late after all, it would open a challenge the page
		// already gave up on. The delete outlives a cancelled request.
		if derr := f.challenges.Delete(context.WithoutCancel(ctx), id); derr != nil && !errors.Is(derr, store.ErrNotFound) {
			err = errors.Join(err, fmt.Errorf("magiclink: challenge %s of an unsent link: %w", id, derr))
		}
		return factor.Prompt{}, err
	}
	return factor.Prompt{ChallengeID: id, Display: deliver.Mask(auth.Destination)}, nil
}

// address returns the verified email authenticator the link goes to.
func (f *Factor) address(ctx context.Context, t factor.Target) (*store.Authenticator, error) {
	auths, err := factor.Enrolled(ctx, f.auths, t.UserID, acr.EmailOTP)
	if err != nil {
		return nil, fmt.Errorf("magiclink: %w", err)
	}
	auths = slices.DeleteFunc(auths, func(a *store.Authenticator) bool { return a.Destination == "" })
	if len(t.Authenticators) > 0 {
		i := slices.IndexFunc(auths, func(a *store.Authenticator) bool { return a.ID == t.Authenticators[0] })
		if i < 0 {
			return nil, fmt.Errorf("magiclink: authenticator %s is no verified email address of user %s: %w", t.Authenticators[0], t.UserID, factor.ErrNotEnrolled)
		}
		return auths[i], nil
	}
	if len(auths) == 0 {
		return nil, fmt.Errorf("magiclink: user %s has no verified email address: %w", t.UserID, factor.ErrNotEnrolled)
	}
	return auths[0], nil
}

// send renders and sends the link of challenge id to addr, in t.Lang or
// else the language Options.Lang gives.
func (f *Factor) send(ctx context.Context, t factor.Target, addr, id string) error {
	lang := t.Lang
	if lang == "" && f.lang != nil {
		lang = f.lang(ctx, t.UserID)
	}
	content, err := f.renderer.Render(deliver.KindMagicLink, deliver.Email, lang,
		deliver.Data{Site: f.site, URL: f.link + f.token(id), Lifetime: f.lifetime})
	if err != nil {
		return fmt.Errorf("magiclink: %w: %w", deliver.ErrUndelivered, err)
	}
	m := deliver.Message{ID: deliver.NewID(), Channel: deliver.Email, To: addr, Created: f.now(), Content: content}
	if err := f.sender.Send(ctx, m); err != nil {
		if !errors.Is(err, deliver.ErrUndelivered) {
			// Every Sender of package deliver wraps it; another may not,
			// and the page relies on it for a message it may show.
			err = fmt.Errorf("%w: %w", deliver.ErrUndelivered, err)
		}
		return fmt.Errorf("magiclink: the link to %s: %w", deliver.Mask(addr), err)
	}
	return nil
}
