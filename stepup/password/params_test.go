package password

import (
	"errors"
	"strings"
	"testing"
)

func TestDefaultParams(t *testing.T) {
	p := DefaultParams()
	if err := p.Validate(); err != nil {
		t.Errorf("DefaultParams().Validate() = %v", err)
	}
	if p.Weak() {
		t.Errorf("DefaultParams() is weak")
	}
	want := Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	if p != want {
		t.Errorf("DefaultParams() = %+v, want OWASP's %+v", p, want)
	}
}

func TestValidate(t *testing.T) {
	with := func(change func(*Params)) Params {
		p := cheapest
		change(&p)
		return p
	}
	cases := []struct {
		name   string
		params Params
		want   []string // one fragment per problem; none means valid
	}{
		{"cheapest", cheapest, nil},
		{"default", DefaultParams(), nil},
		{"every ceiling", Params{Memory: 4 << 20, Iterations: 100, Parallelism: 16, SaltLength: 1024, KeyLength: 1024}, nil},
		{"16 lanes at their memory floor", with(func(p *Params) { p.Parallelism, p.Memory = 16, 128 }), nil},
		{"zero value", Params{}, []string{"parallelism", "memory", "iterations", "salt length", "key length"}},
		{"memory under 8 KiB", with(func(p *Params) { p.Memory = 7 }), []string{"memory must be at least 8 KiB"}},
		{"memory under 8 KiB per lane", with(func(p *Params) { p.Parallelism, p.Memory = 2, 15 }), []string{"memory must be at least 16 KiB"}},
		{"memory over 4 GiB", with(func(p *Params) { p.Memory = 4<<20 + 1 }), []string{"memory must be at most 4194304 KiB"}},
		{"zero iterations", with(func(p *Params) { p.Iterations = 0 }), []string{"iterations"}},
		{"iterations over 100", with(func(p *Params) { p.Iterations = 101 }), []string{"iterations must be between 1 and 100 but it's 101"}},
		{"zero parallelism", with(func(p *Params) { p.Parallelism = 0 }), []string{"parallelism must be between 1 and 16 but it's 0"}},
		{"parallelism over 16", with(func(p *Params) { p.Parallelism, p.Memory = 17, 1024 }), []string{"parallelism must be between 1 and 16 but it's 17"}},
		{"salt under 16 bytes", with(func(p *Params) { p.SaltLength = 15 }), []string{"salt length must be between 16 and 1024 bytes but it's 15"}},
		{"salt over 1024 bytes", with(func(p *Params) { p.SaltLength = 1025 }), []string{"salt length"}},
		{"key under 16 bytes", with(func(p *Params) { p.KeyLength = 15 }), []string{"key length must be between 16 and 1024 bytes but it's 15"}},
		{"key over 1024 bytes", with(func(p *Params) { p.KeyLength = 1025 }), []string{"key length"}},
		{"two problems", with(func(p *Params) { p.Iterations, p.KeyLength = 0, 8 }), []string{"iterations", "key length"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.params.Validate()
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidParams) {
				t.Fatalf("Validate() = %v, want ErrInvalidParams", err)
			}
			problems := err.(interface{ Unwrap() []error }).Unwrap()
			if len(problems) != len(c.want) {
				t.Fatalf("Validate() reported %d problems, want %d: %v", len(problems), len(c.want), err)
			}
			for i, fragment := range c.want {
				msg := problems[i].Error()
				if !strings.HasPrefix(msg, "password: invalid parameters: ") || !strings.Contains(msg, fragment) {
					t.Errorf("problem %d = %q, want it to mention %q", i, msg, fragment)
				}
			}
		})
	}
}

func TestWeak(t *testing.T) {
	cases := []struct {
		name       string
		memory     uint32
		iterations uint32
		want       bool
	}{
		{"cheapest accepted", 8, 1, true},
		{"OWASP m=46MiB t=1", 47104, 1, false},
		{"just under m=46MiB t=1", 47103, 1, true},
		{"OWASP m=19MiB t=2", 19456, 2, false},
		{"just under m=19MiB t=2", 19455, 2, true},
		{"m=19MiB but t=1", 19456, 1, true},
		{"OWASP m=12MiB t=3", 12288, 3, false},
		{"just under m=12MiB t=3", 12287, 3, true},
		{"OWASP m=9MiB t=4", 9216, 4, false},
		{"just under m=9MiB t=4", 9215, 4, true},
		{"OWASP m=7MiB t=5", 7168, 5, false},
		{"just under m=7MiB t=5", 7167, 5, true},
		{"m=7MiB with more passes", 7168, 100, false},
		{"many passes cannot make up for little memory", 4096, 100, true},
		{"RFC 9106 second option", 65536, 3, false},
		{"RFC 9106 first option", 2 << 20, 1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := Params{Memory: c.memory, Iterations: c.iterations, Parallelism: 1, SaltLength: 16, KeyLength: 32}
			if got := p.Weak(); got != c.want {
				t.Errorf("Params{m=%d,t=%d}.Weak() = %v, want %v", c.memory, c.iterations, got, c.want)
			}
		})
	}
}
