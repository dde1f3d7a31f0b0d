package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sextant-ml/sextant/dataset/table"
	"github.com/sextant-ml/sextant/drift"
	"github.com/sextant-ml/sextant/drift/tabular"
)

func driftCommands() []command {
	return []command{
		{"report", "compare a current table with a reference, column by column; exit status 4 on drift", cmdDriftReport},
	}
}

// errFormat reports a data file whose format cannot be read.
var errFormat = errors.New("sextant: unsupported data format")

// sniffFormat decides how a table file is encoded, from its name and its
// first bytes: .csv and .tsv are CSV, .jsonl, .ndjson and .json JSON
// Lines; otherwise content starting with '{' is JSON Lines and anything
// else CSV. Parquet ("PAR1") is recognised and refused for now. It is the
// one place a new format is added.
func sniffFormat(path string, head []byte) (table.Options, error) {
	if bytes.HasPrefix(head, []byte("PAR1")) {
		return table.Options{Format: table.Parquet}, nil
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return table.Options{Format: table.CSV}, nil
	case ".tsv":
		return table.Options{Format: table.CSV, Comma: '\t'}, nil
	case ".jsonl", ".ndjson", ".json":
		return table.Options{Format: table.JSONL}, nil
	case ".parquet":
		return table.Options{Format: table.Parquet}, nil
	}
	if t := bytes.TrimLeft(head, " \t\r\n\ufeff"); len(t) > 0 && t[0] == '{' {
		return table.Options{Format: table.JSONL}, nil
	}
	return table.Options{Format: table.CSV}, nil
}

// readTable reads a CSV, JSON Lines or Parquet file into columns (Parquet
// through the file's ReadAt, a page of each column at a time). kinds, when set,
// fixes the column types (those of the reference), so that both sides are
// read alike.
func readTable(ctx context.Context, path string, kinds *table.Columns) (*table.Columns, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	opts, err := sniffFormat(path, head)
	if err != nil {
		return nil, err
	}
	co := &table.ColumnOptions{Options: opts}
	if kinds != nil {
		co.Numeric = slices.Sorted(maps.Keys(kinds.Numeric))
		co.Categorical = slices.Sorted(maps.Keys(kinds.Categorical))
	}
	var src io.Reader = br
	if opts.Format == table.Parquet {
		src = f // table reads Parquet through ReadAt and the file's size
	}
	cols, err := table.ReadColumns(ctx, src, co)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cols, nil
}

func cmdDriftReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("drift report", stderr)
	reference := fs.String("reference", "", "reference data: a CSV, JSON Lines or Parquet file (required)")
	current := fs.String("current", "", "current data, in the same columns (required)")
	var o output
	o.register(fs, "html")
	outFile := fs.String("out", "", "write the report to FILE instead of standard output")
	share := fs.Float64("share", 0, "share of drifted columns at which the dataset drifts (default 0.5)")
	fs.Usage = usageWith(fs, "", "Compares each column of -current with -reference (the method chosen per column as Evidently does)\nand reports per column and for the dataset. Exit status 4 when the dataset drifted, 0 when not.")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := o.check("html"); err != nil {
		return fmt.Errorf("%w (or html)", err)
	}
	if *reference == "" || *current == "" {
		return fmt.Errorf("%w: -reference and -current are required", errUsage)
	}
	if *share < 0 || *share > 1 {
		return fmt.Errorf("%w: -share %g: want a share in [0, 1]", errUsage, *share)
	}
	ref, err := readTable(ctx, *reference, nil)
	if err != nil {
		return err
	}
	cur, err := readTable(ctx, *current, ref)
	if err != nil {
		return err
	}
	report, err := drift.Compare(tabular.FromColumns(ref), tabular.FromColumns(cur), &drift.CompareOptions{Share: *share})
	if err != nil {
		return err
	}
	w := stdout
	var file *os.File
	if *outFile != "" {
		if file, err = os.Create(*outFile); err != nil {
			return err
		}
		w = file
	}
	switch o.format {
	case "json":
		err = writeJSON(w, report)
	case "html":
		err = report.WriteHTML(w, &drift.HTMLOptions{Title: "Drift of " + filepath.Base(*current) + " against " + filepath.Base(*reference)})
	default:
		err = driftText(w, report)
	}
	if file != nil {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return err
	}
	if report.Drifted {
		return fmt.Errorf("%w: %d of %d column(s) drifted", errDrift, report.DriftedColumns, len(report.Columns))
	}
	return nil
}

func driftText(w io.Writer, r *drift.Report) error {
	rows := make([][]string, len(r.Columns))
	for i, c := range r.Columns {
		verdict := "ok"
		if c.Drifted {
			verdict = "DRIFT"
		}
		rows[i] = []string{c.Column, string(c.Kind), string(c.Method), fmt.Sprintf("%.4g", c.Statistic), fmt.Sprintf("%.4g", c.Score), fmt.Sprintf("%.4g", c.Threshold), verdict}
	}
	if err := printTable(w, "COLUMN\tKIND\tMETHOD\tSTATISTIC\tSCORE\tTHRESHOLD\tRESULT", rows); err != nil {
		return err
	}
	verdict := "no drift"
	if r.Drifted {
		verdict = "drift detected"
	}
	_, err := fmt.Fprintf(w, "\ndataset: %s (%d of %d columns drifted, share %.2f, rule %s)\n", verdict, r.DriftedColumns, len(r.Columns), r.Share, r.Rule)
	return err
}
