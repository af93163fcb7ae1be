// Command stepup-cognito is an example AWS Lambda function for an Amazon
// Cognito user pool's Define, Create and Verify Auth Challenge triggers:
// one function wired to all three, which asks stepup after the user's
// password. See docs/cognito-custom-auth.md.
//
// Its configuration is the environment:
//
//	STEPUP_URL             stepup's public URL (https)
//	STEPUP_API_KEY         a server API key of stepup
//	STEPUP_REDIRECT_URL    where the hosted challenge sends the browser with the token (the app's https link)
//	STEPUP_ACTION          the action tracked, default signIn
//	STEPUP_VOUCH_EMAIL     "true": send the user's verified email with the track call
//	STEPUP_VOUCH_PHONE     "true": send the user's verified phone_number with the track call
//	STEPUP_MAX_CHALLENGES  how many times one sign-in presents the challenge, default 3
package main

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stepup-auth/stepup/stepup/cognito"
)

func main() {
	h, err := handler(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "stepup-cognito:", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

func handler(env func(string) string) (*cognito.Handler, error) {
	c := cognito.Config{
		StepupURL: env("STEPUP_URL"), APIKey: env("STEPUP_API_KEY"), RedirectURL: env("STEPUP_REDIRECT_URL"),
		Action: env("STEPUP_ACTION"), VouchEmail: env("STEPUP_VOUCH_EMAIL") == "true", VouchPhone: env("STEPUP_VOUCH_PHONE") == "true",
		Log: slog.New(slog.NewJSONHandler(os.Stderr, nil)),
	}
	if s := env("STEPUP_MAX_CHALLENGES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, fmt.Errorf("STEPUP_MAX_CHALLENGES must be a number, got %q", s)
		}
		c.MaxChallenges = n
	}
	return cognito.New(c)
}
