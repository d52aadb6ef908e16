package fileio_test

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/fileio"
)

// The examples call anyio.Run themselves, as a program does; tests use
// anyiotest.Run.

func ExampleNewPath() {
	p := fileio.NewPath("/srv", "data//archive", "./2024.tar.gz")
	fmt.Println(p)
	fmt.Println(p.Name(), p.Stem(), p.Suffix(), p.Suffixes())
	fmt.Println(p.Parent(), p.Parts())
	q, _ := p.WithSuffix(".zip")
	fmt.Println(q)
	rel, _ := p.RelativeTo(fileio.NewPath("/srv/data"))
	fmt.Println(rel)
	ok, _ := p.Match("*.gz")
	fmt.Println(ok, p.FullMatch("/srv/**/*.tar.gz"))
	// Output:
	// /srv/data/archive/2024.tar.gz
	// 2024.tar.gz 2024.tar .gz [.tar .gz]
	// /srv/data/archive [/ srv data archive 2024.tar.gz]
	// /srv/data/archive/2024.tar.zip
	// archive/2024.tar.gz
	// true true
}

func ExampleOpen() {
	err := anyio.Run(context.Background(), func(ctx context.Context) error {
		dir, err := fileio.TemporaryDirectory(ctx)
		if err != nil {
			return err
		}
		defer dir.Close(ctx)
		name := dir.Path().JoinPath("notes.txt")
		if _, err := name.WriteText(ctx, "first\nsecond\nthird"); err != nil {
			return err
		}
		f, err := fileio.Open(ctx, name.String(), os.O_RDONLY, 0)
		if err != nil {
			return err
		}
		defer f.Close(ctx)
		for line, err := range f.Lines(ctx) {
			if err != nil {
				return err
			}
			fmt.Printf("%q\n", line)
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// "first\n"
	// "second\n"
	// "third"
}

func ExamplePath_Walk() {
	err := anyio.Run(context.Background(), func(ctx context.Context) error {
		dir, err := fileio.TemporaryDirectory(ctx)
		if err != nil {
			return err
		}
		defer dir.Close(ctx)
		root := dir.Path()
		root.JoinPath("src/pkg").Mkdir(ctx, fileio.Parents())
		root.JoinPath("src/main.go").Touch(ctx)
		root.JoinPath("src/pkg/lib.go").Touch(ctx)
		root.JoinPath("README").Touch(ctx)

		var walked []string
		for p, err := range root.Walk(ctx) {
			if err != nil {
				return err
			}
			rel, _ := p.RelativeTo(root)
			walked = append(walked, rel.String())
		}
		slices.Sort(walked) // directory order is the system's
		fmt.Println("walk:", walked)

		var gofiles []string
		for p, err := range root.Rglob(ctx, "*.go") {
			if err != nil {
				return err
			}
			gofiles = append(gofiles, p.Name())
		}
		slices.Sort(gofiles)
		fmt.Println("rglob *.go:", gofiles)
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// walk: [. README src src/main.go src/pkg src/pkg/lib.go]
	// rglob *.go: [lib.go main.go]
}

func ExampleSpooledTemporaryFile() {
	err := anyio.Run(context.Background(), func(ctx context.Context) error {
		f, err := fileio.SpooledTemporaryFile(ctx, 16)
		if err != nil {
			return err
		}
		defer f.Close(ctx)
		f.WriteString(ctx, "small")
		fmt.Println("on disk after 5 bytes:", f.Rolled())
		f.WriteString(ctx, " and then some more")
		fmt.Println("on disk after 24 bytes:", f.Rolled())
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// on disk after 5 bytes: false
	// on disk after 24 bytes: true
}
