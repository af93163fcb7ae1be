package memdb

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/schema.golden")

// TestSchemaGolden pins the whole schema: a changed index changes how
// records are found and which keys are unique, so it must be deliberate.
func TestSchemaGolden(t *testing.T) {
	s, tables, err := schema()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(s.Tables)) {
		fmt.Fprintf(&b, "%s\n", name)
		if tables[name].expiresAt != nil {
			fmt.Fprintf(&b, "  (records expire; the sweep scans the table)\n")
		}
		tbl := s.Tables[name]
		for _, ix := range slices.Sorted(maps.Keys(tbl.Indexes)) {
			is := tbl.Indexes[ix]
			fmt.Fprintf(&b, "  %-14s %-40s unique=%v allow_missing=%v\n", ix, describe(is.Indexer), is.Unique, is.AllowMissing)
		}
	}
	const golden = "testdata/schema.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("schema differs from %s (run with -update if the change is deliberate):\n%s", golden, b.String())
	}
}
