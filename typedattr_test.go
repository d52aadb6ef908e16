package anyio_test

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/anyio-go/anyio"
)

var (
	taName    = anyio.NewTypedAttribute[string]("name")
	taSize    = anyio.NewTypedAttribute[int]("size")
	taAddr    = anyio.NewTypedAttribute[net.Addr]("addr")
	taMissing = anyio.NewTypedAttribute[float64]("missing")
	taPanics  = anyio.NewTypedAttribute[string]("panics")
)

// taProvider is a resource with typed attributes.
type taProvider struct {
	attrs map[any]func() any
}

func (p *taProvider) ExtraAttributes() map[any]func() any { return p.attrs }

// taWrapper wraps a provider, includes its attributes and overrides one.
type taWrapper struct {
	inner anyio.TypedAttributeProvider
}

func (w *taWrapper) ExtraAttributes() map[any]func() any {
	return anyio.MergeAttributes(w.inner.ExtraAttributes(), map[any]func() any{
		taName: func() any { return "wrapper" },
	})
}

func newTAProvider() *taProvider {
	return &taProvider{attrs: map[any]func() any{
		taName:   func() any { return "inner" },
		taSize:   func() any { return 42 },
		taAddr:   func() any { return nil },
		taPanics: func() any { panic("getter failed") },
	}}
}

func TestExtra(t *testing.T) {
	p := newTAProvider()
	if v, err := anyio.Extra(p, taName); err != nil || v != "inner" {
		t.Errorf("Extra(name) = %q, %v; want inner, nil", v, err)
	}
	if v, err := anyio.Extra(p, taSize); err != nil || v != 42 {
		t.Errorf("Extra(size) = %d, %v; want 42, nil", v, err)
	}
	// An interface-typed attribute whose value is nil is present, with the
	// zero value.
	if v, err := anyio.Extra(p, taAddr); err != nil || v != nil {
		t.Errorf("Extra(addr) = %v, %v; want nil, nil", v, err)
	}
}

func TestExtraMissing(t *testing.T) {
	cases := []struct {
		name string
		p    anyio.TypedAttributeProvider
	}{
		{"attribute not offered", newTAProvider()},
		{"nil map", &taProvider{}},
		{"nil getter", &taProvider{attrs: map[any]func() any{taMissing: nil}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := anyio.Extra(tc.p, taMissing)
			if !errors.Is(err, anyio.ErrTypedAttributeLookup) || v != 0 {
				t.Errorf("Extra(missing) = %v, %v; want 0, ErrTypedAttributeLookup", v, err)
			}
			if err != nil && !strings.Contains(err.Error(), "missing") {
				t.Errorf("Extra(missing): error %q does not name the attribute", err)
			}
			if got := anyio.ExtraOr(tc.p, taMissing, 1.5); got != 1.5 {
				t.Errorf("ExtraOr(missing, 1.5) = %v, want 1.5", got)
			}
		})
	}
}

func TestExtraOr(t *testing.T) {
	p := newTAProvider()
	if got := anyio.ExtraOr(p, taName, "default"); got != "inner" {
		t.Errorf("ExtraOr(name, default) = %q, want inner (present attributes win over the default)", got)
	}
	if got := anyio.ExtraOr(p, taSize, -1); got != 42 {
		t.Errorf("ExtraOr(size, -1) = %d, want 42", got)
	}
}

// Attributes are told apart by identity, not by name or type.
func TestTypedAttributeIdentity(t *testing.T) {
	other := anyio.NewTypedAttribute[string]("name")
	if other == taName {
		t.Fatalf("two NewTypedAttribute calls returned the same attribute")
	}
	if _, err := anyio.Extra(newTAProvider(), other); !errors.Is(err, anyio.ErrTypedAttributeLookup) {
		t.Errorf("Extra with another attribute of the same name and type: got %v, want ErrTypedAttributeLookup", err)
	}
	if taName.String() != "name" || fmt.Sprint(taSize) != "size" {
		t.Errorf("String() = %q, %q; want name, size", taName.String(), fmt.Sprint(taSize))
	}
}

