# km(), logrank() and cox() on a database table (R/sql.R, src/core/moments.c)
# against the in-memory fit on the same rows collected into a data frame:
# SQLite (embedded, RSQLite) and a real PostgreSQL server started for this
# file (helper-postgres.R). Tolerances: Kaplan-Meier and log-rank 1e-10,
# Cox coefficients and variance 1e-8 (relative, all.equal's scale).

skip_if_not_installed("DBI")
skip_if_not_installed("dbplyr")
skip_if_not_installed("dplyr")
skip_if_not_installed("RSQLite")


# A cohort with ties (times on a grid), fuzz-tied times, strata, groups, a
# character, a logical and a numeric covariate, late entry, whole and
# fractional weights, and missing values.
make_cohort <- function(n, seed) {
  set.seed(seed)
  arm <- sample(c("control", "drug A", "drug B"), n, replace = TRUE)
  age <- round(rnorm(n, 60, 10), 1)
  female <- sample(c(TRUE, FALSE), n, replace = TRUE)
  site <- sample(1:4, n, replace = TRUE)
  eta <- 0.4 * (arm == "drug A") - 0.3 * (arm == "drug B") + 0.02 * (age - 60) + 0.3 * female
  time <- ceiling(rexp(n, 0.05 * exp(eta)) * 4) / 4
  cens <- ceiling(runif(n, 1, 40) * 4) / 4
  status <- as.integer(time <= cens)
  time <- pmin(time, cens)
  time[1:3] <- c(0.1 + 0.2, 0.3, 0.3)  # fuzz ties, merged as aeqSurv merges them
  entry <- pmax(0, round(time - runif(n, 0.5, 30), 0))
  entry[entry >= time] <- 0
  wt <- sample(c(1, 2, 3), n, replace = TRUE)
  fw <- round(runif(n, 0.2, 3), 3)
  age[sample(n, 5)] <- NA
  data.frame(id = seq_len(n), time = time, status = status, entry = entry, arm = arm,
             age = age, female = female, site = site, wt = wt, fw = fw,
             stringsAsFactors = FALSE)
}

cohort <- make_cohort(600, 17)
sqlite <- DBI::dbConnect(RSQLite::SQLite(), ":memory:")
withr::defer(DBI::dbDisconnect(sqlite), teardown_env())
DBI::dbWriteTable(sqlite, "cohort", cohort)
lite <- dplyr::tbl(sqlite, "cohort")
# The rows as the database holds them (SQLite stores logicals as integers).
lite_rows <- as.data.frame(dplyr::collect(lite))

km_fields <- c("n", "time", "n.risk", "n.event", "n.censor", "surv", "std.err", "cumhaz",
               "std.chaz", "strata", "lower", "upper", "type", "logse")
lr_fields <- c("n", "obs", "exp", "var", "chisq", "df", "pvalue", "strata", "group_data")
cox_fields <- c("coefficients", "var", "loglik", "score", "wald.test", "iter", "means", "n",
                "nevent", "converged")

expect_same_fit <- function(db, mem, fields, tolerance) {
  for (f in fields) {
    a <- db[[f]]
    b <- mem[[f]]
    if (is.numeric(b) && !is.null(dim(b))) storage.mode(a) <- storage.mode(b)
    expect_equal(a, b, tolerance = tolerance, label = paste0("database fit$", f),
                 expected.label = paste0("in-memory fit$", f))
  }
}

