#!/bin/bash
# `make install` as a user meets it. Installs the build under test
# (OPTLAB_BUILD) into a temporary staging directory (DESTDIR, so the build's
# own PREFIX and binaries stay as they are), then checks that:
#   1. the libraries, headers, .pc files, the command and, under share/optlab,
#      the experiment files and scripts/fetch-mnist.sh are installed; the
#      installed headers name no ../shared path and no issue number;
#   2. examples/minimize_adamw.c, built with nothing but
#      `pkg-config --cflags --libs optlab`, starts WITHOUT LD_LIBRARY_PATH
#      (the .pc's rpath) and AdamW brings Rosenbrock to its minimum;
#   3. the optimizers alone: `pkg-config --libs optlab-optim` says
#      -loptlab-optim -lm (beside -L and the rpath), and the same example
#      against liboptlab-optim needs libm and nothing else (shared: its NEEDED
#      list; static: `cc -static` with liboptlab-optim.a -lm only);
#   4. `pkg-config --static --libs optlab` is a line that links liboptlab.a
#      into a program that uses every library layer (nn/BLAS, storage/SQLite,
#      data/zlib, hpo, optim), and the program runs;
#   5. the installed optlab command, run from an empty directory, finds the
#      default experiment file under share/optlab.
set -eu
build=$(basename "${OPTLAB_BUILD:-build}")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "install_example: $*" >&2; exit 1; }
# Install with the flags that build was made with, so make finds everything up
# to date instead of rebuilding it under the other build's flags.
flags=()
asan=0
case "$build" in *asan*) flags=(SAN=1 OPT=-O1); asan=1 ;; esac
# and with its options (build-options: WITH_POSTGRES, PREFIX, ...)
[ -f "$build/build-options" ] || fail "$build/build-options missing (build with make first)"
while IFS='=' read -r k v; do [ -n "$k" ] && flags+=("$k=$v"); done < "$build/build-options"
make --no-print-directory -s install BUILD="$build" "${flags[@]}" DESTDIR="$tmp/stage" > "$tmp/install.log" 2>&1 \
    || { cat "$tmp/install.log"; exit 1; }
prefix=$(sed -n 's/^PREFIX=//p' "$build/build-options")
root="$tmp/stage$prefix"
lib="$root/lib"

# 1. what is installed
for f in include/optlab/optim.h include/optlab/export.h include/optlab/version.h \
         lib/pkgconfig/optlab.pc lib/pkgconfig/optlab-optim.pc lib/liboptlab.a lib/liboptlab-optim.a \
         lib/liboptlab.so lib/liboptlab-optim.so bin/optlab \
         share/optlab/experiments/seed.ini share/optlab/scripts/fetch-mnist.sh; do
    [ -e "$root/$f" ] || fail "make install did not install $f"
