#!/bin/sh
# Print every NAME.fods in this folder to NAME.pdf with LibreOffice Calc
# (Debian package libreoffice-calc). Rebuild the corpus with:
#   python3 generate.py && sh convert.sh && python3 verify.py
set -eu
cd "$(dirname "$0")"
# A private, throwaway profile: no interference with a running LibreOffice
# and no dependence on the user's settings.
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
soffice=$(command -v soffice || command -v libreoffice)
"$soffice" -env:UserInstallation="file://$profile" --headless --norestore \
    --convert-to pdf --outdir . ./*.fods
