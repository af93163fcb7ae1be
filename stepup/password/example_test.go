package password_test

import (
	"fmt"

	"github.com/stepup-auth/stepup/stepup/password"
)

func Example() {
	params := password.DefaultParams()
	encoded, err := password.Hash("correct horse battery staple", params, nil)
	if err != nil {
		panic(err)
	}
	ok, err := password.Verify(encoded, "correct horse battery staple")
	fmt.Println(ok, err)
	ok, err = password.Verify(encoded, "Tr0ub4dor&3")
	fmt.Println(ok, err)
	fmt.Println(password.NeedsRehash(encoded, params))
	// Output:
	// true <nil>
	// false <nil>
	// false
}

func ExampleParams_Weak() {
	// Costs this low are accepted, so tests can run quickly, but
	// configuration should warn about them.
	cheap := password.Params{Memory: 8, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 16}
	fmt.Println(cheap.Validate(), cheap.Weak())
	// Output: <nil> true
}
