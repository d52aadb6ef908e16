package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/fileio"
)

// walkTree builds a small project tree in a temporary directory, walks it
// with Path.Walk, finds the Go files with Rglob, stops a walk early (an
// iterator needs no cleanup), and removes the whole tree by closing the
// temporary directory, even from a cancelled scope.
func walkTree(ctx context.Context) error {
	tmp, err := fileio.TemporaryDirectory(ctx, fileio.Prefix("anyio-tour-"))
	if err != nil {
		return err
	}
	root := tmp.Path()
	files := map[string]string{
		"go.mod":                 "module example\n",
		"main.go":                "package main\n\nfunc main() {}\n",
		"internal/db/db.go":      "package db\n",
		"internal/db/db_test.go": "package db\n",
		"docs/guide.md":          "# Guide\n",
	}
	for name, content := range files {
		p := root.JoinPath(name)
		if err := p.Parent().Mkdir(ctx, fileio.Parents(), fileio.ExistOK(true)); err != nil {
			return err
		}
		if _, err := p.WriteText(ctx, content); err != nil {
			return err
		}
	}

	// Walk: every directory and file below the root, top-down. Directory
	// order is the system's, so the tour sorts what it prints.
	var lines []string
	for p, err := range root.Walk(ctx) {
		if err != nil {
			return err
		}
		rel, _ := p.RelativeTo(root)
		if isDir, _ := p.IsDir(ctx); isDir {
			lines = append(lines, rel.String()+"/")
		} else {
			fi, _ := p.Stat(ctx)
			lines = append(lines, fmt.Sprintf("%s (%d bytes)", rel, fi.Size()))
		}
	}
	slices.Sort(lines)
	say("Walk found %d paths:\n  %s", len(lines), strings.Join(lines, "\n  "))

	var gofiles []string
	for p, err := range root.Rglob(ctx, "*.go") {
		if err != nil {
			return err
		}
		rel, _ := p.RelativeTo(root)
		gofiles = append(gofiles, rel.String())
	}
	slices.Sort(gofiles)
	say("Rglob(\"*.go\"): %s", strings.Join(gofiles, ", "))

	// Breaking out of a loop is all it takes to stop an iterator.
	n := 0
	for range root.Walk(ctx) {
		if n++; n == 2 {
			break
		}
	}
	say("a walk stopped after %d paths: nothing to close", n)

	// Close removes the whole tree, also in a scope that is cancelled.
	cs := anyio.NewCancelScope()
	cs.Run(ctx, func(ctx context.Context) error {
		cs.Cancel()
		if err := tmp.Close(ctx); err != nil {
			say("Close: %v", err)
		}
		return nil
	})
	exists, err := root.Exists(ctx)
	if err != nil {
		return err
	}
	say("after Close in a cancelled scope, the directory exists: %v", exists)
	return nil
}
