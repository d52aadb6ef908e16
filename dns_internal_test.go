package anyio

import "testing"

func TestEncodeHostIDNA2008(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"faß.de", "xn--fa-hia.de"}, // IDNA 2003 would give "fass.de"
		{"München.de", "xn--mnchen-3ya.de"},
		{"fass.de", "fass.de"},
		{"_srv.example.com", "_srv.example.com"}, // ASCII passes unchanged, as in AnyIO
	} {
		got, err := encodeHost(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("encodeHost(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if got, err := encodeHost("-ä.de"); err == nil {
		t.Errorf("encodeHost(-ä.de) = %q, want an error", got)
	}
}
