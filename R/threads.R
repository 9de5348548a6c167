# threads.R -- how many OpenMP threads the C core uses: decided here, in one
# place, for every function that runs threaded loops (today cox()).

#' Threads used by netsurv
#'
#' netsurv's C core runs its long loops (the passes of [cox()] over the rows)
#' on OpenMP threads. `netsurv_threads()` is the count it uses, decided in
#' this order:
#' 1. `options(netsurv.threads = k)`, when set: `k` threads (a single number
#'    >= 1; anything else is an error);
#' 2. otherwise the environment variable `OMP_NUM_THREADS`, when it holds a
#'    whole number >= 1 (for a list such as `"4,2"`, its first entry; other
#'    values are disregarded, as OpenMP itself does);
#' 3. otherwise half the cores, but two where there are two: the passes are
#'    memory-bound, so a second core nearly halves them, while spinning
#'    threads on a busy machine cost more than they gain (data.table's rule).
#'
#' The count never exceeds the number of processors or `OMP_THREAD_LIMIT`;
#' without OpenMP it is 1. Results do not depend on the thread count beyond
#' the last digits (sums are taken in a fixed order per thread count).
#' @return The number of threads, an integer >= 1.
#' @examples
#' netsurv_threads()
#' old <- options(netsurv.threads = 1)
#' netsurv_threads()
#' options(old)
#' @export
netsurv_threads <- function() {
  limit <- .Call(ffi_cox_threads)
  want <- getOption("netsurv.threads")
  if (is.null(want)) {
    want <- omp_num_threads()
    if (is.na(want)) want <- max(min(2L, limit), limit %/% 2L)
  } else if (!is.numeric(want) || length(want) != 1L || is.na(want) || want < 1) {
    stop("option `netsurv.threads` must be a single number >= 1", call. = FALSE)
  }
  as.integer(min(want, limit))
}

# OMP_NUM_THREADS as a count (its first entry), or NA when unset or not a
# whole number >= 1.
omp_num_threads <- function() {
  value <- Sys.getenv("OMP_NUM_THREADS")
  first <- trimws(strsplit(value, ",", fixed = TRUE)[[1L]][1L])
  if (is.na(first) || !grepl("^[0-9]+$", first)) return(NA_integer_)
  k <- suppressWarnings(as.integer(first))
  if (is.na(k) || k < 1L) NA_integer_ else k
}
