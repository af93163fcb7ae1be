package oidc

import (
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/stepup-auth/stepup/stepup/store"
)

// authRequest is a stored authorization request as zitadel/oidc sees it.
type authRequest struct{ rec *store.AuthRequest }

var _ op.AuthRequest = authRequest{}

func (a authRequest) GetID() string          { return a.rec.ID }
func (a authRequest) GetACR() string         { return a.rec.ACR }
func (a authRequest) GetAMR() []string       { return a.rec.AMR }
func (a authRequest) GetAudience() []string  { return []string{a.rec.ClientID} }
func (a authRequest) GetAuthTime() time.Time { return a.rec.AuthTime }
func (a authRequest) GetClientID() string    { return a.rec.ClientID }
func (a authRequest) GetNonce() string       { return a.rec.Nonce }
func (a authRequest) GetRedirectURI() string { return a.rec.RedirectURI }
func (a authRequest) GetScopes() []string    { return a.rec.Scopes }
func (a authRequest) GetState() string       { return a.rec.State }
func (a authRequest) GetSubject() string     { return a.rec.UserID }
func (a authRequest) Done() bool             { return a.rec.Done }
func (a authRequest) GetResponseType() oidc.ResponseType {
	return oidc.ResponseType(a.rec.ResponseType)
}
func (a authRequest) GetResponseMode() oidc.ResponseMode {
	return oidc.ResponseMode(a.rec.ResponseMode)
}

func (a authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.rec.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.rec.CodeChallenge, Method: oidc.CodeChallengeMethod(a.rec.CodeChallengeMethod)}
}
