// Command lambda serves the examples/serve model on AWS Lambda, behind API
// Gateway (REST or HTTP API) or a function URL, through deploy/lambda.
// deploy/lambda/template.yaml deploys it with SAM.
//
// It reads its configuration from the environment:
//
//	SEXTANT_BUCKET          bucket URL of the registry (s3://bucket?region=...)
//	SEXTANT_MODEL           model name
//	SEXTANT_ALIAS           alias to serve (default production)
//	SEXTANT_TRUSTED_KEY     PEM of the ECDSA P-256 public key every loaded version must be signed by
//	SEXTANT_ALLOW_UNSIGNED  "true" to load unsigned versions instead (exactly one of the two)
//
// The version the alias names is loaded once, at cold start; a warm
// function keeps serving it, and a new execution environment picks up a
// moved alias. The cost gauge uses monitor.LambdaPricing for the
// function's configured memory (AWS_LAMBDA_FUNCTION_MEMORY_SIZE) and
// architecture.
package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/deploy/lambda"
	"github.com/sextant-ml/sextant/examples/serve/internal/service"
	"github.com/sextant-ml/sextant/monitor"
	"github.com/sextant-ml/sextant/registry"
)

func main() {
	ctx := context.Background()
	cfg, regOpts, bucket, err := configure(os.Getenv, runtime.GOARCH)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lambda:", err)
		os.Exit(1)
	}
	store, err := artifact.Open(ctx, bucket, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lambda:", err)
		os.Exit(1)
	}
	cfg.Registry, err = registry.Open(ctx, store, regOpts)
	if err == nil {
		var svc *service.Service
		if svc, err = service.New(ctx, cfg); err == nil {
			lambda.Start(svc.Handler(), nil)
		}
	}
	fmt.Fprintln(os.Stderr, "lambda:", err)
	os.Exit(1)
}

// configure reads the environment into the service's configuration, the
// registry's options and the bucket URL.
func configure(getenv func(string) string, arch string) (service.Config, *registry.Options, string, error) {
	bucket, model := getenv("SEXTANT_BUCKET"), getenv("SEXTANT_MODEL")
	if bucket == "" || model == "" {
		return service.Config{}, nil, "", fmt.Errorf("%w: SEXTANT_BUCKET and SEXTANT_MODEL are required", service.ErrConfig)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	opts := &registry.Options{Logger: log}
	keyPEM, unsigned := getenv("SEXTANT_TRUSTED_KEY"), getenv("SEXTANT_ALLOW_UNSIGNED") == "true"
	switch {
	case keyPEM != "" && !unsigned:
		blk, _ := pem.Decode([]byte(keyPEM))
		if blk == nil {
			return service.Config{}, nil, "", fmt.Errorf("%w: SEXTANT_TRUSTED_KEY holds no PEM block", service.ErrConfig)
		}
		k, err := x509.ParsePKIXPublicKey(blk.Bytes)
		if err != nil {
			return service.Config{}, nil, "", fmt.Errorf("%w: SEXTANT_TRUSTED_KEY: %v", service.ErrConfig, err)
		}
		if _, ok := k.(*ecdsa.PublicKey); !ok {
			return service.Config{}, nil, "", fmt.Errorf("%w: SEXTANT_TRUSTED_KEY is not an ECDSA key", service.ErrConfig)
		}
		opts.TrustedKeys = []crypto.PublicKey{k}
	case keyPEM == "" && unsigned:
		opts.AllowUnsigned = true
	default:
		return service.Config{}, nil, "", fmt.Errorf("%w: set exactly one of SEXTANT_TRUSTED_KEY and SEXTANT_ALLOW_UNSIGNED=true", service.ErrConfig)
	}
	pricing := monitor.LambdaPricing{}
	if mb, err := strconv.Atoi(getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")); err == nil {
		pricing.MemoryMB = mb
	}
	if arch == "arm64" {
		pricing.GBSecond = monitor.LambdaArm64GBSecond
	}
	cfg := service.Config{Model: model, Alias: getenv("SEXTANT_ALIAS"), Prices: pricing.Prices(), Logger: log}
	return cfg, opts, bucket, nil
}
