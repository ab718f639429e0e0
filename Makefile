# optlab — build, test, benchmark and run.
#
#   make            build liboptlab (static + shared), optlab.pc and the optlab command, and
#                   liboptlab-optim (core + optim only, needs libm alone) with optlab-optim.pc
#   make test       install missing Debian packages, run the suite, then again under ASan+UBSan
#   make run        install, build, fetch MNIST, run the seed study, write report/
#   make bench      benchmarks beside their references (PyTorch, Optuna)
#   make fuzz       libFuzzer on every input path, FUZZ_SECONDS (60) each (clang; docs/reliability.md)
#   make install PREFIX=/usr/local   (also DESTDIR=staging-dir)
#
# Options: WITH_POSTGRES=0 builds without libpq (no postgresql:// storage);
# CFLAGS=... adds to the flags the build needs (e.g. make CFLAGS=-O3), it does
# not replace them. docs/library.md: linking, pkg-config, visibility.
#
# Each layer's objects are kept apart so a layer's tests link only the layers it
# may use (see ../shared/DESIGN.md): a test of optim/ cannot reach nn/.

CC       ?= cc
BUILD    ?= build
PREFIX   ?= /usr/local
LIBDIR   ?= $(PREFIX)/lib
DATADIR  ?= $(PREFIX)/share/optlab
# The version is written once, in include/optlab/version.h.
ver_part = $(shell sed -n 's/^\#define OL_VERSION_$(1) \([0-9][0-9]*\)$$/\1/p' include/optlab/version.h)
VERSION_MAJOR := $(call ver_part,MAJOR)
VERSION  := $(VERSION_MAJOR).$(call ver_part,MINOR).$(call ver_part,PATCH)
OPT      ?= -O2
SAN      ?=
# 0: no PostgreSQL backend, no libpq (a postgresql:// URL then says so)
WITH_POSTGRES ?= 1
# 1: optlab.pc's Libs carry -Wl,-rpath,LIBDIR, so a program linked with it
# starts without LD_LIBRARY_PATH or ldconfig
RPATH    ?= 1

# OpenBLAS's CBLAS header lives under the multiarch include directory on Debian.
BLAS_CFLAGS := $(shell pkg-config --cflags openblas 2>/dev/null)
ifeq ($(WITH_POSTGRES),1)
# libpq's header lives in /usr/include/postgresql on Debian.
PQ_CFLAGS := $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
PQ_LIBS   := -lpq
else
PQ_CFLAGS :=
PQ_LIBS   :=
endif
# The flags the build needs come first and are kept whatever CPPFLAGS/CFLAGS/
# LDFLAGS the command line or environment give; the user's come after (so
# `make CFLAGS=-O3` wins over $(OPT)).
override CPPFLAGS := -Iinclude -D_GNU_SOURCE $(BLAS_CFLAGS) $(PQ_CFLAGS) \
                     -DOL_WITH_POSTGRES=$(WITH_POSTGRES) $(CPPFLAGS)
override CFLAGS   := -std=c11 $(OPT) -g -fPIC -Wall -Wextra -Werror \
                     -Wno-unused-parameter -pthread $(CFLAGS)
ifeq ($(SAN),1)
override CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
override LDFLAGS  += -fsanitize=address,undefined
endif
LIBS     := -lopenblas -lz -lsqlite3 $(PQ_LIBS) -lcjson -linih -lmicrohttpd -lm -pthread
# liboptlab-optim (core + optim) needs libm alone: its optim objects are compiled apart,
# without BLAS (OL_OPTIM_BLAS=0: Muon's and L-BFGS's products in plain loops) and
# without the schedules' JSON reader (src/optim/schedule_json.c, cJSON)
OPTIM_LIBS := -lm

LAYERS      := core optim nn data train hpo storage experiment report paths serve
# which layers each layer may use (its tests link exactly these)
USES_core    := core
USES_optim   := optim core
USES_nn      := nn core
USES_data    := data core
USES_train   := train optim nn data core
USES_hpo     := hpo storage core
USES_storage := storage core
USES_experiment := experiment train optim nn data hpo storage core
USES_report  := report storage core   # + include/optlab/conventions.h (header only)
USES_paths   := paths report hpo optim storage core   # report: its figure helpers
USES_serve   := serve report storage core   # report: its model and verdicts; + conventions.h (header only)
USES_cli     := $(LAYERS)

