package table

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

const parquetMagic = "PAR1"

// cursorValues is how many values a column's cursor decodes at a time.
const cursorValues = 64

// NewParquetReader starts reading the Parquet file held by ra, size bytes
// long. Parquet keeps its metadata in a footer at the end of the file and
// its values column by column, so it cannot be read as a stream: ra is
// read at the offsets the footer names, one page of each chosen column at
// a time, and never whole. An *os.File, a *bytes.Reader or an
// *io.SectionReader over any io.ReaderAt (such as a gocloud blob range
// reader) will do; ra must not change while the Reader uses it.
//
// The footer is read at once and checked: the magic bytes, its size
// against Options.MaxPageBytes, its encoding against the budget of
// memory its size allows, and the columns against Options.MaxColumns.
// Rows come out row group by row group; see the package documentation
// for how Parquet types become cells.
func NewParquetReader(ra io.ReaderAt, size int64, opts *Options) (rd *Reader, err error) {
	o := opts.withDefaults()
	o.Format = Parquet
	t := &trackingReaderAt{r: ra}
	defer func() {
		if p := recover(); p != nil {
			rd, err = nil, t.fail(fmt.Errorf("decoding failed: %v", p))
		}
	}()
	src, err := openParquet(t, size, &o)
	if err != nil {
		return nil, t.fail(err)
	}
	rd = &Reader{opts: o, index: map[string]int{}, nulls: map[string]bool{}, pq: src}
	for _, c := range src.cols {
		rd.addColumn(c.name)
	}
	return rd, nil
}

// readerAtSize finds random access and a size behind r, for NewReader.
func readerAtSize(r io.Reader) (io.ReaderAt, int64, error) {
	ra, ok := r.(io.ReaderAt)
	if !ok {
		return nil, 0, fmt.Errorf("%w: parquet needs random access: pass an io.ReaderAt with a size (*os.File, *bytes.Reader, *io.SectionReader), not a stream", ErrInvalidInput)
	}
	if s, ok := r.(interface{ Size() int64 }); ok {
		return ra, s.Size(), nil
	}
	if s, ok := r.(interface{ Stat() (fs.FileInfo, error) }); ok {
		fi, err := s.Stat()
		if err != nil {
			return nil, 0, fmt.Errorf("table: read: %w", err)
		}
		if fi.Mode().IsRegular() {
			return ra, fi.Size(), nil
		}
	}
	if s, ok := r.(io.Seeker); ok {
		cur, err := s.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, 0, fmt.Errorf("table: read: %w", err)
		}
		end, err := s.Seek(0, io.SeekEnd)
		if err != nil {
			return nil, 0, fmt.Errorf("table: read: %w", err)
		}
		if _, err := s.Seek(cur, io.SeekStart); err != nil {
			return nil, 0, fmt.Errorf("table: read: %w", err)
		}
		return ra, end, nil
	}
	return nil, 0, fmt.Errorf("%w: parquet needs the file's size: pass a reader with a Size method, a regular file or an io.Seeker", ErrInvalidInput)
}

// trackingReaderAt remembers the first error of the underlying reader
// other than io.EOF, so a failed read is reported as a read error and not
// as a damaged file.
type trackingReaderAt struct {
	r   io.ReaderAt
	err error
}

func (t *trackingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := t.r.ReadAt(p, off)
	if err != nil && !errors.Is(err, io.EOF) && t.err == nil {
		t.err = err
	}
	return n, err
}

// fail turns an error met while reading the file into this package's
// terms: a read error as such, one of our sentinels unchanged, anything
// else (parquet-go's own errors, a recovered panic) as ErrInvalidInput.
// The cause is kept as text only, so that an io.EOF deep inside can never
// be mistaken for the end of the rows.
func (t *trackingReaderAt) fail(err error) error {
	if t.err != nil {
		return fmt.Errorf("table: read: %w", t.err)
	}
	for _, s := range [...]error{ErrInvalidInput, ErrUnsupported, ErrRecordTooLong, ErrTooManyColumns, ErrMalformedRow} {
		if errors.Is(err, s) {
			return err
		}
	}
	return fmt.Errorf("%w: parquet: %v", ErrInvalidInput, err)
}

