# data-raw/chan2012.R -- builds `chan2012`, a RECONSTRUCTED patient-level data
# set.
#
# Chan JA et al. "Prospective study of bevacizumab plus temozolomide in patients
# with advanced neuroendocrine tumors." J Clin Oncol 2012;30(24):2963-8,
# doi:10.1200/JCO.2011.40.3147.
#
# The trial's patient-level data are not public. This script builds 34 synthetic
# patients whose summary statistics reproduce every number in the published
# abstract (counts, response rates, toxicity rates and the six Kaplan-Meier
# medians, to one decimal, as survival::survfit computes them). Everything the
# abstract does not fix is an assumption of ours; each one is a named constant
# or a documented rule below and is listed in R/data.R.
#
# The construction is deterministic and uses no random numbers:
#   1. enrolment: 34 patients accrue uniformly; subtypes are interleaved evenly;
#      administrative censoring at a fixed data cut-off.
#   2. latent times: within each subtype, times sit at the plotting positions
#      (i - 0.5) / n of a log-normal distribution whose median is the published
#      subtype median. PFS and OS share the within-subtype rank (a patient who
#      progresses late also dies late), and OS is never shorter than PFS.
#   3. the two log-normal spreads (carcinoid, pancreatic NET) of each endpoint
#      are the only tuned quantities: a grid search plus an exact solve finds
#      the spreads that make the POOLED median match too (the subtype medians
#      match by construction), and the pair closest to a reference spread is
#      kept. Both pooled medians end up on a tie of two patients, so they are
#      event times whichever median convention is used.
#   4. response and toxicity follow fixed rules.
#
# Usage, from the package root:   Rscript data-raw/chan2012.R
# `source()`-ing the file only defines the functions (the save at the bottom is
# guarded), so tests can call build_chan2012() and compare with the shipped
# data.

library(survival)

# ---- Published numbers (the abstract) ---------------------------------------
chan2012_published <- list(
  n = c(carcinoid = 19L, pnet = 15L),
  # Kaplan-Meier medians in months: carcinoid, pancreatic NET, all patients.
  pfs_median = c(carcinoid = 7.3, pnet = 14.3, overall = 11.0),
  os_median  = c(carcinoid = 18.8, pnet = 41.7, overall = 33.3),
  n_partial_response = c(carcinoid = 0L, pnet = 5L),  # no complete responses
  n_lymphopenia_g34 = 18L,       # 53% of 34
  n_thrombocytopenia_g34 = 6L    # 18% of 34
)

# ---- Assumptions (not in the abstract) --------------------------------------
chan2012_assumptions <- list(
  # Uniform accrual over 36 months; data cut-off 36 months after the last
  # patient enrolled, so potential follow-up runs from about 36 to 72 months
  # (e.g. enrolment late 2005 to late 2008, cut-off late 2011, in time for a
  # paper submitted at the end of 2011). Chosen so that all six medians have
  # finite log-log 95% confidence limits: with 24 months of accrual and 24 of
  # further follow-up (24 to 48 months) neither the pancreatic NET nor the
  # pooled OS median has an upper limit, and the pancreatic NET one needs a
  # longest follow-up of about 72 months.
  accrual_months = 36,
  followup_after_accrual_months = 36,
  # Grid of log-normal spreads (sd of log time) searched for each subtype, and
  # the reference spread the chosen pair should stay closest to. A log-normal
  # with sdlog = 1 has its quartiles at 0.51x and 1.96x the median, close to an
  # exponential's 0.42x and 2.0x, so it stands in for "no particular shape".
  sdlog_grid = seq(0.30, 2.00, by = 0.05),
  sdlog_reference = 1,
  # Best response is PD when progression was recorded before this time (the
  # first restaging scan after two 28-day cycles, plus scheduling slack).
  first_restaging_months = 3
)

