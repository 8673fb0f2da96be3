//go:build tools

// Keeps go.etcd.io/etcd/server/v3 (package main = the etcd binary) in go.mod/go.sum.
// build.sh --etcd runs `go build go.etcd.io/etcd/server/v3` inside this module.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
)
