package password

import (
	"errors"
	"fmt"
)

// Params are the argon2id cost parameters and output sizes.
type Params struct {
	Memory      uint32 // KiB
	Iterations  uint32 // passes over memory
	Parallelism uint8  // lanes, each computed on its own goroutine
	SaltLength  uint32 // bytes
	KeyLength   uint32 // bytes
}

// Bounds enforced by Validate and, for stored hashes, by Verify.
const (
	// minMemoryPerLane is argon2's own floor: the reference implementation
	// refuses fewer than 8 KiB per lane and x/crypto silently raises it.
	minMemoryPerLane = 8
	// maxMemory (4 GiB) and maxIterations stop a typo in configuration,
	// or a tampered row, from making one sign-in take the machine down.
	maxMemory      = 4 << 20
	maxIterations  = 100
	maxParallelism = 16
	// minSaltLength is RFC 9106's recommendation for new hashes.
	minSaltLength = 16
	// minStoredSaltLength is argon2's own floor. Verify accepts it so that
	// hashes made elsewhere, such as the reference test vectors with their
	// 8-byte "somesalt", still verify; NeedsRehash then upgrades them.
	minStoredSaltLength = 8
	minKeyLength        = 16
	// The length ceilings bound what a stored row can make us allocate;
	// real deployments use 16 to 64 bytes.
	maxSaltLength = 1024
	maxKeyLength  = 1024
)

// DefaultParams returns OWASP's 2024 recommendation for argon2id: 19 MiB,
// two passes, one lane, a 16-byte salt and a 32-byte key.
//
// RFC 9106's second recommended option (64 MiB, three passes, four lanes)
// measured about 100 ms per check on the two-core machines stepup targets,
// against 20 to 30 ms for these, and holds more than three times the memory
// per concurrent sign-in. An interactive login must survive bursts of
// guesses on small machines, so we take the cheapest settings that still
// meet OWASP's minimum; deployments with room to spare can raise them.
func DefaultParams() Params {
	return Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
}

// Validate reports, all at once, every parameter outside the bounds this
// package accepts for new hashes. Each problem wraps ErrInvalidParams.
func (p Params) Validate() error {
	var errs []error
	for _, problem := range p.problems(minSaltLength) {
		errs = append(errs, fmt.Errorf("%w: %s", ErrInvalidParams, problem))
	}
	return errors.Join(errs...)
}

// problems lists what is wrong with p. The salt floor is a parameter because
// stored hashes made by other software are held to argon2's floor, not ours.
func (p Params) problems(minSalt uint32) []string {
	var out []string
	if p.Parallelism < 1 || p.Parallelism > maxParallelism {
		out = append(out, fmt.Sprintf("parallelism must be between 1 and %d but it's %d", maxParallelism, p.Parallelism))
	}
	lanes := uint32(max(p.Parallelism, 1))
	if floor := minMemoryPerLane * lanes; p.Memory < floor {
		out = append(out, fmt.Sprintf("memory must be at least %d KiB (8 KiB per lane) but it's %d KiB", floor, p.Memory))
	}
	if p.Memory > maxMemory {
		out = append(out, fmt.Sprintf("memory must be at most %d KiB (4 GiB) but it's %d KiB", maxMemory, p.Memory))
	}
	if p.Iterations < 1 || p.Iterations > maxIterations {
		out = append(out, fmt.Sprintf("iterations must be between 1 and %d but it's %d", maxIterations, p.Iterations))
	}
	if p.SaltLength < minSalt || p.SaltLength > maxSaltLength {
		out = append(out, fmt.Sprintf("salt length must be between %d and %d bytes but it's %d", minSalt, maxSaltLength, p.SaltLength))
	}
	if p.KeyLength < minKeyLength || p.KeyLength > maxKeyLength {
		out = append(out, fmt.Sprintf("key length must be between %d and %d bytes but it's %d", minKeyLength, maxKeyLength, p.KeyLength))
	}
	return out
}

// owaspMinimums are the equivalent memory/iterations pairs of the OWASP
// Password Storage Cheat Sheet (2024) for argon2id, all with one lane.
var owaspMinimums = []struct{ memory, iterations uint32 }{
	{47104, 1},
	{19456, 2},
	{12288, 3},
	{9216, 4},
	{7168, 5},
}

// Weak reports whether p costs less than every OWASP minimum, so that
// configuration can warn about it. Weak parameters are still accepted:
// tests and benchmarks need cheap ones. Weak says nothing about validity;
// call Validate for that.
func (p Params) Weak() bool {
	for _, m := range owaspMinimums {
		if p.Memory >= m.memory && p.Iterations >= m.iterations {
			return false
		}
	}
	return true
}
