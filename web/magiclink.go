package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/magiclink"
)

// MagicLinks is the email magic-link factor as the pages use it.
type MagicLinks interface {
	factor.Factor
	Peek(ctx context.Context, token string) (magiclink.LinkInfo, error)
	Open(ctx context.Context, token, browser string) (magiclink.Opened, error)
	Opened(ctx context.Context, t factor.Target, id string) (opened, inAnother bool, err error)
}

// A magic link comes back to the browser that asked for it. The step-up
// page that sent it waits (waitStatus),
// and the link's own page (GET /magic) only shows what it is for with a
// Continue button: mail scanners fetch links, and a GET takes nothing.
// Continue (POST /magic) opens the link for this browser: the same
// browser's waiting tab then finishes; another browser is shown a code to
// type into the waiting tab, and is signed in to nothing.

// browserOf names a browser by its binding for the factors, without
// giving them the binding itself.
func browserOf(binding string) string {
	sum := sha256.Sum256([]byte("factor-browser\x00" + binding))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// magicPage shows a magic link's page: what it is for, and Continue.
func (s *Server) magicPage(w http.ResponseWriter, r *http.Request) {
	binding, err := s.ensureBinding(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	token := r.URL.Query().Get("token")
	info, err := s.factors.MagicLink.Peek(r.Context(), token)
	if err != nil {
		s.linkExpired(w, r, err)
		return
	}
	s.render(w, http.StatusOK, "magic", view{
		Title: "Confirm it's you", CSRF: s.csrfToken(binding), ChallengeToken: token, SentTo: info.Address, Action: info.Site,
	})
}

// openMagic is the link page's Continue.
func (s *Server) openMagic(w http.ResponseWriter, r *http.Request) {
	if !s.readPost(w, r) {
		return
	}
	binding := FlowBinding(r, s.secure)
	if !s.validCSRF(r.PostFormValue("csrf"), binding) {
		s.forbidden(w)
		return
	}
	opened, err := s.factors.MagicLink.Open(r.Context(), r.PostFormValue("token"), browserOf(binding))
	if err != nil {
		s.linkExpired(w, r, err)
		return
	}
	v := view{Title: "Go back to the page where you started", Action: opened.Site}
	if !opened.SameBrowser {
		v.Title, v.Codes = "Type this code where you started", []string{opened.Code}
	}
	s.render(w, http.StatusOK, "magic-opened", v)
}

func (s *Server) linkExpired(w http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, factor.ErrExpired) && !errors.Is(err, factor.ErrMalformed) {
		s.log.Error("web: magic link", "err", err)
	}
	s.errorPage(w, http.StatusBadRequest, "This link is no longer valid",
		"This link has expired or was used already. Go back to the page where you started and ask for a new one.")
}
