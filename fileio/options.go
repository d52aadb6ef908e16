package fileio

import "io/fs"

// Each family of functions has its own option type, so that an option that
// means nothing to a function does not compile. An option shared by several
// families (FollowSymlinks, Mode, ExistOK, CaseSensitive, Prefix, …) returns
// a type that implements each of their interfaces.

// StatOption configures [Path.Exists], [Path.IsDir], [Path.IsFile],
// [Path.Stat], [Path.Chmod], [Path.Owner] and [Path.Group].
type StatOption interface{ applyStat(*statConfig) }

// MkdirOption configures [Path.Mkdir].
type MkdirOption interface{ applyMkdir(*mkdirConfig) }

// TouchOption configures [Path.Touch].
type TouchOption interface{ applyTouch(*touchConfig) }

// UnlinkOption configures [Path.Unlink].
type UnlinkOption interface{ applyUnlink(*unlinkConfig) }

// ResolveOption configures [Path.Resolve].
type ResolveOption interface{ applyResolve(*resolveConfig) }

// RelativeOption configures [Path.RelativeTo].
type RelativeOption interface{ applyRelative(*relativeConfig) }

// MatchOption configures [Path.Match] and [Path.FullMatch].
type MatchOption interface{ applyMatch(*matchConfig) }

// GlobOption configures [Path.Glob] and [Path.Rglob].
type GlobOption interface{ applyGlob(*globConfig) }

// CopyOption configures [Path.Copy] and [Path.CopyInto].
type CopyOption interface{ applyCopy(*copyConfig) }

// WalkOption configures [Path.Walk].
type WalkOption interface{ applyWalk(*walkConfig) }

type statConfig struct{ follow bool }
type mkdirConfig struct {
	mode    fs.FileMode
	parents bool
	existOK bool
}
type touchConfig struct {
	mode    fs.FileMode
	existOK bool
}
type unlinkConfig struct{ missingOK bool }
type resolveConfig struct{ strict bool }
type relativeConfig struct{ walkUp bool }
type matchConfig struct {
	caseSensitive bool
	caseGiven     bool
}
type globConfig struct {
	matchConfig
	recurseSymlinks bool
}
type copyConfig struct {
	follow           bool
	preserveMetadata bool
}
type walkConfig struct {
	topDown bool
	follow  bool
}

// FollowOption is the option returned by [FollowSymlinks].
type FollowOption struct{ follow bool }

// FollowSymlinks sets whether a symbolic link is followed: by the checks and
// Stat, Chmod, Owner and Group (default true: they look at what the link
// points to), by Copy (default true: the copy holds what the links point
// to; false copies the links themselves) and by Walk (default false: a link to
// a directory is yielded but not walked into).
func FollowSymlinks(follow bool) FollowOption { return FollowOption{follow} }

func (o FollowOption) applyStat(c *statConfig) { c.follow = o.follow }
func (o FollowOption) applyCopy(c *copyConfig) { c.follow = o.follow }
func (o FollowOption) applyWalk(c *walkConfig) { c.follow = o.follow }

// ModeOption is the option returned by [Mode].
type ModeOption struct{ mode fs.FileMode }

// Mode sets the permission bits (before the umask) of what [Path.Mkdir]
// (default 0o777) or [Path.Touch] (default 0o666) creates.
func Mode(perm fs.FileMode) ModeOption { return ModeOption{perm} }

func (o ModeOption) applyMkdir(c *mkdirConfig) { c.mode = o.mode }
func (o ModeOption) applyTouch(c *touchConfig) { c.mode = o.mode }

// ExistOKOption is the option returned by [ExistOK].
type ExistOKOption struct{ ok bool }

// ExistOK sets whether an existing directory ([Path.Mkdir], default false)
// or file ([Path.Touch], default true) is fine rather than an error matching
// fs.ErrExist.
func ExistOK(ok bool) ExistOKOption { return ExistOKOption{ok} }

func (o ExistOKOption) applyMkdir(c *mkdirConfig) { c.existOK = o.ok }
func (o ExistOKOption) applyTouch(c *touchConfig) { c.existOK = o.ok }

type parentsOption struct{}

func (parentsOption) applyMkdir(c *mkdirConfig) { c.parents = true }

// Parents makes [Path.Mkdir] create the missing parent directories too (with
// the default mode, as Python does).
func Parents() MkdirOption { return parentsOption{} }

type missingOKOption struct{}

func (missingOKOption) applyUnlink(c *unlinkConfig) { c.missingOK = true }

// MissingOK makes [Path.Unlink] of a path that does not exist succeed.
func MissingOK() UnlinkOption { return missingOKOption{} }

type strictOption struct{}

func (strictOption) applyResolve(c *resolveConfig) { c.strict = true }

// Strict makes [Path.Resolve] fail when a component does not exist or a
// symbolic link loops, instead of keeping the rest of the path as it is.
func Strict() ResolveOption { return strictOption{} }

type walkUpOption struct{}

func (walkUpOption) applyRelative(c *relativeConfig) { c.walkUp = true }

// WalkUp lets [Path.RelativeTo] answer with ".." segments for a path that is
// not below the other one (Python's walk_up=True).
func WalkUp() RelativeOption { return walkUpOption{} }

// CaseOption is the option returned by [CaseSensitive].
type CaseOption struct{ sensitive bool }

// CaseSensitive sets whether pattern matching tells upper from lower case.
// Without it, matching is case-sensitive (a POSIX path). Given to
// [Path.Glob] or [Path.Rglob], it also makes the literal parts of the pattern
// be matched against the directory listing, as Python does.
func CaseSensitive(sensitive bool) CaseOption { return CaseOption{sensitive} }

func (o CaseOption) applyMatch(c *matchConfig) { c.caseSensitive, c.caseGiven = o.sensitive, true }
func (o CaseOption) applyGlob(c *globConfig)   { o.applyMatch(&c.matchConfig) }

type recurseSymlinksOption struct{}

func (recurseSymlinksOption) applyGlob(c *globConfig) { c.recurseSymlinks = true }

// RecurseSymlinks makes "**" in a [Path.Glob] or [Path.Rglob] pattern
// descend into symbolic links to directories.
func RecurseSymlinks() GlobOption { return recurseSymlinksOption{} }

type preserveMetadataOption struct{}

func (preserveMetadataOption) applyCopy(c *copyConfig) { c.preserveMetadata = true }

// PreserveMetadata makes [Path.Copy] and [Path.CopyInto] copy the
// permission bits and the access and modification times too.
func PreserveMetadata() CopyOption { return preserveMetadataOption{} }

type topDownOption struct{ topDown bool }

func (o topDownOption) applyWalk(c *walkConfig) { c.topDown = o.topDown }

// TopDown sets whether [Path.Walk] yields a directory before what it holds
// (true, the default) or after.
func TopDown(topDown bool) WalkOption { return topDownOption{topDown} }
