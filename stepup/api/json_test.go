package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stepup-auth/stepup/stepup/api"
)

type body struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name, in string
		want     body
		err      string // in the error; "" for none
	}{
		{name: "valid", in: `{"name":"a","count":2}`, want: body{"a", 2}},
		{name: "spaces around", in: " \n{\"name\":\"a\"}\n ", want: body{Name: "a"}},
		{name: "unknown field", in: `{"name":"a","cuont":2}`, err: `unknown field "cuont"`},
		{name: "wrong type", in: `{"count":"2"}`, err: "field count: a JSON string is not valid here"},
		{name: "two values", in: `{"name":"a"}{"name":"b"}`, err: "more than one JSON value"},
		{name: "trailing garbage", in: `{"name":"a"} x`, err: "more than one JSON value"},
		{name: "empty", in: ``, err: "the body is empty"},
		{name: "not JSON", in: `name=a`, err: "invalid character"},
		{name: "truncated", in: `{"name":`, err: "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got body
			err := api.DecodeJSON([]byte(tt.in), &got)
			if tt.err == "" {
				if err != nil || got != tt.want {
					t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.HasPrefix(err.Error(), "api: ") {
				t.Fatalf("error %v, want one with %q", err, tt.err)
			}
		})
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"name":"a","count":2}`, `{"x":1}`, `[]`, `{"count":1e400}`, "{\"name\":\"\xff\"}", `{} {}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v body
		if err := api.DecodeJSON(b, &v); err != nil {
			if !strings.HasPrefix(err.Error(), "api: ") {
				t.Fatalf("error without the package prefix: %v", err)
			}
			return
		}
		// What it accepts is one valid JSON value that encoding/json reads the same way.
		var again body
		if !json.Valid(b) || json.Unmarshal(b, &again) != nil || again != v {
			t.Fatalf("accepted %q as %+v", b, v)
		}
	})
}

// errorOf decodes an error answer, failing if it is not one.
func errorOf(t *testing.T, rec *httptest.ResponseRecorder) api.ErrorDetail {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	var b api.ErrorBody
	if err := api.DecodeJSON(rec.Body.Bytes(), &b); err != nil || b.Error.Code == "" || b.Error.Message == "" {
		t.Fatalf("not an error body: %q (%v)", rec.Body, err)
	}
	return b.Error
}

func TestWriteError(t *testing.T) {
	rec := httptest.NewRecorder()
	api.WriteError(rec, http.StatusConflict, api.CodeConflict, "someone published first")
	if rec.Code != http.StatusConflict {
		t.Errorf("status %d", rec.Code)
	}
	if e := errorOf(t, rec); e.Code != "conflict" || e.Message != "someone published first" {
		t.Errorf("error %+v", e)
	}
	if rec.Body.String() != `{"error":{"code":"conflict","message":"someone published first"}}`+"\n" {
		t.Errorf("body %q", rec.Body)
	}
}

func TestReadJSON(t *testing.T) {
	tests := []struct {
		name, contentType, body string
		status                  int // 0: accepted
		code                    string
	}{
		{name: "valid", contentType: "application/json", body: `{"name":"a"}`},
		{name: "with a charset", contentType: "application/json; charset=utf-8", body: `{"name":"a"}`},
		{name: "no content type", body: `{"name":"a"}`},
		{name: "a form", contentType: "application/x-www-form-urlencoded", body: `name=a`, status: 415, code: api.CodeUnsupportedMedia},
		{name: "too large", contentType: "application/json", body: `{"name":"` + strings.Repeat("a", api.MaxBody) + `"}`, status: 413, code: api.CodeTooLarge},
		{name: "unknown field", contentType: "application/json", body: `{"nmae":"a"}`, status: 400, code: api.CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			rec := httptest.NewRecorder()
			var v body
			ok := api.ReadJSON(rec, req, &v)
			if tt.status == 0 {
				if !ok || v.Name != "a" {
					t.Fatalf("refused: %d %s", rec.Code, rec.Body)
				}
				return
			}
			if ok || rec.Code != tt.status {
				t.Fatalf("ok %v, status %d, want %d", ok, rec.Code, tt.status)
			}
			if e := errorOf(t, rec); e.Code != tt.code || strings.HasPrefix(e.Message, "api:") {
				t.Errorf("error %+v, want code %s and a message without the package prefix", e, tt.code)
			}
		})
	}
}
