package fileio

import (
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// The glob pattern language of Python's pathlib (3.14), translated to Go
// regular expressions the way glob.translate and fnmatch._translate build
// Python's: "*" matches any run of characters within a segment, "?" one
// character, "[seq]" and "[!seq]" a character in (or not in) seq, with
// ranges "a-z"; "**" as a whole segment matches any number of segments. There
// is no escape character: "[*]" matches a literal "*". A "[" without its
// "]" is a literal "[". Names are matched as UTF-8; in a name or pattern
// that is not valid UTF-8, each invalid byte stands for U+FFFD (Python
// would see a distinct surrogate for each byte value), except that a
// pattern without wildcards compares bytes exactly.

const (
	notSep  = `[^/]`
	anyStar = `[^/]*`
	// neverMatch is an empty character class: Python's "(?!)".
	neverMatch = `[^\x00-\x{10FFFF}]`
)

// hasMagic reports whether s holds a wildcard character, as glob's
// magic_check does.
func hasMagic(s string) bool { return strings.ContainsAny(s, "*?[") }

// translateSegment appends to b the regular expression of one pattern
// segment (no "/" in it), as fnmatch._translate does with the star and
// question mark of glob.translate: a wildcard never matches "/", but a
// negated character class may.
//
// With fold, the expression ignores case: each letter stands for every
// letter of its case-folding orbit (Unicode simple folding, as Go's (?i)),
// built here rather than with (?i), whose folding of wide ranges costs
// milliseconds each.
func translateSegment(b *strings.Builder, pat string, fold bool) {
	r := []rune(pat)
	n := len(r)
	for i := 0; i < n; {
		c := r[i]
		i++
		switch c {
		case '*':
			b.WriteString(anyStar)
			for i < n && r[i] == '*' {
				i++
			}
		case '?':
			b.WriteString(notSep)
		case '[':
			var ok bool
			if i, ok = translateClass(b, r, i, fold); !ok {
				b.WriteString(`\[`)
			}
		default:
			writeLiteral(b, c, fold)
		}
	}
}

// translateClass translates the character class that starts after the "["
// at r[i-1]. It returns the index after the class and true, or i and false
// when the class is not closed (the "[" is then a literal).
func translateClass(b *strings.Builder, r []rune, i int, fold bool) (int, bool) {
	n := len(r)
	j := i
	if j < n && r[j] == '!' {
		j++
	}
	if j < n && r[j] == ']' {
		j++
	}
	for j < n && r[j] != ']' {
		j++
	}
	if j >= n {
		return i, false
	}
	var chunks [][]rune
	if !containsRune(r[i:j], '-') {
		chunks = [][]rune{r[i:j]}
	} else {
		// Split at the hyphens that make ranges, as fnmatch does: the
		// search for the next one starts three characters on, so "a-b-c"
		// is the range a-b followed by "-" and "c".
		start := i
		k := i + 1
		if r[i] == '!' {
			k = i + 2
		}
		for {
			k = indexRune(r, '-', k, j)
			if k < 0 {
				break
			}
			chunks = append(chunks, r[start:k])
			start = k + 1
			k += 3
		}
		if start < j {
			chunks = append(chunks, r[start:j])
		} else {
			last := len(chunks) - 1
			chunks[last] = append(append([]rune(nil), chunks[last]...), '-')
		}
		// Remove the empty ranges (z-a), which Python's re rejects.
		for k := len(chunks) - 1; k > 0; k-- {
			prev, cur := chunks[k-1], chunks[k]
			if prev[len(prev)-1] > cur[0] {
				merged := append(append([]rune(nil), prev[:len(prev)-1]...), cur[1:]...)
				chunks[k-1] = merged
				chunks = append(chunks[:k], chunks[k+1:]...)
			}
		}
	}
	next := j + 1
	total := 0
	for _, c := range chunks {
		total += len(c)
	}
	total += len(chunks) - 1 // the hyphens between chunks
	switch {
	case total == 0:
		b.WriteString(neverMatch)
		return next, true
	case total == 1 && len(chunks[0]) == 1 && chunks[0][0] == '!':
		b.WriteString(`.`) // a negated empty set: any character
		return next, true
	}
	// The tokens of the class as Python's re sees them: the characters of
	// the chunks (each a literal, hyphens and backslashes being escaped),
	// with an unescaped hyphen between two chunks.
	type token struct {
		c    rune
		dash bool
	}
	var toks []token
	for ci, ch := range chunks {
		if ci > 0 {
			toks = append(toks, token{'-', true})
		}
		for _, c := range ch {
			toks = append(toks, token{c, false})
		}
	}
	negate := !toks[0].dash && toks[0].c == '!'
	if negate {
		toks = toks[1:]
	}
	// As sre_parse: an item, then an unescaped "-" and another item make a
	// range; a "-" right before the end is a literal.
	var items strings.Builder
	for t := 0; t < len(toks); {
		lo := toks[t].c
		t++
		if t < len(toks) && toks[t].dash {
			if t+1 == len(toks) {
				writeClassItem(&items, lo, lo, fold)
				writeClassItem(&items, '-', '-', fold)
				t++
				continue
			}
			hi := toks[t+1].c
			t += 2
			if lo <= hi { // always so once the empty ranges are removed
				writeClassItem(&items, lo, hi, fold)
			}
			continue
		}
		writeClassItem(&items, lo, lo, fold)
	}
	switch {
	case items.Len() == 0 && negate:
		b.WriteString(`.`)
	case items.Len() == 0:
		b.WriteString(neverMatch)
	case negate:
		b.WriteString("[^" + items.String() + "]")
	default:
		b.WriteString("[" + items.String() + "]")
	}
	return next, true
}

// writeLiteral writes c as a literal, or, with fold, as the class of its
// case-folding orbit.
func writeLiteral(b *strings.Builder, c rune, fold bool) {
	if fold && unicode.SimpleFold(c) != c {
		b.WriteByte('[')
		writeClassItem(b, c, c, true)
		b.WriteByte(']')
		return
	}
	b.WriteString(regexp.QuoteMeta(string(c)))
}

// writeClassItem writes the range lo-hi (a single character when lo ==
// hi) inside a character class; with fold, also every character that folds
// to one in the range.
func writeClassItem(b *strings.Builder, lo, hi rune, fold bool) {
	writeClassRune(b, lo)
	if hi != lo {
		b.WriteByte('-')
		writeClassRune(b, hi)
	}
	if !fold {
		return
	}
	for _, c := range foldable() {
		if c > hi {
			break
		}
		if c < lo {
			continue
		}
		for f := unicode.SimpleFold(c); f != c; f = unicode.SimpleFold(f) {
			if f < lo || f > hi {
				writeClassRune(b, f)
			}
		}
	}
}

// foldable returns, in order, the characters that have other cases.
var foldable = sync.OnceValue(func() []rune {
	var out []rune
	for c := rune(0); c <= unicode.MaxRune; c++ {
		if unicode.SimpleFold(c) != c {
			out = append(out, c)
		}
		if c > 0x1FFFF { // no case folding beyond the first planes
			break
		}
	}
	return out
})

// writeClassRune writes c as a literal inside a Go character class.
func writeClassRune(b *strings.Builder, c rune) {
	switch c {
	case '\\', ']', '[', '^', '-':
		b.WriteByte('\\')
		b.WriteRune(c)
	default:
		if c == utf8.RuneError || c < 0x20 {
			b.WriteString(`\x{`)
			b.WriteString(strings.ToUpper(strconvHex(c)))
			b.WriteByte('}')
			return
		}
		b.WriteRune(c)
	}
}

func strconvHex(c rune) string {
	const digits = "0123456789abcdef"
	if c == 0 {
		return "0"
	}
	var buf [8]byte
	i := len(buf)
	for c > 0 {
		i--
		buf[i] = digits[c&0xf]
		c >>= 4
	}
	return string(buf[i:])
}

func containsRune(r []rune, c rune) bool {
	for _, x := range r {
		if x == c {
			return true
		}
	}
	return false
}

func indexRune(r []rune, c rune, from, to int) int {
	for k := from; k < to; k++ {
		if r[k] == c {
			return k
		}
	}
	return -1
}

// translateGlob returns the regular expression of a whole pattern, as
// Python's glob.translate(pat, recursive=recursive, include_hidden=True,
// seps="/") builds it: segments are separated by "/", a "*" segment matches
// one non-empty segment, and (when recursive) a "**" segment any number of
// them.
func translateGlob(pat string, recursive, caseSensitive bool) string {
	var b strings.Builder
	b.WriteString(`^(?s:`)
	parts := strings.Split(pat, "/")
	last := len(parts) - 1
	for idx, part := range parts {
		switch {
		case part == "*":
			if idx < last {
				b.WriteString(`[^/]+/`)
			} else {
				b.WriteString(`[^/]+`)
			}
		case recursive && part == "**":
			if idx < last {
				if parts[idx+1] != "**" {
					b.WriteString(`(?:.+/)?`)
				}
			} else {
				b.WriteString(`.*`)
			}
		default:
			if part != "" {
				translateSegment(&b, part, !caseSensitive)
			}
			if idx < last {
				b.WriteByte('/')
			}
		}
	}
	b.WriteString(`)\z`)
	return b.String()
}

// A matcher matches strings against one compiled pattern.
type matcher struct {
	literal string         // set when the pattern has no wildcard and is case-sensitive
	re      *regexp.Regexp // otherwise
}

// compileMatcher compiles a pattern as Python's _StringGlobber.compile does
// (glob.translate with include_hidden=True).
func compileMatcher(pat string, recursive, caseSensitive bool) matcher {
	if caseSensitive && !hasMagic(pat) {
		return matcher{literal: pat}
	}
	return matcher{re: regexp.MustCompile(translateGlob(pat, recursive, caseSensitive))}
}

func (m matcher) match(s string) bool {
	if m.re == nil {
		return s == m.literal
	}
	return m.re.MatchString(s)
}