// readFull reads len(p) bytes at off or fails.
func readFull(ra io.ReaderAt, p []byte, off int64) error {
	n, err := ra.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return err
}

type parquetColumn struct {
	name string
	leaf int // index among the file's leaf columns
	conv converter
}

type parquetSource struct {
	file  *parquet.File
	ra    *trackingReaderAt
	size  int64
	limit int64 // Options.MaxPageBytes
	cols  []parquetColumn
	group int   // the next row group to open
	left  int64 // rows left in the open row group
	row   int64 // rows read
	cur   []columnCursor
	win   []byte // page header scratch
}

func openParquet(ra *trackingReaderAt, size int64, o *Options) (*parquetSource, error) {
	limit := int64(o.MaxPageBytes)
	if size < int64(2*len(parquetMagic)+4) {
		return nil, fmt.Errorf("%w: %d bytes is too short for a Parquet file", ErrInvalidInput, size)
	}
	var head [4]byte
	var tail [8]byte
	if err := readFull(ra, head[:], 0); err != nil {
		return nil, err
	}
	if err := readFull(ra, tail[:], size-8); err != nil {
		return nil, err
	}
	if string(head[:]) == "PARE" || string(tail[4:]) == "PARE" {
		return nil, fmt.Errorf("%w: the file is encrypted", ErrUnsupported)
	}
	if string(head[:]) != parquetMagic || string(tail[4:]) != parquetMagic {
		return nil, fmt.Errorf("%w: not a Parquet file (no PAR1 magic at both ends)", ErrInvalidInput)
	}
	footerLen := int64(binary.LittleEndian.Uint32(tail[:4]))
	if footerLen > size-12 {
		return nil, fmt.Errorf("%w: a footer of %d bytes does not fit in a file of %d", ErrInvalidInput, footerLen, size)
	}
	if footerLen > limit {
		return nil, fmt.Errorf("%w: the footer has %d bytes, the limit is %d", ErrRecordTooLong, footerLen, limit)
	}
	footer := make([]byte, footerLen)
	if err := readFull(ra, footer, size-8-footerLen); err != nil {
		return nil, err
	}
	n, err := skimThrift(footer, 64*footerLen+1<<20)
	if err != nil {
		return nil, fmt.Errorf("%w: footer: %v", ErrInvalidInput, err)
	}
	if int64(n) != footerLen {
		return nil, fmt.Errorf("%w: footer: %d bytes after the metadata (a signed footer?)", ErrUnsupported, footerLen-int64(n))
	}
	footer = nil
	f, err := parquet.OpenFile(ra, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, err
	}
	if len(f.RowGroups()) != len(f.Metadata().RowGroups) {
		return nil, fmt.Errorf("%w: the footer lists %d row groups, %d were opened", ErrInvalidInput, len(f.Metadata().RowGroups), len(f.RowGroups()))
	}
	cols, err := chooseColumns(f, o)
	if err != nil {
		return nil, err
	}
	return &parquetSource{file: f, ra: ra, size: size, limit: limit, cols: cols}, nil
}

// chooseColumns lists the leaf columns to read, named by their dotted
// paths, and refuses what cannot be read as one cell per row.
func chooseColumns(f *parquet.File, o *Options) ([]parquetColumn, error) {
	want := func(name string) bool {
		if o.ParquetColumns == nil {
			return true
		}
		for _, w := range o.ParquetColumns {
			if name == w || strings.HasPrefix(name, w+".") {
				return true
			}
		}
		return false
	}
	var cols []parquetColumn
	seen := map[string]bool{}
	var walk func(c *parquet.Column, prefix string, why string) error
	walk = func(c *parquet.Column, prefix string, why string) error {
		name := c.Name()
		if prefix != "" {
			name = prefix + "." + name
		}
		if why == "" {
			switch {
			case c.Repeated():
				why = "is repeated (a LIST, a MAP or a repeated field)"
			case isVariant(c.Type()):
				why = "is a VARIANT"
			}
		}
		if !c.Leaf() {
			for _, child := range c.Columns() {
				if err := walk(child, name, why); err != nil {
					return err
				}
			}
			return nil
		}
		if !want(name) {
			return nil
		}
		if why != "" {
			return fmt.Errorf("%w: column %q %s; leave it out with Options.ParquetColumns", ErrUnsupported, name, why)
		}
		if len(cols) >= o.MaxColumns {
			return fmt.Errorf("%w: the file has more than %d columns", ErrTooManyColumns, o.MaxColumns)
		}
		if seen[name] {
			return fmt.Errorf("%w: two columns are named %q", ErrInvalidInput, name)
		}
		seen[name] = true
		conv, err := converterFor(c.Type())
		if err != nil {
			return within(err, "column %q", name)
		}
		cols = append(cols, parquetColumn{name: name, leaf: c.Index(), conv: conv})
		return nil
	}
	for _, c := range f.Root().Columns() {
		if err := walk(c, "", ""); err != nil {
			return nil, err
		}
	}
	return cols, nil
}

