package fileio

import (
	"regexp"
	"strings"
	"testing"
)

// quoteGlob returns a pattern that matches s literally: each wildcard
// character is put in a character class of its own.
func quoteGlob(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '*', '?', '[':
			b.WriteByte('[')
			b.WriteByte(c)
			b.WriteByte(']')
		default:
			b.WriteByte(c) // bytes as they are: a name need not be UTF-8
		}
	}
	return b.String()
}

// FuzzGlobPattern feeds the pattern parser arbitrary patterns and names:
// every pattern translates to a regular expression that compiles, the
// matching methods never panic, and a quoted name matches itself.
func FuzzGlobPattern(f *testing.F) {
	f.Fuzz(func(t *testing.T, pattern, name string) {
		for _, recursive := range []bool{false, true} {
			for _, cs := range []bool{true, false} {
				re := translateGlob(pattern, recursive, cs)
				if _, err := regexp.Compile(re); err != nil {
					t.Fatalf("translateGlob(%q, %v, %v) = %q, which does not compile: %v", pattern, recursive, cs, re, err)
				}
			}
		}
		// Case-insensitive matching folds cases as Go's (?i) does.
		if len(pattern) < 64 {
			want := regexp.MustCompile("(?i)" + translateGlob(pattern, true, true)).MatchString(name)
			if got := compileMatcher(pattern, true, false).match(name); got != want {
				t.Errorf("case-insensitive match of %q against %q = %v; (?i) says %v", name, pattern, got, want)
			}
		}
		p := NewPath(name)
		p.FullMatch(pattern)
		p.FullMatch(pattern, CaseSensitive(false))
		if ok, err := p.Match(pattern); err != nil && ok {
			t.Fatalf("Match(%q) = true with error %v", pattern, err)
		}
		q := quoteGlob(p.s)
		if !p.FullMatch(q) {
			t.Errorf("NewPath(%q).FullMatch(%q) = false, want true", name, q)
		}
		if p.s != "" {
			if ok, err := p.Match(q); !ok || err != nil {
				t.Errorf("NewPath(%q).Match(%q) = %v, %v; want true", name, q, ok, err)
			}
		}
	})
}

func TestQuoteGlob(t *testing.T) {
	if got := quoteGlob("a*b?[c]"); got != "a[*]b[?][[]c]" {
		t.Errorf("quoteGlob = %q", got)
	}
}
