package otp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/deliver"
	"github.com/stepup-auth/stepup/stepup/store"
)

// pending is what a challenge remembers of the code it sent.
type pending struct {
	// AuthenticatorID names the authenticator verified; empty when the
	// code proves a destination being enrolled.
	AuthenticatorID string `json:"a,omitempty"`
	Destination     string `json:"d"`
	Name            string `json:"n,omitempty"`
}

func (p pending) enrolling() bool { return p.AuthenticatorID == "" }

// BeginVerify sends a code to one of t.UserID's verified destinations:
// the one t.Authenticators names, if it names one of them, else the one
// used last. ErrNotEnrolled if they have none.
func (f *Factor) BeginVerify(ctx context.Context, t factor.Target) (factor.Prompt, error) {
	auths, err := factor.Enrolled(ctx, f.o.Authenticators, t.UserID, f.o.Method)
	if err != nil {
		return factor.Prompt{}, err
	}
	if len(auths) == 0 {
		return factor.Prompt{}, fmt.Errorf("otp: user %s: %w", t.UserID, factor.ErrNotEnrolled)
	}
	a := slices.MaxFunc(auths, func(x, y *store.Authenticator) int { return x.LastUsedAt.Compare(y.LastUsedAt) })
	for _, cand := range auths {
		if slices.Contains(t.Authenticators, cand.ID) {
			a = cand
			break
		}
	}
	return f.send(ctx, t, pending{AuthenticatorID: a.ID, Destination: a.Destination})
}

// BeginEnroll sends a code to the user's email address, for the email
// factor; SMS and WhatsApp need a number typed: BeginEnrollTo.
func (f *Factor) BeginEnroll(ctx context.Context, u *store.User, t factor.Target) (factor.Prompt, error) {
	if f.channel != deliver.Email || u.Email == "" {
		return factor.Prompt{}, fmt.Errorf("otp: enrolling %s needs a destination: %w", f.o.Method, factor.ErrMalformed)
	}
	return f.BeginEnrollTo(ctx, u, t, u.Email, "")
}

// BeginEnrollTo sends a code to dest, an email address or a phone number
// as the user typed it, to prove it is theirs; FinishEnroll then sets it
// up as a factor named name (the masked destination if empty). An invalid
// destination gives an error whose text a page may show.
func (f *Factor) BeginEnrollTo(ctx context.Context, u *store.User, t factor.Target, dest, name string) (factor.Prompt, error) {
	if t.UserID != u.ID {
		return factor.Prompt{}, errors.New("otp: an enrollment's target is another user")
	}
	d, err := f.normalize(dest)
	if err != nil {
		return factor.Prompt{}, err
	}
	return f.send(ctx, t, pending{Destination: d, Name: name})
}

// Resend sends a new code for the challenge challengeID of t, to the
// same destination, and drops the old code. The send limits apply, the
// cool-down among them.
func (f *Factor) Resend(ctx context.Context, t factor.Target, challengeID string) (factor.Prompt, error) {
	c, p, err := f.challenge(ctx, t, challengeID)
	if err != nil {
		return factor.Prompt{}, err
	}
	prompt, err := f.send(ctx, t, p)
	if err != nil {
		return factor.Prompt{}, err
	}
	if err := f.o.Challenges.Delete(ctx, c.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return factor.Prompt{}, fmt.Errorf("otp: drop the old code: %w", err)
	}
	return prompt, nil
}

// send stores a challenge for p and sends its code. The send limits are
// checked before anything is stored; a send that fails takes its
// challenge away again.
func (f *Factor) send(ctx context.Context, t factor.Target, p pending) (factor.Prompt, error) {
	now := f.o.Now()
	region, err := f.region(p.Destination)
	if err != nil {
		return factor.Prompt{}, err
	}
	if err := f.o.Limits.Allow(LimitKey(p.Destination), region, now); err != nil {
		return factor.Prompt{}, fmt.Errorf("otp: %w", err)
	}
	code, err := factor.NewCode(f.o.Rand)
	if err != nil {
		return factor.Prompt{}, err
	}
	data, err := json.Marshal(p)
	if err != nil {
		return factor.Prompt{}, fmt.Errorf("otp: %w", err)
	}
	c := &store.Challenge{
		ID: uuid.NewString(), Method: f.o.Method, UserID: t.UserID, FlowID: t.FlowID,
		Data: data, MaxAttempts: MaxAttempts, CreatedAt: now, ExpiresAt: now.Add(f.o.Lifetime),
	}
	c.SecretHash = f.hashCode(c.ID, code)
	content, err := f.o.Renderer.Render(deliver.KindOTP, f.channel, t.Lang, deliver.Data{Site: f.o.Site, Code: code, Lifetime: f.o.Lifetime})
	if err != nil {
		return factor.Prompt{}, fmt.Errorf("otp: %w", err)
	}
	if err := f.o.Challenges.Create(ctx, c); err != nil {
		return factor.Prompt{}, fmt.Errorf("otp: store the challenge: %w", err)
	}
	m := deliver.Message{ID: deliver.NewID(), Channel: f.channel, To: p.Destination, Created: now, Content: content}
	if err := f.o.Sender.Send(ctx, m); err != nil {
		// Delete with a context of its own: the send may have failed
		// because ctx ended.
		derr := f.o.Challenges.Delete(context.WithoutCancel(ctx), c.ID)
		if errors.Is(derr, store.ErrNotFound) {
			derr = nil
		}
		return factor.Prompt{}, errors.Join(fmt.Errorf("otp: %w", err), derr)
	}
	return factor.Prompt{ChallengeID: c.ID, Display: deliver.Mask(p.Destination)}, nil
}

// Sent returns the prompt of the code of t's flow still waiting for its
// answer, the newest if several, so that a page asked to send again
// within the cool-down (a double click, the Back button) can ask for the
// code already on its way instead. false when there is none.
func (f *Factor) Sent(ctx context.Context, t factor.Target) (factor.Prompt, bool, error) {
	all, err := f.o.Challenges.ListByUser(ctx, t.UserID)
	if err != nil {
		return factor.Prompt{}, false, fmt.Errorf("otp: challenges of user %s: %w", t.UserID, err)
	}
	now := f.o.Now()
	var newest *store.Challenge
	var dest string
	for _, c := range all {
		if c.Method != f.o.Method || c.FlowID != t.FlowID || c.Attempts >= c.MaxAttempts || !now.Before(c.ExpiresAt) {
			continue
		}
		var p pending
		if json.Unmarshal(c.Data, &p) != nil || p.Destination == "" {
			continue
		}
		if newest == nil || c.CreatedAt.After(newest.CreatedAt) {
			newest, dest = c, p.Destination
		}
	}
	if newest == nil {
		return factor.Prompt{}, false, nil
	}
	return factor.Prompt{ChallengeID: newest.ID, Display: deliver.Mask(dest)}, true, nil
}
