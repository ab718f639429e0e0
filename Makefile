# optlab — build, test, benchmark and run.
#
#   make            build liboptlab (static + shared), optlab.pc and the optlab command
#   make test       install missing Debian packages, run the suite, then again under ASan+UBSan
#   make run        install, build, fetch MNIST, run the seed study, write report/
#   make bench      benchmarks beside their references (PyTorch, Optuna)
#   make install PREFIX=/usr/local
#
# Each layer's objects are kept apart so a layer's tests link only the layers it
# may use (see ../shared/DESIGN.md): a test of optim/ cannot reach nn/.

CC       ?= cc
BUILD    ?= build
PREFIX   ?= /usr/local
VERSION  := 0.1.0
OPT      ?= -O2
SAN      ?=

# OpenBLAS's CBLAS header lives under the multiarch include directory on Debian.
BLAS_CFLAGS := $(shell pkg-config --cflags openblas 2>/dev/null)
# libpq's header lives in /usr/include/postgresql on Debian.
PQ_CFLAGS := $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
CPPFLAGS += -Iinclude -D_GNU_SOURCE $(BLAS_CFLAGS) $(PQ_CFLAGS)
CFLAGS   += -std=c11 $(OPT) -g -fPIC -Wall -Wextra -Werror -Wno-unused-parameter -pthread
ifeq ($(SAN),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif
LIBS     := -lopenblas -lz -lsqlite3 -lpq -lcjson -linih -lm -pthread

LAYERS      := core optim nn data train hpo storage experiment report
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
USES_cli     := $(LAYERS)

layer_srcs = $(wildcard src/$(1)/*.c)
layer_objs = $(patsubst src/%.c,$(BUILD)/obj/%.o,$(call layer_srcs,$(1)))
LIB_OBJS   := $(foreach l,$(LAYERS),$(call layer_objs,$(l)))
CLI_OBJS   := $(call layer_objs,cli)

STATIC  := $(BUILD)/liboptlab.a
SHARED  := $(BUILD)/liboptlab.so.$(VERSION)
BIN     := $(BUILD)/optlab
PCFILE  := $(BUILD)/optlab.pc

TEST_SRCS := $(foreach l,$(LAYERS) cli,$(wildcard tests/$(l)/test_*.c))
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))

.PHONY: all deps test check test-build run bench install uninstall clean data $(addprefix test-,$(LAYERS) cli)
all: $(STATIC) $(SHARED) $(BIN) $(PCFILE)

deps:
	@scripts/deps.sh

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

# optim's fused update loops: sqrtf without errno lets the compiler vectorise them
$(BUILD)/obj/optim/%.o: CFLAGS += -fno-math-errno
# `optlab --version` prints the Makefile's VERSION
$(BUILD)/obj/cli/options.o: CPPFLAGS += -DOPTLAB_VERSION='"$(VERSION)"'
$(BUILD)/obj/cli/options.o: Makefile
# the modern optimizers' norms: `omp simd reduction` vectorises double sums (no OpenMP runtime)
$(BUILD)/obj/optim/kernels_modern.o: CFLAGS += -fopenmp-simd

$(STATIC): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(SHARED): $(LIB_OBJS)
	$(CC) -shared -Wl,-soname,liboptlab.so.0 $(LDFLAGS) -o $@ $^ $(LIBS)
	ln -sf liboptlab.so.$(VERSION) $(BUILD)/liboptlab.so.0
	ln -sf liboptlab.so.$(VERSION) $(BUILD)/liboptlab.so


$(BIN): $(CLI_OBJS) $(STATIC)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(STATIC) $(LIBS)

$(PCFILE): Makefile
	@mkdir -p $(BUILD)
	printf 'prefix=%s\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include\n\nName: optlab\nDescription: optimizers, CNN training and hyperparameter search for deep-learning experiments\nVersion: %s\nLibs: -L$${libdir} -loptlab\nLibs.private: %s\nCflags: -I$${includedir}\n' \
	  '$(PREFIX)' '$(VERSION)' '$(LIBS)' > $@

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

test-build: all $(TEST_BINS)

# The suite: a normal build, then the same suite under ASan+UBSan in build-asan/.
# The CLI and training tests run on real MNIST (fetched once, checked by SHA-256).
test: deps
	@scripts/fetch-mnist.sh data/mnist
	@$(MAKE) --no-print-directory test-build
	@$(MAKE) --no-print-directory SAN=1 OPT=-O1 BUILD=build-asan test-build
	@scripts/run-tests.sh build build-asan

# Run the suite of one build only (no dependency install, no sanitizer pass).
check: test-build
	@scripts/run-tests.sh $(BUILD)

data: deps
	@scripts/fetch-mnist.sh data/mnist

bench: deps all $(BENCH_BINS)
	@scripts/run-bench.sh $(BUILD)

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/fetch-mnist.sh data/mnist
	$(BIN) run

install: all
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/optlab $(DESTDIR)$(PREFIX)/bin
	install -m 644 $(STATIC) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(SHARED) $(DESTDIR)$(PREFIX)/lib/
	ln -sf liboptlab.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/liboptlab.so.0
	ln -sf liboptlab.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/liboptlab.so
	install -m 644 include/optlab/*.h $(DESTDIR)$(PREFIX)/include/optlab/
	sed 's|^prefix=.*|prefix=$(PREFIX)|' $(PCFILE) > $(DESTDIR)$(PREFIX)/lib/pkgconfig/optlab.pc
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/

uninstall:
	rm -rf $(DESTDIR)$(PREFIX)/include/optlab $(DESTDIR)$(PREFIX)/lib/liboptlab.* \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig/optlab.pc $(DESTDIR)$(PREFIX)/bin/optlab

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
