package anyio_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/streams/stapled"
	"github.com/anyio-go/anyio/streams/text"
)

// The options of every function are checked by the compiler: an option that
// means nothing to a function does not compile, and every option compiles
// for each function it serves. TestOptionsCompile proves both by
// type-checking one small function per (option, function) pair with
// go/types against the export data of the packages as they are now.

// compileFuncs are the functions that take options; OPTS stands for the
// option in the call.
var compileFuncs = []struct{ name, call string }{
	{"ConnectTCP", `anyio.ConnectTCP(ctx, "h", 1, OPTS)`},
	{"CreateTCPListener", `anyio.CreateTCPListener(ctx, OPTS)`},
	{"CreateUnixListener", `anyio.CreateUnixListener(ctx, "p", OPTS)`},
	{"CreateUDPSocket", `anyio.CreateUDPSocket(ctx, OPTS)`},
	{"CreateConnectedUDPSocket", `anyio.CreateConnectedUDPSocket(ctx, "h", 1, OPTS)`},
	{"CreateUnixDatagramSocket", `anyio.CreateUnixDatagramSocket(ctx, OPTS)`},
	{"CreateConnectedUnixDatagramSocket", `anyio.CreateConnectedUnixDatagramSocket(ctx, "p", OPTS)`},
	{"GetAddrInfo", `anyio.GetAddrInfo(ctx, "h", 1, OPTS)`},
	{"TCPConnectable", `_ = anyio.TCPConnectable{Host: "h", Options: []anyio.ConnectTCPOption{OPTS}}`},
	{"Run", `anyio.Run(ctx, body, OPTS)`},
	{"StartSoon", `tg.StartSoon(body, OPTS)`},
	{"Start", `anyio.Start(ctx, tg, startBody, OPTS)`},
	{"NewCancelScope", `anyio.NewCancelScope(OPTS)`},
	{"MoveOnAfter", `anyio.MoveOnAfter(time.Second, OPTS)`},
	{"MoveOnAt", `anyio.MoveOnAt(time.Time{}, OPTS)`},
	{"FailAfter", `anyio.FailAfter(time.Second, OPTS)`},
	{"FailAt", `anyio.FailAt(time.Time{}, OPTS)`},
	{"NewLock", `anyio.NewLock(OPTS)`},
	{"NewSemaphore", `anyio.NewSemaphore(1, OPTS)`},
	{"text.NewReceiveStream", `text.NewReceiveStream(bs, OPTS)`},
	{"text.NewSendStream", `text.NewSendStream(bs, OPTS)`},
	{"text.NewStream", `text.NewStream(bs, OPTS)`},
	{"text.NewConnectable", `text.NewConnectable(conn, OPTS)`},
	{"tlsstream.Wrap", `tlsstream.Wrap(ctx, bs, OPTS)`},
	{"tlsstream.NewListener", `tlsstream.NewListener(listener, nil, OPTS)`},
	{"tlsstream.Connect", `tlsstream.Connect(ctx, "h", 1, nil, OPTS)`},
	{"tlsstream.Connectable", `_ = tlsstream.Connectable{Transport: conn, Options: []tlsstream.Option{OPTS}}`},
	{"anyiotest.Run", `anyiotest.Run(t, body, OPTS)`},
	{"anyiotest.RunVirtual", `anyiotest.RunVirtual(t, body, OPTS)`},
	{"process.Run", `process.Run(ctx, nil, OPTS)`},
	{"process.RunCmd", `process.RunCmd(ctx, nil, OPTS)`},
	{"process.Open", `process.Open(ctx, nil, OPTS)`},
	{"process.OpenCmd", `process.OpenCmd(ctx, nil, OPTS)`},
}

// connectTCP are the functions that take ConnectTCP's options.
var connectTCP = []string{"ConnectTCP", "TCPConnectable", "tlsstream.Connect"}