check_engine <- function(tbl, rows) {
  # Kaplan-Meier: one curve, strata of several variables, weights (zero
  # weights too), late entry, subset.
  calls <- list(
    quote(km(Surv(time, status) ~ 1, data = D)),
    quote(km(Surv(time, status) ~ arm + site, data = D)),
    quote(km(Surv(time, status) ~ arm, data = D, weights = wt - 1, conf.type = "log-log")),
    quote(km(Surv(entry, time, status) ~ arm, data = D, weights = wt)),
    quote(km(Surv(time, status) ~ strata(site), data = D, subset = age > 55))
  )
  for (cl in calls) {
    db <- eval(do.call(substitute, list(cl, list(D = quote(tbl)))))
    mem <- eval(do.call(substitute, list(cl, list(D = quote(rows)))))
    expect_same_fit(db, mem, km_fields, 1e-10)
  }
  # Log-rank: groups of one or two variables, strata, Fleming-Harrington.
  calls <- list(
    quote(logrank(Surv(time, status) ~ arm, data = D)),
    quote(logrank(Surv(time, status) ~ arm + strata(site), data = D, rho = 1)),
    quote(logrank(Surv(time, status) ~ arm + female, data = D, rho = 0.5, gamma = 1)),
    quote(logrank(Surv(time, status) ~ arm + strata(site, female), data = D, subset = site != 2))
  )
  for (cl in calls) {
    db <- eval(do.call(substitute, list(cl, list(D = quote(tbl)))))
    mem <- eval(do.call(substitute, list(cl, list(D = quote(rows)))))
    expect_same_fit(db, mem, lr_fields, 1e-10)
  }
  # Cox: Efron and Breslow, a character covariate as indicators, a logical,
  # arithmetic, strata, whole and fractional weights, (start, stop].
  calls <- list(
    quote(cox(Surv(time, status) ~ arm + age + female, data = D)),
    quote(cox(Surv(time, status) ~ arm + age + female, data = D, ties = "breslow")),
    quote(cox(Surv(time, status) ~ arm + I(age / 10) + strata(site), data = D, weights = fw,
              robust = FALSE)),
    quote(cox(Surv(entry, time, status) ~ arm + age + strata(female), data = D, weights = wt)),
    quote(cox(Surv(entry, time, status) ~ factor(site) + age, data = D, ties = "breslow",
              subset = arm != "drug B")),
    quote(cox(Surv(time, status == 1) ~ age, data = D, init = 0.01,
              control = cox_control(eps = 1e-12)))
  )
  for (cl in calls) {
    db <- eval(do.call(substitute, list(cl, list(D = quote(tbl)))))
    mem <- eval(do.call(substitute, list(cl, list(D = quote(rows)))))
    expect_same_fit(db, mem, cox_fields, 1e-8)
    expect_equal(names(db$coefficients), names(mem$coefficients))
  }
}

test_that("SQLite: km, logrank and cox equal the in-memory fits on the same rows", {
  check_engine(lite, lite_rows)
})

test_that("the Cox fit on SQLite equals survival::coxph and the two tie rules differ", {
  # fractional weights: the model-based variance asked for (the robust one,
  # cox()'s and coxph's default for them, needs the rows)
  efron <- cox(Surv(entry, time, status) ~ arm + age + strata(site), data = lite, weights = fw,
               robust = FALSE)
  breslow <- cox(Surv(entry, time, status) ~ arm + age + strata(site), data = lite, weights = fw,
                 ties = "breslow", robust = FALSE)
  for (fit in list(efron, breslow)) {
    ref <- coxph(Surv(entry, time, status) ~ arm + age + strata(site), data = lite_rows,
                 weights = fw, ties = fit$method, robust = FALSE)
    expect_equal(unname(fit$coefficients), unname(coef(ref)), tolerance = 1e-8)
    expect_equal(unname(fit$var), unname(ref$var), tolerance = 1e-8)
    expect_equal(fit$loglik, ref$loglik, tolerance = 1e-10)
  }
  expect_gt(max(abs(efron$coefficients - breslow$coefficients)), 1e-4)
  expect_s3_class(efron, "netsurv_cox")
  expect_output(print(summary(efron)), "Likelihood ratio test")
  expect_identical(efron$database$rows, as.double(sum(!is.na(lite_rows$age))))
})

test_that("random cohorts: database and memory agree (seeded differential test)", {
  for (seed in 1:3) {
    d <- make_cohort(300, 100 + seed)
    d$wt[sample(300, 10)] <- 0
    con <- DBI::dbConnect(RSQLite::SQLite(), ":memory:")
    DBI::dbWriteTable(con, "d", d)
    tbl <- dplyr::tbl(con, "d")
    rows <- as.data.frame(dplyr::collect(tbl))
    expect_same_fit(km(Surv(entry, time, status) ~ arm, data = tbl, weights = wt),
                    km(Surv(entry, time, status) ~ arm, data = rows, weights = wt), km_fields, 1e-10)
    expect_same_fit(logrank(Surv(time, status) ~ arm + strata(site), data = tbl, gamma = 1),
                    logrank(Surv(time, status) ~ arm + strata(site), data = rows, gamma = 1),
                    lr_fields, 1e-10)
    expect_same_fit(cox(Surv(entry, time, status) ~ arm + age + female + strata(site), data = tbl,
                        weights = fw, robust = FALSE),
                    cox(Surv(entry, time, status) ~ arm + age + female + strata(site), data = rows,
                        weights = fw, robust = FALSE), cox_fields, 1e-8)
    DBI::dbDisconnect(con)
  }
})

