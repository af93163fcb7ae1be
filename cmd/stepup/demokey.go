package main

import (
	"context"
	"errors"
	"time"

	"github.com/stepup-auth/stepup/stepup/api/apikey"
	"github.com/stepup-auth/stepup/stepup/store"
)

// demoKeyName names the server API key the demo's payments use; a key of
// this name is the demo's, replaced at each start. (With several replicas
// each start replaces the others' key: the demo is for trying stepup out
// on one server.)
const demoKeyName = "stepup-demo (built-in)"

// demoTrackKey gives the demo a server API key of its own: a new one at
// each start, replacing the last, since the store keeps only keys'
// hashes. With the demo off, it removes the demo's key and returns "".
func demoTrackKey(ctx context.Context, keys store.APIKeys, enabled bool, now time.Time) (string, error) {
	for p := (store.Page{}); ; {
		page, err := keys.List(ctx, p)
		if err != nil {
			return "", err
		}
		for _, k := range page {
			if k.Name == demoKeyName && k.Kind == apikey.Server {
				if err := keys.Delete(ctx, k.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
					return "", err
				}
			}
		}
		if len(page) < p.PageLimit() {
			break
		}
		p.After = page[len(page)-1].ID
	}
	if !enabled {
		return "", nil
	}
	plaintext, rec, err := apikey.Generate(apikey.Server, demoKeyName, nil, time.Time{}, now)
	if err != nil {
		return "", err
	}
	if err := keys.Create(ctx, rec); err != nil {
		return "", err
	}
	return plaintext, nil
}
