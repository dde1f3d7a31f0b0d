package registry

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gocloud.dev/blob"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/rbac"
)

const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// SearchOptions select and page versions.
type SearchOptions struct {
	// Filter in the language of ParseFilter. Default: every version.
	Filter string
	// Model restricts the search to one model. Default: every model.
	Model string
	// PageSize is the most versions per page. Default 100, at most 1000.
	PageSize int
	// PageToken continues a previous search with the same Filter and Model.
	PageToken string
	// IncludeDeleted returns deleted versions too. Default false.
	IncludeDeleted bool
}

// VersionPage is one page of search results: models by name, then versions
// newest first. NextPageToken is empty on the last page.
type VersionPage struct {
	Versions      []*Version
	NextPageToken string
}

// pageToken marks the last item returned; pages resume strictly after it, so
// versions registered between pages never shift or repeat results.
type pageToken struct {
	Query   string `json:"q"`           // hash of the query the token belongs to
	Model   string `json:"m"`           // last model returned
	Version int    `json:"v,omitempty"` // last version returned (0 for model listings)
}

func queryHash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:12])
}

func encodeToken(t pageToken) string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(s, query string) (*pageToken, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64", ErrInvalidPageToken)
	}
	var t pageToken
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPageToken, err)
	}
	if t.Query != query {
		return nil, fmt.Errorf("%w: token belongs to another query", ErrInvalidPageToken)
	}
	return &t, nil
}

// query is a parsed search request: its filter, page size, the hash that
// binds page tokens to it, and where the page resumes (nil for the first).
type query struct {
	filter *Filter
	size   int
	hash   string
	after  *pageToken
}

func newQuery(filter string, size int, token string, parts ...string) (*query, error) {
	f, err := ParseFilter(filter)
	if err != nil {
		return nil, err
	}
	if size, err = pageSize(size); err != nil {
		return nil, err
	}
	hash := queryHash(append(parts, f.String())...)
	tok, err := decodeToken(token, hash)
	if err != nil {
		return nil, err
	}
	return &query{filter: f, size: size, hash: hash, after: tok}, nil
}

func pageSize(n int) (int, error) {
	switch {
	case n == 0:
		return defaultPageSize, nil
	case n < 0 || n > maxPageSize:
		return 0, fmt.Errorf("%w: page size %d, want 1 to %d", ErrInvalidArgument, n, maxPageSize)
	}
	return n, nil
}

// SearchVersions returns the versions matching opts, a page at a time.
// Models whose log cannot be read are skipped with a warning on the Logger
// when the search spans every model; with opts.Model set, the error is returned.
func (r *Registry) SearchVersions(ctx context.Context, opts *SearchOptions) (*VersionPage, error) {
	if opts == nil {
		opts = &SearchOptions{}
	}
	q, err := newQuery(opts.Filter, opts.PageSize, opts.PageToken, "versions", opts.Model, fmt.Sprint(opts.IncludeDeleted))
	if err != nil {
		return nil, err
	}
	f, size, query, tok := q.filter, q.size, q.hash, q.after
	if opts.Model != "" {
		if err := ValidateModelName(opts.Model); err != nil {
			return nil, err
		}
	}
	if err := r.authorize(ctx, rbac.VerbList, rbac.ResourceModelVersions, opts.Model); err != nil {
		return nil, err
	}
	names := []string{opts.Model}
	if opts.Model == "" {
		if names, err = r.modelNames(ctx); err != nil {
			return nil, err
		}
	}
	page := &VersionPage{}
	start := 0
	if tok != nil {
		// Resume at the token's model by binary search, not a scan.
		start, _ = slices.BinarySearch(names, tok.Model)
	}
	// One probe for the whole page: matching takes its address, and a probe
	// declared per version would escape to the heap once per version scanned.
	var probe Version
	for _, name := range names[start:] {
		st, err := r.state(ctx, name, false)
		if err != nil {
			if opts.Model != "" {
				return nil, err
			}
			r.log.Warn("registry: search skips an unreadable model", "model", name, "err", err)
			continue
		}
		if st.model == nil || st.model.Deleted && !opts.IncludeDeleted {
			continue
		}
		// Versions are numbered from 1 and stored in order, so the page
		// resumes at the version below the token's in O(1): listing every
		// version page by page examines each version once or twice in all,
		// never a rescan from the newest.
		from := len(st.versions)
		if tok != nil && name == tok.Model {
			from = min(from, tok.Version-1)
		}
		var aliases map[int][]string
		for n := from; n > 0; n-- {
			if r.scanHook != nil {
				r.scanHook()
			}
			v := st.versions[n-1]
			if v.Deleted && !opts.IncludeDeleted {
				continue
			}
			if aliases == nil {
				aliases = st.aliasesByVersion()
			}
			// Match on a shallow copy carrying the aliases; copy deeply
			// only what is returned.
			probe = *v
			probe.Aliases = aliases[n]
			if !f.Match(&probe) {
				continue
			}
			if len(page.Versions) == size {
				last := page.Versions[size-1]
				page.NextPageToken = encodeToken(pageToken{Query: query, Model: last.Model, Version: last.Number})
				return page, nil
			}
			page.Versions = append(page.Versions, st.view(n))
		}
	}
	return page, nil
}

