package dataset

import (
	"sync"

	"github.com/sextant-ml/sextant/dataset/treehash"
)

// Progress is reported while a tree is hashed (Phase "hash"), uploaded
// ("upload") or checked out ("download"). It is treehash.Progress, so a
// callback serves both packages.
type Progress = treehash.Progress

// progress serializes the reports of one transfer.
type progress struct {
	fn    func(Progress)
	mu    sync.Mutex
	state Progress
}

func (p *progress) add(files, cached int, bytes int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state.FilesDone += files
	p.state.FilesCached += cached
	p.state.BytesDone += bytes
	if p.fn != nil {
		p.fn(p.state)
	}
}
