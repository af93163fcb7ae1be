package rules

import (
	"fmt"
	"strings"
)

// Outcome is what a rule, or a rule set's default, decides. The zero
// value is no outcome: a Result always holds one of the four below.
type Outcome int

// The outcomes.
const (
	Allow     Outcome = iota + 1 // go on
	Challenge                    // verify to a level first (Result.Level)
	Review                       // hold the action for a person to look at
	Block                        // refuse
)

var outcomeNames = [...]string{Allow: "ALLOW", Challenge: "CHALLENGE", Review: "REVIEW", Block: "BLOCK"}

// String returns the outcome's name as rule sets write it: "CHALLENGE".
func (o Outcome) String() string {
	if o < Allow || o > Block {
		return fmt.Sprintf("rules.Outcome(%d)", int(o))
	}
	return outcomeNames[o]
}

// ParseOutcome reads an outcome name, without regard to case.
func ParseOutcome(s string) (Outcome, error) {
	for o := Allow; o <= Block; o++ {
		if strings.EqualFold(s, outcomeNames[o]) {
			return o, nil
		}
	}
	return 0, fmt.Errorf("rules: unknown outcome %q (want ALLOW, CHALLENGE, REVIEW or BLOCK)", s)
}

// MarshalText encodes the outcome by name.
func (o Outcome) MarshalText() ([]byte, error) {
	if o < Allow || o > Block {
		return nil, fmt.Errorf("rules: invalid outcome %d", int(o))
	}
	return []byte(outcomeNames[o]), nil
}

// UnmarshalText decodes an outcome name with ParseOutcome.
func (o *Outcome) UnmarshalText(b []byte) error {
	v, err := ParseOutcome(string(b))
	if err != nil {
		return err
	}
	*o = v
	return nil
}
