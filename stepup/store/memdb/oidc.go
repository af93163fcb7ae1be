package memdb

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/stepup-auth/stepup/stepup/store"
)

type authRequests struct{ records[store.AuthRequest] }

// AuthRequests returns the authorization requests, pending, completed, and
// kept as their codes' tombstones.
func (s *Store) AuthRequests() store.AuthRequests {
	return authRequests{records[store.AuthRequest]{s, tableAuthRequests, (*store.AuthRequest).Clone,
		func(x *store.AuthRequest) *uint64 { return &x.Version }}}
}

func (r authRequests) Create(_ context.Context, x *store.AuthRequest) error {
	return r.create(x, r.s.userExistsIfSet(x.UserID))
}
func (r authRequests) Get(_ context.Context, id string) (*store.AuthRequest, error) {
	return r.get(indexID, id)
}
func (r authRequests) Update(_ context.Context, x *store.AuthRequest) error {
	return r.update(x, r.s.userExistsIfSet(x.UserID), func(stored, next *store.AuthRequest) {
		next.Redeemed, next.RedeemedAt = stored.Redeemed, stored.RedeemedAt
		next.AccessTokenID, next.RefreshFamilyID = stored.AccessTokenID, stored.RefreshFamilyID
		if stored.Redeemed { // a tombstone keeps its code and its life
			next.Done, next.CodeHash, next.CodeIssuedAt = stored.Done, stored.CodeHash, stored.CodeIssuedAt
			next.ExpiresAt = later(next.ExpiresAt, stored.ExpiresAt)
		}
	})
}
func (r authRequests) Delete(_ context.Context, id string) error { return r.delete(id) }

func (r authRequests) Redeem(_ context.Context, id, codeHash string, token *store.AccessToken, family *store.RefreshFamily) (*store.AuthRequest, error) {
	var (
		out      *store.AuthRequest
		replayed bool
	)
	if token == nil {
		return nil, errors.New("memdb: a code is redeemed for an access token; none was given")
	}
	token = token.Clone()
	if family != nil {
		family = family.Clone()
	}
	err := r.s.update(func(txn *memdb.Txn, now time.Time) error {
		cur, err := find[store.AuthRequest](r.s, txn, now, tableAuthRequests, indexID, id)
		if err != nil {
			return err
		}
		if !cur.Done || cur.CodeHash == "" || !equalHash(cur.CodeHash, codeHash) {
			return fmt.Errorf("memdb: the authorization request has no such code: %w", store.ErrNotFound)
		}
		out = cur.Clone()
		if cur.Redeemed {
			// Nothing to write, but update still waits for the journal:
			// the caller revokes tokens on the word of this tombstone, so
			// the redemption it shows must be durable first.
			replayed = true
			return nil
		}
		out.Redeemed, out.RedeemedAt = true, now
		out.AccessTokenID, out.RefreshFamilyID = token.ID, ""
		if family != nil {
			out.RefreshFamilyID = family.ID
			if err := r.s.userExists(family.UserID)(txn, now); err != nil {
				return err
			}
			if err := r.s.insert(txn, now, tableRefreshFamilies, family); err != nil {
				return err
			}
		}
		if err := r.s.insertAccessToken(txn, now, token); err != nil {
			return err
		}
		out.Version++
		return txn.Insert(tableAuthRequests, out.Clone())
	})
	switch {
	case err != nil:
		return nil, err
	case replayed:
		return out, fmt.Errorf("memdb: authorization code already redeemed: %w", store.ErrConflict)
	}
	return out, nil
}

type accessTokens struct{ records[store.AccessToken] }

// AccessTokens returns the issued access tokens.
func (s *Store) AccessTokens() store.AccessTokens {
	return accessTokens{records[store.AccessToken]{s, tableAccessTokens, (*store.AccessToken).Clone, nil}}
}

func (r accessTokens) Create(_ context.Context, t *store.AccessToken) error {
	t = t.Clone()
	return r.s.update(func(txn *memdb.Txn, now time.Time) error { return r.s.insertAccessToken(txn, now, t) })
}

// insertAccessToken stores a new access token, whose refresh family, if
// it names one, must be live and not revoked: a token minted while a reuse
// revoked its family must not outlive the revocation.
func (s *Store) insertAccessToken(txn *memdb.Txn, now time.Time, t *store.AccessToken) error {
	if t.RefreshFamilyID != "" {
		f, err := find[store.RefreshFamily](s, txn, now, tableRefreshFamilies, indexID, t.RefreshFamilyID)
		if err != nil {
			return fmt.Errorf("memdb: refresh family of the access token: %w", err)
		}
		if f.Revoked {
			return fmt.Errorf("memdb: refresh family of the access token is revoked: %w", store.ErrConflict)
		}
	}
	return s.insert(txn, now, tableAccessTokens, t)
}
func (r accessTokens) Get(_ context.Context, id string) (*store.AccessToken, error) {
	return r.get(indexID, id)
}
func (r accessTokens) Delete(_ context.Context, id string) error { return r.delete(id) }

