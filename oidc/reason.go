package oidc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ReasonParameter is stepup's authorization request parameter for why the
// relying party asks for a step-up ("Confirm the transfer of 500 EUR"),
// which the step-up page shows the user. OpenID Connect has none; RFC
// 9470 leaves the words to the resource server.
const ReasonParameter = "stepup_reason"

// MaxReasonLength bounds a reason, in characters: one sentence.
const MaxReasonLength = 200

// parseReason checks a reason: at most MaxReasonLength characters of
// valid text with no control or format characters (which could reorder
// or hide what the page shows), spaces trimmed.
func parseReason(s string) (string, error) {
	switch {
	case s == "":
		return "", nil
	case !utf8.ValidString(s):
		return "", errors.New(ReasonParameter + " must be valid UTF-8")
	case utf8.RuneCountInString(s) > MaxReasonLength:
		return "", fmt.Errorf("%s must be at most %d characters", ReasonParameter, MaxReasonLength)
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return "", errors.New(ReasonParameter + " must not contain control or format characters")
		}
	}
	return strings.TrimSpace(s), nil
}

// reason is the reason Authorize checked and put in ctx, if the client
// may show one; a client that may not has it ignored, as an unknown
// parameter is.
func (s storage) reason(ctx context.Context, clientID string) string {
	r, _ := ctx.Value(reasonKey{}).(string)
	if r == "" {
		return ""
	}
	cl, err := s.p.store.Clients().Get(ctx, clientID)
	if err != nil || !cl.ShowsReasons {
		return ""
	}
	return r
}
