# km-options.R -- the R side of survfit's options of km() beyond the plain
# Kaplan-Meier fit: start.time (a conditional curve), stype / ctype
# (survival as exp(-cumulative hazard), Fleming-Harrington hazard),
# se.fit = FALSE, and the robust (infinitesimal-jackknife) variance by
# cluster or subject (id =, cluster =, cluster() terms, robust =).
#
# Every estimate is computed by the C core: src/core/km_options.c applies
# stype, ctype, the robust variance by cluster (in O(n), against survfit's
# O(event times x clusters)) and the subject flags of id = to the curve that
# km.c computed, in the same call (ffi_km_fit_options). This file only
# resolves the arguments: the cluster codes and survfit's subject flags.

# survfit's position flags: 1 = first interval of a subject (or after a
# gap), 2 = last interval (or before a gap), 3 = both.
km_position <- function(start, stop, id) {
  n <- length(stop)
  o <- order(id, stop)
  id2 <- id[o]
  new_id <- id2[-n] != id2[-1L]
  gap <- stop[o][-n] < start[o][-1L]
  flag <- 1L * c(TRUE, new_id | gap) + 2L * c(new_id | gap, TRUE)
  flag[o] <- flag
  flag
}

# 0-based cluster codes for the core (survfit's per-stratum renumbering does
# not change the sums, and codes no row holds cost the core nothing but
# their memory): a factor's codes, whole numbers shifted when their range
# is not much wider than the rows (no hashing: a tenth of a second at 1e6
# rows), else the match to the distinct values.
km_cluster_codes <- function(clusters) {
  n <- length(clusters)
  if (is.factor(clusters)) return(list(code = as.integer(clusters) - 1L, n = max(1L, nlevels(clusters))))
  if (is.numeric(clusters) && n > 0L) {
    r <- range(clusters)
    if (r[2L] - r[1L] < 2 * n + 1 && (is.integer(clusters) || all(clusters == floor(clusters))))
      return(list(code = as.integer(clusters - r[1L]), n = as.integer(r[2L] - r[1L]) + 1L))
  }
  code <- match(clusters, unique(clusters)) - 1L
  list(code = code, n = max(code, -1L) + 1L)
}

check_km_type <- function(x, arg) {
  if (!is.numeric(x) || length(x) != 1L || !x %in% 1:2)
    stop("`", arg, "` must be 1 or 2 (survfit's coding: ",
         if (arg == "stype") "1 = Kaplan-Meier product, 2 = exp(-cumulative hazard)"
         else "1 = Nelson-Aalen, 2 = Fleming-Harrington hazard", "), not ", deparse1(x),
         call. = FALSE)
  as.integer(x)
}
