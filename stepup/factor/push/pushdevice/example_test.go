package pushdevice_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/stepup-auth/stepup/stepup/api/device"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/push"
	"github.com/stepup-auth/stepup/stepup/factor/push/pushdevice"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/memdb"
)

// A phone enrolls from the URI of the account page's QR code, then
// approves a step-up by picking the number the sign-in page shows.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "pushdevice-example")
	check(err)
	defer os.RemoveAll(dir)
	st, err := memdb.Open(memdb.Options{Dir: dir})
	check(err)
	defer st.Close()
	alice := &store.User{ID: "alice", Username: "alice"}
	check(st.Users().Create(ctx, alice))

	// The server: the push factor and its device API.
	srv := httptest.NewUnstartedServer(nil)
	f, err := push.New(push.Options{
		Authenticators: st.Authenticators(), Challenges: st.Challenges(),
		PublicURL: "http://" + srv.Listener.Addr().String(),
	})
	check(err)
	api, err := device.New(device.Options{Push: f})
	check(err)
	srv.Config.Handler = api
	srv.Start()
	defer srv.Close()

	// The account page (after a step-up) shows a QR code; the phone
	// scans it and enrolls; the page's poll then has the device.
	settings := factor.Target{UserID: "alice", FlowID: "settings"}
	qr, err := f.BeginEnroll(ctx, alice, settings)
	check(err)
	phone, err := pushdevice.New(pushdevice.Options{})
	check(err)
	check(phone.Enroll(ctx, qr.URI, "Alice's phone", "android"))
	enrolled, err := f.FinishEnroll(ctx, alice, settings, factor.Answer{ChallengeID: qr.ChallengeID})
	check(err)
	fmt.Println("enrolled:", enrolled.Authenticator.Name)

	// A step-up: the page shows a number and polls; the phone offers
	// three, and the user picks the one on the page.
	stepUp := factor.Target{UserID: "alice", FlowID: "step-up"}
	prompt, err := f.BeginVerify(ctx, stepUp)
	check(err)
	pushes, err := phone.Next(ctx, 25*time.Second)
	check(err)
	shown, err := strconv.Atoi(prompt.Display)
	check(err)
	fmt.Println("choices:", len(pushes[0].Choices), "the page's among them:", slices.Contains(pushes[0].Choices, shown))
	state, err := phone.Approve(ctx, pushes[0], shown)
	check(err)
	fmt.Println("phone:", state)
	res, err := f.FinishVerify(ctx, stepUp, factor.Answer{ChallengeID: prompt.ChallengeID})
	check(err)
	fmt.Println("verified:", res.Verification.Method, res.Verification.AMR)
	// Output:
	// enrolled: Alice's phone
	// choices: 3 the page's among them: true
	// phone: approved
	// verified: PUSH [swk user]
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
