//go:build linux

package treehash

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"golang.org/x/sys/unix"
)

// statFiles reads the status of every job without one, in parallel. Jobs
// come in walk order, so the files of a directory are mostly adjacent:
// each run of them is statted relative to one open descriptor of their
// directory (fstatat), which spares the kernel resolving every absolute
// path again.
func (h *Hasher) statFiles(ctx context.Context, jobs []job) error {
	type run struct{ start, end int }
	var runs []run
	for i := range jobs {
		if jobs[i].statted {
			continue
		}
		if n := len(runs); n > 0 && runs[n-1].end == i && dirOf(jobs[i-1].abs) == dirOf(jobs[i].abs) {
			runs[n-1].end++
			continue
		}
		runs = append(runs, run{i, i + 1})
	}
	return h.parallel(ctx, len(runs), func(k int) error {
		r := runs[k]
		dir := dirOf(jobs[r.start].abs)
		dfd, err := openDir(dir)
		if err != nil {
			return fmt.Errorf("treehash: hash %s: %w", jobs[r.start].rel, err)
		}
		defer unix.Close(dfd)
		var st unix.Stat_t
		for i := r.start; i < r.end; i++ {
			j := &jobs[i]
			name := j.abs[strings.LastIndexByte(j.abs, '/')+1:]
			if err := fstatat(dfd, name, &st); err != nil {
				return fmt.Errorf("treehash: hash %s: %w", j.rel, &fs.PathError{Op: "lstat", Path: j.abs, Err: err})
			}
			if st.Mode&unix.S_IFMT != unix.S_IFREG {
				return fmt.Errorf("%w: %s is no longer a regular file", ErrChanged, j.rel)
			}
			j.st = fileStat{size: st.Size, mtime: st.Mtim.Nano(), ino: st.Ino, perm: fs.FileMode(st.Mode & 0o777)}
			j.statted = true
		}
		return nil
	})
}

// dirOf returns the directory part of an absolute, clean path, without
// the copy filepath.Dir may make.
func dirOf(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

func openDir(dir string) (int, error) {
	for {
		fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return -1, &fs.PathError{Op: "open", Path: dir, Err: err}
		}
		return fd, nil
	}
}

func fstatat(dfd int, name string, st *unix.Stat_t) error {
	for {
		err := unix.Fstatat(dfd, name, st, unix.AT_SYMLINK_NOFOLLOW)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}