# ---- Kaplan-Meier median, as survival defines it ----------------------------
# The search below evaluates thousands of candidate data sets, so it uses this
# small re-implementation; check_chan2012() checks the final data against
# survival::survfit itself. survival's rule (quantile.survfit): the median is
# the first event time at which S(t) <= 0.5, except that if S(t) equals 0.5
# exactly, it is the midpoint between that time and the next event time (or
# the largest follow-up time if there is no later event). With
# `midpoint = FALSE` the helper gives the other common convention (the first
# time S(t) <= 0.5, used by some software); the data set is built so that
# both conventions give the published medians (see solve_sdlog()).
km_steps <- function(time, event) {
  ut <- sort(unique(time[event == 1L]))
  n_risk <- vapply(ut, function(u) sum(time >= u), numeric(1))
  n_event <- vapply(ut, function(u) sum(time == u & event == 1L), numeric(1))
  list(time = ut, surv = cumprod(1 - n_event / n_risk))
}

km_median <- function(time, event, midpoint = TRUE) {
  tol <- sqrt(.Machine$double.eps)  # survival's default tolerance
  km <- km_steps(time, event)
  j <- which(km$surv <= 0.5 + tol)[1]
  if (is.na(j)) return(NA_real_)
  if (midpoint && abs(km$surv[j] - 0.5) < tol) {
    nxt <- if (j < length(km$time)) km$time[j + 1L] else max(time)
    return((km$time[j] + nxt) / 2)
  }
  km$time[j]
}

# ---- Step 1: enrolment, subtypes, censoring ---------------------------------
chan2012_design <- function(pub = chan2012_published,
                            ass = chan2012_assumptions) {
  n_c <- pub$n[["carcinoid"]]
  n <- sum(pub$n)
  id <- seq_len(n)
  # Subtypes interleaved as evenly as possible over the enrolment order (a
  # Bresenham sequence): no subtype trend over calendar time.
  is_carc <- diff(floor((0:n) * n_c / n)) == 1
  # Patient i enrols at the middle of the i-th of n equal slices of accrual and
  # can be followed until the cut-off.
  enrol <- ass$accrual_months * (id - 0.5) / n
  censor_at <- round(ass$accrual_months + ass$followup_after_accrual_months -
                       enrol, 1)
  # Within each subtype, the k-th patient enrolled gets latent prognosis rank
  # rank(frac(k * 0.618...)): the golden-ratio sequence spreads good and poor
  # prognoses evenly over the accrual period without random numbers.
  golden_rank <- function(m) rank((seq_len(m) * (sqrt(5) - 1) / 2) %% 1)
  rank_in_subtype <- integer(n)
  rank_in_subtype[is_carc] <- golden_rank(n_c)
  rank_in_subtype[!is_carc] <- golden_rank(n - n_c)
  n_sub <- ifelse(is_carc, n_c, n - n_c)
  list(n = n, is_carc = is_carc, censor_at = censor_at,
       rank = rank_in_subtype,
       # Standard normal score of the plotting position (rank - 0.5) / n; the
       # middle patient of each (odd-sized) subtype has z = 0 exactly, so their
       # latent time is exactly the published median.
       z = qnorm((rank_in_subtype - 0.5) / n_sub))
}

# ---- Step 2: latent and observed times --------------------------------------
# Latent time = published subtype median * exp(sdlog * z), never below `floor`
# (for OS: the patient's latent PFS, since nobody dies before progressing or
# dying -- a death without prior progression is a PFS event at that time).
latent_times <- function(des, sdlog, med, floor = 0) {
  t <- ifelse(des$is_carc, med[[1]] * exp(sdlog[[1]] * des$z),
              med[[2]] * exp(sdlog[[2]] * des$z))
  pmax(t, floor)
}

# Times are recorded to 0.1 month; an event is observed if it happens by the
# patient's cut-off, otherwise the patient is censored at the cut-off.
observe <- function(des, latent) {
  t <- round(latent, 1)
  list(time = pmin(t, des$censor_at), event = as.integer(t <= des$censor_at))
}

km_medians <- function(des, obs, midpoint = TRUE) {
  c_ <- des$is_carc
  c(carcinoid = km_median(obs$time[c_], obs$event[c_], midpoint),
    pnet = km_median(obs$time[!c_], obs$event[!c_], midpoint),
    overall = km_median(obs$time, obs$event, midpoint))
}