func isVariant(t parquet.Type) bool {
	if lt := t.LogicalType(); lt != nil {
		_, ok := lt.Value.(*format.VariantType)
		return ok
	}
	return false
}

// openGroup checks the next row group's chosen column chunks and starts
// reading them.
func (s *parquetSource) openGroup() error {
	s.closeCursors()
	g := s.group
	s.group++
	rg := s.file.RowGroups()[g]
	meta := &s.file.Metadata().RowGroups[g]
	rows := rg.NumRows()
	if rows < 0 {
		return fmt.Errorf("%w: row group %d has %d rows", ErrInvalidInput, g, rows)
	}
	chunks := rg.ColumnChunks()
	if s.cur == nil {
		s.cur = make([]columnCursor, len(s.cols))
	}
	for i, c := range s.cols {
		if c.leaf < 0 || c.leaf >= len(chunks) || c.leaf >= len(meta.Columns) {
			return fmt.Errorf("%w: row group %d lacks column %q", ErrInvalidInput, g, c.name)
		}
		if err := s.checkChunk(&meta.Columns[c.leaf].MetaData, rows); err != nil {
			return within(err, "row group %d column %q", g, c.name)
		}
		cur := &s.cur[i]
		cur.pages = chunks[c.leaf].Pages()
		if cur.buf == nil {
			cur.buf = make([]parquet.Value, cursorValues)
		}
	}
	s.left = rows
	return nil
}

// checkChunk walks a column chunk's page headers before parquet-go reads
// them: each must decode within its bytes, declare sizes and a number of
// values within the limit, and fit in the chunk; the data pages must hold
// one value per row (the chosen columns are not repeated), and a Snappy
// block may not declare more bytes than its page.
func (s *parquetSource) checkChunk(md *format.ColumnMetaData, rows int64) error {
	start := md.DataPageOffset
	if md.DictionaryPageOffset > 0 && md.DictionaryPageOffset < start {
		start = md.DictionaryPageOffset
	}
	end := start + md.TotalCompressedSize
	if start < int64(len(parquetMagic)) || md.TotalCompressedSize < 0 || end > s.size-8 || end < start {
		return fmt.Errorf("%w: the chunk at %d, %d bytes, lies outside the file", ErrInvalidInput, start, md.TotalCompressedSize)
	}
	var values int64
	for off := start; off < end; {
		h, n, err := s.pageHeader(off, end)
		if err != nil {
			return err
		}
		if int64(h.CompressedPageSize) > s.limit || int64(h.UncompressedPageSize) > s.limit {
			return fmt.Errorf("%w: a page of %d bytes (%d compressed), the limit is %d", ErrRecordTooLong, h.UncompressedPageSize, h.CompressedPageSize, s.limit)
		}
		if h.CompressedPageSize < 0 || h.UncompressedPageSize < 0 {
			return fmt.Errorf("%w: a page of negative size", ErrInvalidInput)
		}
		data := off + int64(n)
		if data+int64(h.CompressedPageSize) > end {
			return fmt.Errorf("%w: a page runs past the end of its chunk", ErrInvalidInput)
		}
		var count int64
		compressed := true
		skip := int64(0)
		switch h.Type {
		case format.DataPage:
			count = int64(h.DataPageHeader.V.NumValues)
			values += count
		case format.DataPageV2:
			v := &h.DataPageHeaderV2.V
			count = int64(v.NumValues)
			values += count
			skip = int64(v.RepetitionLevelsByteLength) + int64(v.DefinitionLevelsByteLength)
			if skip < 0 || skip > int64(h.CompressedPageSize) {
				return fmt.Errorf("%w: page levels longer than the page", ErrInvalidInput)
			}
			compressed = !v.IsCompressed.Valid || v.IsCompressed.V
		case format.DictionaryPage:
			count = int64(h.DictionaryPageHeader.V.NumValues)
		}
		if count < 0 || count > s.limit/8 {
			return fmt.Errorf("%w: a page of %d values, the limit is %d", ErrRecordTooLong, count, s.limit/8)
		}
		if md.Codec == format.Snappy && compressed && h.CompressedPageSize > 0 {
			if err := s.checkSnappy(data+skip, data+int64(h.CompressedPageSize), int64(h.UncompressedPageSize)-skip); err != nil {
				return err
			}
		}
		off = data + int64(h.CompressedPageSize)
	}
	if values != rows {
		return fmt.Errorf("%w: %d values in a row group of %d rows", ErrInvalidInput, values, rows)
	}
	return nil
}

