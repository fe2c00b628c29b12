package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// output is where restore writes the database: stdout, or a temporary file
// in the destination's directory that commit renames into place.
type output struct {
	path  string // "" for stdout
	force bool
	tmp   *os.File
	w     *bufio.Writer
	done  bool
}

// createOutput checks that path can be written and opens its temporary
// file, before anything is restored; "-" is stdout. An existing file is
// refused unless force.
func createOutput(path string, force bool, stdout io.Writer) (*output, error) {
	if path == "-" {
		return &output{w: bufio.NewWriterSize(stdout, 256<<10)}, nil
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("--out %s: directory %s: %w", path, dir, errors.Unwrap(err))
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("--out %s: %s is not a directory", path, dir)
	}
	if err := checkFree(path, force); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("--out %s: cannot write in %s: %w", path, dir, errors.Unwrap(err))
	}
	return &output{path: path, force: force, tmp: tmp, w: bufio.NewWriterSize(tmp, 256<<10)}, nil
}

// checkFree fails if path exists, unless force.
func checkFree(path string, force bool) error {
	if force {
		return nil
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s exists; pass --force to overwrite it", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func (o *output) Write(p []byte) (int, error) { return o.w.Write(p) }

// name is the destination as the summary shows it.
func (o *output) name() string {
	if o.tmp == nil {
		return "stdout"
	}
	return o.path
}

// commit flushes what was written and puts the file in place: renamed
// over the destination with force, else linked to it, so that a file that
// appeared meanwhile is not overwritten.
func (o *output) commit() error {
	if err := o.w.Flush(); err != nil {
		return fmt.Errorf("--out %s: %w", o.name(), err)
	}
	if o.tmp == nil {
		o.done = true
		return nil
	}
	if err := o.tmp.Sync(); err != nil {
		return fmt.Errorf("--out %s: %w", o.path, err)
	}
	if err := o.tmp.Close(); err != nil {
		return fmt.Errorf("--out %s: %w", o.path, err)
	}
	tmp := o.tmp.Name()
	var err error
	if o.force {
		err = os.Rename(tmp, o.path)
	} else if err = os.Link(tmp, o.path); err == nil {
		_ = os.Remove(tmp) // the file is in place: a leftover name is harmless
	} else if !errors.Is(err, fs.ErrExist) {
		// No hard links here: check, then rename.
		if err = checkFree(o.path, false); err == nil {
			err = os.Rename(tmp, o.path)
		}
	} else {
		err = checkFree(o.path, false)
	}
	if err != nil {
		return err
	}
	o.done = true
	if d, err := os.Open(filepath.Dir(o.path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// discard removes the temporary file unless commit put it in place.
func (o *output) discard() {
	if o.tmp == nil || o.done {
		return
	}
	o.tmp.Close()
	os.Remove(o.tmp.Name())
}