test_that("Cox corner cases on a database table: no covariate, iter.max = 0, collinear, out of iterations", {
  d <- lung
  d$sex2 <- 2 * d$sex
  con <- DBI::dbConnect(RSQLite::SQLite(), ":memory:")
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  DBI::dbWriteTable(con, "lung", d)
  tbl <- dplyr::tbl(con, "lung")
  rows <- as.data.frame(dplyr::collect(tbl))
  fields <- c(cox_fields, "infinite")
  same <- function(...) {
    cl <- substitute(cox(...))
    db <- eval(do.call(substitute, list(cl, list(D = quote(tbl)))))
    mem <- eval(do.call(substitute, list(cl, list(D = quote(rows)))))
    expect_same_fit(db, mem, fields, 1e-8)
    db
  }
  same(Surv(time, status) ~ strata(inst), data = D)
  same(Surv(time, status) ~ age + sex, data = D, init = c(0.01, -0.2),
       control = cox_control(iter.max = 0))
  fit <- same(Surv(time, status) ~ age + sex + sex2, data = D)
  expect_identical(is.na(fit$coefficients), c(age = FALSE, sex = FALSE, sex2 = TRUE))
  warned <- character()
  fit <- withCallingHandlers(cox(Surv(time, status) ~ age + sex + ph.karno, data = tbl,
                                 control = cox_control(iter.max = 1)),
                             warning = function(w) {
                               warned <<- c(warned, conditionMessage(w))
                               invokeRestart("muffleWarning")
                             })
  expect_true(any(grepl("did not converge in 1 iterations", warned)))
  mem <- suppressWarnings(cox(Surv(time, status) ~ age + sex + ph.karno, data = rows,
                              control = cox_control(iter.max = 1)))
  expect_same_fit(fit, mem, fields, 1e-8)
})

test_that("bad input on a database table: clear errors, nothing written", {
  expect_error(pairwise_logrank(Surv(time, status) ~ grp, data = lite),
               "pairwise_logrank\\(\\) does not run in the database")
  expect_error(km(Surv(time, status) ~ 1, data = lite, se.fit = FALSE),
               "`se.fit` is not supported when `data` is a database table")
  before <- DBI::dbListTables(sqlite)
  expect_error(km(Surv(time, status) ~ colour, data = lite),
               "`formula`: the table has no column `colour`")
  expect_error(cox(Surv(time, status) ~ age + nope, data = lite), "no column `nope`")
  expect_error(km(Surv(time, status) ~ 1, data = lite, weights = nope),
               "`weights`: the table has no column `nope`")
  expect_error(km(Surv(time, status) ~ 1, data = lite, subset = nope > 1),
               "`subset`: the table has no column `nope`")
  expect_error(cox(Surv(time, nope) ~ age, data = lite), "`formula`: the table has no column `nope`")
  expect_error(cox(Surv(time, status) ~ I(arm * 2), data = lite),
               "column `arm` is character; only numeric, integer or logical")
  expect_error(cox(Surv(time, status) ~ splines::ns(age, 3), data = lite),
               "cannot be translated to SQL")
  expect_error(cox(Surv(time, status) ~ age + cluster(site), data = lite),
               "cluster\\(\\) terms are not supported for a database table")
  expect_error(cox(Surv(time, status) ~ tt(age), data = lite), "tt\\(\\) terms are not supported")
  expect_error(cox(Surv(time, status) ~ age * female, data = lite), "interaction terms")
  expect_error(cox(Surv(time, status) ~ age, data = lite, robust = TRUE), "`robust = TRUE`")
  expect_error(cox(Surv(time, status) ~ age, data = lite, firth = TRUE), "`firth = TRUE`")
  expect_error(cox(Surv(time, status) ~ age, data = lite, x = TRUE), "`x = TRUE`")
  expect_error(logrank(Surv(time, status) ~ arm, data = lite, exact = TRUE), "`exact = TRUE`")
  expect_error(km(Surv(time, status) ~ arm, data = lite, weights = fw), "fractional weights")
  expect_error(km(Surv(time, status) ~ arm, data = lite, weights = wt - 2),
               "`weights`: .* row\\(s\\) of the table have a negative weight")
  expect_error(cox(Surv(time, status) ~ age, data = lite, weights = wt - 1), "weights > 0")
  # non-integer weights make cox()'s variance robust in memory (coxph's rule)
  expect_error(cox(Surv(time, status) ~ age, data = lite, weights = fw),
               "`weights`: with non-integer weights .* robust = FALSE")
  expect_false(cox(Surv(time, status) ~ age, data = lite, weights = wt)$robust)
  expect_error(km(Surv(time, status + 4) ~ 1, data = lite), "the status is 4 in some row")
  expect_error(km(Surv(time, entry, status) ~ 1, data = lite), "have start >= stop")
  expect_error(km(Surv(time, status) ~ 1, data = lite, subset = age > 1000), "no rows left")
  expect_error(cox(Surv(time, status) ~ age, data = lite, na.action = na.fail),
               "supports only na.omit")
  fit <- cox(Surv(time, status) ~ age, data = lite)
  expect_error(residuals(fit), "need the rows")
  expect_error(predict(fit), "not available for a Cox fit on a database table")
  DBI::dbExecute(sqlite, "CREATE TABLE holes AS SELECT * FROM cohort")
  DBI::dbExecute(sqlite, "UPDATE holes SET wt = NULL WHERE id = 7")
  expect_error(km(Surv(time, status) ~ 1, data = dplyr::tbl(sqlite, "holes"), weights = wt),
               "1 row\\(s\\) of the table have a missing weight")
  DBI::dbExecute(sqlite, "DROP TABLE holes")
  expect_identical(DBI::dbListTables(sqlite), before)

  con <- DBI::dbConnect(RSQLite::SQLite(), ":memory:")
  DBI::dbWriteTable(con, "cohort", cohort)
  tbl <- dplyr::tbl(con, "cohort")
  DBI::dbDisconnect(con)
  expect_error(cox(Surv(time, status) ~ age, data = tbl), "connection .* closed or invalid")
})

