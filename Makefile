# netsurv -- the two commands a new user needs (see README.md):
#   make reproduce   install what is missing, build and install netsurv (./lib and R's library),
#                    render the vignettes (the paper's figures) into ./output
#   make test        install what is missing, run the C core's Check tests under
#                    ASan/UBSan, the testthat suite and R CMD check; ends with
#                    "N passed, N failed"
R       ?= R
RSCRIPT ?= Rscript
LIB     := $(CURDIR)/lib
VERSION := $(shell sed -n 's/^Version: *//p' DESCRIPTION)
TARBALL := netsurv_$(VERSION).tar.gz

.PHONY: all deps install reproduce test ctest bench clean fuzz figures

all: install

deps:
	@bash tools/install-deps.sh

install: deps
	@mkdir -p $(LIB)
	$(R) CMD INSTALL --preclean --clean --no-multiarch --library=$(LIB) .

reproduce: install
	R_LIBS=$(LIB) $(RSCRIPT) --vanilla tools/render-vignettes.R output

test: deps
	@bash tools/run-tests.sh

ctest:
	$(MAKE) -C tests/c run

# libFuzzer harnesses of the core (tests/fuzz), each for FUZZ_SECONDS (default 600)
FUZZ_SECONDS ?= 600
fuzz:
	$(MAKE) -C tests/fuzz fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)

bench: install
	R_LIBS=$(LIB) $(RSCRIPT) --vanilla bench/run.R

# make figures: the figure layout's case matrix and the vignette's figures as
# PNGs with an index page, in output/figures/ (look at them)
figures: install
	R_LIBS=$(LIB) $(RSCRIPT) --vanilla tools/render-figures.R output/figures

clean:
	./cleanup
	$(MAKE) -C tests/c clean
	rm -rf $(LIB) output build netsurv.Rcheck $(TARBALL)

# Issue 11: `make reproduce` installs netsurv WITH its vignettes, so that
# vignette("netsurv"), vignette("chan2012") and browseVignettes("netsurv")
# work after it (R CMD INSTALL of the source directory installs none):
# R CMD build runs the vignettes into the tarball's inst/doc, the tarball is
# installed over the plain install in ./lib and into R's default library (so
# that a plain `R` session finds it too), and fresh R sessions check both.
.PHONY: install-vignettes
reproduce: install-vignettes
install-vignettes: install
	@mkdir -p build
	cd build && $(R) CMD build --no-manual $(CURDIR)
	$(R) CMD INSTALL --no-multiarch --library=$(LIB) build/$(TARBALL)
	$(R) CMD INSTALL --no-multiarch build/$(TARBALL)
	R_LIBS=$(LIB) $(RSCRIPT) --vanilla -e 'v <- vignette(package = "netsurv")$$results[, "Item"]; if (!all(c("netsurv", "chan2012") %in% v)) stop("vignettes not installed: ", toString(v)); cat("installed vignettes:", v, "\n")'
	$(RSCRIPT) --vanilla -e 'v <- vignette(package = "netsurv")$$results[, "Item"]; if (!all(c("netsurv", "chan2012") %in% v)) stop("vignettes not installed in ", .libPaths()[1]); cat("and in", find.package("netsurv"), "\n")'
