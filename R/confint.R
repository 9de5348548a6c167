# confint.R -- pointwise confidence limits of a survival curve, the one
# function behind km() and cox_curve() (survival keeps one too,
# survfit_confint, for survfit.formula and survfit.coxph).

# Limits for S(t) on the scale given by conf.type, with survfit's
# conventions:
#   se       the standard error of log S (of the cumulative hazard) when
#            logse is TRUE (Greenwood, model-based curves), of S itself
#            otherwise (the jackknife of fractional weights)
#   conf.int the level; conf.type "log", "log-log", "plain", "logit",
#            "arcsin" or "none" (no limits: an empty list)
#   ends     what "log-log" gives where it is undefined, at S = 0 and S = 1:
#            NA (FALSE, survfit's Kaplan-Meier) or S itself (TRUE, the
#            model-based curves of survfit.coxph)
# Elsewhere limits are NA where the transformation is undefined (S = 0 for
# "log", "logit", "arcsin"); "plain" and "log" upper limits are capped at 1,
# "plain" lower limits at 0. A matrix surv (one column per curve) gives
# matrices.
surv_conf_limits <- function(surv, se, conf.int, conf.type, logse = TRUE, ends = FALSE) {
  if (conf.type == "none") return(list())
  z <- stats::qnorm(1 - (1 - conf.int) / 2)
  if (!logse) {
    zero <- which(se == 0)
    se <- se / surv
    se[zero] <- 0
  }
  undefined <- surv == 0
  p <- surv
  limits <- switch(conf.type,
    plain = {
      half <- z * se * surv
      list(lower = pmax(surv - half, 0), upper = pmin(surv + half, 1))
    },
    log = {
      p[undefined] <- NA
      list(lower = exp(log(p) - z * se), upper = pmin(exp(log(p) + z * se), 1))
    },
    `log-log` = {
      p[undefined | surv == 1] <- NA
      loglog <- log(-log(p))
      half <- z * se / log(p)
      lo <- exp(-exp(loglog - half))
      hi <- exp(-exp(loglog + half))
      if (ends) {
        at_end <- which(undefined | surv == 1)
        lo[at_end] <- hi[at_end] <- surv[at_end]
      }
      list(lower = lo, upper = hi)
    },
    logit = {
      p[undefined] <- NA
      half <- z * se * (1 + p / (1 - p))
      logit <- log(surv / (1 - surv))
      list(lower = 1 - 1 / (1 + exp(logit - half)), upper = 1 - 1 / (1 + exp(logit + half)))
    },
    arcsin = {
      p[undefined] <- NA
      half <- 0.5 * z * se * sqrt(p / (1 - p))
      angle <- asin(sqrt(p))
      list(lower = sin(pmax(0, angle - half))^2, upper = sin(pmin(pi / 2, angle + half))^2)
    }
  )
  if (is.matrix(surv))
    limits <- lapply(limits, function(v) { dim(v) <- dim(surv); v })
  limits
}
