package treehash

import "errors"

// Sentinel errors, matched with errors.Is. Package dataset returns the
// same values under its own names (dataset.ErrInvalidPath is
// ErrInvalidPath, and so on), so one check works across both.
var (
	// ErrInvalidPath reports a file name that is not a valid path (see
	// ValidatePath), or a symbolic link whose target leaves the root.
	ErrInvalidPath = errors.New("treehash: invalid path")
	// ErrSymlink reports a symbolic link met under SymlinkReject, or a link
	// to a directory under SymlinkFollow.
	ErrSymlink = errors.New("treehash: symbolic link")
	// ErrSpecialFile reports a device, named pipe or socket.
	ErrSpecialFile = errors.New("treehash: special file")
	// ErrChanged reports a file that changed while it was being hashed: its
	// size differs from the one listed, or it is no longer a regular file.
	ErrChanged = errors.New("treehash: file changed while hashing")
	// ErrCorruptCache reports a cache file that is truncated or damaged.
	ErrCorruptCache = errors.New("treehash: corrupt cache")
	// ErrUnknownAlgorithm reports an Algorithm this package does not have.
	ErrUnknownAlgorithm = errors.New("treehash: unknown algorithm")
)
