package memdb

import (
	"fmt"

	"github.com/stepup-auth/stepup/stepup/store"
)

const tableRuleSets = "rule_sets"

// Rule sets are keyed by (Action, Version), the version zero-padded so that
// an action's versions sort in numeric order under an id prefix query.
func ruleSetsTable() table {
	type R = store.RuleSet
	return newTable[R](tableRuleSets,
		stringIndex[R]{"Action,Version", func(x *R) []string { return []string{x.Action, versionKey(x.Version)} }},
	)
}

func versionKey(v uint64) string { return fmt.Sprintf("%020d", v) }
