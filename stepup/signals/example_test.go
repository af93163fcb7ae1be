package signals_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/stepup-auth/stepup/stepup/signals"
)

func ExampleTravel() {
	signIn := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	paris := signals.Sighting{Known: true, Latitude: 48.8566, Longitude: 2.3522, Country: "FR", At: signIn}
	london := signals.Sighting{Known: true, Latitude: 51.5074, Longitude: -0.1278, Country: "GB", At: signIn.Add(10 * time.Minute)}

	j := signals.Travel(paris, london)
	fmt.Printf("%.0f km at %.0f km/h from %s, impossible: %v\n", j.Km, j.Kmh, j.PreviousCountry, j.Impossible)
	// Output: 344 km at 2061 km/h from FR, impossible: true
}

func ExampleIsBot() {
	for _, ua := range []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.6778.85 Safari/537.36",
		"curl/8.5.0",
		"",
	} {
		fmt.Println(signals.IsBot(ua))
	}
	// Output:
	// false
	// true
	// true
	// true
}

func ExampleLists_Match() {
	lists, err := signals.NewLists(signals.ListsConfig{
		Networks: map[string]signals.ListSource{
			"office": {Entries: []string{"203.0.113.0/24", "2001:db8:1::/48"}},
			"vpn":    {Entries: []string{"203.0.113.128/25"}},
		},
		Values: map[string]signals.ListSource{
			"vip": {Entries: []string{"ceo@example.com"}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(lists.Match(netip.MustParseAddr("203.0.113.200")))
	fmt.Println(lists.Match(netip.MustParseAddr("198.51.100.1")))
	fmt.Println(lists.Values()["vip"])
	// Output:
	// [office vpn]
	// []
	// [ceo@example.com]
}
