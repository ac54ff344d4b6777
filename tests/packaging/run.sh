#!/bin/sh
# run.sh STEP BUILD_DIR SOURCE_DIR WORK_DIR -- the packaging tests, one step
# per CTest test (tests/CMakeLists.txt):
#   readme      the README's "Installing" section, its sh blocks exactly as
#               written, from a directory where build/ and tests/ are the
#               real ones, inside a private mount namespace whose /opt is a
#               scratch directory (skipped, 77, where unshare is refused)
#   staged      DESTDIR install to an unusual prefix: tg runs with no
#               LD_LIBRARY_PATH, pkg-config compiles and links a program,
#               the man pages render, the completion knows every command
#               and option that tg help prints
#   deb         cpack -G DEB; the package unpacked into a scratch root
#               (dpkg -x), its tg run, tests/consumer built against it
set -eu
step=$1 build=$(cd "$2" && pwd) src=$(cd "$3" && pwd) work=$4
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)

fail() { echo "packaging $step: $*" >&2; exit 1; }

# The sh blocks of the README section named $1, in order, as one script.
readme_blocks() {
    awk -v section="## $1" '
        $0 == section { inside = 1; next }
        inside && /^## / { exit }
        inside && /^```sh$/ { code = 1; next }
        inside && code && /^```$/ { code = 0; next }
        inside && code { print }' "$src/README.md"
}

run_readme() {
    readme_blocks Installing >"$work/install.sh"
    grep -q 'cmake --install build --prefix /opt/tapegrad' "$work/install.sh" ||
        fail "README has no install block"
    ln -s "$build" "$work/build"
    ln -s "$src/tests" "$work/tests"
    mkdir -p "$work/opt"
    # a private /opt, so the commands run as written without touching the
    # machine's own /opt
    if ! unshare --mount --propagation private true 2>/dev/null; then
        echo "packaging readme: unshare --mount is not allowed here; skipped"
        exit 77
    fi
    unshare --mount --propagation private sh -euc '
        mount --bind "$1/opt" /opt
        cd "$1"
        sh -eux install.sh' sh "$work"
}

# Every --option of "tg help CMD" (or of tg help, for the global ones) must
# be offered by the completion after "tg CMD --".
check_completion() {
    tg=$1 completion=$2
    commands=$("$tg" help | awk '/^Commands/ { on = 1; next } on && /^$/ { exit } on { print $1 }')
    [ -n "$commands" ] || fail "no commands in tg help"
    for cmd in $commands; do
        offered=$(bash -c '. "$1"; COMP_WORDS=(tg "$2" --); COMP_CWORD=2; _tg; echo "${COMPREPLY[*]}"' \
            sh "$completion" "$cmd")
        [ "$cmd" = help ] && continue
        for opt in $("$tg" help "$cmd" | grep -o -- '^  --[a-z-]*' | tr -d ' '); do
            case " $offered " in *" $opt "*) ;; *) fail "completion lacks tg $cmd $opt" ;; esac
        done
        top=$(bash -c '. "$1"; COMP_WORDS=(tg ""); COMP_CWORD=1; _tg; echo "${COMPREPLY[*]}"' \
            sh "$completion")
        case " $top " in *" $cmd "*) ;; *) fail "completion lacks the command $cmd" ;; esac
    done
}

app_c() {
    cat >"$work/app.c" <<'EOF'
#include <stdio.h>
#include <tapegrad/tapegrad.h>
int main(void)
{
    tg_tensor *x = tg_var(3);
    if (tg_backward(tg_mul(x, x)) != 0)
        return 1;
    printf("%g\n", tg_grad_get(x, 0));
    return 0;
}
EOF
}

run_staged() {
    prefix=/usr/local/tapegrad-staged-test
    DESTDIR="$work/root" cmake --install "$build" --prefix "$prefix" >/dev/null
    root=$work/root$prefix
    env -u LD_LIBRARY_PATH "$root/bin/tg" --version | grep -q '^tg (tapegrad) ' || fail "tg --version"
    readelf -d "$root/bin/tg" | grep -q 'RUNPATH.*\$ORIGIN/\.\./lib' || fail "tg has no \$ORIGIN RUNPATH"
    # the .pc names the install prefix; --define-prefix finds the staged copy
    grep -q "^prefix=$prefix\$" "$root/lib/pkgconfig/tapegrad.pc" || fail "tapegrad.pc prefix"
    app_c
    flags=$(PKG_CONFIG_PATH="$root/lib/pkgconfig" pkg-config --define-prefix --cflags --libs tapegrad)
    # shellcheck disable=SC2086
    cc "$work/app.c" $flags -Wl,-rpath,"$root/lib" -o "$work/app"
    [ "$("$work/app")" = 6 ] || fail "the pkg-config program"
    if command -v man >/dev/null 2>&1; then
        for page in tg tg-grad tg-train tg-eval; do
            MANWIDTH=80 man -l "$root/share/man/man1/$page.1" 2>/dev/null | grep -q SYNOPSIS ||
                fail "man page $page does not render"
        done
    fi
    MANWIDTH=80 man -l "$root/share/man/man1/tg.1" 2>/dev/null | grep -q 'max-memory' ||
        [ ! -x "$(command -v man)" ] || fail "tg(1) lacks --max-memory"
    check_completion "$root/bin/tg" "$root/share/bash-completion/completions/tg"
}

run_deb() {
    (cd "$build" && cpack -G DEB -B "$work/cpack" >/dev/null) || fail "cpack -G DEB"
    deb=$(ls "$work"/cpack/tapegrad_*.deb)
    dpkg-deb -f "$deb" Depends | grep -q libopenblas0-openmp || fail "Depends"
    dpkg -x "$deb" "$work/root"
    root=$work/root/usr
    env -u LD_LIBRARY_PATH "$root/bin/tg" --version | grep -q '^tg (tapegrad) ' || fail "tg --version"
    [ -f "$root/share/bash-completion/completions/tg" ] || fail "no completion in the package"
    cmake -S "$src/tests/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$root" >/dev/null
    cmake --build "$work/consumer" >/dev/null
    "$work/consumer/consumer" >/dev/null || fail "consumer against the package"
}

case $step in
    readme) run_readme ;;
    staged) run_staged ;;
    deb) run_deb ;;
    *) fail "unknown step" ;;
esac
echo "packaging $step: ok"
