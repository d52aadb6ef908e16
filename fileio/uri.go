package fileio

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

// AsURI returns the path as a "file" URI, percent-encoding its UTF-8 bytes
// as Python's pathlib does: "/etc/a b" is "file:///etc/a%20b". A relative
// path has no URI: the error matches [ErrRelativePath].
func (p Path) AsURI() (string, error) {
	if !p.IsAbsolute() {
		return "", fmt.Errorf("%w: %q", ErrRelativePath, p.String())
	}
	root, tail := p.split()
	var b strings.Builder
	b.WriteString("file://")
	b.WriteString(root)
	for i := 0; i < len(tail); i++ {
		c := tail[i]
		if uriSafe(c) {
			b.WriteByte(c)
		} else {
			const hex = "0123456789ABCDEF"
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		}
	}
	return b.String(), nil
}

// uriSafe reports whether urllib.parse.quote leaves c as it is (with "/"
// safe).
func uriSafe(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == '.' || c == '-' || c == '~' || c == '/'
}

var (
	uriScheme = regexp.MustCompile(`(?s)^([^/:]+):(.*)$`)
	uriHost   = regexp.MustCompile(`(?s)^//([^/#?]*)(.*)$`)
)

// FromURI returns the path that a "file" URI names (Python 3.13's
// Path.from_uri): "file:///etc/hosts", "file:/etc/hosts" and
// "file://localhost/etc/hosts" all give "/etc/hosts"; percent-escapes are
// decoded. A URI without the "file:" scheme, one whose host is neither empty,
// "localhost" nor this machine's name, or one that holds a relative path
// gives an error matching [ErrInvalidURI].
func FromURI(uri string) (Path, error) {
	m := uriScheme.FindStringSubmatch(uri)
	if m == nil || strings.ToLower(m[1]) != "file" {
		return Path{}, fmt.Errorf("%w: %q is missing a 'file:' scheme", ErrInvalidURI, uri)
	}
	rest := m[2]
	if h := uriHost.FindStringSubmatch(rest); h != nil {
		host, path := h[1], h[2]
		if path != "" && path[0] != '/' {
			path = "/" + path
		}
		if !isLocalHost(host) {
			return Path{}, fmt.Errorf("%w: %q: the file scheme is supported only on localhost", ErrInvalidURI, uri)
		}
		rest = path
	}
	p := NewPath(unquote(rest))
	if !p.IsAbsolute() {
		return Path{}, fmt.Errorf("%w: %q is not absolute", ErrInvalidURI, uri)
	}
	return p, nil
}

func isLocalHost(host string) bool {
	if host == "" || host == "localhost" {
		return true
	}
	name, err := os.Hostname()
	return err == nil && host == name
}

// unquote decodes %XX escapes as urllib.parse.unquote does: a "%" not
// followed by two hex digits stays as it is.
func unquote(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b = append(b, hi<<4|lo)
				i += 2
				continue
			}
		}
		b = append(b, s[i])
	}
	return string(b)
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
