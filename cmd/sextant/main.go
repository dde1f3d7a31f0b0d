package main

import (
	"os"

	"github.com/sextant-ml/sextant/cmd/internal/cli"
)

func main() { os.Exit(cli.Main()) }
