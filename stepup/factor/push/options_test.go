package push_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor/factortest"
	"github.com/stepup-auth/stepup/stepup/factor/push"
)

func TestNewNamesEveryWrongOption(t *testing.T) {
	_, err := push.New(push.Options{PublicURL: "id.example.com", Limits: push.Limits{PerWindow: 21, TTL: time.Hour}})
	if err == nil {
		t.Fatal("New with nothing right succeeded")
	}
	for _, want := range []string{"Authenticators", "Challenges", "PublicURL", "PerWindow", "Window"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("New's error does not name %s: %v", want, err)
		}
	}
}

func TestDefaultLimits(t *testing.T) {
	st := factortest.NewStore(t, nil)
	f, err := push.New(push.Options{Authenticators: st.Authenticators(), Challenges: st.Challenges(), PublicURL: "https://id.example.com", Limits: push.Limits{PerWindow: 5}})
	if err != nil {
		t.Fatal(err)
	}
	want := push.DefaultLimits()
	want.PerWindow = 5
	if got := f.Limits(); got != want {
		t.Fatalf("Limits = %+v, want %+v", got, want)
	}
}
