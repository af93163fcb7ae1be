package store

import (
	"maps"
	"slices"
)

// The Clone methods return deep copies. Backends copy on the way in and on
// the way out so that a record held by a caller never aliases a stored one
// (go-memdb keeps objects by pointer). TestCloneIsDeep fails when a new
// field is not copied.

// Clone returns a deep copy of u.
func (u *User) Clone() *User {
	c := *u
	c.Attributes = maps.Clone(u.Attributes)
	c.Failures.ByMethod = maps.Clone(u.Failures.ByMethod)
	return &c
}

// Clone returns a deep copy of a.
func (a *Authenticator) Clone() *Authenticator {
	c := *a
	c.CredentialID = slices.Clone(a.CredentialID)
	c.PublicKey = slices.Clone(a.PublicKey)
	c.Secret = slices.Clone(a.Secret)
	c.AAGUID = slices.Clone(a.AAGUID)
	c.Data = slices.Clone(a.Data)
	return &c
}

// Clone returns a copy of d.
func (d *Device) Clone() *Device { c := *d; return &c }

// Clone returns a copy of l.
func (l *UpstreamLink) Clone() *UpstreamLink { c := *l; return &c }

// Clone returns a deep copy of s.
func (s *Session) Clone() *Session {
	c := *s
	if s.Verifications != nil {
		c.Verifications = make([]Verification, len(s.Verifications))
		for i, v := range s.Verifications {
			v.AMR = slices.Clone(v.AMR)
			c.Verifications[i] = v
		}
	}
	return &c
}

// Clone returns a deep copy of ch.
func (ch *Challenge) Clone() *Challenge {
	c := *ch
	c.SecretHash = slices.Clone(ch.SecretHash)
	c.Data = slices.Clone(ch.Data)
	return &c
}

// Clone returns a deep copy of a.
func (a *ActionRecord) Clone() *ActionRecord {
	c := *a
	c.Data = slices.Clone(a.Data)
	c.Decision = slices.Clone(a.Decision)
	return &c
}

// Clone returns a deep copy of r.
func (r *AuthRequest) Clone() *AuthRequest {
	c := *r
	c.Scopes = slices.Clone(r.Scopes)
	c.ACRValues = slices.Clone(r.ACRValues)
	c.Claims = slices.Clone(r.Claims)
	if r.MaxAge != nil {
		d := *r.MaxAge
		c.MaxAge = &d
	}
	c.Prompt = slices.Clone(r.Prompt)
	c.UILocales = slices.Clone(r.UILocales)
	c.AMR = slices.Clone(r.AMR)
	return &c
}

// Clone returns a deep copy of t.
func (t *AccessToken) Clone() *AccessToken {
	c := *t
	c.Audience = slices.Clone(t.Audience)
	c.Scopes = slices.Clone(t.Scopes)
	c.AMR = slices.Clone(t.AMR)
	return &c
}

// Clone returns a deep copy of f.
func (f *RefreshFamily) Clone() *RefreshFamily {
	c := *f
	c.PreviousHashes = slices.Clone(f.PreviousHashes)
	c.Scopes = slices.Clone(f.Scopes)
	c.Audience = slices.Clone(f.Audience)
	c.AMR = slices.Clone(f.AMR)
	return &c
}

// Clone returns a deep copy of cl.
func (cl *Client) Clone() *Client {
	c := *cl
	c.RedirectURIs = slices.Clone(cl.RedirectURIs)
	c.PostLogoutRedirectURIs = slices.Clone(cl.PostLogoutRedirectURIs)
	c.GrantTypes = slices.Clone(cl.GrantTypes)
	c.ResponseTypes = slices.Clone(cl.ResponseTypes)
	c.Methods = slices.Clone(cl.Methods)
	return &c
}

// Clone returns a deep copy of k.
func (k *APIKey) Clone() *APIKey {
	c := *k
	c.Scopes = slices.Clone(k.Scopes)
	return &c
}

// Clone returns a deep copy of r.
func (r *RuleSet) Clone() *RuleSet {
	c := *r
	c.Spec = slices.Clone(r.Spec)
	return &c
}

// Clone returns a deep copy of k.
func (k *SigningKey) Clone() *SigningKey {
	c := *k
	c.PrivateKey = slices.Clone(k.PrivateKey)
	c.PublicKey = slices.Clone(k.PublicKey)
	return &c
}

// Clone returns a deep copy of e.
func (e *AuditEvent) Clone() *AuditEvent {
	c := *e
	c.Data = slices.Clone(e.Data)
	return &c
}
