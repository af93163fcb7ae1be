package phone_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor/phone"
	"github.com/stepup-auth/stepup/stepup/factor/sendlimit"
)

func Example() {
	policy, err := phone.NewPolicy("DE", []string{"DE", "AT", "CH"})
	if err != nil {
		panic(err)
	}
	limiter, err := sendlimit.NewLimiter(sendlimit.DefaultLimits())
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 11, 24, 14, 0, 0, 0, time.UTC)

	for _, typed := range []string{"0151 1234 5678", "+33 6 12 34 56 78", "0900 5123456"} {
		if _, err := policy.Parse(typed); err != nil {
			fmt.Println(err)
		}
	}

	n, _ := policy.Parse("0151 1234 5678")
	fmt.Println(n.E164, n.Region, n.Type)
	fmt.Println(limiter.Allow(n.E164, n.Region, now))
	err = limiter.Allow(n.E164, n.Region, now.Add(10*time.Second)) // "resend" too soon
	var limit *sendlimit.LimitError
	if errors.As(err, &limit) {
		fmt.Println(limit.Scope, limit.RetryAfter)
	}
	fmt.Println(errors.Is(err, sendlimit.ErrTooManyMessages))
	// Output:
	// phone: text messages cannot be sent to numbers of this country: FR
	// phone: this number cannot receive text messages; enter a mobile number: premium-rate number
	// +4915112345678 DE mobile
	// <nil>
	// cooldown 20s
	// true
}
