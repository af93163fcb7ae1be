package oidc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// ClaimsRequest is the parsed claims parameter (OpenID Connect Core 1.0
// §5.5): the individual claims a relying party asks to find in the UserInfo
// response and in the ID token, by claim name. A member absent from the
// parameter leaves its map nil.
type ClaimsRequest struct {
	UserInfo map[string]ClaimRequest
	IDToken  map[string]ClaimRequest
}

// ClaimRequest is the request for one claim. A null request and an empty
// object are the same request: a voluntary claim with any value.
type ClaimRequest struct {
	// Essential is true when the relying party marked the claim essential.
	Essential bool
	// Values are the values the claim is asked to have, in order of
	// preference, as compact JSON so that values other than strings
	// survive: "value" first, then the elements of "values". Nil when the
	// request names no value.
	Values []json.RawMessage
}

// ErrInvalidClaims is matched, through errors.Is, by every error ParseClaims
// returns. The error's text is fixed, starts with "oidc: claims: ", never
// quotes the parameter and keeps to the characters RFC 6749 allows in an
// error_description, so it can answer an invalid_request as it is.
var ErrInvalidClaims = errors.New("oidc: claims: invalid claims parameter")

const (
	// maxClaimsLength bounds the parameter: authorization requests travel
	// in URLs, and no honest request comes near it.
	maxClaimsLength = 8 << 10
	// maxClaimsDepth bounds how deeply objects and arrays nest, the
	// top-level object counting as 1. The parameter's own structure needs
	// 4 (parameter, member, claim request, values); the rest leaves room
	// for structured values and for extensions such as the verified_claims
	// of OpenID Connect for Identity Assurance.
	maxClaimsDepth = 16
)

// claimsError is an error of ParseClaims. Its text is a constant of this
// file, never derived from the input, except for a byte offset.
type claimsError string

func (e claimsError) Error() string        { return "oidc: claims: " + string(e) }
func (e claimsError) Is(target error) bool { return target == ErrInvalidClaims }

var (
	errClaimsTooLong = claimsError(fmt.Sprintf("the parameter is longer than %d bytes", maxClaimsLength))
	errClaimsTooDeep = claimsError(fmt.Sprintf("objects and arrays nest deeper than %d levels", maxClaimsDepth))
	errClaimsUTF8    = claimsError("the parameter is not valid UTF-8")
	errClaimsDupName = claimsError("an object has the same member name twice")
	errClaimsNotObj  = claimsError("the parameter must be a JSON object")
	errClaimsBadJSON = claimsError("the parameter is not valid JSON")
)

// ParseClaims parses the claims request parameter. The empty string, an
// absent parameter, gives nil and no error; the methods of ClaimsRequest
// accept a nil receiver.
//
// It is strict where a lenient reading could change what is required of an
// authentication, and ignores what the specification says to ignore:
//
//   - The parameter is at most 8 KiB of UTF-8 JSON, with objects and arrays
//     nested at most 16 deep.
//   - A member name may not appear twice in any object: encoding/json would
//     keep the last, another reader the first, and an essential acr request
//     could hide behind the difference (RFC 7493, I-JSON, forbids
//     duplicates; RFC 8259 advises against them).
//   - The top level, and userinfo and id_token when present, must be
//     objects; other top-level members are extensions and are ignored.
//   - Each claim request is null or an object. In it, essential must be
//     true or false and values a non-empty array; value may be any JSON
//     value. A request with both value and values asks for any of them,
//     value first. Other members are extensions and are ignored.
//   - The requested values of acr must be strings, as acr values are: a
//     request for an essential acr whose values were all dropped would
//     otherwise read as a request for any acr.
//
// Names are matched exactly, as claim names are case-sensitive. Every error
// matches ErrInvalidClaims.
func ParseClaims(s string) (*ClaimsRequest, error) {
	if s == "" {
		return nil, nil
	}
	if len(s) > maxClaimsLength {
		return nil, errClaimsTooLong
	}
	if !utf8.ValidString(s) {
		return nil, errClaimsUTF8
	}
	data := []byte(s)
	if err := json.Unmarshal(data, new(json.RawMessage)); err != nil {
		if syn, ok := errors.AsType[*json.SyntaxError](err); ok {
			return nil, claimsError(fmt.Sprintf("the parameter is not valid JSON (error at byte %d)", syn.Offset))
		}
		return nil, errClaimsBadJSON
	}
	if err := checkNestingAndNames(s); err != nil {
		return nil, err
	}
	top, ok := jsonObject(data)
	if !ok {
		return nil, errClaimsNotObj
	}
	c := new(ClaimsRequest)
	var err error
	if c.UserInfo, err = parseMember(top, "userinfo"); err != nil {
		return nil, err
	}
	if c.IDToken, err = parseMember(top, "id_token"); err != nil {
		return nil, err
	}
	return c, nil
}

