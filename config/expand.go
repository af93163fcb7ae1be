package config

import (
	"errors"
	"fmt"
	"strings"
)

// expand replaces ${NAME} in s with the variable's value from env, and
// ${NAME:-default} with the value, or default when the variable is unset or
// empty. A plain ${NAME} must be set and not empty. $${ is a literal ${. Values and defaults are inserted as they are,
// never expanded again, so a secret may contain "${".
//
// It runs on decoded scalars, not on the file's text, so whatever a variable
// holds stays one string.
func expand(s string, env func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "$")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		s = s[i:]
		switch {
		case strings.HasPrefix(s, "$${"):
			b.WriteString("${")
			s = s[3:]
		case strings.HasPrefix(s, "${"):
			end := strings.IndexByte(s, '}')
			if end < 0 {
				return "", errors.New("unterminated ${ (write $${ for a literal ${)")
			}
			v, err := lookup(s[2:end], env)
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			s = s[end+1:]
		default:
			b.WriteByte('$')
			s = s[1:]
		}
	}
}

// lookup resolves the inside of ${...}: NAME or NAME:-default.
func lookup(ref string, env func(string) (string, bool)) (string, error) {
	name, def, hasDef := strings.Cut(ref, ":-")
	if !validEnvName(name) {
		return "", fmt.Errorf("invalid environment variable name %q in ${%s} (write $${ for a literal ${)", name, ref)
	}
	v, ok := env(name)
	if hasDef && v == "" {
		return def, nil
	}
	switch {
	case hasDef:
		return v, nil
	case !ok:
		return "", fmt.Errorf("environment variable %s is not set", name)
	case v == "":
		// An empty secret would quietly turn a confidential client
		// public: emptiness must be asked for, with ${NAME:-}.
		return "", fmt.Errorf("environment variable %s is set but empty (write ${%s:-} to allow an empty value)", name, name)
	}
	return v, nil
}

// validEnvName reports whether name is a portable variable name,
// [A-Za-z_][A-Za-z0-9_]*.
func validEnvName(name string) bool {
	if name == "" || name[0] >= '0' && name[0] <= '9' {
		return false
	}
	for _, c := range []byte(name) {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