# sources a build option leaves out (WITH_POSTGRES=0: the PostgreSQL backend and its tests)
ifneq ($(WITH_POSTGRES),1)
OPTIONAL_OUT := $(wildcard src/storage/postgres*.c) tests/storage/test_postgres.c bench/pg_storage.c
endif
layer_srcs = $(filter-out $(OPTIONAL_OUT),$(wildcard src/$(1)/*.c))
layer_objs = $(patsubst src/%.c,$(BUILD)/obj/%.o,$(call layer_srcs,$(1)))
LIB_OBJS   := $(foreach l,$(LAYERS),$(call layer_objs,$(l)))
CLI_OBJS   := $(call layer_objs,cli)

STATIC  := $(BUILD)/liboptlab.a
SHARED  := $(BUILD)/liboptlab.so.$(VERSION)
BIN     := $(BUILD)/optlab
PCFILE  := $(BUILD)/optlab.pc
OPTIM_ONLY_OUT  := src/optim/schedule_json.c
OPTIM_ONLY_OBJS := $(patsubst src/optim/%.c,$(BUILD)/obj-optimlib/optim/%.o,$(filter-out $(OPTIM_ONLY_OUT),$(call layer_srcs,optim)))
OPTIM_OBJS   := $(call layer_objs,core) $(OPTIM_ONLY_OBJS)
# `optlab` with liboptlab-optim's optim objects in place of liboptlab's: the goldens
# replayed through it measure the plain-loop products (tests/optim/replay_optim_only.sh)
OPTIM_ONLY_BIN := $(BUILD)/tests/optim/optlab-optim-only
OPTIM_STATIC := $(BUILD)/liboptlab-optim.a
OPTIM_SHARED := $(BUILD)/liboptlab-optim.so.$(VERSION)
OPTIM_PCFILE := $(BUILD)/optlab-optim.pc
# the options a build was made with, for make (rebuild what depends on them) and
# scripts/run-tests.sh (tests a build leaves out are reported as skipped)
BUILD_OPTIONS := $(BUILD)/build-options

TEST_SRCS := $(filter-out $(OPTIONAL_OUT),$(foreach l,$(LAYERS) cli,$(wildcard tests/$(l)/test_*.c)))
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
BENCH_SRCS := $(filter-out $(OPTIONAL_OUT),$(wildcard bench/*.c))
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))

WEB_PAGES := $(wildcard web/pages/*)
WEB_STAMP := $(BUILD)/web/.stamp

.PHONY: all deps test check test-build fuzz fuzz-build run bench install uninstall clean data FORCE $(addprefix test-,$(LAYERS) cli)
all: $(STATIC) $(SHARED) $(BIN) $(PCFILE) $(OPTIM_STATIC) $(OPTIM_SHARED) $(OPTIM_PCFILE) $(BUILD_OPTIONS) $(WEB_STAMP)

deps:
	@scripts/deps.sh

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

# Library (and CLI) objects export only what the public headers declare
# (include/optlab/export.h). Not test binaries: Criterion's workers find a
# test's own main() by its symbol.
$(BUILD)/obj/%.o: override CFLAGS += -fvisibility=hidden
# optim's fused update loops: sqrtf without errno lets the compiler vectorise them
$(BUILD)/obj/optim/%.o: override CFLAGS += -fno-math-errno
# the modern optimizers' norms: `omp simd reduction` vectorises double sums (no OpenMP runtime)
$(BUILD)/obj/optim/kernels_modern.o: override CFLAGS += -fopenmp-simd
# liboptlab-optim's build of src/optim/: the same flags, no BLAS
$(BUILD)/obj-optimlib/optim/%.o: src/optim/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -DOL_OPTIM_BLAS=0 $(CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/obj-optimlib/%.o: override CFLAGS += -fvisibility=hidden -fno-math-errno
$(BUILD)/obj-optimlib/optim/kernels_modern.o: override CFLAGS += -fopenmp-simd

# Rewritten only when an option changes, so that what depends on it is rebuilt. The
# temporary file is the shell's own: two makes may check one build at once (the tests'
# `make install` runs do, in parallel).
$(BUILD_OPTIONS): FORCE
	@mkdir -p $(BUILD)
	@t=$@.$$$$.tmp; printf 'WITH_POSTGRES=%s\nPREFIX=%s\nDATADIR=%s\nLIBDIR=%s\nRPATH=%s\n' '$(WITH_POSTGRES)' \
	  '$(PREFIX)' '$(DATADIR)' '$(LIBDIR)' '$(RPATH)' > $$t; if cmp -s $$t $@; then rm -f $$t; else mv $$t $@; fi
$(BUILD)/obj/storage/storage.o: $(BUILD_OPTIONS)
# the CLI finds experiments/ and scripts/ under DATADIR when installed
$(BUILD)/obj/cli/datadir.o: $(BUILD_OPTIONS)
$(BUILD)/obj/cli/datadir.o: override CPPFLAGS += -DOL_DATADIR='"$(DATADIR)"'

$(STATIC): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

# -fvisibility=hidden hides all but the public headers' declarations (OL_BEGIN_API,
# include/optlab/export.h); GCC still exports the ifunc resolvers of target_clones
# functions (optim's kernels), which this version script makes local.
EXPORTS_MAP := $(BUILD)/exports.map
$(EXPORTS_MAP): Makefile
	@mkdir -p $(BUILD)
	printf '{\n  local: *.resolver;\n};\n' > $@

$(SHARED): $(LIB_OBJS) $(EXPORTS_MAP)
	$(CC) -shared -Wl,-soname,liboptlab.so.$(VERSION_MAJOR) -Wl,--version-script=$(EXPORTS_MAP) $(LDFLAGS) \
	  -o $@ $(LIB_OBJS) $(LIBS)
	ln -sf liboptlab.so.$(VERSION) $(BUILD)/liboptlab.so.$(VERSION_MAJOR)
	ln -sf liboptlab.so.$(VERSION) $(BUILD)/liboptlab.so

$(OPTIM_STATIC): $(OPTIM_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(OPTIM_SHARED): $(OPTIM_OBJS) $(EXPORTS_MAP)
	$(CC) -shared -Wl,-soname,liboptlab-optim.so.$(VERSION_MAJOR) -Wl,--version-script=$(EXPORTS_MAP) \
	  -Wl,--as-needed $(LDFLAGS) -o $@ $(OPTIM_OBJS) $(OPTIM_LIBS)
	ln -sf liboptlab-optim.so.$(VERSION) $(BUILD)/liboptlab-optim.so.$(VERSION_MAJOR)
	ln -sf liboptlab-optim.so.$(VERSION) $(BUILD)/liboptlab-optim.so


# `optlab serve`'s page assets: web/pages/ and the chart library (ECharts), installed
# from npm at build time with the committed lockfile (web/package-lock.json), never
# fetched by a page from a CDN. The command finds them in web/ beside itself.
web/node_modules/echarts/dist/echarts.min.js: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --silent
	@touch $@
$(WEB_STAMP): $(WEB_PAGES) web/node_modules/echarts/dist/echarts.min.js
	@mkdir -p $(BUILD)/web
	cp $(WEB_PAGES) web/node_modules/echarts/dist/echarts.min.js web/node_modules/echarts/LICENSE $(BUILD)/web/
	@touch $@

$(BIN): $(CLI_OBJS) $(STATIC)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(STATIC) $(LIBS)

# the optim-only objects come first, so the linker takes no optim member from liboptlab.a
# (a duplicate definition would stop the link)
$(OPTIM_ONLY_BIN): $(CLI_OBJS) $(OPTIM_ONLY_OBJS) $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(OPTIM_ONLY_OBJS) $(STATIC) $(LIBS)

# pkg-config files. Requires.private names the dependencies whose own .pc
# gives a --static line that links on Debian (openblas adds -lgfortran, sqlite3
# -lm -lz); libpq's does not (it names -lpgcommon -lpgport -lgssapi_krb5,
# which Debian ships no development files for) and libcjson's .pc is enough
# only as -lcjson, so those two go in Libs.private as plain -l flags.
# `pkg-config --static --libs optlab` thus links liboptlab.a into a program
# that uses the system libraries' shared forms; docs/library.md says what
# `cc -static` can and cannot link.
comma := ,
# paths under PREFIX are written relative to ${prefix} (pkg-config --define-prefix works)
pc_path = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))
PC_RPATH := $(if $(filter 1,$(RPATH)),-Wl$(comma)-rpath$(comma)$${libdir} ,)
$(PCFILE): Makefile include/optlab/version.h $(BUILD_OPTIONS)
	@mkdir -p $(BUILD)
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(call pc_path,$(LIBDIR))' 'includedir=$${prefix}/include' \
	  'datadir=$(call pc_path,$(DATADIR))' '' 'Name: optlab' \
	  'Description: optimizers, CNN training and hyperparameter search for deep-learning experiments' \
	  'Version: $(VERSION)' 'Requires.private: openblas sqlite3 zlib inih' \
	  'Libs: -L$${libdir} $(PC_RPATH)-loptlab' 'Libs.private: $(PQ_LIBS) -lcjson -lmicrohttpd -lm -pthread' \
	  'Cflags: -I$${includedir}' > $@
$(OPTIM_PCFILE): Makefile include/optlab/version.h $(BUILD_OPTIONS)
	@mkdir -p $(BUILD)
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(call pc_path,$(LIBDIR))' 'includedir=$${prefix}/include' '' \
	  'Name: optlab-optim' \
	  'Description: optlab optimizers alone (torch.optim-exact update rules on float arrays); needs only libm' \
	  'Version: $(VERSION)' 'Libs: -L$${libdir} $(PC_RPATH)-loptlab-optim $(OPTIM_LIBS)' \
	  'Cflags: -I$${includedir}' > $@

# A test binary links the objects of the layers its layer may use.
define test_rule
$(BUILD)/tests/$(1)/%: tests/$(1)/%.c $$(foreach u,$$(USES_$(1)),$$(call layer_objs,$$(u))) $(wildcard tests/*.h tests/*/*.h)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CPPFLAGS) -Itests $$(CFLAGS) -o $$@ $$< $$(foreach u,$$(USES_$(1)),$$(call layer_objs,$$(u))) $$(LDFLAGS) -lcriterion $$(LIBS)
test-$(1): $$(patsubst tests/%.c,$(BUILD)/tests/%,$$(wildcard tests/$(1)/test_*.c))
	@scripts/run-tests.sh $(BUILD) $(1)
