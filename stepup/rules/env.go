package rules

import (
	"reflect"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/ext"
)

// The limits of one rule set. They keep a published rule set, and the
// fuzzer, from costing the server more than a real one would.
const (
	// maxDocument bounds a rule set document, in bytes; real ones are a
	// few kilobytes.
	maxDocument = 1 << 20
	// maxRules bounds the rules of one action; real sets have tens.
	maxRules = 1000
	// maxExpression bounds one when expression, in code points.
	maxExpression = 16 << 10
	// costLimit bounds the work of one rule's evaluation, in cel-go's
	// cost units (about one per field access or comparison, and per
	// element a comprehension or "in" goes over). Measured: a realistic
	// rule costs under 20; user.email in lists.vip over 10,000 entries
	// about 10,000; lists.vip.exists(v, user.email.endsWith(v)) about
	// 90,000, in 2 to 4 ms. A unit takes some 40 ns, so a rule stops at
	// the limit after about 4 ms, and 20 runaway rules cannot hold a
	// decision for more than about 80 ms.
	costLimit = 100_000
	// interruptEvery is how many comprehension steps run between checks
	// of the caller's context.
	interruptEvery = 100
)

// Variables are the top-level names a rule can use, with the CEL type of
// each. The order is that of the guide in doc.go.
var variables = []cel.EnvOption{
	cel.Variable("now", cel.TimestampType),
	cel.Variable("user", cel.ObjectType("rules.User")),
	cel.Variable("session", cel.ObjectType("rules.Session")),
	cel.Variable("device", cel.ObjectType("rules.Device")),
	cel.Variable("ip", cel.ObjectType("rules.IP")),
	cel.Variable("geo", cel.ObjectType("rules.Geo")),
	cel.Variable("travel", cel.ObjectType("rules.Travel")),
	cel.Variable("velocity", cel.ObjectType("rules.Velocity")),
	cel.Variable("request", cel.ObjectType("rules.Request")),
	cel.Variable("action", cel.ObjectType("rules.Action")),
	cel.Variable("lists", cel.MapType(cel.StringType, cel.ListType(cel.StringType))),
}

// celEnv is the environment every rule compiles in. Building it reflects
// over the input types, so it is built once; a cel.Env is safe for
// concurrent use.
var celEnv = sync.OnceValues(func() (*cel.Env, error) {
	opts := []cel.EnvOption{
		// Native types read the sections straight from the Go structs,
		// by field offset rather than through a map per evaluation, and
		// give the checker every field's type from its json tag, so the
		// names a rule uses are the names a stored decision shows.
		// Measured: 20 rules over every section evaluate in a few
		// microseconds (see BenchmarkEvaluate), so no other typed
		// approach (protobuf messages, hand-written ref.Val) is needed.
		ext.NativeTypes(
			reflect.TypeFor[User](), reflect.TypeFor[Session](), reflect.TypeFor[Device](),
			reflect.TypeFor[IP](), reflect.TypeFor[Geo](), reflect.TypeFor[Travel](),
			reflect.TypeFor[Velocity](), reflect.TypeFor[Request](), reflect.TypeFor[Action](),
			ext.ParseStructTag("json"),
		),
		// action.custom.amount > 1000 must hold whether the JSON number
		// was decoded as an int or a double.
		cel.CrossTypeNumericComparisons(true),
		// action.custom.?amount.orValue(0) > 1000 reads better than has().
		cel.OptionalTypes(),
		// lowerAscii, split, ...; sets.contains and sets.intersects.
		// ext.Lists is left out: its lists.range() would shadow our lists.
		ext.Strings(),
		ext.Sets(),
		levelFunctions(),
		// Literals that can only fail at run time fail at compile time:
		// duration("5x"), timestamp("yesterday"), a bad regular
		// expression, a level atLeast does not know.
		cel.ExtendedValidations(),
		cel.ASTValidators(levelLiterals{}),
		cel.ParserExpressionSizeLimit(maxExpression),
	}
	return cel.NewEnv(append(opts, variables...)...)
})

// programOptions are the options of a rule's program. Tracking the cost
// at run time doubles the time and the allocations of an evaluation, so
// only the rules that need it, tracked, pay for it (see boundedCost).
func programOptions(tracked bool) []cel.ProgramOption {
	opts := []cel.ProgramOption{cel.EvalOptions(cel.OptOptimize)}
	if tracked {
		opts = append(opts, cel.CostLimit(costLimit), cel.InterruptCheckFrequency(interruptEvery))
	}
	return opts
}

// boundedCost reports whether a rule's cost is known, before it runs, to
// stay under the limit. cel-go's estimate is an upper bound of the run
// time cost in the same units; without hints about the input's sizes it
// is unbounded for anything that depends on them (a comprehension,
// "in" a list, two input strings compared), and small for the rest
// (device.new && velocity.ip_1m > 20, request.client == "web"), which
// is most rules.
func boundedCost(env *cel.Env, a *cel.Ast) bool {
	est, err := env.EstimateCost(a, noSizeHints{})
	return err == nil && est.Max <= costLimit
}

// noSizeHints lets the estimator assume the worst of every input.
type noSizeHints struct{}

func (noSizeHints) EstimateSize(cost.AstNode) *cost.SizeEstimate { return nil }

func (noSizeHints) EstimateCallCost(string, string, *cost.AstNode, []cost.AstNode) *cost.CallEstimate {
	return nil
}