# ---- Step 3: the spreads that reproduce all three medians -------------------
# With log-normal latent times the subtype medians match whatever the spreads
# (the middle patient of each subtype sits exactly on the published median,
# unless censoring intervenes -- the checks catch that), but the pooled median
# depends on both spreads. For every pair on the grid we find the event(s)
# that define the pooled Kaplan-Meier median and solve exactly for the spread
# of that patient's subtype that puts the event on the published value:
#   * usually the KM curve steps from above 0.5 to below 0.5 at one event
#     time: that patient is moved onto the published value;
#   * when the curve lands exactly on 0.5 (e.g. 17 events among 34 patients
#     without censoring) survival would report the midpoint of two event
#     times, and other software the first of them. We instead move both
#     events onto the published value -- one patient of each subtype, one
#     spread each -- so that the curve jumps across 0.5 there. The median is
#     then an observed event time under either convention.
# A candidate is kept if all three medians then equal the published values
# under both conventions. Among the survivors we keep the pair closest to the
# reference spread (sum of squared log-ratios), ties going to the smaller
# carcinoid spread. Deterministic: same grid, same order, no randomness.
solve_sdlog <- function(des, med, floor = 0, ass = chan2012_assumptions) {
  tol <- sqrt(.Machine$double.eps)
  grid <- ass$sdlog_grid
  keep <- list()
  for (s_c in grid) for (s_p in grid) {
    sdlog <- c(s_c, s_p)
    obs <- observe(des, latent_times(des, sdlog, med, floor))
    km <- km_steps(obs$time, obs$event)
    j <- which(km$surv <= 0.5 + tol)[1]
    if (is.na(j)) next
    # Event time(s) to move onto the published pooled median.
    move <- if (abs(km$surv[j] - 0.5) < tol) km$time[j + 0:1] else km$time[j]
    if (anyNA(move)) next
    k <- vapply(move, function(t) which(obs$time == t & obs$event == 1L)[1],
                integer(1))
    s <- ifelse(des$is_carc[k], 1L, 2L)
    # One spread per subtype can move one patient per subtype; the middle
    # patient of a subtype (z = 0) cannot be moved by its spread at all.
    if (anyDuplicated(s) || any(abs(des$z[k]) < 1e-12)) next
    sdlog[s] <- log(med[[3]] / med[s]) / des$z[k]
    if (any(sdlog < min(grid) | sdlog > max(grid))) next
    obs <- observe(des, latent_times(des, sdlog, med, floor))
    ok <- all(round(km_medians(des, obs, midpoint = TRUE), 1) == med) &&
      all(round(km_medians(des, obs, midpoint = FALSE), 1) == med)
    if (isTRUE(ok)) keep[[length(keep) + 1L]] <- sdlog
  }
  if (!length(keep)) stop("no pair of spreads reproduces the published medians")
  keep <- unique(do.call(rbind, keep))
  dist <- rowSums(log(keep / ass$sdlog_reference)^2)
  best <- keep[order(dist, keep[, 1], keep[, 2])[1], ]
  c(carcinoid = best[[1]], pnet = best[[2]])
}

# ---- Step 4: response and toxicity rules ------------------------------------
# Evenly spaced positions 1..m picking k of them (k <= m), e.g. k = 3 of m = 10
# gives 2, 5, 9: used so that toxicities are spread over prognosis / enrolment
# rather than tied to either.
evenly_spaced <- function(k, m) ceiling((seq_len(k) - 0.5) * m / k)

