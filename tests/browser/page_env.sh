# page_env.sh -- sourced by the browser tests' scripts (run.sh, quiz_run.sh):
# sets chromium to Debian's headless chromium, or exits 77 (CTest's skip)
# with a message when chromium, node or playwright-core is missing;
# tools/bootstrap.sh installs all three. Expects $here, the tests/browser
# directory.
chromium=${CHROMIUM:-/usr/lib/chromium/chromium}
if [ ! -x "$chromium" ]; then
    echo "SKIP: no chromium at $chromium (apt-get install chromium, or sh tools/bootstrap.sh)"
    exit 77
fi
if ! command -v node >/dev/null 2>&1; then
    echo "SKIP: no node (apt-get install nodejs, or sh tools/bootstrap.sh)"
    exit 77
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
    echo "SKIP: no playwright-core in tests/browser (npm ci --prefix tests/browser, or sh tools/bootstrap.sh)"
    exit 77
fi