// pageHeader decodes the page header at off, reading a window that grows
// until the header fits (up to the limit and the chunk's end).
func (s *parquetSource) pageHeader(off, end int64) (*format.PageHeader, int, error) {
	w := min(end-off, 4<<10)
	for {
		if int64(cap(s.win)) < w {
			s.win = make([]byte, w)
		}
		b := s.win[:w]
		if err := readFull(s.ra, b, off); err != nil {
			return nil, 0, err
		}
		n, err := skimThrift(b, s.limit)
		if errors.Is(err, errThriftShort) && w < end-off && w < s.limit {
			w = min(4*w, end-off, s.limit)
			continue
		}
		if errors.Is(err, errThriftBudget) {
			return nil, 0, fmt.Errorf("%w: a page header over %d bytes", ErrRecordTooLong, s.limit)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%w: page header at %d: %v", ErrInvalidInput, off, err)
		}
		h := new(format.PageHeader)
		if err := thrift.Unmarshal(new(thrift.CompactProtocol), b[:n], h); err != nil {
			return nil, 0, fmt.Errorf("%w: page header at %d: %v", ErrInvalidInput, off, err)
		}
		if s.win != nil && cap(s.win) > 64<<10 {
			s.win = nil // do not keep a large window
		}
		return h, n, nil
	}
}

// checkSnappy reads the decoded length a Snappy block starts with.
func (s *parquetSource) checkSnappy(off, end, max int64) error {
	var b [binary.MaxVarintLen64]byte
	n := min(end-off, int64(len(b)))
	if err := readFull(s.ra, b[:n], off); err != nil {
		return err
	}
	v, k := binary.Uvarint(b[:n])
	if k <= 0 || v > uint64(max) {
		return fmt.Errorf("%w: a Snappy block declares more bytes than its page", ErrInvalidInput)
	}
	return nil
}

func (s *parquetSource) closeCursors() {
	for i := range s.cur {
		s.cur[i].close()
	}
}

