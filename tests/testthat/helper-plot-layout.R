# Helpers for the figure layout tests: draw on a PDF device, read every word's
# box back with poppler's pdftotext -bbox (points, origin top-left).

pdf_words <- function(file) {
  out <- system2("pdftotext", c("-bbox", shQuote(file), "-"), stdout = TRUE, stderr = FALSE)
  pages <- cumsum(grepl("<page ", out, fixed = TRUE))
  w <- grepl("<word ", out, fixed = TRUE)
  num <- function(a) as.numeric(sub(paste0('.*', a, '="([-0-9.]+)".*'), "\\1", out[w]))
  page <- regmatches(out[grepl("<page ", out)], regexpr('width="[0-9.]+" height="[0-9.]+"',
                                                       out[grepl("<page ", out)]))
  data.frame(page = pages[w], xmin = num("xMin"), ymin = num("yMin"), xmax = num("xMax"),
             ymax = num("yMax"), word = sub(".*>(.*)</word>.*", "\\1", out[w]),
             stringsAsFactors = FALSE)
}

# Pairs of word boxes on the same page that overlap by more than `tol` points
# in both directions.
overlapping_words <- function(w, tol = 0.25) {
  bad <- list()
  for (p in unique(w$page)) {
    d <- w[w$page == p, ]
    n <- nrow(d)
    if (n < 2L) next
    for (i in seq_len(n - 1L)) {
      j <- (i + 1L):n
      ox <- pmin(d$xmax[i], d$xmax[j]) - pmax(d$xmin[i], d$xmin[j])
      oy <- pmin(d$ymax[i], d$ymax[j]) - pmax(d$ymin[i], d$ymin[j])
      hit <- j[ox > tol & oy > tol]
      for (h in hit) bad[[length(bad) + 1L]] <- paste0("page ", p, ": '", d$word[i], "' x '",
                                                       d$word[h], "'")
    }
  }
  unlist(bad)
}

has_pdftotext <- function() nzchar(Sys.which("pdftotext"))
