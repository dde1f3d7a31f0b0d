package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"math"
	"testing"

	"github.com/sextant-ml/sextant/examples/serve/internal/service"
	"github.com/sextant-ml/sextant/monitor"
)

func TestConfigure(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	base := map[string]string{"SEXTANT_BUCKET": "s3://models?region=eu-west-1", "SEXTANT_MODEL": "demo", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name     string
		env      map[string]string
		arch     string
		ok       bool
		trusted  bool
		gbSecond float64 // Lambda's price per GB-second expected
	}{
		{"trusted key, arm64", with("SEXTANT_TRUSTED_KEY", keyPEM), "arm64", true, true, monitor.LambdaArm64GBSecond},
		{"unsigned, x86", with("SEXTANT_ALLOW_UNSIGNED", "true"), "amd64", true, false, monitor.LambdaX86GBSecond},
		{"neither", with(), "amd64", false, false, 0},
		{"both", with("SEXTANT_TRUSTED_KEY", keyPEM, "SEXTANT_ALLOW_UNSIGNED", "true"), "amd64", false, false, 0},
		{"bad key", with("SEXTANT_TRUSTED_KEY", "not pem"), "amd64", false, false, 0},
		{"no model", with("SEXTANT_MODEL", "", "SEXTANT_ALLOW_UNSIGNED", "true"), "amd64", false, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, opts, bucket, err := configure(func(k string) string { return tc.env[k] }, tc.arch)
			if !tc.ok {
				if !errors.Is(err, service.ErrConfig) {
					t.Errorf("configure: %v, want ErrConfig", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if bucket != base["SEXTANT_BUCKET"] || cfg.Model != "demo" {
				t.Errorf("bucket %q model %q", bucket, cfg.Model)
			}
			if (len(opts.TrustedKeys) == 1) != tc.trusted || opts.AllowUnsigned == tc.trusted {
				t.Errorf("trusted keys %d, allow unsigned %v; want trusted %v", len(opts.TrustedKeys), opts.AllowUnsigned, tc.trusted)
			}
			want := monitor.LambdaPricing{MemoryMB: 512, GBSecond: tc.gbSecond}.Prices()
			if cfg.Prices != want || math.Abs(cfg.Prices.MemoryBytes-512<<20) > 0 {
				t.Errorf("prices %+v, want %+v", cfg.Prices, want)
			}
		})
	}
}
