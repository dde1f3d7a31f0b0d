// Command sextant-gate is the former name of four sextant commands, kept so
// that existing pipelines keep working: "sextant-gate register", "gate",
// "promote" and "keygen" run "sextant models register", "gate", "promote"
// and "keygen" with the same flags, output and exit statuses (0 success, 1
// error, a denial included, 2 usage, 3 gate failed). New pipelines call
// sextant itself; see cmd/sextant for the documentation of the commands.
package main

import (
	"context"
	"io"
	"os"

	sextant "github.com/sextant-ml/sextant/cmd/internal/cli"
)

// Exit statuses, as sextant's.
const (
	exitOK         = sextant.ExitOK
	exitError      = sextant.ExitError
	exitUsage      = sextant.ExitUsage
	exitGateFailed = sextant.ExitGateFailed
)

func main() { os.Exit(sextant.GateMain()) }

// run executes one sextant-gate command line and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return sextant.RunGate(ctx, args, stdout, stderr)
}
