package magiclink

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/deliver"
	"github.com/stepup-auth/stepup/stepup/store"
)

// LinkInfo is what the page a link opens may show before the user
// presses Continue.
type LinkInfo struct {
	Site string
	// Address is the masked address the link was sent to.
	Address   string
	ExpiresAt time.Time
}

// Opened is what opening a link did. It names no user and carries no
// session: opening a link signs in nobody, in no browser.
type Opened struct {
	// SameBrowser: the link was opened in the browser that asked for it,
	// whose waiting tab now continues on its own. The page says "go back
	// to your first tab; it continues".
	SameBrowser bool
	// Code is set when the link was opened in another browser: the page
	// shows it, to be typed in the tab that asked for the link (see the
	// package documentation for how the page must word it).
	Code      string
	Site      string
	ExpiresAt time.Time
}

// Peek checks a link for the GET its URL makes and says what the page may
// show. It changes nothing: a mail scanner that fetches every link in a
// message spends no link. Errors: factor.ErrMalformed for what is no
// token, factor.ErrExpired for a token that does not verify or a link
// expired or already opened.
func (f *Factor) Peek(ctx context.Context, token string) (LinkInfo, error) {
	c, d, err := f.pending(ctx, token)
	if err != nil {
		return LinkInfo{}, err
	}
	// The address only reminds the user where the link came; an
	// authenticator removed since is refused where it matters, when the
	// waiting tab finishes.
	addr := "•••"
	if a, err := f.auths.Get(ctx, d.Authenticator); err == nil {
		addr = deliver.Mask(a.Destination)
	}
	return LinkInfo{Site: f.site, Address: addr, ExpiresAt: c.ExpiresAt}, nil
}

// Open opens a link, once, for the POST of the page's Continue button;
// browser identifies the browser that posts it (as Target.Browser does;
// empty for one with no binding cookie). In the browser that asked for the
// link it confirms the challenge, for the waiting tab to finish; in any
// other it sets a code that Opened carries, which the waiting tab must be
// given. A link already opened is factor.ErrExpired.
func (f *Factor) Open(ctx context.Context, token, browser string) (Opened, error) {
	c, d, err := f.pending(ctx, token)
	if err != nil {
		return Opened{}, err
	}
	out := Opened{Site: f.site, ExpiresAt: c.ExpiresAt}
	next := c.Clone()
	if browser != "" && hmac.Equal(f.browserHash(browser), d.Browser) {
		d.State, out.SameBrowser = confirmed, true
	} else {
		if out.Code, err = factor.NewCode(f.rand); err != nil {
			return Opened{}, err
		}
		d.State, next.SecretHash = elsewhere, f.codeHash(c.ID, out.Code)
	}
	if next.Data, err = d.encode(); err != nil {
		return Opened{}, err
	}
	switch err := f.challenges.Update(ctx, next); {
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
		// Another Open (a double click, a second device) or an answer
		// changed it first: this one opened nothing.
		return Opened{}, fmt.Errorf("magiclink: challenge %s changed while opening: %w", c.ID, factor.ErrExpired)
	case err != nil:
		return Opened{}, fmt.Errorf("magiclink: challenge %s: %w", c.ID, err)
	}
	return out, nil
}

// pending returns the challenge a token names if it is still unopened.
func (f *Factor) pending(ctx context.Context, token string) (*store.Challenge, data, error) {
	id, err := f.parseToken(token)
	if err != nil {
		return nil, data{}, err
	}
	c, err := f.live(ctx, id)
	if err != nil {
		return nil, data{}, err
	}
	d, err := decode(c)
	if err != nil {
		return nil, data{}, err
	}
	if d.State != pending {
		return nil, data{}, fmt.Errorf("magiclink: challenge %s was opened already: %w", id, factor.ErrExpired)
	}
	return c, d, nil
}

// live returns the unexpired magic-link challenge id. The store hides
// expired records by its own clock; the factor checks by its own too, so
// that a replica whose store clock lags still refuses an old link.
func (f *Factor) live(ctx context.Context, id string) (*store.Challenge, error) {
	c, err := f.challenges.Get(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("magiclink: challenge %s: %w", id, factor.ErrExpired)
	case err != nil:
		return nil, fmt.Errorf("magiclink: challenge %s: %w", id, err)
	case c.Method != f.Method():
		return nil, fmt.Errorf("magiclink: challenge %s is of %s: %w", id, c.Method, factor.ErrExpired)
	case !f.now().Before(c.ExpiresAt):
		return nil, fmt.Errorf("magiclink: challenge %s expired at %s: %w", id, c.ExpiresAt.Format(time.RFC3339), factor.ErrExpired)
	}
	return c, nil
}
