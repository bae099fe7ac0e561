#!/usr/bin/env bash
# Smoke test of an installed dmc-report, as a user would run it (the workflow runs it on the app
# the Windows installer installed and on the .app copied out of the macOS disk image):
#   packaging/smoke.sh <command-line program> <desktop program> <expected version> <work folder>
# --version names the expected version; demo writes a study and both reports into a folder whose
# name is not in any legacy code page; report renders both reports from it; the desktop app runs
# its whole workflow offscreen (gui --self-test). Any failure fails the script.
set -euo pipefail
cli=$1
gui=$2
version=$3
work=$4
mkdir -p "$work"

shown=$("$cli" --version | tr -d '\r')
echo "$shown"
test "$shown" = "dmc-report $version"

demo="$work/Łódź-demo"
"$cli" demo --out "$demo" | tee "$work/demo.txt"
grep -q "Łódź-demo" "$work/demo.txt"
test "$(find "$demo" -maxdepth 1 -name '*.pdf' | wc -l)" -eq 2

printf 'smoke-test-password\n' > "$work/closed-password.txt"
status=0
"$cli" report --protocol "$demo/protocol.toml" --data "$demo/data.xlsx" --key "$demo/key.xlsx" \
  --key-password-file "$demo/key-password.txt" --open "$work/open.pdf" --closed "$work/closed.pdf" \
  --closed-password-file "$work/closed-password.txt" || status=$?
test "$status" -le 1  # 1: written, and the demo data hold deliberate errors; 2 or 3 fail here
test "$(head -c 5 "$work/open.pdf")" = "%PDF-"
test "$(head -c 5 "$work/closed.pdf")" = "%PDF-"

"$gui" gui --self-test "$work/gui"
test "$(find "$work/gui" -maxdepth 1 -name '*.pdf' | wc -l)" -eq 2
echo "smoke test passed: $cli"
