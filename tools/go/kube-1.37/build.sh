#!/usr/bin/env bash
# Build kube-apiserver, kube-controller-manager and kube-scheduler of the k8s.io/kubernetes version
# that go.mod requires into $OUT (run by tools/go/build.sh, which sets GOFLAGS=-mod=readonly and
# CGO_ENABLED=0).  The version is stamped as upstream's hack/lib/version.sh does, into
# k8s.io/component-base/version and k8s.io/client-go/pkg/version, so `--version`, /version and the
# client's user agent say it.  Each step's seconds are logged (build.log of the tool's cache folder).
set -euo pipefail
: "${OUT:?OUT must name the output folder}"
version=$(go list -m -f '{{.Version}}' k8s.io/kubernetes)
minor=${version#v1.}
minor=${minor%%.*}
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
t0=$(date +%s)
go mod download
echo "kube build: go mod download (k8s.io/kubernetes $version): $(( $(date +%s) - t0 )) s"
for cmd in kube-apiserver kube-controller-manager kube-scheduler; do
  t=$(date +%s)
  go build -trimpath -ldflags "$ldflags" -o "$OUT/$cmd" "k8s.io/kubernetes/cmd/$cmd"
  echo "kube build: $cmd: $(( $(date +%s) - t )) s"
done
"$OUT/kube-apiserver" --version
echo "kube build: total $(( $(date +%s) - t0 )) s"
