package anyio

import "fmt"

// TypedAttribute names one typed extra attribute of a resource (AnyIO's
// typed_attribute()). Attributes are compared by identity: declare each once,
// as a package-level value, e.g. SocketAttribute.LocalPort.
type TypedAttribute[T any] struct {
	name string
}

// NewTypedAttribute returns a new attribute of type T; name is used in
// messages.
func NewTypedAttribute[T any](name string) *TypedAttribute[T] {
	return &TypedAttribute[T]{name: name}
}

// String returns the attribute's name.
func (a *TypedAttribute[T]) String() string { return a.name }

// TypedAttributeProvider is implemented by resources that offer typed
// attributes (AnyIO's TypedAttributeProvider). ExtraAttributes maps each
// *TypedAttribute[T] the resource has to a function that returns its value as
// a T. A wrapper includes the attributes of what it wraps.
type TypedAttributeProvider interface {
	ExtraAttributes() map[any]func() any
}

// Extra returns the value of attribute a of p, or an error matching
// ErrTypedAttributeLookup if p does not have it.
func Extra[T any](p TypedAttributeProvider, a *TypedAttribute[T]) (T, error) {
	if get, ok := p.ExtraAttributes()[a]; ok && get != nil {
		v := get()
		if t, ok := v.(T); ok {
			return t, nil
		}
		if v == nil {
			var zero T
			return zero, nil
		}
		var zero T
		return zero, fmt.Errorf("anyio: typed attribute %q: provider returned %T, want %T", a.name, v, zero)
	}
	var zero T
	return zero, fmt.Errorf("%w: %s", ErrTypedAttributeLookup, a.name)
}

// ExtraOr returns the value of attribute a of p, or def if p does not have it.
func ExtraOr[T any](p TypedAttributeProvider, a *TypedAttribute[T], def T) T {
	v, err := Extra(p, a)
	if err != nil {
		return def
	}
	return v
}

// MergeAttributes returns a map holding the attributes of every map given;
// for a key in several maps, the later map wins. Wrappers use it to include
// the attributes of what they wrap and override some.
func MergeAttributes(maps ...map[any]func() any) map[any]func() any {
	out := make(map[any]func() any)
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}