test_that("db_sql() shows portable aggregate SQL; the fit runs the queries it shows", {
  sql <- db_sql("cox", Surv(entry, time, status) ~ arm + age + strata(site), data = lite)
  expect_named(sql, c("frame", "start", "fit"))
  expect_match(sql$fit, "GROUP BY ns_s1, ns_time", fixed = TRUE)
  expect_match(sql$fit, "UNION ALL", fixed = TRUE)
  expect_match(sql$fit, "ns_w * EXP(", fixed = TRUE)
  expect_false(any(grepl("CREATE|INSERT|UPDATE|DELETE|TEMP", unlist(sql), ignore.case = FALSE)))
  seen <- character()
  withr::local_options(netsurv.sql_log = function(q) seen <<- c(seen, q))
  fit <- cox(Surv(time, status) ~ arm + age, data = lite)
  # the checks, the levels of arm, then one query per iteration (plus the first)
  expect_length(seen, 2L + 1L + fit$iter)
  seen <- character()
  km(Surv(time, status) ~ arm, data = lite)
  expect_length(seen, 2L)
})

# ---- PostgreSQL -----------------------------------------------------------------

pg <- NULL
pg_ready <- function() {
  if (is.null(pg)) pg <<- local_postgres(teardown_env())
  pg
}

test_that("PostgreSQL: km, logrank and cox equal the in-memory fits on the same rows", {
  server <- pg_ready()
  DBI::dbWriteTable(server$con, "cohort", cohort, row.names = FALSE)
  tbl <- suppressWarnings(dplyr::tbl(server$con, "cohort"))  # RPostgreSQL: dbplyr's old-interface note
  rows <- as.data.frame(dplyr::collect(tbl))
  expect_type(rows$female, "logical")
  check_engine(tbl, rows)
})

test_that("PostgreSQL: a connection that drops mid-fit gives a clear error and leaves nothing behind", {
  server <- pg_ready()
  con <- server$connect()
  on.exit(try(DBI::dbDisconnect(con), silent = TRUE), add = TRUE)
  if (!DBI::dbExistsTable(con, "cohort")) DBI::dbWriteTable(con, "cohort", cohort, row.names = FALSE)
  tables <- DBI::dbListTables(con)
  tbl <- suppressWarnings(dplyr::tbl(con, "cohort"))
  pid <- DBI::dbGetQuery(con, "SELECT pg_backend_pid() AS pid")$pid
  calls <- 0L
  # After the starting queries, an administrator ends the session.
  withr::local_options(netsurv.sql_log = function(q) {
    calls <<- calls + 1L
    if (calls == 4L)
      DBI::dbGetQuery(server$con, paste0("SELECT pg_terminate_backend(", pid, ")"))
  })
  expect_error(cox(Surv(time, status) ~ arm + age, data = tbl),
               "cox\\(\\): the database query for Cox iteration 1 failed")
  expect_identical(calls, 4L)
  withr::local_options(netsurv.sql_log = NULL)
  expect_identical(sort(DBI::dbListTables(server$con)), sort(tables))
  temp <- DBI::dbGetQuery(server$con,
                          "SELECT count(*) AS n FROM pg_class WHERE relpersistence = 't'")$n
  expect_equal(as.numeric(temp), 0)
})

