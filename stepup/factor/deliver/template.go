package deliver

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"path"
	"strings"
	"text/template"
	"time"

	"golang.org/x/text/language"
)

// Kind names what a message is for; each kind has its templates.
type Kind string

// The kinds of message the Renderer knows.
const (
	KindOTP       Kind = "otp"        // a one-time code: needs Data.Code
	KindMagicLink Kind = "magic-link" // a sign-in link: needs Data.URL
)

// Data fills a template.
type Data struct {
	Site     string        // the service's name as users know it
	Code     string        // the one-time code, for KindOTP
	URL      string        // the link, for KindMagicLink
	Lifetime time.Duration // how long the code or link is valid
}

//go:embed templates
var templateFS embed.FS

// Renderer renders messages from the embedded templates, one directory per
// locale (templates/en, templates/de). For each kind a locale has
// KIND.subject, KIND.txt and KIND.html (email; the HTML one with
// html/template, so what Data holds is escaped) and KIND.sms (SMS and
// WhatsApp). English is the fallback for any language without its own
// directory.
type Renderer struct {
	matcher language.Matcher
	locales []locale // locales[0] is English
}

type locale struct {
	name string
	text *template.Template
	html *htmltemplate.Template
}

// NewRenderer parses the embedded templates.
func NewRenderer() (*Renderer, error) {
	dirs, err := fs.ReadDir(templateFS, "templates")
	if err != nil {
		return nil, fmt.Errorf("deliver: templates: %w", err)
	}
	r := &Renderer{}
	var tags []language.Tag
	for _, d := range dirs {
		l := locale{name: d.Name()}
		tag, err := language.Parse(l.name)
		if err != nil {
			return nil, fmt.Errorf("deliver: template locale %q: %w", l.name, err)
		}
		if l.text, err = template.ParseFS(templateFS, "templates/"+l.name+"/*.subject", "templates/"+l.name+"/*.txt", "templates/"+l.name+"/*.sms"); err != nil {
			return nil, fmt.Errorf("deliver: templates of %s: %w", l.name, err)
		}
		if l.html, err = htmltemplate.ParseFS(templateFS, "templates/"+l.name+"/*.html"); err != nil {
			return nil, fmt.Errorf("deliver: templates of %s: %w", l.name, err)
		}
		l.text.Option("missingkey=error")
		if tag == language.English {
			r.locales = append([]locale{l}, r.locales...)
			tags = append([]language.Tag{tag}, tags...)
		} else {
			r.locales = append(r.locales, l)
			tags = append(tags, tag)
		}
	}
	if len(tags) == 0 || tags[0] != language.English {
		return nil, errors.New("deliver: templates have no English")
	}
	r.matcher = language.NewMatcher(tags)
	return r, nil
}

// Locale returns the locale the Renderer uses for lang, a BCP 47 tag or an
// Accept-Language value: the best match, or "en".
func (r *Renderer) Locale(lang string) string {
	return r.pick(lang).name
}

func (r *Renderer) pick(lang string) *locale {
	_, i := language.MatchStrings(r.matcher, lang)
	return &r.locales[i]
}

// Render returns the content of a message of kind k on channel ch, in the
// locale that best matches lang. For Email it fills Subject, Text and
// HTML; for SMS and WhatsApp only Text.
func (r *Renderer) Render(k Kind, ch Channel, lang string, d Data) (Content, error) {
	switch {
	case k == KindOTP && d.Code == "":
		return Content{}, errors.New("deliver: an otp message needs a code")
	case k == KindMagicLink && d.URL == "":
		return Content{}, errors.New("deliver: a magic-link message needs a URL")
	case k != KindOTP && k != KindMagicLink:
		return Content{}, fmt.Errorf("deliver: unknown message kind %q", k)
	}
	l := r.pick(lang)
	v := view{Site: d.Site, Code: d.Code, URL: d.URL, Minutes: int((d.Lifetime + time.Minute - 1) / time.Minute)}
	var c Content
	var err error
	switch ch {
	case Email:
		if c.Subject, err = l.runText(string(k)+".subject", v); err != nil {
			return Content{}, err
		}
		c.Subject = strings.Join(strings.Fields(c.Subject), " ")
		if c.Text, err = l.runText(string(k)+".txt", v); err != nil {
			return Content{}, err
		}
		var b bytes.Buffer
		if err := l.html.ExecuteTemplate(&b, string(k)+".html", v); err != nil {
			return Content{}, fmt.Errorf("deliver: template %s/%s.html: %w", l.name, k, err)
		}
		c.HTML = b.String()
	case SMS, WhatsApp:
		if c.Text, err = l.runText(string(k)+".sms", v); err != nil {
			return Content{}, err
		}
		c.Text = strings.TrimSpace(c.Text)
	default:
		return Content{}, fmt.Errorf("deliver: unknown channel %q", ch)
	}
	return c, nil
}

// view is what the templates see.
type view struct {
	Site, Code, URL string
	Minutes         int
}

func (l *locale) runText(name string, v view) (string, error) {
	t := l.text.Lookup(name)
	if t == nil {
		return "", fmt.Errorf("deliver: no template %s", path.Join(l.name, name))
	}
	var b bytes.Buffer
	if err := t.Execute(&b, v); err != nil {
		return "", fmt.Errorf("deliver: template %s: %w", path.Join(l.name, name), err)
	}
	return b.String(), nil
}
