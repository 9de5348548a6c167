# Renders every vignette in vignettes/ into the output folder given as the first
# argument (default "output"): <name>.html, and each figure as PNG (and PDF
# where a vignette asks for it) under output/figures/<name>-<chunk>.<ext>.
args <- commandArgs(trailingOnly = TRUE)
out_dir <- normalizePath(if (length(args)) args[[1]] else "output", mustWork = FALSE)
fig_dir <- file.path(out_dir, "figures")
dir.create(fig_dir, recursive = TRUE, showWarnings = FALSE)

for (rmd in list.files("vignettes", pattern = "[.]Rmd$", full.names = TRUE)) {
  name <- tools::file_path_sans_ext(basename(rmd))
  work <- tempfile("render-")
  dir.create(work)
  file.copy(rmd, work)
  message("rendering ", rmd)
  html <- rmarkdown::render(file.path(work, basename(rmd)), output_dir = out_dir,
                            intermediates_dir = work, clean = FALSE, quiet = TRUE,
                            envir = new.env(parent = globalenv()))
  # knitr left the figures in <name>_files/figure-html/ (clean = FALSE), next to
  # the intermediates or, depending on the rmarkdown version, next to the HTML
  # in the output folder: keep them under figures/, then drop the folder (the
  # HTML is self-contained).
  files_dirs <- file.path(c(work, out_dir), paste0(name, "_files"))
  figures <- list.files(files_dirs, recursive = TRUE, pattern = "[.](png|pdf)$",
                        full.names = TRUE)
  file.copy(figures, file.path(fig_dir, paste0(name, "-", basename(figures))),
            overwrite = TRUE)
  unlink(c(work, files_dirs[2L]), recursive = TRUE)
  message("  -> ", html, " and ", length(figures), " figure file(s)")
}