var (
	udpSocket    = []string{"CreateUDPSocket", "CreateConnectedUDPSocket"}
	unixDatagram = []string{"CreateUnixDatagramSocket", "CreateConnectedUnixDatagramSocket"}
	timeouts     = []string{"MoveOnAfter", "MoveOnAt", "FailAfter", "FailAt"}
	textStreams  = []string{"text.NewReceiveStream", "text.NewSendStream", "text.NewStream", "text.NewConnectable"}
	anyiotestRun = []string{"anyiotest.Run", "anyiotest.RunVirtual"}
	processRun   = []string{"process.Run", "process.RunCmd"}
	processOpen  = []string{"process.Open", "process.OpenCmd"}
)

// compileOptions are the options, each with the functions it serves.
var compileOptions = []struct {
	expr  string
	serve [][]string
}{
	{`anyio.LocalHost("h")`, [][]string{connectTCP, {"CreateTCPListener"}, udpSocket}},
	{`anyio.LocalPort(1)`, [][]string{connectTCP, {"CreateTCPListener"}, udpSocket}},
	{`anyio.HappyEyeballsDelay(time.Second)`, [][]string{connectTCP}},
	{`anyio.Family(anyio.AFInet)`, [][]string{{"CreateTCPListener", "GetAddrInfo"}, udpSocket}},
	{`anyio.Backlog(5)`, [][]string{{"CreateTCPListener", "CreateUnixListener"}}},
	{`anyio.ReusePort()`, [][]string{{"CreateTCPListener"}, udpSocket}},
	{`anyio.Mode(0o600)`, [][]string{{"CreateUnixListener"}, unixDatagram}},
	{`anyio.LocalPath("p")`, [][]string{unixDatagram}},
	{`anyio.SocketType(1)`, [][]string{{"GetAddrInfo"}}},
	{`anyio.WithBackend("go")`, [][]string{{"Run"}}},
	{`anyio.TaskName("t")`, [][]string{{"StartSoon", "Start"}}},
	{`anyio.Deadline(time.Time{})`, [][]string{{"NewCancelScope"}}},
	{`anyio.Shielded()`, [][]string{{"NewCancelScope"}, timeouts}},
	{`anyio.FastAcquire()`, [][]string{{"NewLock", "NewSemaphore"}}},
	{`anyio.MaxValue(2)`, [][]string{{"NewSemaphore"}}},
	{`text.Encoding(nil)`, [][]string{textStreams}},
	{`text.Errors(text.Replace)`, [][]string{textStreams}},
	{`tlsstream.ServerSide(true)`, [][]string{{"tlsstream.Wrap", "tlsstream.Connectable"}}},
	{`tlsstream.Hostname("h")`, [][]string{{"tlsstream.Wrap", "tlsstream.Connectable"}}},
	{`tlsstream.Config(nil)`, [][]string{{"tlsstream.Wrap", "tlsstream.Connectable"}}},
	{`tlsstream.StandardCompatible(false)`, [][]string{{"tlsstream.Wrap", "tlsstream.Connectable", "tlsstream.NewListener"}}},
	{`tlsstream.HandshakeTimeout(time.Second)`, [][]string{{"tlsstream.NewListener"}}},
	{`tlsstream.HandshakeErrorHandler(nil)`, [][]string{{"tlsstream.NewListener"}}},
	{`anyiotest.Timeout(time.Second)`, [][]string{anyiotestRun}},
	{`anyiotest.IgnoreLeaks()`, [][]string{anyiotestRun}},
	{`process.Input(nil)`, [][]string{processRun}},
	{`process.Check(false)`, [][]string{processRun}},
	{`process.Stdin(process.Pipe)`, [][]string{processRun, processOpen}},
	{`process.Stdout(process.DevNull)`, [][]string{processRun, processOpen}},
	{`process.Stderr(process.ToStdout)`, [][]string{processRun, processOpen}},
	{`process.Dir("d")`, [][]string{processRun, processOpen}},
	{`process.Env(nil)`, [][]string{processRun, processOpen}},
	{`process.StartNewSession()`, [][]string{processRun, processOpen}},
	{`process.ExtraFiles()`, [][]string{processRun, processOpen}},
	{`process.User("u")`, [][]string{processRun, processOpen}},
	{`process.Group("g")`, [][]string{processRun, processOpen}},
	{`process.ExtraGroups("g")`, [][]string{processRun, processOpen}},
	{`process.Umask(0o22)`, [][]string{processRun, processOpen}},
}