endef
$(foreach l,$(LAYERS) cli,$(eval $(call test_rule,$(l))))
$(BUILD)/tests/cli/test_progress: src/cli/progress.c src/cli/progress.h

$(BUILD)/bench/%: bench/%.c $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS) -o $@ $< $(STATIC) $(LDFLAGS) $(LIBS)

# Fuzzing (fuzz/, docs/reliability.md): one libFuzzer harness per input path.
# `make test` builds each harness with fuzz/driver.c (no libFuzzer) and replays
# fuzz/corpus/NAME/ through it (tests/fuzz/corpus.sh); `make fuzz` builds them
# with clang -fsanitize=fuzzer,address,undefined into build-fuzz/ and runs each
# for FUZZ_SECONDS, new inputs going to build-fuzz/corpus/NAME (not the repository).
FUZZ_NAMES   := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 60
FUZZ_CLI_OBJS := $(BUILD)/obj/cli/cmd_replay.o $(BUILD)/obj/cli/options.o
FUZZ_BINS    := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_NAMES))
FUZZ_MAIN    ?= fuzz/driver.c
$(BUILD)/fuzz/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz.h fuzz/cli_stub.c $(FUZZ_MAIN) $(LIB_OBJS) $(FUZZ_CLI_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Isrc/cli $(CFLAGS) -o $@ $< fuzz/cli_stub.c $(FUZZ_MAIN) $(LIB_OBJS) $(FUZZ_CLI_OBJS) \
	  $(LDFLAGS) $(FUZZ_LDFLAGS) $(LIBS)
# nn's compute kernels (always_inline GEMM and Winograd tiles) take clang minutes per file under
# ASan with coverage: a fuzz build compiles them plainly (the spec parser and shape checks,
# src/nn/spec.c and model.c, stay instrumented)
FUZZ_PLAIN ?=
$(patsubst %,$(BUILD)/obj/nn/%.o,$(FUZZ_PLAIN)): override CFLAGS += -fno-sanitize=all
fuzz-build: $(FUZZ_BINS)
fuzz:
	@$(MAKE) --no-print-directory $(SUBJOBS) CC=clang BUILD=build-fuzz OPT=-O1 FUZZ_MAIN= \
	  FUZZ_PLAIN='gemm convpool conv im2col pointwise pool winograd winograd4 linear' \
	  CFLAGS='-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -Wno-pass-failed -Wno-format-security' \
	  FUZZ_LDFLAGS='-fsanitize=fuzzer,address,undefined' fuzz-build
	@scripts/run-fuzz.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ_NAMES)

