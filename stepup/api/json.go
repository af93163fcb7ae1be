package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// MaxBody bounds a request body, in bytes: a rule set document is at most
// 1 MiB, and nothing else an API takes comes near it.
const MaxBody = 1 << 20

// The error codes the APIs share. An API may add its own.
const (
	CodeInvalidRequest   = "invalid_request"
	CodeUnauthenticated  = "unauthenticated"
	CodeNotFound         = "not_found"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeConflict         = "conflict"
	CodeTooLarge         = "too_large"
	CodeUnsupportedMedia = "unsupported_media_type"
	CodeInternal         = "internal"
	CodeUnavailable      = "unavailable"
)

// ErrorBody is the body of every error answer.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is what went wrong.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// WriteError answers with status and the error {"error":{"code","message"}}.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	WriteJSON(w, status, ErrorBody{ErrorDetail{Code: code, Message: message}})
}

// WriteJSON answers with status and v as JSON. v must encode: it is the
// API's own type, so a failure is a bug, answered as a 500.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(ErrorBody{ErrorDetail{Code: CodeInternal, Message: "the answer could not be encoded"}})
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// DecodeJSON reads exactly one JSON value from body into v, refusing
// fields v does not have and anything after the value. Its errors start
// with "api: " and say what is wrong in words a client may see.
func DecodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("api: the body is not the JSON expected: %w", describe(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("api: the body holds more than one JSON value")
	}
	return nil
}

// describe rewords encoding/json's errors that name Go types, which mean
// nothing to a client, by the JSON field instead.
func describe(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Errorf("field %s: a JSON %s is not valid here", te.Field, te.Value)
	}
	if errors.Is(err, io.EOF) {
		return errors.New("the body is empty")
	}
	return err
}

// ReadJSON reads the request's body into v as DecodeJSON does, bounded
// by MaxBody. If it cannot, it answers the request with the error (415,
// 413 or 400) and returns false; the handler then stops.
func ReadJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			WriteError(w, http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "the body must be application/json")
			return false
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		WriteError(w, http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("the body is larger than %d bytes", MaxBody))
		return false
	case err != nil:
		WriteError(w, http.StatusBadRequest, CodeInvalidRequest, "the body could not be read")
		return false
	}
	if err := DecodeJSON(body, v); err != nil {
		WriteError(w, http.StatusBadRequest, CodeInvalidRequest, strings.TrimPrefix(err.Error(), "api: "))
		return false
	}
	return true
}

// JSONBodies refuses, with 415, a request whose body is not JSON, before
// next reads it: a form or plain text never reaches a handler, so a
// cross-site form cannot post to an API.
func JSONBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ct := r.Header.Get("Content-Type"); ct != "" && r.ContentLength != 0 {
			if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
				WriteError(w, http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "the body must be application/json")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