// compileOthers are more snippets: a value that is not an option, and
// options made outside their package, must not compile.
var compileOthers = []struct {
	name, code string
	ok         bool
	want       string // in the error, when !ok
}{
	{"Errors of a string", `text.NewStream(bs, text.Errors("replace"))`, false, `cannot use "replace"`},
	{"Errors of a mode", `text.NewStream(bs, text.Errors(text.Strict), text.Errors(text.Ignore))`, true, ""},
	{"homemade socket option", `anyio.ConnectTCP(ctx, "h", 1, homemade{})`, false, "cannot use homemade{}"},
	{"homemade run option", `anyio.Run(ctx, body, homemade{})`, false, "cannot use homemade{}"},
	{"homemade text option", `text.NewStream(bs, homemade{})`, false, "cannot use homemade{}"},
	{"nil option", `anyio.ConnectTCP(ctx, "h", 1, nil)`, true, ""},
	{"option slices", `var o []anyio.TCPListenerOption; o = append(o, anyio.LocalHost("h"), anyio.Backlog(1)); anyio.CreateTCPListener(ctx, o...)`, true, ""},
	{"text constructors return no error", `var _ *text.Stream = text.NewStream(bs); var _ *text.Connectable = text.NewConnectable(conn)`, true, ""},
	{"homemade process option", `process.Run(ctx, nil, homemade{})`, false, "cannot use homemade{}"},
	{"process options in one slice", `var o []process.Option; o = append(o, process.Input(nil), process.Dir("d")); process.Run(ctx, nil, o...)`, true, ""},
}

// compileHeader declares what the snippets use.
const compileHeader = `package snippets

import (
	"context"
	"testing"
	"time"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/process"
	"github.com/anyio-go/anyio/streams/text"
	"github.com/anyio-go/anyio/streams/tlsstream"
)

var (
	ctx       context.Context
	t         *testing.T
	tg        *anyio.TaskGroup
	bs        anyio.ByteStream
	conn      anyio.ByteStreamConnectable
	listener  anyio.Listener[anyio.SocketStream]
	body      func(context.Context) error
	startBody func(context.Context, *anyio.TaskStatus[int]) error
	_         = time.Second
	_         = anyiotest.Run
	_         = text.Strict
	_         = tlsstream.Wrap
	_         = process.Pipe
)

// homemade has the unexported method names of the option interfaces, which
// do not make it an option: those methods belong to their packages.
type homemade struct{}

func (homemade) applySocket(any)    {}
func (homemade) connectTCPOption()  {}
func (homemade) applyRun(any)       {}
func (homemade) applyText(any)      {}
`

type compileCase struct {
	name string
	code string
	ok   bool
	want string
}

func compileCases() []compileCase {
	var cases []compileCase
	for _, f := range compileFuncs {
		for _, o := range compileOptions {
			serves := slices.ContainsFunc(o.serve, func(fns []string) bool { return slices.Contains(fns, f.name) })
			cases = append(cases, compileCase{
				name: f.name + "/" + o.expr,
				code: strings.Replace(f.call, "OPTS", o.expr, 1),
				ok:   serves,
				want: "cannot use " + o.expr,
			})
		}
	}
	for _, c := range compileOthers {
		cases = append(cases, compileCase{name: c.name, code: c.code, ok: c.ok, want: c.want})
	}
	return cases
}

