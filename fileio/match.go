package fileio

import "fmt"

func matchOptions(opts []MatchOption) matchConfig {
	cfg := matchConfig{caseSensitive: true}
	for _, o := range opts {
		o.applyMatch(&cfg)
	}
	return cfg
}

// Match reports whether the path matches the glob-style pattern, as
// pathlib's PurePath.match: a relative pattern is matched from the right
// ("*.py" matches "a/b.py"), an absolute one against the whole path. Each
// pattern segment matches one path component; "**" is not recursive here
// (it acts as "*"; see [Path.FullMatch]). An empty pattern is an error
// matching [ErrInvalidPattern]. Matching is case-sensitive unless
// CaseSensitive(false) is given.
func (p Path) Match(pattern string, opts ...MatchOption) (bool, error) {
	cfg := matchOptions(opts)
	pat := NewPath(pattern)
	pathParts, patParts := p.Parts(), pat.Parts()
	if len(patParts) == 0 {
		return false, fmt.Errorf("%w: empty pattern", ErrInvalidPattern)
	}
	if len(pathParts) < len(patParts) {
		return false, nil
	}
	if len(pathParts) > len(patParts) && pat.IsAbsolute() {
		return false, nil
	}
	for i, j := len(pathParts)-1, len(patParts)-1; j >= 0; i, j = i-1, j-1 {
		if !compileMatcher(patParts[j], false, cfg.caseSensitive).match(pathParts[i]) {
			return false, nil
		}
	}
	return true, nil
}

// FullMatch reports whether the whole path matches the glob-style pattern
// (Python 3.13's PurePath.full_match): "*" matches within one segment and a
// "**" segment matches any number of segments, so "/a/**/*.go" matches
// "/a/b/c/d.go" and "/a/d.go". The pattern is normalized as a path first.
// Matching is case-sensitive unless CaseSensitive(false) is given.
func (p Path) FullMatch(pattern string, opts ...MatchOption) bool {
	cfg := matchOptions(opts)
	// The empty path and pattern are "" here, not ".", so that "*" does not
	// match the empty path.
	return compileMatcher(normalize(pattern), true, cfg.caseSensitive).match(p.s)
}