// nextParquet assembles the next row from one value of each chosen
// column.
func (r *Reader) nextParquet() (row Row, err error) {
	s := r.pq
	defer func() {
		if p := recover(); p != nil {
			row, err = Row{}, s.ra.fail(fmt.Errorf("decoding failed: %v", p))
		}
	}()
	for s.left == 0 {
		if s.group >= len(s.file.RowGroups()) {
			s.closeCursors()
			return Row{}, io.EOF
		}
		if err := s.openGroup(); err != nil {
			return Row{}, s.ra.fail(err)
		}
	}
	s.left--
	s.row++
	row = Row{Line: s.row}
	var bad error
	size := 0
	cells := make([]Cell, 0, len(s.cols))
	for i := range s.cols {
		c := &s.cols[i]
		v, err := s.cur[i].next()
		if err != nil {
			return Row{}, s.ra.fail(fmt.Errorf("row group %d column %q: %v", s.group-1, c.name, err))
		}
		if v.IsNull() {
			continue
		}
		cell, err := c.conv(v)
		if err != nil {
			if bad == nil {
				bad = fmt.Errorf("%w: row %d column %q: %v", ErrMalformedRow, s.row, c.name, err)
			}
			continue
		}
		if cell.Kind == Missing {
			continue
		}
		size += len(cell.Text)
		cells = append(cells, Cell{Column: i, Value: cell})
	}
	if size > r.opts.MaxRecordBytes {
		return Row{}, fmt.Errorf("%w: row %d holds %d bytes of values, the limit is %d", ErrRecordTooLong, s.row, size, r.opts.MaxRecordBytes)
	}
	if bad != nil {
		return row, bad
	}
	row.Cells = cells
	return row, nil
}

// columnCursor hands out a column chunk's values one at a time, decoding
// cursorValues at a time from one page at a time.
type columnCursor struct {
	pages  parquet.Pages
	page   parquet.Page
	values parquet.ValueReader
	buf    []parquet.Value
	i, n   int
	eof    bool // values is exhausted
}

func (c *columnCursor) next() (parquet.Value, error) {
	for stalls := 0; c.i >= c.n; {
		if c.values != nil && !c.eof {
			n, err := c.values.ReadValues(c.buf)
			c.i, c.n = 0, n
			switch {
			case errors.Is(err, io.EOF):
				c.eof = true
			case err != nil:
				return parquet.Value{}, err
			case n == 0:
				if stalls++; stalls > 1 {
					return parquet.Value{}, errors.New("a page yields no values")
				}
			}
			continue
		}
		c.releasePage()
		p, err := c.pages.ReadPage()
		if errors.Is(err, io.EOF) {
			return parquet.Value{}, errors.New("the column ends before its row group")
		}
		if err != nil {
			return parquet.Value{}, err
		}
		c.page, c.values, c.eof = p, p.Values(), false
	}
	v := c.buf[c.i]
	c.i++
	return v, nil
}

func (c *columnCursor) releasePage() {
	if c.page != nil {
		parquet.Release(c.page)
	}
	c.page, c.values, c.i, c.n = nil, nil, 0, 0
}

func (c *columnCursor) close() {
	c.releasePage()
	if c.pages != nil {
		c.pages.Close()
		c.pages = nil
	}
}

// A converter turns one non-null Parquet value into a cell; an error
// makes the row malformed.
type converter func(parquet.Value) (Value, error)

// maxDecimalBytes bounds the unscaled value of a byte-array decimal
// (precision 38 needs 16 bytes).
const maxDecimalBytes = 128

