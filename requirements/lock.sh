#!/usr/bin/env bash
# Regenerate the dependency locks from pyproject.toml: `bash requirements/lock.sh`
#   requirements/test.txt    the newest versions the ranges allow: what CI and the README's test line use
#   requirements/lowest.txt  the lowest versions the ranges allow (direct dependencies): CI's second run
#   requirements/docs.txt    the documentation site's tools (the docs extra): CI's `mkdocs build --strict`
#   requirements/mutation.txt  the test lock plus mutmut (the mutation extra; docs/testing.md)
# Needs uv (`python3 -m pip install uv==0.13.9`). Pass --upgrade to move every pin to the newest
# release; without it, pins that still satisfy pyproject.toml are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never
common=(pyproject.toml --extra test --universal --python-version 3.11 --generate-hashes --quiet)
uv pip compile "${common[@]}" "$@" -o requirements/test.txt
uv pip compile "${common[@]}" "$@" --resolution lowest-direct -o requirements/lowest.txt
uv pip compile pyproject.toml --extra docs --universal --python-version 3.11 \
    --generate-hashes --quiet "$@" -o requirements/docs.txt
uv pip compile pyproject.toml --extra test --extra mutation --universal --python-version 3.11 \
    --generate-hashes --quiet "$@" -o requirements/mutation.txt
echo "updated requirements/test.txt, lowest.txt, docs.txt and mutation.txt"