// ListOptions select and page models.
type ListOptions struct {
	// Filter in the language of ParseFilter, on model fields. Default: every model.
	Filter string
	// PageSize is the most models per page. Default 100, at most 1000.
	PageSize int
	// PageToken continues a previous listing with the same Filter.
	PageToken string
	// IncludeDeleted lists deleted models too. Default false.
	IncludeDeleted bool
}

// ModelPage is one page of models, by name.
type ModelPage struct {
	Models        []*Model
	NextPageToken string
}

// ListModels returns the models matching opts, by name, a page at a time.
// Models whose log cannot be read are skipped with a warning on the Logger.
func (r *Registry) ListModels(ctx context.Context, opts *ListOptions) (*ModelPage, error) {
	if opts == nil {
		opts = &ListOptions{}
	}
	q, err := newQuery(opts.Filter, opts.PageSize, opts.PageToken, "models", fmt.Sprint(opts.IncludeDeleted))
	if err != nil {
		return nil, err
	}
	if err := q.filter.forModels(); err != nil {
		return nil, err
	}
	f, size, query, tok := q.filter, q.size, q.hash, q.after
	if err := r.authorize(ctx, rbac.VerbList, rbac.ResourceModels, ""); err != nil {
		return nil, err
	}
	names, err := r.modelNames(ctx)
	if err != nil {
		return nil, err
	}
	page := &ModelPage{}
	start := 0
	if tok != nil {
		// Resume strictly after the token's model by binary search.
		start, _ = slices.BinarySearch(names, tok.Model)
		for start < len(names) && names[start] <= tok.Model {
			start++
		}
	}
	for _, name := range names[start:] {
		st, err := r.state(ctx, name, false)
		if err != nil {
			r.log.Warn("registry: listing skips an unreadable model", "model", name, "err", err)
			continue
		}
		if st.model == nil || st.model.Deleted && !opts.IncludeDeleted || !f.MatchModel(st.model) {
			continue
		}
		if len(page.Models) == size {
			page.NextPageToken = encodeToken(pageToken{Query: query, Model: page.Models[size-1].Name})
			return page, nil
		}
		page.Models = append(page.Models, st.modelView())
	}
	return page, nil
}

// modelNames lists the catalog, sorted.
func (r *Registry) modelNames(ctx context.Context) ([]string, error) {
	var names []string
	err := r.bucket.List(ctx, catalogDir, func(rel string, _ *blob.ListObject) error {
		name := strings.TrimPrefix(rel, catalogDir)
		if ValidateModelName(name) == nil {
			names = append(names, name)
		}
		return nil
	})
	if err != nil && !errors.Is(err, artifact.ErrNotFound) {
		return nil, fmt.Errorf("registry: list models: %w", err)
	}
	slices.Sort(names)
	return names, nil
}