func (r accessTokens) DeleteByFamily(_ context.Context, familyID string) (int, error) {
	n := 0
	err := r.s.update(func(txn *memdb.Txn, now time.Time) error {
		var err error
		n, err = r.s.revokeFamilyTokens(txn, now, familyID)
		return err
	})
	return n, err
}

// revokeFamilyTokens deletes a family's access tokens and counts the live ones.
func (s *Store) revokeFamilyTokens(txn *memdb.Txn, now time.Time, familyID string) (int, error) {
	if familyID == "" {
		return 0, nil
	}
	live, err := all[store.AccessToken](s, txn, now, tableAccessTokens, indexFamily, familyID)
	if err != nil {
		return 0, err
	}
	_, err = deleteAll(txn, tableAccessTokens, indexFamily, familyID)
	return len(live), err
}

type refreshFamilies struct{ records[store.RefreshFamily] }

// RefreshFamilies returns the refresh token families.
func (s *Store) RefreshFamilies() store.RefreshFamilies {
	return refreshFamilies{records[store.RefreshFamily]{s, tableRefreshFamilies, (*store.RefreshFamily).Clone, nil}}
}

func (r refreshFamilies) Create(_ context.Context, f *store.RefreshFamily) error {
	return r.create(f, r.s.userExists(f.UserID))
}
func (r refreshFamilies) Get(_ context.Context, id string) (*store.RefreshFamily, error) {
	return r.get(indexID, id)
}

func (r refreshFamilies) Rotate(_ context.Context, id, from, to string, token *store.AccessToken) (*store.RefreshFamily, error) {
	var (
		out    *store.RefreshFamily
		reused bool
	)
	if token == nil {
		return nil, errors.New("memdb: a refresh token rotates with an access token; none was given")
	}
	token = token.Clone()
	if token.RefreshFamilyID != id {
		return nil, fmt.Errorf("memdb: the access token of a rotation belongs to refresh family %q, not %q", token.RefreshFamilyID, id)
	}
	err := r.s.update(func(txn *memdb.Txn, now time.Time) error {
		cur, err := find[store.RefreshFamily](r.s, txn, now, tableRefreshFamilies, indexID, id)
		if err != nil {
			return err
		}
		if cur.Revoked {
			return fmt.Errorf("memdb: refresh family is revoked: %w", store.ErrConflict)
		}
		next := cur.Clone()
		if !equalHash(cur.TokenHash, from) {
			if !slices.ContainsFunc(cur.PreviousHashes, func(h string) bool { return equalHash(h, from) }) {
				return fmt.Errorf("memdb: no token of the refresh family: %w", store.ErrNotFound)
			}
			// An old token came back: whoever holds the family may be
			// an attacker. Revoke it all, and commit that.
			reused = true
			next.Revoked, next.RevokedAt = true, now
			if _, err := r.s.revokeFamilyTokens(txn, now, id); err != nil {
				return err
			}
			return txn.Insert(tableRefreshFamilies, next)
		}
		next.PreviousHashes = append(next.PreviousHashes, cur.TokenHash)
		if n := len(next.PreviousHashes); n > store.MaxPreviousHashes {
			next.PreviousHashes = next.PreviousHashes[n-store.MaxPreviousHashes:]
		}
		next.TokenHash = to
		next.Generation++
		out = next.Clone()
		if err := txn.Insert(tableRefreshFamilies, next); err != nil {
			return err
		}
		return r.s.insertAccessToken(txn, now, token)
	})
	switch {
	case err != nil:
		return nil, err
	case reused:
		return nil, fmt.Errorf("memdb: refresh token reused; family revoked: %w", store.ErrConflict)
	}
	return out, nil
}

// equalHash compares token hashes in constant time.
func equalHash(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func (r refreshFamilies) Revoke(_ context.Context, id string) error {
	return r.s.update(func(txn *memdb.Txn, now time.Time) error {
		cur, err := find[store.RefreshFamily](r.s, txn, now, tableRefreshFamilies, indexID, id)
		if err != nil {
			return err
		}
		if _, err := r.s.revokeFamilyTokens(txn, now, id); err != nil {
			return err
		}
		if cur.Revoked {
			return nil
		}
		next := cur.Clone()
		next.Revoked, next.RevokedAt = true, now
		return txn.Insert(tableRefreshFamilies, next)
	})
}

// later returns the later of two instants.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
