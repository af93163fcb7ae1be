package device

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor/push"
)

func TestParseAnswer(t *testing.T) {
	for _, tc := range []struct {
		body string
		want push.Decision
		ok   bool
	}{
		{`{"decision":"approve","number":42}`, push.Decision{Approve: true, Number: 42}, true},
		{`{"decision":"deny"}`, push.Decision{}, true},
		{`{"decision":"deny","number":42}`, push.Decision{}, true},
		{`{"decision":"approve"}`, push.Decision{}, false},
		{`{"decision":"approve","number":9}`, push.Decision{}, false},
		{`{"decision":"approve","number":100}`, push.Decision{}, false},
		{`{"decision":"approve","number":"42"}`, push.Decision{}, false},
		{`{"decision":"approve","number":42.5}`, push.Decision{}, false},
		{`{"decision":"APPROVE","number":42}`, push.Decision{}, false},
		{`{"decision":"approve","number":42,"also":1}`, push.Decision{}, false},
		{`{"decision":"approve","number":42}{}`, push.Decision{}, false},
		{``, push.Decision{}, false},
	} {
		got, err := parseAnswer([]byte(tc.body))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseAnswer(%s) = %+v, %v; want %+v, ok %v", tc.body, got, err, tc.want, tc.ok)
		}
	}
}

func TestParseWait(t *testing.T) {
	const most = 25 * time.Second
	for in, want := range map[string]time.Duration{"": most, "0": 0, "10": 10 * time.Second, "25": most, "9999": most} {
		if got, err := parseWait(in, most); err != nil || got != want {
			t.Errorf("parseWait(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"-1", "1.5", "x", "99999", "1e3", " 1"} {
		if _, err := parseWait(in, most); err == nil {
			t.Errorf("parseWait(%q) succeeded", in)
		}
	}
}

func FuzzParseEnroll(f *testing.F) {
	f.Add([]byte(`{"token":"a.b","public_key":"AAAA","name":"n","platform":"p","proof":"` + strings.Repeat("A", 86) + `"}`))
	f.Add([]byte(`{"token":""}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := parseEnroll(body)
		if err != nil {
			return
		}
		if e.Token == "" || e.PublicKey == "" || len(e.Proof) != 64 {
			t.Fatalf("parseEnroll(%q) accepted %+v", body, e)
		}
	})
}

func FuzzParseAnswer(f *testing.F) {
	f.Add([]byte(`{"decision":"approve","number":42}`))
	f.Add([]byte(`{"decision":"deny"}`))
	f.Add([]byte(`{"number":1e400}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := parseAnswer(body)
		if err != nil {
			return
		}
		if d.Approve && (d.Number < 10 || d.Number > 99) || !d.Approve && d.Number != 0 {
			t.Fatalf("parseAnswer(%q) accepted %+v", body, d)
		}
	})
}

func FuzzParseWait(f *testing.F) {
	f.Add("25")
	f.Add("")
	f.Add("-0")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseWait(s, 25*time.Second)
		if err == nil && (d < 0 || d > 25*time.Second) {
			t.Fatalf("parseWait(%q) = %v", s, d)
		}
	})
}

func TestSeenRefusesRepeatsAndForgetsOnlyWhenSafe(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := newSeen(2, 2, 10*time.Minute)
	if got := s.add("d", []byte("a"), now); got != seenFresh {
		t.Fatal("a first request is not fresh")
	}
	if got := s.add("d", []byte("a"), now.Add(9*time.Minute)); got != seenReplay {
		t.Fatalf("a repeat within the window: %v", got)
	}
	if got := s.add("e", []byte("b"), now.Add(time.Minute)); got != seenFresh {
		t.Fatal("another request is not fresh")
	}
	// Full of requests still in their window: refuse, do not forget.
	if got := s.add("f", []byte("c"), now.Add(2*time.Minute)); got != seenFull {
		t.Fatalf("a third request in a set of two: %v; want refused as full", got)
	}
	if got := s.add("d", []byte("a"), now.Add(5*time.Minute)); got != seenReplay {
		t.Fatal("the first request was forgotten to make room")
	}
	// Once a request's window is over it can be forgotten: its timestamp
	// would be refused anyway.
	if got := s.add("f", []byte("c"), now.Add(10*time.Minute)); got != seenFresh {
		t.Fatalf("a request after the first's window: %v", got)
	}
	for i := range 1000 {
		s.add("d", []byte{byte(i), byte(i >> 8)}, now.Add(time.Duration(i)*10*time.Minute))
	}
	if len(s.queue) > 4 {
		t.Fatalf("the queue holds %d entries for a set of 2: it is not compacted", len(s.queue))
	}
}

// A device's share: past it only that device is refused, until its
// requests are forgotten.
func TestSeenBoundsEachDevicesShare(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := newSeen(10, 2, 10*time.Minute)
	s.add("d", []byte("1"), now)
	s.add("d", []byte("2"), now)
	if got := s.add("d", []byte("3"), now); got != seenDeviceFull {
		t.Fatalf("a device's third request with a share of two: %v", got)
	}
	if got := s.add("d", []byte("1"), now); got != seenReplay {
		t.Fatalf("a replay of a device past its share: %v, want seen as a replay", got)
	}
	if got := s.add("e", []byte("3"), now); got != seenFresh {
		t.Fatalf("another device's request: %v", got)
	}
	if got := s.add("d", []byte("3"), now.Add(10*time.Minute)); got != seenFresh {
		t.Fatalf("the device once its requests are forgotten: %v", got)
	}
	if len(s.count) != 1 || s.count["d"] != 1 {
		t.Fatalf("the counts after forgetting: %v", s.count)
	}
}

func TestParseEnrollNamesWhatIsMissing(t *testing.T) {
	_, err := parseEnroll([]byte(`{"name":"n"}`))
	if err == nil || !strings.Contains(err.Error(), "token, public_key, proof required") {
		t.Fatalf("parseEnroll of a body without token, key and proof: %v", err)
	}
	_, err = parseEnroll([]byte(`{"token":"t","public_key":"k","proof":"AAAA"}`))
	if err == nil || errors.Is(err, push.ErrProtocol) {
		t.Fatalf("parseEnroll of a short proof: %v", err)
	}
}
