package config

import (
	"reflect"
	"testing"
)

func TestSuggest(t *testing.T) {
	tests := []struct{ key, want string }{
		{"listn", "listen"},         // a letter left out
		{"levle", "level"},          // two letters swapped
		{"formt", "format"},         // left out, in a short key
		{"publicURL", "public_url"}, // another spelling
		{"shutdown-timeout", "shutdown_timeout"},
		{"a", ""}, // too short to guess
		{"completely_wrong", ""},
	}
	types := map[string]reflect.Type{
		"listn": reflect.TypeFor[Server](), "publicURL": reflect.TypeFor[Server](),
		"shutdown-timeout": reflect.TypeFor[Server](), "completely_wrong": reflect.TypeFor[Server](),
		"levle": reflect.TypeFor[Log](), "formt": reflect.TypeFor[Log](), "a": reflect.TypeFor[Config](),
	}
	for _, tt := range tests {
		if got := suggest(tt.key, types[tt.key]); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "abc", 0}, {"abc", "abd", 1}, {"abc", "ab", 1},
		{"levle", "level", 1}, {"ca", "abc", 3}, {"kitten", "sitting", 3},
	} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
