package cli

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/sextant-ml/sextant/dataset"
)

// stdoutIsTerminal reports whether standard output is a terminal, where
// long transfers show a progress bar.
func stdoutIsTerminal() bool { return term.IsTerminal(int(os.Stdout.Fd())) }

// progressFlag defines -progress, on by default when standard output is a
// terminal.
func progressFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("progress", stdoutIsTerminal(), "show a progress bar on standard error (default: when standard output is a terminal)")
}

// bar draws one line of progress on w, redrawn at most every 100 ms and
// always at the end of a phase.
type bar struct {
	w     io.Writer
	mu    sync.Mutex
	phase string
	last  time.Time
	drawn bool
}

func newBar(w io.Writer, on bool) *bar {
	if !on {
		return nil
	}
	return &bar{w: w}
}

// dataset adapts the bar to dataset.Options.Progress; nil without a bar.
func (b *bar) dataset() func(dataset.Progress) {
	if b == nil {
		return nil
	}
	return func(p dataset.Progress) {
		b.update(p.Phase, p.FilesDone, p.FilesTotal, p.BytesDone, p.BytesTotal)
	}
}

func (b *bar) update(phase string, files, filesTotal int, bytes, bytesTotal int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if phase != b.phase && b.drawn {
		fmt.Fprintln(b.w)
		b.drawn = false
	}
	b.phase = phase
	complete := files == filesTotal
	if now := time.Now(); !complete && now.Sub(b.last) < 100*time.Millisecond {
		return
	} else {
		b.last = now
	}
	const width = 30
	frac := 1.0
	if bytesTotal > 0 {
		frac = float64(bytes) / float64(bytesTotal)
	} else if filesTotal > 0 {
		frac = float64(files) / float64(filesTotal)
	}
	frac = min(max(frac, 0), 1)
	n := int(frac * width)
	fmt.Fprintf(b.w, "\r%-8s [%s%s] %3.0f%%  %d/%d files  %s/%s", phase,
		strings.Repeat("=", n), strings.Repeat(" ", width-n), 100*frac, files, filesTotal, humanBytes(bytes), humanBytes(bytesTotal))
	b.drawn = true
}

// done ends the bar's line.
func (b *bar) done() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn {
		fmt.Fprintln(b.w)
		b.drawn = false
	}
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