func converterFor(t parquet.Type) (converter, error) {
	var lt format.LogicalTypeValue
	if l := t.LogicalType(); l != nil {
		lt = l.Value
	}
	kind := t.Kind()
	mismatch := func() (converter, error) {
		return nil, fmt.Errorf("%w: %v on %v", ErrInvalidInput, t, kind)
	}
	switch l := lt.(type) {
	case *format.NullType:
		return func(parquet.Value) (Value, error) { return Value{}, nil }, nil
	case *format.StringType, *format.EnumType, *format.JsonType:
		if kind != parquet.ByteArray && kind != parquet.FixedLenByteArray {
			return mismatch()
		}
		return convBytes, nil
	case *format.DecimalType:
		if l.Scale < 0 || l.Scale > 1000 {
			return nil, fmt.Errorf("%w: decimal scale %d", ErrInvalidInput, l.Scale)
		}
		return decimalConverter(kind, int(l.Scale))
	case *format.DateType:
		if kind != parquet.Int32 {
			return mismatch()
		}
		return func(v parquet.Value) (Value, error) {
			d := time.Unix(int64(v.Int32())*86400, 0).UTC()
			return Value{Kind: Timestamp, Text: d.Format(time.DateOnly)}, nil
		}, nil
	case *format.TimestampType:
		if kind != parquet.Int64 {
			return mismatch()
		}
		layout := "2006-01-02T15:04:05.999999999"
		if l.IsAdjustedToUTC {
			layout = time.RFC3339Nano
		}
		at := unitTime(l.Unit)
		return func(v parquet.Value) (Value, error) {
			return Value{Kind: Timestamp, Text: at(v.Int64()).Format(layout)}, nil
		}, nil
	case *format.TimeType:
		var scale int64
		switch l.Unit.Value.(type) {
		case *format.MilliSeconds:
			scale = 1e6
		case *format.MicroSeconds:
			scale = 1e3
		default:
			scale = 1
		}
		if (scale == 1e6) != (kind == parquet.Int32) || (kind != parquet.Int32 && kind != parquet.Int64) {
			return mismatch()
		}
		return func(v parquet.Value) (Value, error) {
			n := v.Int64()
			if kind == parquet.Int32 {
				n = int64(v.Int32())
			}
			if n < 0 || n >= int64(24*time.Hour)/scale {
				return Value{}, fmt.Errorf("time of day %d out of range", n)
			}
			d := time.Unix(0, n*scale).UTC()
			return Value{Kind: String, Text: d.Format("15:04:05.999999999")}, nil
		}, nil
	case *format.IntType:
		switch {
		case kind == parquet.Int32 && l.IsSigned:
			return convInt32, nil
		case kind == parquet.Int32:
			return func(v parquet.Value) (Value, error) {
				return Value{Kind: Number, Text: strconv.FormatUint(uint64(uint32(v.Int32())), 10)}, nil
			}, nil
		case kind == parquet.Int64 && l.IsSigned:
			return convInt64, nil
		case kind == parquet.Int64:
			return func(v parquet.Value) (Value, error) {
				return Value{Kind: Number, Text: strconv.FormatUint(uint64(v.Int64()), 10)}, nil
			}, nil
		}
		return mismatch()
	case *format.UUIDType:
		if kind != parquet.FixedLenByteArray || t.Length() != 16 {
			return mismatch()
		}
		return func(v parquet.Value) (Value, error) {
			b := v.ByteArray()
			if len(b) != 16 {
				return Value{}, fmt.Errorf("a UUID of %d bytes", len(b))
			}
			h := hex.EncodeToString(b)
			return Value{Kind: String, Text: h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]}, nil
		}, nil
	case *format.Float16Type:
		if kind != parquet.FixedLenByteArray || t.Length() != 2 {
			return mismatch()
		}
		return func(v parquet.Value) (Value, error) {
			b := v.ByteArray()
			if len(b) != 2 {
				return Value{}, fmt.Errorf("a FLOAT16 of %d bytes", len(b))
			}
			f := halfToFloat(binary.LittleEndian.Uint16(b))
			return Value{Kind: Float, Text: strconv.FormatFloat(float64(f), 'g', -1, 32)}, nil
		}, nil
	case nil:
	default:
		return nil, fmt.Errorf("%w: type %v", ErrUnsupported, t)
	}
	if ct := t.ConvertedType(); ct != nil {
		switch *ct {
		case deprecated.Interval, deprecated.Bson:
			return nil, fmt.Errorf("%w: type %v", ErrUnsupported, t)
		}
	}
	switch kind {
	case parquet.Boolean:
		return func(v parquet.Value) (Value, error) {
			return Value{Kind: Bool, Text: strconv.FormatBool(v.Boolean())}, nil
		}, nil
	case parquet.Int32:
		return convInt32, nil
	case parquet.Int64:
		return convInt64, nil
	case parquet.Int96:
		return func(v parquet.Value) (Value, error) {
			return Value{Kind: Timestamp, Text: int96Time(v.Int96()).Format("2006-01-02T15:04:05.999999999")}, nil
		}, nil
	case parquet.Float:
		return func(v parquet.Value) (Value, error) {
			return Value{Kind: Float, Text: strconv.FormatFloat(float64(v.Float()), 'g', -1, 32)}, nil
		}, nil
	case parquet.Double:
		return func(v parquet.Value) (Value, error) {
			return Value{Kind: Float, Text: strconv.FormatFloat(v.Double(), 'g', -1, 64)}, nil
		}, nil
	case parquet.ByteArray, parquet.FixedLenByteArray:
		return convBytes, nil
	}
	return nil, fmt.Errorf("%w: type %v", ErrUnsupported, t)
}

