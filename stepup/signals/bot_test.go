package signals

import (
	"strings"
	"testing"
)

// Real user agents, as browsers and tools send them.
const (
	uaChromeWindows  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	uaFirefoxLinux   = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
	uaSafariIOS      = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1"
	uaGooglebot      = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
	uaHeadlessChrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.6778.85 Safari/537.36"
)

func TestIsBot(t *testing.T) {
	for _, tc := range []struct {
		name string
		ua   string
		bot  bool
	}{
		// Browsers people use.
		{"chrome on windows", uaChromeWindows, false},
		{"chrome on android", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", false},
		{"chrome on ios", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1", false},
		{"firefox on linux", uaFirefoxLinux, false},
		{"firefox on windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", false},
		{"safari on ios", uaSafariIOS, false},
		{"safari on macos", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15", false},
		{"edge", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", false},
		{"samsung internet", "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36", false},
		{"android webview", "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.39 Mobile Safari/537.36", false},
		{"facebook in-app browser", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/437.0.0.35.117;FBBV/577284044;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/17.0;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]", false},
		{"a phone named cubot", "Mozilla/5.0 (Linux; Android 10; CUBOT_X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36", false},
		{"a phone named power bot", "Mozilla/5.0 (Linux; Android 8.1.0; POWER BOT Build/O11019) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36", false},

		// Crawlers and link previewers.
		{"googlebot", uaGooglebot, true},
		{"googlebot smartphone", "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.139 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", true},
		{"bingbot", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36", true},
		{"baidu", "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)", true},
		{"gptbot", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)", true},
		{"facebook link preview", "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", true},
		{"slack link preview", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", true},
		{"whatsapp link preview", "WhatsApp/2.23.20.0 A", true},
		{"teams link preview", "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5", true},
		{"ending in bot", "Mozilla/5.0 (compatible) SemanticScholarBot", true},
		{"lighthouse", "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse", true},

		// Tools and libraries.
		{"curl", "curl/8.5.0", true},
		{"wget", "Wget/1.21.4", true},
		{"python-requests", "python-requests/2.32.3", true},
		{"python urllib", "Python-urllib/3.12", true},
		{"go", "Go-http-client/1.1", true},
		{"okhttp", "okhttp/4.12.0", true},
		{"java", "Java/17.0.9", true},
		{"apache httpclient", "Apache-HttpClient/4.5.14 (Java/17.0.9)", true},
		{"axios", "axios/1.7.7", true},
		{"node-fetch", "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)", true},
		{"postman", "PostmanRuntime/7.42.0", true},
		{"powershell", "Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.19045; en-US) PowerShell/7.4.6", true},
		{"ruby", "Ruby", true},

		// Browsers driven by programs.
		{"headless chrome, as our own browser tests send", uaHeadlessChrome, true},
		{"phantomjs", "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1", true},
		{"jsdom", "Mozilla/5.0 (linux) AppleWebKit/537.36 (KHTML, like Gecko) jsdom/20.0.3", true},

		// Agents that say nothing.
		{"empty", "", true},
		{"blank", " \t ", true},
		{"dash", "-", true},
		{"bare mozilla", "Mozilla/5.0", true},
		{"bare mozilla, shouting", "MOZILLA/5.0 ", true},

		// Case and length do not hide anything.
		{"upper case", "CURL/8.5.0", true},
		{"bot past 512 bytes", uaChromeWindows + strings.Repeat(" x", 300) + " SomeBot/1.0", true},
		{"browser past 512 bytes", uaChromeWindows + strings.Repeat(" x", 300), false},
		{"a phone name does not hide a bot after it", "Mozilla/5.0 (Linux; Android 10; CUBOT_X30) Chrome/120 Mobile Safari/537.36 Googlebot/2.1", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsBot(tc.ua); got != tc.bot {
				t.Errorf("IsBot(%q) = %v, want %v", tc.ua, got, tc.bot)
			}
		})
	}
}

// FuzzIsBot: any header value, valid UTF-8 or not, gives an answer without
// panicking, and the answer ignores case and the space around it.
func FuzzIsBot(f *testing.F) {
	for _, ua := range []string{uaChromeWindows, uaGooglebot, uaHeadlessChrome, "", "cubot", "; m bot", "\xff\xfe"} {
		f.Add(ua)
	}
	f.Fuzz(func(t *testing.T, ua string) {
		got := IsBot(ua)
		if upper := strings.ToUpper(ua); IsBot(upper) != got && isASCII(ua) {
			t.Errorf("IsBot(%q) = %v but IsBot(%q) = %v", ua, got, upper, !got)
		}
		if padded := " " + ua + "\t"; IsBot(padded) != got {
			t.Errorf("IsBot(%q) = %v but IsBot(%q) = %v", ua, got, padded, !got)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func BenchmarkIsBot(b *testing.B) {
	for _, bc := range []struct{ name, ua string }{
		{"chrome", uaChromeWindows},
		{"firefox", uaFirefoxLinux},
		{"safari-ios", uaSafariIOS},
		{"googlebot", uaGooglebot},
		{"headless", uaHeadlessChrome},
		{"long", uaChromeWindows + strings.Repeat(" x", 300)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				IsBot(bc.ua)
			}
		})
	}
}
