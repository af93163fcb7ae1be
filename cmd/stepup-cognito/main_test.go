package main

import "testing"

func TestHandlerFromEnvironment(t *testing.T) {
	env := map[string]string{"STEPUP_URL": "https://stepup.example", "STEPUP_API_KEY": "su_server_x_y",
		"STEPUP_REDIRECT_URL": "https://app.example/stepup-done", "STEPUP_MAX_CHALLENGES": "2"}
	get := func(k string) string { return env[k] }
	if _, err := handler(get); err != nil {
		t.Fatalf("a complete environment: %v", err)
	}
	for _, k := range []string{"STEPUP_URL", "STEPUP_API_KEY", "STEPUP_REDIRECT_URL"} {
		v := env[k]
		delete(env, k)
		if _, err := handler(get); err == nil {
			t.Errorf("without %s: no error", k)
		}
		env[k] = v
	}
	for _, bad := range []string{"two", "0x2", "11"} {
		env["STEPUP_MAX_CHALLENGES"] = bad
		if _, err := handler(get); err == nil {
			t.Errorf("STEPUP_MAX_CHALLENGES=%s: no error", bad)
		}
	}
}
