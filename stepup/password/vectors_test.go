package password

import "strings"

// referenceVectors are argon2id PHC strings checked against x/crypto before
// use. Those with salt "somesalt" are from the argon2 reference
// implementation's own test suite (phc-winner-argon2, src/test.c); the one
// with a random salt was written by argon2-cffi's PasswordHasher.
var referenceVectors = []struct {
	name, password, encoded string
}{
	{"reference m=64MiB t=2 p=1", "password", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"},
	{"reference m=256KiB t=2 p=1", "password", "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"},
	{"reference m=256KiB t=2 p=2", "password", "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc"},
	{"reference t=1", "password", "$argon2id$v=19$m=65536,t=1,p=1$c29tZXNhbHQ$9qWtwbpyPd3vm1rB1GThgPzZ3/ydHL92zKL+15XZypg"},
	{"reference t=4", "password", "$argon2id$v=19$m=65536,t=4,p=1$c29tZXNhbHQ$kCXUjmjvc5XMqQedpMTsOv+zyJEf5PhtGiUghW9jFyw"},
	{"reference differentpassword", "differentpassword", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$C4TWUs9rDEvq7w3+J4umqA32aWKB1+DSiRuBfYxFj94"},
	{"reference diffsalt", "password", "$argon2id$v=19$m=65536,t=2,p=1$ZGlmZnNhbHQ$vfMrBczELrFdWP0ZsfhWsRPaHppYdP3MVEMIVlqoFBw"},
	{"argon2-cffi p=2 t=16", "password", "$argon2id$v=19$m=32768,t=16,p=2$Rfy6J41W9idBU+n/8sZc6Q$i3QYYPtoogIAw78I2qqlUQ8vjzUXGG1V6QsBOq2NIp4"},
}

// refHash is the first reference vector's hash field, which no error
// message may repeat.
const refHash = "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"

// malformedHashes must all be refused with ErrMalformedHash before any
// argon2 work is done. Most are the first reference vector with one part
// broken.
var malformedHashes = []struct {
	name, encoded string
}{
	{"empty", ""},
	{"not PHC", "password"},
	{"no leading dollar", "argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$" + refHash},
	{"argon2i", "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA"},
	{"argon2d", "$argon2d$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$" + refHash},
	{"upper-case algorithm", "$ARGON2ID$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$" + refHash},
	{"bcrypt", "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
	{"version 16", "$argon2id$v=16$m=65536,t=2,p=1$c29tZXNhbHQ$" + refHash},
	{"version 20", "$argon2id$v=20$m=65536,t=2,p=1$c29tZXNhbHQ$" + refHash},
	{"version with leading zero", "$argon2id$v=019$m=65536,t=2,p=1$c29tZXNhbHQ$" + refHash},
	{"version missing", "$argon2id$m=65536,t=2,p=1$c29tZXNhbHQ$" + refHash},
	{"hash missing", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ"},
	{"salt and hash missing", "$argon2id$v=19$m=65536,t=2,p=1"},
	{"extra field", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$" + refHash + "$extra"},
	{"trailing dollar", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$" + refHash + "$"},
	{"empty salt", "$argon2id$v=19$m=65536,t=2,p=1$$" + refHash},
	{"empty hash", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$"},
	{"parameter missing", "$argon2id$v=19$m=65536,t=2$c29tZXNhbHQ$" + refHash},
	{"parameter extra", "$argon2id$v=19$m=65536,t=2,p=1,keyid=a$c29tZXNhbHQ$" + refHash},
	{"parameters reordered", "$argon2id$v=19$t=2,m=65536,p=1$c29tZXNhbHQ$" + refHash},
	{"parameter repeated", "$argon2id$v=19$m=65536,m=65536,t=2$c29tZXNhbHQ$" + refHash},
	{"parameter empty", "$argon2id$v=19$m=,t=2,p=1$c29tZXNhbHQ$" + refHash},
	{"parameter with space", "$argon2id$v=19$m= 65536,t=2,p=1$c29tZXNhbHQ$" + refHash},
	{"parameter with plus", "$argon2id$v=19$m=+65536,t=2,p=1$c29tZXNhbHQ$" + refHash},
	{"parameter negative", "$argon2id$v=19$m=65536,t=-2,p=1$c29tZXNhbHQ$" + refHash},
	{"parameter leading zero", "$argon2id$v=19$m=065536,t=2,p=1$c29tZXNhbHQ$" + refHash},
	{"parameter hex", "$argon2id$v=19$m=0x10000,t=2,p=1$c29tZXNhbHQ$" + refHash},
	{"parameter overflows uint32", "$argon2id$v=19$m=4294967296,t=2,p=1$c29tZXNhbHQ$" + refHash},
	{"zero memory", "$argon2id$v=19$m=0,t=2,p=1$c29tZXNhbHQ$" + refHash},
	{"zero iterations", "$argon2id$v=19$m=65536,t=0,p=1$c29tZXNhbHQ$" + refHash},
	{"zero parallelism", "$argon2id$v=19$m=65536,t=2,p=0$c29tZXNhbHQ$" + refHash},
	{"memory under 8 KiB per lane", "$argon2id$v=19$m=15,t=2,p=2$c29tZXNhbHQ$" + refHash},
	{"memory over 4 GiB", "$argon2id$v=19$m=4194305,t=2,p=1$c29tZXNhbHQ$" + refHash},
	{"memory at uint32 max", "$argon2id$v=19$m=4294967295,t=2,p=1$c29tZXNhbHQ$" + refHash},
	{"iterations over 100", "$argon2id$v=19$m=65536,t=101,p=1$c29tZXNhbHQ$" + refHash},
	{"iterations at uint32 max", "$argon2id$v=19$m=65536,t=4294967295,p=1$c29tZXNhbHQ$" + refHash},
	{"parallelism over 16", "$argon2id$v=19$m=65536,t=2,p=17$c29tZXNhbHQ$" + refHash},
	{"parallelism that wraps a uint8 to 1", "$argon2id$v=19$m=65536,t=2,p=257$c29tZXNhbHQ$" + refHash},
	// argonautica's C backend wrote this with t=192: genuine, but past the
	// ceiling, so refused like any tampered row.
	{"genuine hash over the iteration ceiling", "$argon2id$v=19$m=4096,t=192,p=2$c29tZXNhbHQ$8nD3gRm+NeOcIiIrlnzDAdnK4iD+K0mVqFXowGs13M4"},
	{"salt bad base64", "$argon2id$v=19$m=65536,t=2,p=1$c29tZ*hbHQ$" + refHash},
	{"salt padded", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ=$" + refHash},
	{"salt URL alphabet", "$argon2id$v=19$m=65536,t=2,p=1$c29t_XNhbHQ$" + refHash},
	{"salt with newline", "$argon2id$v=19$m=65536,t=2,p=1$c29tZX\nNhbHQ$" + refHash},
	{"salt with non-zero trailing bits", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHR$" + refHash},
	{"salt impossible length", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQab$" + refHash},
	{"salt under 8 bytes", "$argon2id$v=19$m=65536,t=2,p=1$c29tZQ$" + refHash},
	{"salt over 1024 bytes", "$argon2id$v=19$m=65536,t=2,p=1$" + strings.Repeat("A", 1368) + "$" + refHash},
	{"hash bad base64", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRP.c"},
	{"hash padded", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$" + refHash + "="},
	{"hash under 16 bytes", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMa"},
	{"hash over 1024 bytes", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$" + strings.Repeat("A", 1368)},
	{"longer than 4096 bytes", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$" + strings.Repeat("A", 5000)},
}
