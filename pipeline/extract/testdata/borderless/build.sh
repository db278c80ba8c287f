#!/bin/sh
# Rebuild the borderless corpus: write the sheets and expectations, print
# them with LibreOffice Calc (Debian package libreoffice-calc, with
# fonts-liberation and fonts-dejavu), write the expectations again with the
# page counts printed, and check the PDFs.
set -eu
cd "$(dirname "$0")"
python3 generate.py
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
soffice=$(command -v soffice || command -v libreoffice)
"$soffice" -env:UserInstallation="file://$profile" --headless --norestore \
    --convert-to pdf --outdir . ./*.fods >/dev/null
python3 generate.py
python3 verify.py