# ---- The builder -------------------------------------------------------------
build_chan2012 <- function(pub = chan2012_published,
                           ass = chan2012_assumptions) {
  des <- chan2012_design(pub, ass)
  is_carc <- des$is_carc

  # PFS first (OS is floored by it).
  pfs_sdlog <- solve_sdlog(des, pub$pfs_median, floor = 0, ass = ass)
  pfs_latent <- latent_times(des, pfs_sdlog, pub$pfs_median)
  os_sdlog <- solve_sdlog(des, pub$os_median, floor = pfs_latent, ass = ass)
  os_latent <- latent_times(des, os_sdlog, pub$os_median, floor = pfs_latent)
  pfs <- observe(des, pfs_latent)
  os <- observe(des, os_latent)

  # Best response (RECIST categories).
  # PR: the five pancreatic NET patients with the best latent prognosis (the
  #     longest PFS), as responders tend to be; no carcinoid responds, no CR.
  # PD: progression recorded before the first restaging scan.
  # NE: death without progression before the first restaging scan (no scan).
  # SD: everyone else.
  death_first <- pfs$event == 1L & os$event == 1L & os$time == pfs$time
  early <- pfs$event == 1L & pfs$time < ass$first_restaging_months
  n_p <- pub$n[["pnet"]]
  is_pr <- !is_carc & des$rank > n_p - pub$n_partial_response[["pnet"]]
  response <- ifelse(is_pr, "PR",
                     ifelse(early & death_first, "NE",
                            ifelse(early, "PD", "SD")))

  # Grade 3-4 toxicity. The abstract links toxicity to nothing, so the rule
  # keeps it unrelated to subtype and outcome: each subtype gets its
  # proportional share (largest remainder), lymphopenia goes to evenly spaced
  # positions in the prognosis order and thrombocytopenia to evenly spaced
  # positions in the enrolment order (different orders, so the two toxicities
  # are not nested in each other).
  share <- function(k) {
    exact <- k * pub$n / sum(pub$n)
    out <- floor(exact)
    extra <- k - sum(out)
    bump <- order(-(exact - out))[seq_len(extra)]
    out[bump] <- out[bump] + 1L
    out
  }
  pick <- function(k_by_subtype, order_key) {
    flag <- logical(des$n)
    for (s in c("carcinoid", "pnet")) {
      members <- which(is_carc == (s == "carcinoid"))
      members <- members[order(order_key[members])]
      flag[members[evenly_spaced(k_by_subtype[[s]], length(members))]] <- TRUE
    }
    flag
  }
  lymph <- pick(share(pub$n_lymphopenia_g34), des$rank)
  thromb <- pick(share(pub$n_thrombocytopenia_g34), seq_len(des$n))

  chan2012 <- data.frame(
    id = seq_len(des$n),
    subtype = factor(ifelse(is_carc, "carcinoid", "pancreatic NET"),
                     levels = c("carcinoid", "pancreatic NET")),
    pfs_months = pfs$time,
    pfs_event = pfs$event,
    os_months = os$time,
    os_event = os$event,
    best_response = factor(response, levels = c("CR", "PR", "SD", "PD", "NE")),
    lymphopenia_g34 = lymph,
    thrombocytopenia_g34 = thromb
  )

  check_chan2012(chan2012, pub)
  chan2012
}

# ---- Final check, with survival as the oracle -------------------------------
check_chan2012 <- function(d, pub = chan2012_published) {
  groups <- list(carcinoid = d$subtype == "carcinoid",
                 pnet = d$subtype == "pancreatic NET",
                 overall = rep(TRUE, nrow(d)))
  # Medians from survival::survfit, and from the "first time S(t) <= 0.5"
  # convention: both must give the published values.
  medians <- function(time, event) {
    rbind(survival = vapply(groups, function(g) unname(
            quantile(survfit(Surv(time[g], event[g]) ~ 1), 0.5,
                     conf.int = FALSE)), numeric(1)),
          first_below = vapply(groups, function(g)
            km_median(time[g], event[g], midpoint = FALSE), numeric(1)))
  }
  pfs <- medians(d$pfs_months, d$pfs_event)
  os <- medians(d$os_months, d$os_event)
  stopifnot(
    nrow(d) == 34L,
    table(d$subtype) == pub$n,
    round(pfs, 1) == rbind(pub$pfs_median, pub$pfs_median),
    round(os, 1) == rbind(pub$os_median, pub$os_median),
    table(d$subtype, d$best_response)[, "PR"] == pub$n_partial_response,
    sum(d$best_response == "CR") == 0L,
    sum(d$lymphopenia_g34) == pub$n_lymphopenia_g34,
    sum(d$thrombocytopenia_g34) == pub$n_thrombocytopenia_g34,
    d$pfs_months > 0,
    d$os_months >= d$pfs_months,
    # Censored for progression = alive and progression-free at last contact.
    d$os_event[d$pfs_event == 0L] == 0L,
    d$os_months[d$pfs_event == 0L] == d$pfs_months[d$pfs_event == 0L]
  )
  invisible(TRUE)
}

# ---- Write data/chan2012.rda (only when run as a script) ---------------------
if (sys.nframe() == 0L) {
  stopifnot(dir.exists("data-raw"))  # run from the package root
  chan2012 <- build_chan2012()
  dir.create("data", showWarnings = FALSE)
  save(chan2012, file = "data/chan2012.rda", compress = "xz", version = 2)
}
