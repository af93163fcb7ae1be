package magiclink_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"regexp"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/deliver"
	"github.com/stepup-auth/stepup/stepup/factor/magiclink"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/memdb"
)

// outbox is a Sender that keeps the last message, where a real one
// would mail it.
type outbox struct{ last deliver.Message }

func (o *outbox) Send(_ context.Context, m deliver.Message) error { o.last = m; return nil }

// A link opened on the user's phone: the phone is shown a code, which the
// user types in the tab that asked for the link. The phone signs in to
// nothing.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "magiclink-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	st, err := memdb.Open(memdb.Options{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	// The email-code factor enrolls the address; here it is made by hand.
	_ = st.Users().Create(ctx, &store.User{ID: "jane", Username: "jane", CreatedAt: time.Now()})
	_ = st.Authenticators().Create(ctx, &store.Authenticator{ID: "mail-1", UserID: "jane",
		Method: acr.EmailOTP, Destination: "jane@example.com", Verified: true})

	renderer, err := deliver.NewRenderer()
	if err != nil {
		log.Fatal(err)
	}
	mail := &outbox{}
	f, err := magiclink.New(magiclink.Options{
		Authenticators: st.Authenticators(), Challenges: st.Challenges(), Sender: mail, Renderer: renderer,
		Key: []byte("an example key of thirty-two bytes or more"), BaseURL: "https://id.example.com", Site: "Example",
	})
	if err != nil {
		log.Fatal(err)
	}

	// Tab A, in the laptop's browser, asks for a link and polls.
	tabA := factor.Target{UserID: "jane", FlowID: "flow-1", Browser: "hash of the laptop's binding cookie"}
	p, err := f.BeginVerify(ctx, tabA)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("tab A: we sent a link to", p.Display)
	_, err = f.FinishVerify(ctx, tabA, factor.Answer{ChallengeID: p.ChallengeID})
	fmt.Println("tab A polls, pending:", errors.Is(err, factor.ErrPending))

	// The phone opens the link: GET /magic?token=… peeks, the Continue
	// button's POST opens.
	token := regexp.MustCompile(`token=([A-Za-z0-9_.-]+)`).FindStringSubmatch(mail.last.Text)[1]
	info, err := f.Peek(ctx, token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("phone: continue signing in to", info.Site, "as", info.Address, "?")
	opened, err := f.Open(ctx, token, "hash of the phone's binding cookie, or empty")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("phone: same browser:", opened.SameBrowser, "- shows a code of", len(opened.Code), "digits")

	// Tab A's next poll asks for the code, which the user types there.
	_, err = f.FinishVerify(ctx, tabA, factor.Answer{ChallengeID: p.ChallengeID})
	fmt.Println("tab A polls, asks for the code:", errors.Is(err, magiclink.ErrOpenedElsewhere))
	res, err := f.FinishVerify(ctx, tabA, factor.Answer{ChallengeID: p.ChallengeID, Response: []byte(opened.Code)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("tab A verified:", res.Verification.Method, res.Verification.AMR)
	// Output:
	// tab A: we sent a link to j•••@example.com
	// tab A polls, pending: true
	// phone: continue signing in to Example as j•••@example.com ?
	// phone: same browser: false - shows a code of 6 digits
	// tab A polls, asks for the code: true
	// tab A verified: EMAIL_MAGIC_LINK [otp]
}