func TestOptionsCompile(t *testing.T) {
	// Every option named in the table serves some function of the table.
	for _, o := range compileOptions {
		for _, fns := range o.serve {
			for _, fn := range fns {
				if !slices.ContainsFunc(compileFuncs, func(f struct{ name, call string }) bool { return f.name == fn }) {
					t.Fatalf("table: %s serves %s, which is not in compileFuncs", o.expr, fn)
				}
			}
		}
	}
	cases := compileCases()
	var src strings.Builder
	src.WriteString(compileHeader)
	line := strings.Count(compileHeader, "\n") + 1
	lines := make(map[int]int, len(cases)) // source line -> case
	for i, c := range cases {
		fmt.Fprintf(&src, "func snippet%d() { %s }\n", i, c.code)
		lines[line] = i
		line++
	}

	errs := typeCheck(t, src.String())
	got := make([][]string, len(cases))
	for _, e := range errs {
		i, ok := lines[e.Fset.Position(e.Pos).Line]
		if !ok {
			t.Fatalf("type-checking the snippets: %v (outside every snippet)", e)
		}
		got[i] = append(got[i], e.Msg)
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			switch {
			case c.ok && len(got[i]) > 0:
				t.Errorf("%s does not compile: %s", c.code, strings.Join(got[i], "; "))
			case !c.ok && len(got[i]) == 0:
				t.Errorf("%s compiles, want a compile error", c.code)
			case !c.ok && !strings.Contains(got[i][0], c.want):
				t.Errorf("%s fails with %q, want an error containing %q", c.code, got[i][0], c.want)
			}
		})
	}
}

// typeCheck type-checks the source of one package against the export data
// of the packages it imports, which the go command builds (or finds in its
// cache) for the current sources, and returns every error found.
func typeCheck(t *testing.T, src string) []types.Error {
	t.Helper()
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("the go command is needed to build export data: %v", err)
	}
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "snippets.go", src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("parsing the snippets: %v", err)
	}
	var paths []string
	for _, imp := range file.Imports {
		paths = append(paths, strings.Trim(imp.Path.Value, `"`))
	}
	args := []string{"list", "-export", "-f", "{{.ImportPath}}={{.Export}}"}
	if raceEnabled {
		args = append(args, "-race") // the test's own build is in the cache
	}
	cmd := exec.Command(gocmd, append(args, paths...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -export: %v\n%s", err, stderr.Bytes())
	}
	exports := make(map[string]string)
	for sc := bufio.NewScanner(bytes.NewReader(out)); sc.Scan(); {
		if path, file, ok := strings.Cut(sc.Text(), "="); ok && file != "" {
			exports[path] = file
		}
	}
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		if f, ok := exports[path]; ok {
			return os.Open(f)
		}
		return nil, fmt.Errorf("no export data for %s", path)
	})
	var errs []types.Error
	conf := types.Config{Importer: imp, Error: func(err error) { errs = append(errs, err.(types.Error)) }}
	conf.Check("snippets", fset, []*ast.File{file}, nil)
	return errs
}

// A nil option is no option, in every family.
func TestNilOptionsIgnored(t *testing.T) {
	// anyio.Run itself: it is given a nil option too.
	err := anyio.Run(context.Background(), func(ctx context.Context) error {
		if s := anyio.NewCancelScope(nil, anyio.Shielded()); !s.Shield() {
			t.Error("NewCancelScope(nil, Shielded()).Shield() = false")
		}
		if s := anyio.MoveOnAfter(time.Hour, nil); s.Shield() {
			t.Error("MoveOnAfter(d, nil).Shield() = true")
		}
		if s := anyio.NewSemaphore(1, nil, anyio.MaxValue(3)); s.Value() != 1 {
			t.Errorf("NewSemaphore(1, nil, MaxValue(3)).Value() = %d", s.Value())
		} else if m, ok := s.MaxValue(); m != 3 || !ok {
			t.Errorf("NewSemaphore(1, nil, MaxValue(3)).MaxValue() = %d, %v", m, ok)
		}
		anyio.NewLock(nil)
		return anyio.WithTaskGroup(ctx, func(ctx context.Context, tg *anyio.TaskGroup) error {
			tg.StartSoon(func(ctx context.Context) error { return nil }, nil)
			_, err := anyio.Start(ctx, tg, func(ctx context.Context, st *anyio.TaskStatus[int]) error {
				st.Started(1)
				return nil
			}, nil, anyio.TaskName("x"))
			return err
		})
	}, nil)
	if err != nil {
		t.Errorf("Run with nil options: %v", err)
	}
	s := text.NewStream(anyio.ObjectToByteStream(stapled.NewObjectStream(anyio.NewMemoryObjectStream[[]byte](1))), nil)
	s.Close(context.Background())
}
