module github.com/sextant-ml/sextant/bench

go 1.26.0

require (
	github.com/casbin/casbin/v2 v2.135.0
	github.com/sextant-ml/sextant v0.0.0
)

require (
	github.com/bmatcuk/doublestar/v4 v4.6.1 // indirect
	github.com/casbin/govaluate v1.3.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sync v0.25.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

replace github.com/sextant-ml/sextant => ../
