package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/examples/serve/internal/service"
	"github.com/sextant-ml/sextant/monitor"
	"github.com/sextant-ml/sextant/registry"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	bucket, model, alias, addr string
	trustedKey                 string
	allowUnsigned              bool
	canary                     string
	steps                      string
	analysisInterval           time.Duration
	watchInterval              time.Duration
	driftInterval              time.Duration
	vcpuPrice, gbPrice         float64
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	fs.StringVar(&o.bucket, "bucket", "", "bucket URL of the registry (default: seed a new file:// bucket in a temporary directory with two versions)")
	fs.StringVar(&o.model, "model", "", "model name (default \"demo\" when seeding)")
	fs.StringVar(&o.alias, "alias", "production", "alias to serve and follow")
	fs.StringVar(&o.addr, "addr", ":8080", "listen address")
	fs.StringVar(&o.trustedKey, "trusted-key", "", "PEM file of the ECDSA P-256 public key whose signature every loaded version must carry")
	fs.BoolVar(&o.allowUnsigned, "allow-unsigned", false, "load versions without checking signatures (a registry nobody else writes)")
	fs.StringVar(&o.canary, "canary", "", "version number or alias to roll out against the alias (default \"2\" when seeding)")
	fs.StringVar(&o.steps, "steps", "10,50", "canary weights in percent, each followed by an analysis")
	fs.DurationVar(&o.analysisInterval, "analysis-interval", 30*time.Second, "span of one analysis measurement")
	fs.DurationVar(&o.watchInterval, "watch-interval", time.Second, "registry poll interval for alias moves")
	fs.DurationVar(&o.driftInterval, "drift-interval", 10*time.Second, "drift check interval")
	fs.Float64Var(&o.vcpuPrice, "price-vcpu-second", 0, "price of a vCPU-second, for the cost gauge (0: off)")
	fs.Float64Var(&o.gbPrice, "price-gb-second", 0, "price of a GB-second, for the cost gauge (0: off)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%w: unexpected arguments %q", service.ErrConfig, fs.Args())
	}
	if o.bucket != "" {
		if o.model == "" {
			return nil, fmt.Errorf("%w: -model is required with -bucket", service.ErrConfig)
		}
		if (o.trustedKey == "") == !o.allowUnsigned {
			return nil, fmt.Errorf("%w: with -bucket give exactly one of -trusted-key and -allow-unsigned", service.ErrConfig)
		}
	}
	return o, nil
}

func parseSteps(s string) ([]float64, error) {
	var out []float64
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		w, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: -steps: %v", service.ErrConfig, err)
		}
		out = append(out, w)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: -steps is empty", service.ErrConfig)
	}
	return out, nil
}

// run serves until ctx ends. listening, when set, receives the address
// once the listener is open.
func run(ctx context.Context, args []string, stderr io.Writer, listening func(addr string)) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	steps, err := parseSteps(o.steps)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	reg, closeStore, err := openRegistry(ctx, o, log)
	if err != nil {
		return err
	}
	defer closeStore()
	svc, err := service.New(ctx, service.Config{
		Registry:         reg,
		Model:            o.model,
		Alias:            o.alias,
		Canary:           o.canary,
		Steps:            steps,
		AnalysisInterval: o.analysisInterval,
		WatchInterval:    o.watchInterval,
		DriftInterval:    o.driftInterval,
		Prices:           monitor.Prices{VCPUSecond: o.vcpuPrice, GBSecond: o.gbPrice},
		Logger:           log,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	if listening != nil {
		listening(ln.Addr().String())
	}
	return svc.Serve(ctx, ln)
}

// openRegistry opens the registry on -bucket, or seeds a new local one.
// Loads are verified: by -trusted-key, by the key that signed the seeded
// versions, or not at all only when -allow-unsigned says so.
func openRegistry(ctx context.Context, o *options, log *slog.Logger) (*registry.Registry, func(), error) {
	if o.bucket != "" {
		opts := &registry.Options{Logger: log, AllowUnsigned: o.allowUnsigned}
		if o.trustedKey != "" {
			k, err := readPublicKey(o.trustedKey)
			if err != nil {
				return nil, nil, err
			}
			opts.TrustedKeys = []crypto.PublicKey{k}
		}
		store, err := artifact.Open(ctx, o.bucket, nil)
		if err != nil {
			return nil, nil, err
		}
		reg, err := registry.Open(ctx, store, opts)
		if err != nil {
			store.Close()
			return nil, nil, err
		}
		return reg, func() { store.Close() }, nil
	}
	dir, err := os.MkdirTemp("", "sextant-serve-")
	if err != nil {
		return nil, nil, err
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}
	bucket := u.String()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	store, err := artifact.Open(ctx, bucket, nil)
	if err != nil {
		return nil, nil, err
	}
	opts := &registry.Options{Logger: log, AllowUnsigned: o.allowUnsigned}
	if !o.allowUnsigned {
		opts.TrustedKeys = []crypto.PublicKey{key.Public()}
	}
	reg, err := registry.Open(ctx, store, opts)
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	if o.model == "" {
		o.model = "demo"
	}
	if o.canary == "" {
		o.canary = "2"
	}
	if _, err := service.Seed(ctx, reg, o.model, o.alias, key); err != nil {
		store.Close()
		return nil, nil, err
	}
	log.Info("seeded a local bucket with two signed versions", "bucket", bucket, "model", o.model, "alias", o.alias)
	return reg, func() { store.Close() }, nil
}

func readPublicKey(path string) (crypto.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("%w: %s holds no PEM block", service.ErrConfig, path)
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", service.ErrConfig, path, err)
	}
	if _, ok := k.(*ecdsa.PublicKey); !ok {
		return nil, errors.Join(service.ErrConfig, fmt.Errorf("service: %s is not an ECDSA public key", path))
	}
	return k, nil
}