test-build: all $(TEST_BINS) $(FUZZ_BINS) $(OPTIM_ONLY_BIN)

# The builds that make test, run and fuzz start compile on every core (JOBS, default
# nproc), unless make itself was given -j (then its jobserver is shared as usual).
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
SUBJOBS = $(if $(filter -j%,$(MAKEFLAGS)),,-j$(JOBS))

# The suite: a normal build, then the same suite under ASan+UBSan in build-asan/.
# The CLI and training tests run on real MNIST (fetched once, checked by SHA-256).
test: deps
	@scripts/fetch-mnist.sh data/mnist
	@$(MAKE) --no-print-directory $(SUBJOBS) test-build
	@$(MAKE) --no-print-directory $(SUBJOBS) SAN=1 OPT=-O1 BUILD=build-asan test-build
	@scripts/run-tests.sh build build-asan

# Run the suite of one build only (no dependency install, no sanitizer pass).
check: test-build
	@scripts/run-tests.sh $(BUILD)

data: deps
	@scripts/fetch-mnist.sh data/mnist

bench: deps all $(BENCH_BINS)
	@scripts/run-bench.sh $(BUILD)

run: deps
	@$(MAKE) --no-print-directory $(SUBJOBS) all
	@scripts/fetch-mnist.sh data/mnist
	$(BIN) run

