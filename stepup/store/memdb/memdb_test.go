package memdb_test

import (
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/conformance"
	"github.com/stepup-auth/stepup/stepup/store/memdb"
)

// The suite sweeps on its own fake clock; a background sweep on the real
// clock could race it.
func TestConformance(t *testing.T) {
	conformance.Run(t, func(t *testing.T, now func() time.Time) func() (store.Store, error) {
		dir := t.TempDir()
		return func() (store.Store, error) { return memdb.Open(memdb.Options{Dir: dir, Now: now, SweepInterval: -1}) }
	})
}
