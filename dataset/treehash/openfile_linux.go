//go:build linux

package treehash

import (
	"errors"
	"io"
	"io/fs"
	"syscall"
)

// rawFile reads a regular file with plain system calls. os.File registers
// every descriptor with the runtime's poller, which costs system calls a
// regular file never needs; on trees of small files that is a large share
// of the work.
type rawFile struct {
	fd   int
	name string
}

// openFile opens path for reading without following a final symbolic link.
func openFile(path string) (io.ReadCloser, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NOFOLLOW, 0)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: path, Err: err}
		}
		return &rawFile{fd: fd, name: path}, nil
	}
}

func (f *rawFile) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := syscall.Read(f.fd, p)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return 0, &fs.PathError{Op: "read", Path: f.name, Err: err}
		}
		if n == 0 {
			return 0, io.EOF
		}
		return n, nil
	}
}

func (f *rawFile) Close() error {
	if err := syscall.Close(f.fd); err != nil {
		return &fs.PathError{Op: "close", Path: f.name, Err: err}
	}
	return nil
}

// mapFile maps the first size bytes of r read-only when r is a file opened
// by openFile and size is worth it. unmap releases the mapping; ok is false
// when the caller should read instead.
func mapFile(r io.Reader, size int64) (data []byte, unmap func(), ok bool) {
	f, isRaw := r.(*rawFile)
	if !isRaw || size < mapMin || size > int64(^uint(0)>>1) {
		return nil, nil, false
	}
	data, err := syscall.Mmap(f.fd, 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, false
	}
	syscall.Madvise(data, syscall.MADV_SEQUENTIAL)
	return data, func() { syscall.Munmap(data) }, true
}

// sizeNow returns the current size of a file opened by openFile, or -1.
func sizeNow(r io.Reader) int64 {
	f, ok := r.(*rawFile)
	if !ok {
		return -1
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(f.fd, &st); err != nil {
		return -1
	}
	return st.Size
}