func convInt32(v parquet.Value) (Value, error) {
	return Value{Kind: Number, Text: strconv.FormatInt(int64(v.Int32()), 10)}, nil
}

func convInt64(v parquet.Value) (Value, error) {
	return Value{Kind: Number, Text: strconv.FormatInt(v.Int64(), 10)}, nil
}

// convBytes reads a byte string as text; bytes that are not UTF-8 make
// the row malformed, as in CSV.
func convBytes(v parquet.Value) (Value, error) {
	b := v.ByteArray()
	if !utf8.Valid(b) {
		return Value{}, errors.New("not valid UTF-8")
	}
	return Value{Kind: String, Text: string(b)}, nil
}

func decimalConverter(kind parquet.Kind, scale int) (converter, error) {
	switch kind {
	case parquet.Int32:
		return func(v parquet.Value) (Value, error) {
			return Value{Kind: Number, Text: scaled(big.NewInt(int64(v.Int32())), scale)}, nil
		}, nil
	case parquet.Int64:
		return func(v parquet.Value) (Value, error) {
			return Value{Kind: Number, Text: scaled(big.NewInt(v.Int64()), scale)}, nil
		}, nil
	case parquet.ByteArray, parquet.FixedLenByteArray:
		return func(v parquet.Value) (Value, error) {
			b := v.ByteArray()
			if len(b) > maxDecimalBytes {
				return Value{}, fmt.Errorf("a decimal of %d bytes", len(b))
			}
			x := new(big.Int).SetBytes(b)
			if len(b) > 0 && b[0]&0x80 != 0 { // two's complement
				x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
			}
			return Value{Kind: Number, Text: scaled(x, scale)}, nil
		}, nil
	}
	return nil, fmt.Errorf("%w: DECIMAL on %v", ErrInvalidInput, kind)
}

// scaled writes unscaled / 10^scale exactly.
func scaled(x *big.Int, scale int) string {
	s := x.String()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if scale > 0 {
		if len(s) <= scale {
			s = strings.Repeat("0", scale-len(s)+1) + s
		}
		s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

func unitTime(u format.TimeUnit) func(int64) time.Time {
	switch u.Value.(type) {
	case *format.MilliSeconds:
		return func(n int64) time.Time { return time.UnixMilli(n).UTC() }
	case *format.MicroSeconds:
		return func(n int64) time.Time { return time.UnixMicro(n).UTC() }
	}
	return func(n int64) time.Time { return time.Unix(0, n).UTC() }
}

// julianUnixEpoch is the Julian day number of 1970-01-01.
const julianUnixEpoch = 2440588

// int96Time decodes the legacy INT96 timestamp: nanoseconds within the
// day in the first eight bytes, the Julian day in the last four, all
// little-endian.
func int96Time(i deprecated.Int96) time.Time {
	nanos := uint64(i[1])<<32 | uint64(i[0])
	days := int64(i[2]) - julianUnixEpoch
	return time.Unix(days*86400+int64(nanos/1e9), int64(nanos%1e9)).UTC()
}

// halfToFloat widens an IEEE 754 half-precision value.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h & 0x3ff)
	switch exp {
	case 0: // zero or subnormal: frac * 2^-24
		f := float32(frac) / (1 << 24)
		if sign != 0 {
			f = -f
		}
		return f
	case 0x1f: // infinity or NaN
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	}
	return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
}

// within adds where an error happened after its sentinel's prefix:
// "table: invalid input: row group 2 column \"x\": a page ...".
func within(err error, format string, args ...any) error {
	for _, s := range [...]error{ErrInvalidInput, ErrUnsupported, ErrRecordTooLong} {
		if errors.Is(err, s) {
			rest := strings.TrimPrefix(strings.TrimPrefix(err.Error(), s.Error()), ": ")
			return fmt.Errorf("%w: %s: %s", s, fmt.Sprintf(format, args...), rest)
		}
	}
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), err)
}
