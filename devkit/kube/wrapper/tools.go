//go:build tools

// Package tools exists only so that `go mod tidy` keeps k8s.io/kubernetes (and the
// full dependency graph of cmd/kube-apiserver) in go.mod/go.sum. It is never built:
// build.sh runs `go build k8s.io/kubernetes/cmd/kube-apiserver` inside this module.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl" // optional: build.sh --kubectl (matching client, no skew warning)
)
