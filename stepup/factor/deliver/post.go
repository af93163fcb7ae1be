package deliver

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
)

// postOnce sends req and classifies the outcome: a 2xx is success; a 429,
// or an error before the request was fully written, is retryable; any
// other answer or error is final. describe turns an error answer's body
// into the error.
func postOnce(client *http.Client, req *http.Request, name string, describe func(status int, body []byte) error) error {
	if client == nil {
		client = http.DefaultClient
	}
	var written atomic.Bool
	trace := &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			if i.Err == nil {
				written.Store(true)
			}
		},
	}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	resp, err := client.Do(req)
	if err != nil {
		err = fmt.Errorf("%s: %w", name, err)
		if !written.Load() {
			return retryable{err}
		}
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	err = describe(resp.StatusCode, b)
	if resp.StatusCode == http.StatusTooManyRequests {
		return retryable{err}
	}
	return err
}

// printable keeps at most n bytes of s, with control characters dropped,
// so that a hostile answer cannot forge log lines.
func printable(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "") + "…"
	}
	return s
}