// The value is computed when asked for, each time.
func TestExtraIsLazy(t *testing.T) {
	calls := 0
	p := &taProvider{attrs: map[any]func() any{
		taSize: func() any { calls++; return calls },
	}}
	if calls != 0 {
		t.Fatalf("getter called %d times before Extra", calls)
	}
	for want := 1; want <= 3; want++ {
		if v, _ := anyio.Extra(p, taSize); v != want {
			t.Errorf("Extra call %d = %d, want %d", want, v, want)
		}
	}
}

// A getter that fails is not confused with a missing attribute: its panic goes
// through (AnyIO's test_typedattr_keyerror).
func TestExtraGetterPanics(t *testing.T) {
	for _, name := range []string{"Extra", "ExtraOr"} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != "getter failed" {
					t.Errorf("%s: recovered %v, want the getter's panic", name, r)
				}
			}()
			if name == "Extra" {
				_, _ = anyio.Extra(newTAProvider(), taPanics)
			} else {
				_ = anyio.ExtraOr(newTAProvider(), taPanics, "default")
			}
			t.Errorf("%s returned, want the getter's panic", name)
		})
	}
}

// A getter that returns a value of the wrong type is a provider bug: an
// error, but not "attribute missing".
func TestExtraWrongType(t *testing.T) {
	p := &taProvider{attrs: map[any]func() any{taSize: func() any { return "not an int" }}}
	_, err := anyio.Extra(p, taSize)
	if err == nil || errors.Is(err, anyio.ErrTypedAttributeLookup) {
		t.Errorf("Extra with a mistyped getter: got %v, want an error other than ErrTypedAttributeLookup", err)
	}
}

// A wrapper includes the attributes of what it wraps and overrides some; it
// stacks.
func TestTypedAttributeWrapper(t *testing.T) {
	inner := newTAProvider()
	w := &taWrapper{inner: inner}
	if v, err := anyio.Extra(w, taName); err != nil || v != "wrapper" {
		t.Errorf("wrapper Extra(name) = %q, %v; want the override wrapper", v, err)
	}
	if v, err := anyio.Extra(w, taSize); err != nil || v != 42 {
		t.Errorf("wrapper Extra(size) = %d, %v; want the wrapped 42", v, err)
	}
	if _, err := anyio.Extra(w, taMissing); !errors.Is(err, anyio.ErrTypedAttributeLookup) {
		t.Errorf("wrapper Extra(missing) = %v, want ErrTypedAttributeLookup", err)
	}
	ww := &taWrapper{inner: w}
	if v, err := anyio.Extra(ww, taSize); err != nil || v != 42 {
		t.Errorf("wrapper of wrapper Extra(size) = %d, %v; want 42", v, err)
	}
	// The wrapped provider is not changed by the merge.
	if v, _ := anyio.Extra(inner, taName); v != "inner" {
		t.Errorf("wrapped Extra(name) after wrapping = %q, want inner", v)
	}
}

func TestMergeAttributes(t *testing.T) {
	a := map[any]func() any{taName: func() any { return "a" }, taSize: func() any { return 1 }}
	b := map[any]func() any{taName: func() any { return "b" }}
	m := anyio.MergeAttributes(a, b)
	if len(m) != 2 {
		t.Errorf("MergeAttributes(a, b) has %d entries, want 2", len(m))
	}
	if got := m[taName]().(string); got != "b" {
		t.Errorf("merged name = %q, want b (the later map wins)", got)
	}
	if got := anyio.MergeAttributes(b, a)[taName]().(string); got != "a" {
		t.Errorf("MergeAttributes(b, a) name = %q, want a", got)
	}
	if len(a) != 2 || a[taName]().(string) != "a" {
		t.Errorf("MergeAttributes changed its input")
	}
	m[taAddr] = func() any { return nil }
	if _, ok := a[taAddr]; ok {
		t.Errorf("the merged map shares storage with an input")
	}
	if empty := anyio.MergeAttributes(); empty == nil || len(empty) != 0 {
		t.Errorf("MergeAttributes() = %v, want an empty, non-nil map", empty)
	}
	if got := anyio.MergeAttributes(nil, b); len(got) != 1 {
		t.Errorf("MergeAttributes(nil, b) has %d entries, want 1", len(got))
	}
}
