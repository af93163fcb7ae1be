package config

import (
	"testing"
)

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "s.yaml", Line: 3, Column: 7, Path: "a.b", Message: "bad"}, "s.yaml:3:7: a.b: bad"},
		{Problem{File: "s.yaml", Line: 3, Column: 7, Path: "a.b", Message: "meh", Severity: Warning}, "s.yaml:3:7: warning: a.b: meh"},
		{Problem{File: "s.yaml", Line: 3, Path: "a", Message: "bad"}, "s.yaml:3: a: bad"},
		{Problem{File: "s.yaml", Path: "a", Message: "bad"}, "s.yaml: a: bad"},
		{Problem{File: "s.yaml", Message: "bad"}, "s.yaml: bad"},
		{Problem{Path: "a", Message: "bad"}, "a: bad"},
		{Problem{Path: "a", Message: "meh", Severity: Warning}, "warning: a: meh"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestProblemsErr(t *testing.T) {
	warn := Problem{Path: "w", Message: "meh", Severity: Warning}
	bad := Problem{Path: "e", Message: "bad"}
	tests := []struct {
		name string
		ps   Problems
		want string // "" for a nil error
	}{
		{"none", nil, ""},
		{"warnings only", Problems{warn}, ""},
		{"one error", Problems{bad, warn}, "config: 1 error:\ne: bad\nwarning: w: meh"},
		{"two errors", Problems{bad, bad}, "config: 2 errors:\ne: bad\ne: bad"},
	}
	for _, tt := range tests {
		err := tt.ps.Err()
		if tt.ps.HasErrors() != (tt.want != "") {
			t.Errorf("%s: HasErrors() = %v", tt.name, tt.ps.HasErrors())
		}
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: Err() = %v, want nil", tt.name, err)
		case tt.want != "" && (err == nil || err.Error() != tt.want):
			t.Errorf("%s: Err() = %v, want %q", tt.name, err, tt.want)
		}
	}
}
