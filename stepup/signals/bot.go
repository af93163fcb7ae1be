package signals

import "strings"

// IsBot says whether a User-Agent header says it is automation rather than
// a browser a person drives: a crawler or link previewer, a command-line
// tool or HTTP library (curl, python-requests, okhttp), or a headless or
// remote-controlled browser (HeadlessChrome, PhantomJS, Selenium). An empty
// user agent is a bot: every browser sends one.
//
// HeadlessChrome is automation, so IsBot is true for stepup's own browser
// tests too. A rule that blocks bots outright blocks them; that choice is
// the integrator's, and the demo rules do not make it.
//
// IsBot believes what the header says. A bot that sends a browser's user
// agent is not found here; this signal catches honest automation (crawlers
// prefetching a magic link, scripts) for free, not a determined attacker.
//
// It is case-insensitive, allocates nothing for user agents up to 512
// bytes, and takes well under a microsecond for a browser's.
func IsBot(userAgent string) bool {
	ua := strings.TrimSpace(userAgent)
	if ua == "" {
		return true
	}
	var buf [512]byte
	b := buf[:0]
	if len(ua) > len(buf) {
		b = make([]byte, 0, len(ua))
	}
	for i := 0; i < len(ua); i++ {
		c := ua[i]
		if c-'A' < 26 { // A to Z, in one unsigned comparison
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	// Agents that are bots only when they are all there is: a browser
	// sends far more than "Mozilla/5.0".
	switch string(b) {
	case "mozilla", "mozilla/4.0", "mozilla/5.0", "ruby", "-":
		return true
	}
	// One pass over the agent, trying at each byte only the patterns that
	// start with it and the next byte; most positions of a browser's agent
	// start no pattern at all and cost one bit test.
	for i := 0; i+1 < len(b); i++ {
		if !botPairs.has(b[i], b[i+1]) {
			continue
		}
		for _, p := range botPatternsByFirstByte[b[i]] {
			if len(b)-i >= len(p.text) && string(b[i:i+len(p.text)]) == p.text {
				if p.notBot {
					// Skip the phone's name, and the "bot" inside it.
					i += len(p.text) - 1
					break
				}
				return true
			}
		}
	}
	return false
}

// botPatterns are lower-case substrings of automated user agents, grouped
// by kind. They are written here rather than taken from a library: the
// maintained crawler lists for Go (x-way/crawlerdetect, the Go package of
// monperrus/crawler-user-agents) cannot be fetched through our module
// proxy, and the general user-agent parser that can be
// (mileusna/useragent) calls curl, python-requests and an empty agent
// browsers, and allocates 14 times per parse. A short list of generic words
// ("bot", "crawl", "spider") finds most crawlers, which name themselves so;
// the rest are tools and libraries that do not.
var botPatterns = [][]string{
	// Crawlers, link previewers and monitors name themselves.
	{"bot", "crawl", "spider", "slurp", "scrape", "archiver", "+http",
		"facebookexternalhit", "facebookcatalog", "whatsapp/", "skypeuripreview",
		"bingpreview", "link preview", "google web preview", "google favicon",
		"googleother", "mediapartners-google", "feedfetcher", "google-read-aloud",
		"embedly", "pingdom", "statuscake", "site24x7", "datadog", "newrelicpinger",
		"lighthouse", "pagespeed", "gtmetrix", "nutch", "heritrix", "httrack",
		"zgrab", "masscan", "nmap", "nikto", "sqlmap", "nuclei"},
	// Command-line tools and HTTP libraries. A native app that calls the
	// track API with its HTTP library's agent (okhttp, Dart) is counted
	// here: pass the agent of the person's device instead.
	{"curl", "wget", "python-", "python/", "aiohttp", "httpx", "urllib",
		"go-http-client", "go-resty", "okhttp", "java/", "java-http-client",
		"apache-httpclient", "commons-httpclient", "libwww-perl", "lwp::", "mechanize",
		"axios", "node-fetch", "undici", "node.js", "faraday", "httparty", "rest-client",
		"guzzlehttp", "php/", "winhttp", "powershell", "httpie", "postmanruntime",
		"insomnia", "reqwest", "hackney", "dart:io", "wordpress/"},
	// Browsers driven by programs.
	{"headless", "phantomjs", "slimerjs", "selenium", "webdriver", "puppeteer",
		"playwright", "cypress", "htmlunit", "jsdom"},
}

// botNotPatterns are phone names with "bot" in them, found in real Android
// browsers' agents.
var botNotPatterns = []string{"cubot", "; m bot", "; b bot", "; idbot", "; id bot", "; power bot"}

type botPattern struct {
	text   string
	notBot bool
}

// bytePairs is a set of two-byte sequences.
type bytePairs [256][4]uint64

func (s *bytePairs) add(a, b byte)      { s[a][b>>6] |= 1 << (b & 63) }
func (s *bytePairs) has(a, b byte) bool { return s[a][b>>6]&(1<<(b&63)) != 0 }

// botPairs holds the first two bytes of every pattern, exclusions included.
var botPairs = func() (s bytePairs) {
	for _, p := range botNotPatterns {
		s.add(p[0], p[1])
	}
	for _, group := range botPatterns {
		for _, p := range group {
			s.add(p[0], p[1])
		}
	}
	return s
}()

var botPatternsByFirstByte = func() (t [256][]botPattern) {
	// Exclusions first in each bucket, so "cubot" is seen before "c…".
	for _, p := range botNotPatterns {
		t[p[0]] = append(t[p[0]], botPattern{text: p, notBot: true})
	}
	for _, group := range botPatterns {
		for _, p := range group {
			t[p[0]] = append(t[p[0]], botPattern{text: p})
		}
	}
	return t
}()
