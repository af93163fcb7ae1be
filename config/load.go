package config

import (
	"errors"
	"io/fs"
	"os"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// EnvVar names the environment variable that holds the configuration file's
// path when no --config flag is given.
const EnvVar = "STEPUP_CONFIG"

// Path returns the configuration file to load: flagValue (the --config flag)
// if set, else $STEPUP_CONFIG, else "" for no file.
func Path(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	return os.Getenv(EnvVar)
}

// Load reads the configuration file at path, expanding ${VAR} from the
// process environment. An empty path means no file: Load returns Default()
// and no problems.
//
// The Config is nil exactly when the Problems hold an Error; warnings alone
// leave a usable Config.
func Load(path string) (*Config, Problems) {
	if path == "" {
		return Default(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		msg := "cannot read the configuration file: " + err.Error()
		if errors.Is(err, fs.ErrNotExist) {
			msg = "configuration file does not exist"
		}
		return nil, Problems{{File: path, Message: msg, Severity: Error}}
	}
	return LoadBytes(path, data, os.LookupEnv)
}

// LoadBytes decodes data, a configuration file called name in problems, on
// top of Default() and validates the result. env looks up ${VAR} references;
// nil means no variable is set.
//
// The Config is nil exactly when the Problems hold an Error.
func LoadBytes(name string, data []byte, env func(string) (string, bool)) (*Config, Problems) {
	cfg := Default()
	d := newDecoder(name, env)
	if body, ok := d.parse(data); ok && body != nil {
		d.collectAnchors(body)
		d.decode("", body, reflect.ValueOf(cfg).Elem(), position{1, 1}, false)
	}
	cfg.fillDerived()
	ps := d.problems
	if d.values <= maxValues { // else the Config is cut short, and checking it would only add noise
		ps = append(ps, validate(cfg, d, true)...)
	}
	ps.sort()
	if ps.HasErrors() {
		return nil, ps
	}
	return cfg, ps
}

// parse returns the body of the file's only document, nil for an empty file.
func (d *decoder) parse(data []byte) (ast.Node, bool) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		p := Problem{File: d.file, Message: "invalid YAML: " + err.Error(), Severity: Error}
		var ye yaml.Error
		if errors.As(err, &ye) {
			// Error() would add the source excerpt; the position says where.
			p.Message = "invalid YAML: " + controlChars.Replace(ye.GetMessage())
			if tk := ye.GetToken(); tk != nil && tk.Position != nil {
				p.Line, p.Column = tk.Position.Line, tk.Position.Column
			}
		}
		d.problems = append(d.problems, p)
		return nil, false
	}
	var body ast.Node
	for _, doc := range f.Docs {
		if doc == nil || isNil(doc.Body) {
			continue
		}
		if body != nil {
			d.errorf(posOf(doc.Body), "", "only one YAML document is allowed, but another starts here")
			return nil, false
		}
		body = doc.Body
	}
	return body, true
}

// controlChars spells out the characters a syntax error may quote, such as a
// tab used for indentation, so the message stays on one visible line.
var controlChars = strings.NewReplacer("\t", `\t`, "\n", `\n`, "\r", `\r`)