// parseMember parses the member of the top-level object that lists the
// claims requested for one destination (userinfo or id_token).
func parseMember(top map[string]json.RawMessage, member string) (map[string]ClaimRequest, error) {
	raw, present := top[member]
	if !present {
		return nil, nil
	}
	obj, ok := jsonObject(raw)
	if !ok {
		return nil, claimsError("member " + member + " must be a JSON object")
	}
	requests := make(map[string]ClaimRequest, len(obj))
	// Sorted, so that a parameter with several faults always reports the same one.
	for _, name := range slices.Sorted(maps.Keys(obj)) {
		r, err := parseClaimRequest(obj[name], member, name == "acr")
		if err != nil {
			return nil, err
		}
		requests[name] = r
	}
	return requests, nil
}

// parseClaimRequest parses one individual claim request of member; acr says
// whether it is the request for the acr claim. Errors name the member, never
// the claim, as claim names are the client's text.
func parseClaimRequest(raw json.RawMessage, member string, acr bool) (ClaimRequest, error) {
	var r ClaimRequest
	if jsonKind(raw) == 'n' {
		return r, nil
	}
	obj, ok := jsonObject(raw)
	if !ok {
		return r, claimsError(member + ": a claim request must be null or a JSON object")
	}
	if e, present := obj["essential"]; present {
		switch string(trimJSONSpace(e)) {
		case "true":
			r.Essential = true
		case "false":
		default:
			return r, claimsError(member + ": essential must be true or false")
		}
	}
	if v, present := obj["value"]; present {
		r.Values = append(r.Values, compactJSON(v))
	}
	if vs, present := obj["values"]; present {
		var elems []json.RawMessage
		if jsonKind(vs) != '[' || json.Unmarshal(vs, &elems) != nil {
			return r, claimsError(member + ": values must be a JSON array")
		}
		if len(elems) == 0 {
			return r, claimsError(member + ": values must not be an empty array")
		}
		for _, v := range elems {
			r.Values = append(r.Values, compactJSON(v))
		}
	}
	if acr {
		for _, v := range r.Values {
			if _, ok := jsonString(v); !ok {
				return r, claimsError(member + ": acr: a requested value must be a string")
			}
		}
	}
	return r, nil
}

// checkNestingAndNames walks valid JSON and rejects nesting deeper than
// maxClaimsDepth and objects that repeat a member name. Names are compared
// decoded, so "acr" and "\u0061cr" are the same name.
func checkNestingAndNames(s string) error {
	type container struct {
		names   map[string]bool // nil for an array
		wantKey bool            // an object expects a name or its end
	}
	var stack []container
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber() // numbers stay text: no float overflow on valid JSON
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return errClaimsBadJSON
		}
		top := len(stack) - 1
		if top >= 0 && stack[top].wantKey {
			if tok != json.Delim('}') {
				name, _ := tok.(string)
				if stack[top].names[name] {
					return errClaimsDupName
				}
				stack[top].names[name] = true
				stack[top].wantKey = false
				continue
			}
			stack = stack[:top]
		} else {
			switch tok {
			case json.Delim('{'), json.Delim('['):
				if len(stack) == maxClaimsDepth {
					return errClaimsTooDeep
				}
				var c container
				if tok == json.Delim('{') {
					c = container{names: make(map[string]bool), wantKey: true}
				}
				stack = append(stack, c)
				continue
			case json.Delim(']'):
				stack = stack[:top]
			}
		}
		// A value ended: a scalar, or the container just closed.
		if n := len(stack); n > 0 && stack[n-1].names != nil {
			stack[n-1].wantKey = true
		}
	}
}

