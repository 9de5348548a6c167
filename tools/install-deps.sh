#!/usr/bin/env bash
# Install what netsurv needs to build, test and render, if it is missing:
# Debian packages first (prebuilt for this R), CRAN as the fallback for R
# packages. Idempotent and quiet when everything is present.
set -euo pipefail

debs=(libopenblas-dev check pkg-config pandoc poppler-utils postgresql
      clang libclang-rt-14-dev
      libomp-14-dev  # clang's OpenMP runtime: the fuzz harnesses run the parallel Cox paths
      r-cran-knitr r-cran-rmarkdown r-cran-testthat r-cran-generics
      r-cran-broom r-cran-ggplot2 r-cran-svglite r-cran-cmprsk r-cran-prodlim
      r-cran-png r-cran-mvtnorm r-cran-dbi r-cran-dbplyr r-cran-dplyr
      r-cran-rsqlite r-cran-rpostgresql
      r-cran-tiff r-cran-jpeg r-cran-gridextra r-cran-multcomp)  # the last four: for IPDfromKM
# survRM2, nph and IPDfromKM are test oracles that only CRAN has.
r_pkgs=(knitr rmarkdown testthat generics survival broom ggplot2 svglite
        cmprsk prodlim png mvtnorm DBI dbplyr dplyr RSQLite RPostgreSQL
        survRM2 nph IPDfromKM)

missing=()
for d in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$d" 2>/dev/null | grep -q "install ok installed" || missing+=("$d")
done

if ((${#missing[@]})); then
  echo "install-deps: apt-get install ${missing[*]}"
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then SUDO=sudo; else SUDO=; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || true
  # Install one by one so one unavailable package does not block the rest;
  # R packages still missing afterwards come from CRAN below.
  for d in "${missing[@]}"; do
    $SUDO apt-get install -y -qq --no-install-recommends "$d" >/dev/null ||
      echo "install-deps: apt-get could not install $d" >&2
  done
fi

Rscript --vanilla -e '
  need <- commandArgs(TRUE)
  have <- rownames(installed.packages())
  todo <- setdiff(need, have)
  if (length(todo)) {
    message("install-deps: from CRAN: ", paste(todo, collapse = " "))
    install.packages(todo, repos = "https://cloud.r-project.org")
  }
  still <- setdiff(need, rownames(installed.packages()))
  if (length(still)) stop("install-deps: could not install ", paste(still, collapse = " "))
' "${r_pkgs[@]}"
