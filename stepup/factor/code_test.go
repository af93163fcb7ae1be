package factor_test

import (
	"errors"
	"testing"

	"github.com/stepup-auth/stepup/stepup/factor"
)

func TestParseCode(t *testing.T) {
	for in, want := range map[string]string{
		"123456": "123456", "123 456": "123456", "123-456": "123456", "\t012345 ": "012345",
		"12345": "", "1234567": "", "12345a": "", "١٢٣٤٥٦": "", "": "", "123456\x00": "",
	} {
		got, err := factor.ParseCode([]byte(in))
		if want == "" {
			if !errors.Is(err, factor.ErrMalformed) {
				t.Errorf("ParseCode(%q) = %q, %v; want ErrMalformed", in, got, err)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("ParseCode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestNewCodeReadsAsItself(t *testing.T) {
	for range 1000 {
		code, err := factor.NewCode(nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := factor.ParseCode([]byte(code)); err != nil || got != code || len(code) != factor.CodeDigits {
			t.Fatalf("NewCode = %q, which reads as %q, %v", code, got, err)
		}
	}
}