// ACR returns the acr request: the values, in order and de-duplicated, and
// whether they are essential (OpenID Connect Core §5.5.1.1). The ID token
// and userinfo carry the same acr, so an essential request in either member
// binds: its values are the request, and a voluntary request in the other
// member, or a null, neither hides nor widens it. When both members demand
// values, only values in both will do; none in common is
// ErrACRConflict, a request no token can meet. Without an essential
// request, the values are the id_token member's if it asks about acr (a
// null included), else userinfo's.
// Non-string acr values are skipped (ParseClaims rejects them; only a
// hand-built ClaimsRequest can hold them).
//
// Essential with no values asks that the token carry an acr claim, of any
// value.
func (c *ClaimsRequest) ACR() (values []string, essential bool, err error) {
	if c == nil {
		return nil, false, nil
	}
	id, inID := c.IDToken["acr"]
	ui, inUI := c.UserInfo["acr"]
	idValues, uiValues := stringValues(id), stringValues(ui)
	switch {
	case id.Essential && ui.Essential && len(idValues) > 0 && len(uiValues) > 0:
		for _, v := range idValues {
			if slices.Contains(uiValues, v) {
				values = append(values, v)
			}
		}
		if len(values) == 0 {
			return nil, true, ErrACRConflict
		}
		return values, true, nil
	case id.Essential && (len(idValues) > 0 || !ui.Essential):
		return idValues, true, nil
	case ui.Essential:
		return uiValues, true, nil
	case inID:
		return idValues, false, nil
	case inUI:
		return uiValues, false, nil
	}
	return nil, false, nil
}

// ErrACRConflict is a claims request whose id_token and userinfo members
// both demand acr values, with none in common.
var ErrACRConflict = errors.New("oidc: the essential acr values of id_token and userinfo have none in common")

// stringValues returns the string values of a claim request, in order and
// de-duplicated.
func stringValues(r ClaimRequest) []string {
	var values []string
	for _, raw := range r.Values {
		if v, ok := jsonString(raw); ok && !slices.Contains(values, v) {
			values = append(values, v)
		}
	}
	return values
}

// Requested reports whether the claim was requested in either member, in any
// form (null, voluntary or essential), so that a claim issued only on
// request, such as auth_time, is issued.
func (c *ClaimsRequest) Requested(claim string) bool {
	if c == nil {
		return false
	}
	_, inUserInfo := c.UserInfo[claim]
	_, inIDToken := c.IDToken[claim]
	return inUserInfo || inIDToken
}

// jsonObject decodes raw, valid JSON, as an object with names matched
// exactly; ok is false when raw is another kind of value.
func jsonObject(raw []byte) (obj map[string]json.RawMessage, ok bool) {
	if jsonKind(raw) != '{' {
		return nil, false
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, false
	}
	return obj, true
}

// jsonString decodes raw JSON as a string; ok is false for any other value,
// null included.
func jsonString(raw []byte) (s string, ok bool) {
	if jsonKind(raw) != '"' {
		return "", false
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// jsonKind returns the first byte of raw JSON, which tells the kind of value
// ('{', '[', '"', 'n' for null, 't', 'f', or a number's first byte), or 0
// for no value.
func jsonKind(raw []byte) byte {
	if t := trimJSONSpace(raw); len(t) > 0 {
		return t[0]
	}
	return 0
}

func trimJSONSpace(raw []byte) []byte { return bytes.Trim(raw, " \t\r\n") }

// compactJSON returns a compact copy of raw, valid JSON, so that equal
// values compare equal whatever spacing the request used.
func compactJSON(raw []byte) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return slices.Clone(raw)
	}
	return b.Bytes()
}