test_that("PostgreSQL: a drop during km() or logrank() is a clear error too", {
  server <- pg_ready()
  if (!DBI::dbExistsTable(server$con, "cohort"))
    DBI::dbWriteTable(server$con, "cohort", cohort, row.names = FALSE)
  for (fun in c("km", "logrank")) {
    con <- server$connect()
    tbl <- suppressWarnings(dplyr::tbl(con, "cohort"))
    pid <- DBI::dbGetQuery(con, "SELECT pg_backend_pid() AS pid")$pid
    calls <- 0L
    # the second query is the counts
    withr::with_options(list(netsurv.sql_log = function(q) {
      calls <<- calls + 1L
      if (calls == 2L) DBI::dbGetQuery(server$con, paste0("SELECT pg_terminate_backend(", pid, ")"))
    }), expect_error(suppressWarnings(
      if (fun == "km") km(Surv(time, status) ~ arm, data = tbl)
      else logrank(Surv(time, status) ~ arm, data = tbl)),
      paste0(fun, "\\(\\): the database query for the ", if (fun == "km") "Kaplan-Meier" else "log-rank",
             " counts failed")))
    try(DBI::dbDisconnect(con), silent = TRUE)
  }
})

test_that("PostgreSQL: the fit's session settings are restored, also when it stops midway", {
  server <- pg_ready()
  con <- server$connect()
  on.exit(try(DBI::dbDisconnect(con), silent = TRUE), add = TRUE)
  if (!DBI::dbExistsTable(con, "cohort")) DBI::dbWriteTable(con, "cohort", cohort, row.names = FALSE)
  tbl <- suppressWarnings(dplyr::tbl(con, "cohort"))
  settings <- function() DBI::dbGetQuery(con, paste(
    "SELECT current_setting('jit') AS jit, current_setting('work_mem') AS work_mem,",
    "current_setting('max_parallel_workers_per_gather') AS workers"))
  DBI::dbGetQuery(con, "SELECT set_config('max_parallel_workers_per_gather', '3', false)")
  DBI::dbGetQuery(con, "SELECT set_config('work_mem', '1MB', false)")
  before <- settings()
  seen <- NULL
  withr::with_options(list(netsurv.sql_log = function(q) seen <<- settings()),
                      cox(Surv(time, status) ~ arm + age, data = tbl))
  # during the fit: no JIT, no parallel workers, work_mem for the aggregate;
  # after it: as before
  expect_identical(seen$jit, "off")
  expect_identical(seen$workers, "0")
  expect_false(identical(seen$work_mem, "1MB"))
  expect_identical(settings(), before)
  calls <- 0L
  withr::with_options(list(netsurv.sql_log = function(q) {
    calls <<- calls + 1L
    if (calls == 4L) stop("interrupted by the test")
  }), expect_error(cox(Surv(time, status) ~ arm + age, data = tbl), "interrupted by the test"))
  expect_identical(settings(), before)
  expect_identical(DBI::dbGetQuery(con, "SELECT count(*) AS n FROM pg_class WHERE relpersistence = 't'")$n,
                   DBI::dbGetQuery(server$con, "SELECT count(*) AS n FROM pg_class WHERE relpersistence = 't'")$n)
})

test_that("PostgreSQL: a date column the SQL cannot read as the in-memory fit does is an error", {
  server <- pg_ready()
  d <- cohort[1:50, c("time", "status", "age")]
  d$seen <- as.Date("2020-01-01") + seq_len(50)
  DBI::dbWriteTable(server$con, "dated", d, row.names = FALSE, overwrite = TRUE)
  on.exit(DBI::dbRemoveTable(server$con, "dated"), add = TRUE)
  tbl <- suppressWarnings(dplyr::tbl(server$con, "dated"))
  expect_error(cox(Surv(time, status) ~ age + seen, data = tbl),
               "column `seen` is Date; only numeric, integer or logical columns can be used here \\(store a number")
  expect_error(cox(Surv(time, status) ~ factor(seen), data = tbl),
               "column `seen` is Date; netsurv makes indicator columns on a database table only from")
  expect_error(cox(Surv(time, status) ~ age, data = tbl, weights = seen), "column `seen` is Date")
})
