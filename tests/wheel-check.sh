#!/usr/bin/env bash
# Wheel check: planner works when installed from its wheel, away from any checkout.
#
# Builds a wheel from a copy of the build inputs of this working tree (pyproject.toml, README.md,
# LICENSE, planner/, models/, instances/), installs it in a fresh virtual environment in a
# temporary folder (dependencies from the package index), checks that the wheel holds every
# module and every bundled model and instance file, then, from a temporary working folder,
# validates and solves the bundled toy and UK instances, named as a user would name them.
# Quiet: one line when it passes; the failing step's output when it does not.
# PYTHON (default python3, 3.11 or later) creates the environment.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/planner-wheel-check.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS
log="$tmp/step.log"

step() {  # step WHAT COMMAND...: run COMMAND quietly; on failure show its output and stop
    local what="$1"
    shift
    if ! "$@" >"$log" 2>&1; then
        echo "wheel check: $what failed; its output (last 40 lines):" >&2
        tail -n 40 "$log" >&2
        exit 1
    fi
}

pip_quiet=(--quiet --disable-pip-version-check)
mkdir -p "$tmp/src" "$tmp/dist" "$tmp/work"
(cd "$root" && tar -c --exclude=__pycache__ pyproject.toml README.md LICENSE planner models \
    instances) | tar -x -C "$tmp/src"
step "creating a virtual environment" "${PYTHON:-python3}" -m venv "$tmp/venv"
py="$tmp/venv/bin/python"
step "upgrading pip" "$py" -m pip install "${pip_quiet[@]}" --upgrade pip
step "building the wheel" "$py" -m pip wheel "${pip_quiet[@]}" --no-deps -w "$tmp/dist" "$tmp/src"
wheel="$(ls "$tmp/dist"/planner-*.whl)"
step "installing the wheel" "$py" -m pip install "${pip_quiet[@]}" "$wheel"
step "planner --version" "$tmp/venv/bin/planner" --version

# every module of the package, and every bundled file, is in the wheel
step "checking the wheel's contents" "$py" - "$wheel" "$tmp/src" <<'EOF'
import sys
import zipfile
from pathlib import Path

wheel, src = sys.argv[1], Path(sys.argv[2])
held = set(zipfile.ZipFile(wheel).namelist())
wanted = {p.relative_to(src).as_posix() for p in (src / "planner").rglob("*.py")}
for folder in ("models", "instances"):
    wanted |= {f"planner/_bundled/{p.relative_to(src).as_posix()}"
               for p in (src / folder).rglob("*") if p.is_file()}
missing = sorted(wanted - held)
if missing:
    sys.exit("not in the wheel (add them to [tool.setuptools] packages or package-data in "
             "pyproject.toml): " + ", ".join(missing))
EOF

cd "$tmp/work"
locate='import sys
from pathlib import Path
import planner
from planner.bundled import bundled_instance, models_dir
package = Path(planner.__file__).resolve().parent
assert Path(sys.prefix).resolve() in package.parents, f"planner imported from {package}"
assert models_dir().is_relative_to(package), f"models read from {models_dir()}"
print(bundled_instance(sys.argv[1]))'
solved=""
for name in toy uk-baseline; do
    step "finding the bundled instance $name" "$py" -c "$locate" "$name"
    # by name: no folder of that name here, so the bundled instance is meant
    step "planner validate $name" "$tmp/venv/bin/planner" validate "$name"
    code=0
    "$tmp/venv/bin/planner" solve "$name" --out "runs/$name" --time-limit 120 \
        --mip-gap 0.01 >"$log" 2>&1 || code=$?
    # 0 optimal; 4 (time limit with a solution written) is accepted for the UK instance only
    if [ "$code" -ne 0 ] && { [ "$name" != uk-baseline ] || [ "$code" -ne 4 ]; }; then
        echo "wheel check: planner solve $name exited with $code; its output:" >&2
        tail -n 40 "$log" >&2
        exit 1
    fi
    if [ ! -s "runs/$name/summary.json" ]; then
        echo "wheel check: planner solve $name wrote no runs/$name/summary.json" >&2
        exit 1
    fi
    solved+="${solved:+, }$name (exit $code)"
done
echo "wheel check: $(basename "$wheel") installed outside the checkout; validated and solved" \
    "$solved in $((SECONDS - start)) s"
