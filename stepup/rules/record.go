package rules

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/stepup-auth/stepup/acr"
)

// resultJSON is how a Result is stored with its decision: levels by the
// short names the rules use, max_age as written in rule sets, and the
// Level, MaxAge and Methods of an outcome that does not take them left
// out.
type resultJSON struct {
	Outcome Outcome      `json:"outcome"`
	Level   string       `json:"level,omitempty"`
	MaxAge  string       `json:"max_age,omitempty"`
	Methods []acr.Method `json:"methods,omitempty"`
	Rule    string       `json:"rule,omitempty"`
	Matched []string     `json:"matched,omitempty"`
	Errors  []RuleError  `json:"errors,omitempty"`
}

// MarshalJSON encodes the result for the record of a decision:
//
//	{"outcome":"CHALLENGE","level":"phr","max_age":"5m0s","methods":["PASSKEY"],
//	 "rule":"big-payment","matched":["big-payment","new-device"]}
func (r Result) MarshalJSON() ([]byte, error) {
	j := resultJSON{Outcome: r.Outcome, Methods: r.Methods, Rule: r.Rule, Matched: r.Matched, Errors: r.Errors}
	if r.Level != acr.None {
		j.Level = LevelName(r.Level)
	}
	if r.HasMaxAge {
		j.MaxAge = r.MaxAge.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes a result that MarshalJSON encoded.
func (r *Result) UnmarshalJSON(b []byte) error {
	var j resultJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	out := Result{Outcome: j.Outcome, Methods: j.Methods, Rule: j.Rule, Matched: j.Matched, Errors: j.Errors}
	if j.Level != "" {
		l, ok := parseLevel(j.Level)
		if !ok {
			return fmt.Errorf("rules: result: unknown level %q", j.Level)
		}
		out.Level = l
	}
	if j.MaxAge != "" {
		d, err := time.ParseDuration(j.MaxAge)
		if err != nil {
			return fmt.Errorf("rules: result: max_age: %w", err)
		}
		out.MaxAge, out.HasMaxAge = d, true
	}
	*r = out
	return nil
}
