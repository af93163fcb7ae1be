package device

import (
	"errors"
	"io"
	"net/http"

	"github.com/stepup-auth/stepup/stepup/api"
	"github.com/stepup-auth/stepup/stepup/factor/push"
)

// codeRateLimited is the error code of a device that sent more requests
// than its share of the memory of requests seen.
const codeRateLimited = "rate_limited"

// maxBody bounds a device's request body: an answer or an enrollment is
// a few hundred bytes.
const maxBody = 4 << 10

// authenticate reads the request's body and checks its Authorization
// header: a known device, a timestamp within push.MaxSkew, a signature of
// the canonical request by the device's key, and a request not seen
// before. If any fails it answers the request and returns false.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request) (*push.Device, []byte, bool) {
	body, ok := readBody(w, r)
	if !ok {
		return nil, nil, false
	}
	creds, err := push.ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		h.unauthenticated(w, r, "the Authorization header is not a StepupDevice signature", err)
		return nil, nil, false
	}
	now := h.o.Now()
	if push.Skewed(creds.Time, now) {
		h.unauthenticated(w, r, "the request's timestamp is more than five minutes from the server's clock (see the Date header)", nil)
		return nil, nil, false
	}
	dev, err := h.o.Push.Device(r.Context(), creds.DeviceID)
	switch {
	case errors.Is(err, push.ErrUnknownDevice):
		h.unauthenticated(w, r, "the signature does not verify", err)
		return nil, nil, false
	case err != nil:
		h.internal(w, r, err)
		return nil, nil, false
	}
	msg := push.CanonicalRequest(r.Method, r.URL.RequestURI(), creds, body)
	if !push.Verify(dev.Key, msg, creds.Signature) {
		h.unauthenticated(w, r, "the signature does not verify", nil)
		return nil, nil, false
	}
	switch h.seen.add(dev.ID(), msg, now) {
	case seenDeviceFull:
		h.o.Log.WarnContext(r.Context(), "device: a device sends too many requests; refusing its new ones", "device", dev.ID(), "share", h.o.ReplaysPerDevice)
		w.Header().Set("Retry-After", "60")
		api.WriteError(w, http.StatusTooManyRequests, codeRateLimited, "this device sent too many requests lately; wait, and long-poll rather than poll")
		return nil, nil, false
	case seenFull:
		h.o.Log.ErrorContext(r.Context(), "device: too many recent requests to remember; refusing new ones", "capacity", h.o.Replays)
		w.Header().Set("Retry-After", "5")
		api.WriteError(w, http.StatusServiceUnavailable, api.CodeUnavailable, "the server is busy; try again shortly")
		return nil, nil, false
	case seenReplay:
		h.unauthenticated(w, r, "the request was sent before: sign each request with a new nonce", nil)
		return nil, nil, false
	}
	return dev, body, true
}

// readBody reads at most maxBody bytes of the request's body.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		api.WriteError(w, http.StatusRequestEntityTooLarge, api.CodeTooLarge, "the body is larger than 4096 bytes")
		return nil, false
	case err != nil:
		api.WriteError(w, http.StatusBadRequest, api.CodeInvalidRequest, "the body could not be read")
		return nil, false
	}
	return body, true
}

// unauthenticated answers 401 with message, safe for the device to see;
// cause goes to the log only.
func (h *Handler) unauthenticated(w http.ResponseWriter, r *http.Request, message string, cause error) {
	h.o.Log.InfoContext(r.Context(), "device: request refused", "path", r.URL.Path, "reason", message, "err", cause)
	w.Header().Set("WWW-Authenticate", push.Scheme)
	api.WriteError(w, http.StatusUnauthorized, api.CodeUnauthenticated, message)
}

func (h *Handler) internal(w http.ResponseWriter, r *http.Request, err error) {
	h.o.Log.ErrorContext(r.Context(), "device: request failed", "path", r.URL.Path, "err", err)
	api.WriteError(w, http.StatusInternalServerError, api.CodeInternal, "the request failed; try again")
}
