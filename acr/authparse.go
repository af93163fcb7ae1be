package acr

import (
	"fmt"
	"strings"
)

// authParam is one auth-param of a challenge, its name folded to lower case.
type authParam struct{ name, value string }

// authParser reads a WWW-Authenticate value by RFC 9110 §11.6.1:
//
//	WWW-Authenticate = #challenge
//	challenge  = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//	auth-param = token BWS "=" BWS ( token / quoted-string )
//
// Challenges and their parameters share the comma as separator: after a
// comma, "token =" continues the parameters, and a token without "=" starts
// the next challenge.
type authParser struct {
	s   string
	pos int
}

func (p *authParser) done() bool { return p.pos >= len(p.s) }

func (p *authParser) peek() byte {
	if p.done() {
		return 0
	}
	return p.s[p.pos]
}

func (p *authParser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s at offset %d", ErrMalformedChallenge, fmt.Sprintf(format, args...), p.pos)
}

// skipOWS skips optional white space and reports how much it skipped.
func (p *authParser) skipOWS() int {
	start := p.pos
	for !p.done() && (p.peek() == ' ' || p.peek() == '\t') {
		p.pos++
	}
	return p.pos - start
}

// skipListSeparators skips white space and commas: RFC 9110 §5.6.1 lets a
// recipient accept empty list elements.
func (p *authParser) skipListSeparators() {
	for !p.done() && (p.peek() == ' ' || p.peek() == '\t' || p.peek() == ',') {
		p.pos++
	}
}

// isTchar reports whether c may appear in a token (RFC 9110 §5.6.2).
func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// token reads a token, possibly empty.
func (p *authParser) token() string {
	start := p.pos
	for !p.done() && isTchar(p.peek()) {
		p.pos++
	}
	return p.s[start:p.pos]
}

// quoted reads a quoted-string (RFC 9110 §5.6.4) and returns its content
// unescaped. Control characters other than HTAB are refused, escaped or not.
func (p *authParser) quoted() (string, error) {
	p.pos++ // the opening quote
	var b strings.Builder
	for !p.done() {
		c := p.peek()
		switch {
		case c == '"':
			p.pos++
			return b.String(), nil
		case c == '\\':
			p.pos++
			if p.done() || !isQuotedText(p.peek()) && p.peek() != '"' && p.peek() != '\\' {
				return "", p.errorf("bad escape in quoted-string")
			}
			b.WriteByte(p.peek())
		case isQuotedText(c):
			b.WriteByte(c)
		default:
			return "", p.errorf("control character in quoted-string")
		}
		p.pos++
	}
	return "", p.errorf("unterminated quoted-string")
}

// isQuotedText reports whether c is qdtext: HTAB, SP, VCHAR but '"' and
// '\', or obs-text.
func isQuotedText(c byte) bool {
	return c == '\t' || c >= 0x20 && c != 0x7f && c != '"' && c != '\\'
}

// isToken68 reports whether c may appear in a token68 before its padding.
func isToken68(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~+/", c) >= 0
}

// token68 skips a token68 that ends the challenge, and reports whether
// there was one; when there was not, it reads nothing.
func (p *authParser) token68() bool {
	start := p.pos
	for !p.done() && isToken68(p.peek()) {
		p.pos++
	}
	if p.pos == start {
		return false
	}
	for !p.done() && p.peek() == '=' {
		p.pos++
	}
	p.skipOWS()
	if p.done() || p.peek() == ',' {
		return true
	}
	p.pos = start
	return false
}

// challenge reads one challenge and the separators after it.
func (p *authParser) challenge() (scheme string, params []authParam, err error) {
	scheme = p.token()
	if scheme == "" {
		return "", nil, p.errorf("expected an auth-scheme")
	}
	spaces := p.skipOWS()
	if p.done() || p.peek() == ',' {
		return scheme, nil, nil
	}
	if spaces == 0 {
		return "", nil, p.errorf("expected a space after auth-scheme %q", scheme)
	}
	if p.token68() {
		return scheme, nil, nil
	}
	for first := true; ; first = false {
		start := p.pos
		name := p.token()
		p.skipOWS()
		if p.peek() != '=' {
			if first {
				return "", nil, p.errorf("expected an auth-param or a challenge")
			}
			p.pos = start // the next challenge's scheme
			return scheme, params, nil
		}
		if name == "" {
			return "", nil, p.errorf("auth-param without a name")
		}
		p.pos++ // '='
		p.skipOWS()
		var value string
		if p.peek() == '"' {
			if value, err = p.quoted(); err != nil {
				return "", nil, err
			}
		} else if value = p.token(); value == "" {
			return "", nil, p.errorf("auth-param %s without a value", name)
		}
		params = append(params, authParam{strings.ToLower(name), value})
		p.skipOWS()
		if p.done() {
			return scheme, params, nil
		}
		if p.peek() != ',' {
			return "", nil, p.errorf("expected a comma after auth-param %s", name)
		}
		p.skipListSeparators()
		if p.done() {
			return scheme, params, nil
		}
	}
}