# Installs the libraries, headers, .pc files, the optlab command, and under
# DATADIR the experiment files and scripts/fetch-mnist.sh (where the installed
# command finds them). A PREFIX other than the build's rebuilds the little
# that embeds it (src/cli/datadir.c, the .pc files).
install: all
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(PREFIX)/include/optlab $(DESTDIR)$(PREFIX)/bin \
	  $(DESTDIR)$(DATADIR)/experiments/samplers $(DESTDIR)$(DATADIR)/scripts $(DESTDIR)$(DATADIR)/web
	install -m 644 $(STATIC) $(OPTIM_STATIC) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHARED) $(OPTIM_SHARED) $(DESTDIR)$(LIBDIR)/
	ln -sf liboptlab.so.$(VERSION) $(DESTDIR)$(LIBDIR)/liboptlab.so.$(VERSION_MAJOR)
	ln -sf liboptlab.so.$(VERSION) $(DESTDIR)$(LIBDIR)/liboptlab.so
	ln -sf liboptlab-optim.so.$(VERSION) $(DESTDIR)$(LIBDIR)/liboptlab-optim.so.$(VERSION_MAJOR)
	ln -sf liboptlab-optim.so.$(VERSION) $(DESTDIR)$(LIBDIR)/liboptlab-optim.so
	install -m 644 include/optlab/*.h $(DESTDIR)$(PREFIX)/include/optlab/
	install -m 644 $(PCFILE) $(OPTIM_PCFILE) $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 experiments/*.ini $(DESTDIR)$(DATADIR)/experiments/
	install -m 644 experiments/samplers/*.ini $(DESTDIR)$(DATADIR)/experiments/samplers/
	install -m 755 scripts/fetch-mnist.sh $(DESTDIR)$(DATADIR)/scripts/
	install -m 644 $(BUILD)/web/* $(DESTDIR)$(DATADIR)/web/
	@case '$(DESTDIR)$(LIBDIR)' in /usr/lib|/usr/local/lib|/lib) \
	  echo 'make install: run ldconfig (as root) so that liboptlab.so.$(VERSION_MAJOR) is found';; esac

uninstall:
	rm -rf $(DESTDIR)$(PREFIX)/include/optlab $(DESTDIR)$(LIBDIR)/liboptlab.* $(DESTDIR)$(LIBDIR)/liboptlab-optim.* \
	  $(DESTDIR)$(LIBDIR)/pkgconfig/optlab.pc $(DESTDIR)$(LIBDIR)/pkgconfig/optlab-optim.pc \
	  $(DESTDIR)$(PREFIX)/bin/optlab $(DESTDIR)$(DATADIR)

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD)/obj $(BUILD)/obj-optimlib -name '*.d' 2>/dev/null)
