package config

import (
	"reflect"
	"strings"
)

// suggest returns the yaml key of struct type t that key was most likely
// meant to be ("listn" → "listen", "publicURL" → "public_url"), or "".
func suggest(key string, t reflect.Type) string {
	// A typo is an edit or two, fewer for a short key: "a" is not "acr".
	best, bestDist := "", min(2, max(1, len(key)/3))+1
	for i := range t.NumField() {
		name := yamlName(t.Field(i))
		if name == "" {
			continue
		}
		if fold(name) == fold(key) {
			return name
		}
		if d := editDistance(key, name); d < bestDist {
			best, bestDist = name, d
		}
	}
	return best
}

// fold drops case and separators, so camelCase and kebab-case spellings of a
// snake_case key compare equal.
func fold(s string) string {
	return strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(s))
}

// editDistance is the optimal string alignment distance between a and b, in
// bytes: Levenshtein's insertions, deletions and substitutions, plus the
// swap of two neighbouring letters ("levle" → "level"), the commonest typo.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		// Keys are short; a long one is no typo, and this bounds the work.
		return len(a) + len(b)
	}
	prev2 := make([]int, len(b)+1) // row i-2, for swaps
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
