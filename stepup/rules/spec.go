package rules

import "slices"

// Spec is a rule set as its author wrote it: the document Compile reads,
// with every value still a string. Compile checks and types the values;
// RuleSet.Spec gives the document back, so the admin API can show what
// is published. Marshalled to JSON (or YAML), a Spec compiles again to
// the same rule set.
type Spec struct {
	// Action is the decision point the rules are for: "signIn",
	// "payment", ...
	Action string `json:"action" yaml:"action"`
	// Default decides when no rule matches. A document may write it as
	// just an outcome ("default: ALLOW").
	Default Then `json:"default" yaml:"default"`
	// Rules in document order, which breaks ties of priority.
	Rules []RuleSpec `json:"rules" yaml:"rules"`
}

// RuleSpec is one rule as written.
type RuleSpec struct {
	// ID names the rule in decisions and errors; unique in its set.
	ID          string `json:"id" yaml:"id"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	// Priority orders the rules that match: the lowest number wins. It
	// is required, so that no rule wins by an unwritten default.
	Priority int `json:"priority" yaml:"priority"`
	// When is a CEL expression over the Input; it must be a bool.
	When string `json:"when" yaml:"when"`
	Then `yaml:",inline"`
}

// Then is an outcome as written, with what a CHALLENGE asks for.
type Then struct {
	Outcome string `json:"outcome" yaml:"outcome"` // ALLOW, CHALLENGE, REVIEW or BLOCK
	// Level, MaxAge and Methods are for CHALLENGE only. Level is a short
	// name (1fa, mfa, phr, phrh) or an ACR value, and required; MaxAge is
	// a Go duration ("5m"): verifications older than that do not count;
	// Methods are acr.Method names the user may verify with (empty: any).
	Level   string   `json:"level,omitempty" yaml:"level,omitempty"`
	MaxAge  string   `json:"max_age,omitempty" yaml:"max_age,omitempty"`
	Methods []string `json:"methods,omitempty" yaml:"methods,omitempty"`
}

// clone returns a deep copy of s, so that a RuleSet's Spec cannot be
// changed through the copy a caller holds.
func (s Spec) clone() Spec {
	s.Default.Methods = slices.Clone(s.Default.Methods)
	s.Rules = slices.Clone(s.Rules)
	for i := range s.Rules {
		s.Rules[i].Methods = slices.Clone(s.Rules[i].Methods)
	}
	return s
}
