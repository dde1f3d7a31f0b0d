package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/dataset"
	"github.com/sextant-ml/sextant/rbac"
	"github.com/sextant-ml/sextant/registry"
	"github.com/sextant-ml/sextant/tracking"
	"github.com/sextant-ml/sextant/ui"
)

func cmdUI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ui", stderr)
	bucket := fs.String("bucket", os.Getenv("SEXTANT_BUCKET"), "bucket URL to show (default $SEXTANT_BUCKET)")
	addr := fs.String("addr", ":8080", "address to listen on")
	prefix := fs.String("prefix", "", "serve the UI under this path prefix, e.g. /ml")
	policy := fs.String("policy", "", "rbac policy file; every page is authorized for the subject named by -user-header")
	userHeader := fs.String("user-header", "", "request header naming the User subject, set by an authenticating proxy in front (needed with -policy)")
	fs.Usage = usageWith(fs, "", "Serves the web UI over the bucket's models, runs, datasets, drift reports and rollouts until interrupted.")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *bucket == "" {
		return fmt.Errorf("%w: -bucket (or $SEXTANT_BUCKET) is required", errUsage)
	}
	if (*policy == "") != (*userHeader == "") {
		return fmt.Errorf("%w: -policy and -user-header go together", errUsage)
	}
	p := strings.TrimSuffix(*prefix, "/")
	if p != "" && !strings.HasPrefix(p, "/") {
		return fmt.Errorf("%w: -prefix %q: want a path starting with /", errUsage, *prefix)
	}
	store, err := artifact.Open(ctx, *bucket, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	reg, err := registry.Open(ctx, store, &registry.Options{Logger: logger})
	if err != nil {
		return err
	}
	data, err := dataset.New(store, nil)
	if err != nil {
		return err
	}
	tr, err := tracking.Open(ctx, store, &tracking.Options{Logger: logger})
	if err != nil {
		return err
	}
	opts := &ui.Options{Registry: reg, Datasets: data, Tracker: tr, Artifacts: store, Logger: logger}
	if *policy != "" {
		b, err := os.ReadFile(*policy)
		if err != nil {
			return err
		}
		pol, err := rbac.Parse(*policy, b)
		if err != nil {
			return err
		}
		authz, err := rbac.New(pol, nil)
		if err != nil {
			return err
		}
		header := *userHeader
		opts.Authorizer = authz
		opts.Subject = func(r *http.Request) (rbac.Subject, error) {
			name := r.Header.Get(header)
			if name == "" {
				return rbac.Subject{}, fmt.Errorf("no %s header", header)
			}
			return rbac.Subject{Kind: rbac.User, Name: name}, nil
		}
	}
	h, err := ui.New(opts)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	if p == "" {
		mux.Handle("/", h)
	} else {
		mux.Handle(p+"/", http.StripPrefix(p, h))
		mux.Handle(p, http.RedirectHandler(p+"/", http.StatusMovedPermanently))
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "serving the UI of %s on http://%s%s/\n", *bucket, ln.Addr(), p)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