done
[ -x "$root/share/optlab/scripts/fetch-mnist.sh" ] || fail "fetch-mnist.sh is not executable"
if grep -nE '\.\./shared|[Ii]ssue [0-9#]|#[0-9]+\b' "$root"/include/optlab/*.h; then
    fail "installed headers mention ../shared or an issue number (above)"
fi

export PKG_CONFIG_PATH="$lib/pkgconfig"
pcdef=(--define-variable=prefix="$root")   # the staged tree stands for PREFIX
extra=()
[ $asan = 1 ] && extra=(-fsanitize=address,undefined)

# 2. the whole library, shared, started without LD_LIBRARY_PATH
pc=$(pkg-config "${pcdef[@]}" --cflags --libs optlab)
case "$pc" in *"$root"*) ;; *) fail "pkg-config does not point into the prefix: $pc" ;; esac
case "$pc" in *rpath*) ;; *) fail "optlab.pc gives no rpath: $pc" ;; esac
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror "${extra[@]}" examples/minimize_adamw.c $pc -lm -o "$tmp/minimize_adamw"
readelf -d "$tmp/minimize_adamw" | grep -q 'NEEDED.*liboptlab\.so\.' || fail "minimize_adamw is not linked to liboptlab.so"
env -u LD_LIBRARY_PATH "$tmp/minimize_adamw"

# 3. the optimizers alone: libm and nothing else
olibs=$(pkg-config "${pcdef[@]}" --libs optlab-optim)
# shellcheck disable=SC2086
lflags=$(printf '%s\n' $olibs | grep '^-l' | tr '\n' ' ')
[ "$lflags" = "-loptlab-optim -lm " ] || fail "pkg-config --libs optlab-optim gives '$olibs', not just -loptlab-optim -lm"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror "${extra[@]}" examples/minimize_adamw.c \
    $(pkg-config "${pcdef[@]}" --cflags --libs optlab-optim) -o "$tmp/minimize_optim"
needed=$(readelf -d "$tmp/minimize_optim" "$lib/liboptlab-optim.so" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | sort -u)
others=$(grep -vE '^(liboptlab-optim\.so\.[0-9]+|libm\.so\.6|libc\.so\.6|ld-linux.*|libasan.*|libubsan.*)$' <<<"$needed" || true)
[ -z "$others" ] || fail "the optimizers-only program needs more than libm: $(echo $others)"
env -u LD_LIBRARY_PATH "$tmp/minimize_optim" >/dev/null
if [ $asan = 0 ]; then   # the sanitizer runtimes cannot be linked statically
    cc -static -std=c11 -Wall -Wextra -Werror examples/minimize_adamw.c -I"$root/include" \
        "$lib/liboptlab-optim.a" -lm -o "$tmp/minimize_static"
    "$tmp/minimize_static" >/dev/null
    readelf -d "$tmp/minimize_static" 2>/dev/null | grep -q NEEDED && fail "cc -static left dynamic dependencies"
else
    echo "install_example: cc -static not tried in a sanitizer build (no static ASan runtime)"
fi
# the parts that once needed BLAS and cJSON, from liboptlab-optim alone: Muon (matrix
# products), L-BFGS (dot products) and a schedule built from the struct
cat > "$tmp/optim_only.c" <<'EOF'
#include <stdio.h>
#include <optlab/optim.h>
#define CHECK(x) do { if ((x) != OL_OK) { fprintf(stderr, "%s: %s\n", #x, err.msg); return 1; } } while (0)
static ol_status quad(void *u, const float *p, float *g, double *loss, ol_error *e) {
    (void)u; (void)e; *loss = 0;
    for (int i = 0; i < 40; i++) { g[i] = 2 * (i + 1) * (p[i] - 1); *loss += (i + 1) * (p[i] - 1) * (p[i] - 1); }
    return OL_OK;
}
int main(void) {
    ol_error err = {0};
    float p[40] = {0}, g[40];
    ol_optimizer *opt; ol_schedule *sch; ol_schedule_params sp;
    CHECK(ol_optimizer_create(&opt, "muon", &err));
    CHECK(ol_optimizer_add_group(opt, p, g, 40, &err));
    ol_tensor_shape shapes[3] = {{"a", 4, 5, OL_TENSOR_MATRIX}, {"b", 4, 4, OL_TENSOR_MATRIX}, {"c", 4, 0, OL_TENSOR_AUTO}};
    CHECK(ol_optimizer_set_shapes(opt, 0, shapes, 3, &err));
    ol_schedule_params_init(&sp, OL_SCHED_COSINE);
    sp.t_max = 100;
    CHECK(ol_schedule_create_from(&sch, opt, &sp, &err));
    for (int s = 0; s < 100; s++) {
        double l; quad(NULL, p, g, &l, &err);
        CHECK(ol_optimizer_step(opt, &err));
        CHECK(ol_schedule_step(sch, 0, &err));
    }
    ol_schedule_free(sch); ol_optimizer_free(opt);
    float q[40] = {0}; double loss = 0; ol_lbfgs *lb;
    CHECK(ol_lbfgs_create(&lb, q, 40, "line_search_fn=strong_wolfe", &err));
    for (int s = 0; s < 5; s++) CHECK(ol_lbfgs_step(lb, quad, NULL, &loss, &err));
    ol_lbfgs_free(lb);
    printf("muon p[0] %.4f, lbfgs loss %.3g\n", p[0], loss);
    return loss < 1e-6 ? 0 : 1;
}
EOF
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror "${extra[@]}" "$tmp/optim_only.c" \
    $(pkg-config "${pcdef[@]}" --cflags --libs optlab-optim) -o "$tmp/optim_only" \
    || fail "Muon, L-BFGS and a schedule do not link with pkg-config --libs optlab-optim alone"
env -u LD_LIBRARY_PATH "$tmp/optim_only" || fail "the optimizers-only program (Muon, L-BFGS, schedule) failed"
if [ $asan = 0 ]; then
    cc -static -std=c11 -Wall -Wextra -Werror "$tmp/optim_only.c" -I"$root/include" "$lib/liboptlab-optim.a" -lm \
        -o "$tmp/optim_only_static" || fail "Muon, L-BFGS and a schedule do not link statically with -lm alone"
    "$tmp/optim_only_static" > /dev/null || fail "the static optimizers-only program failed"
fi

# 4. pkg-config --static links liboptlab.a (a directory holding only the .a comes first)
mkdir "$tmp/static-only"; cp "$lib/liboptlab.a" "$tmp/static-only/"
cat > "$tmp/all_layers.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <optlab/data.h>
#include <optlab/hpo.h>
#include <optlab/nn.h>
#include <optlab/optim.h>
#include <optlab/storage.h>
#define CHECK(x) do { if ((x) != OL_OK) { fprintf(stderr, "%s: %s\n", #x, err.msg); return 1; } } while (0)
int main(int argc, char **argv) {
    (void)argc;
    ol_error err = {0};
    if (strcmp(ol_version(), OL_VERSION)) return fprintf(stderr, "version %s != %s\n", ol_version(), OL_VERSION), 1;
    ol_model *m; ol_rng r; ol_rng_seed(&r, 1);
    CHECK(ol_model_create(&m, OL_SEED_CNN_SPEC, 1, 28, 28, 2, &err));
    ol_model_init(m, &r);
    float x[2 * 784] = {0}, out[20];
    CHECK(ol_model_forward(m, x, 2, out, &err));
    ol_optimizer *opt;
    CHECK(ol_optimizer_create(&opt, "adam", &err));
    CHECK(ol_optimizer_add_group(opt, ol_model_params(m), ol_model_grads(m), ol_model_num_params(m), &err));
    CHECK(ol_optimizer_step(opt, &err));
    ol_optimizer_free(opt); ol_model_free(m);
    char url[600], idx[600]; int64_t sid;
    snprintf(url, sizeof url, "sqlite:///%s/s.db", argv[1]);
    snprintf(idx, sizeof idx, "%s/x.idx.gz", argv[1]);
    ol_storage *st;
    CHECK(ol_storage_open(&st, url, &err));
    CHECK(ol_storage_create_study(st, "s", 1, &sid, &err));
    ol_storage_close(st);
    uint32_t dims[1] = {3}; uint8_t data[3] = {1, 2, 3}; ol_idx in;
    CHECK(ol_idx_write(idx, 1, dims, data, 1, &err));
    CHECK(ol_idx_read(idx, &in, &err));
    ol_idx_free(&in);
    ol_distribution d;
    CHECK(ol_dist_float(&d, 1e-5, 1e-1, 1, 0, &err));
    printf("%s\n", ol_version());
    return 0;
}
EOF
spc=$(pkg-config "${pcdef[@]}" --static --cflags --libs optlab)
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror "${extra[@]}" "$tmp/all_layers.c" -L"$tmp/static-only" $spc -o "$tmp/all_layers" \
    || fail "pkg-config --static --libs optlab gave a line that does not link: $spc"
readelf -d "$tmp/all_layers" | grep -q 'NEEDED.*liboptlab' && fail "all_layers took liboptlab.so, not liboptlab.a"
got=$(env -u LD_LIBRARY_PATH "$tmp/all_layers" "$tmp")
[ "$got" = "$(pkg-config --modversion optlab)" ] || fail "ol_version() says $got, optlab.pc $(pkg-config --modversion optlab)"

# 5. the installed command finds share/optlab/experiments/seed.ini from anywhere
mkdir "$tmp/empty"
set +e
msg=$(cd "$tmp/empty" && "$root/bin/optlab" run --storage memory: --only no-such-optimizer 2>&1); rc=$?
set -e
case "$msg" in *"is not here"*|*"experiments/seed.ini:"*) fail "installed optlab did not find its experiment file: $msg" ;; esac
case "$msg" in *no-such-optimizer*) ;; *) fail "expected the experiment to load and name the unknown study (rc $rc): $msg" ;; esac
echo "install_example: all checks passed ($got)"
