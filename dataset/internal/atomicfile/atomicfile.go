// Package atomicfile writes files inside a directory so that a file appears
// under its final name complete or not at all.
//
// Functions are safe for concurrent use on distinct names.
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// TempPrefix starts the name of every temporary file this package creates,
// so that callers can recognise leftovers of a killed process.
const TempPrefix = ".sextant-tmp-"

// Write creates or replaces rel (slash-separated, resolved inside root so it
// cannot escape it) with the bytes fill writes. The bytes go to a temporary
// file beside rel; if fill or any write fails, the temporary file is
// removed and rel is untouched. Otherwise the file gets perm and is renamed
// over rel. Missing parent directories are created with mode 0o755.
func Write(root *os.Root, rel string, perm fs.FileMode, fill func(w io.Writer) error) (err error) {
	dir := path.Dir(rel)
	if dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := path.Join(dir, TempPrefix+hex.EncodeToString(rnd[:])+"-"+path.Base(rel))
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			root.Remove(tmp)
		}
	}()
	if err := fill(f); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := root.Chmod(tmp, perm); err != nil {
		return err
	}
	if err := root.Rename(tmp, rel); err != nil {
		return fmt.Errorf("rename into place: %w", err)
	}
	return nil
}

// IsTemp reports whether the base name of p marks a temporary file of Write.
func IsTemp(p string) bool {
	return strings.HasPrefix(path.Base(p), TempPrefix)
}
