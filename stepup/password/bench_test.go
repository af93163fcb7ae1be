package password

import "testing"

var benchParams = []struct {
	name   string
	params Params
}{
	{"default", DefaultParams()},
	{"cheapest", cheapest},
}

func BenchmarkHash(b *testing.B) {
	for _, bp := range benchParams {
		b.Run(bp.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Hash("correct horse battery staple", bp.params, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	for _, bp := range benchParams {
		b.Run(bp.name, func(b *testing.B) {
			encoded, err := Hash("correct horse battery staple", bp.params, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if ok, err := Verify(encoded, "correct horse battery staple"); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
	}
}

// BenchmarkDummyVerify should match BenchmarkVerify: the difference is
// what an attacker timing sign-ins could measure.
func BenchmarkDummyVerify(b *testing.B) {
	for _, bp := range benchParams {
		b.Run(bp.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				DummyVerify("correct horse battery staple", bp.params)
			}
		})
	}
}
