#' Reconstructed data consistent with the published summary of Chan et al.
#' (2012): temozolomide plus bevacizumab in advanced neuroendocrine tumours
#'
#' A RECONSTRUCTION consistent with the published summary of Chan et al.,
#' J Clin Oncol 2012;30(24):2963-8 (doi:10.1200/JCO.2011.40.3147), NOT the
#' trial's patient data: 34 synthetic patients built to reproduce every
#' number in the abstract of that phase II study of temozolomide with
#' bevacizumab in locally advanced or metastatic neuroendocrine tumours
#' (NETs). The patient-level data of that trial are not public. Any analysis
#' of \code{chan2012} that goes beyond the published numbers (hazard
#' ratios, p-values, confidence intervals, curve shapes, associations between
#' variables) describes the reconstruction, not the trial.
#'
#' @details
#' \strong{What is reproduced exactly} (the abstract): 19 carcinoid and 15
#' pancreatic NET patients; Kaplan-Meier median progression-free survival
#' 11.0 months overall, 14.3 for pancreatic NETs and 7.3 for carcinoid
#' tumours; median overall survival 33.3 months overall, 41.7 for pancreatic
#' NETs and 18.8 for carcinoid tumours; five partial responses, all in
#' pancreatic NETs (5 of 15, none of 19 carcinoid), no complete response;
#' grade 3-4 lymphopenia in 18 of 34 patients (53\%) and thrombocytopenia in 6
#' of 34 (18\%). Medians are those of \code{\link[survival]{survfit}},
#' rounded to one decimal; each is also an observed event time, so the "first
#' time S(t) <= 0.5" convention gives the same values (at each pooled median
#' two patients, one of each subtype, share the event time).
#'
#' \strong{Assumptions} (nothing below is stated in the abstract):
#' \itemize{
#' \item Accrual: uniform over 36 months, patients enrolled at equally spaced
#'   dates in \code{id} order; subtypes interleaved as evenly as possible.
#' \item Follow-up: data cut-off 36 months after the last enrolment, so
#'   potential follow-up runs from 36.5 to 71.5 months.
#' \item Censoring: administrative only, at the cut-off. No patient is lost to
#'   follow-up or withdraws, so a patient censored for progression is alive
#'   and progression-free at the cut-off and censored for survival at the same
#'   time. Three patients are censored for progression, nine for survival.
#' \item Event times: within each subtype, latent times lie at the plotting
#'   positions (i - 0.5)/n of a log-normal distribution whose median is the
#'   published subtype median, recorded to 0.1 month. Progression and death
#'   share the within-subtype ranking (late progressors die late), and death
#'   never precedes progression; in this reconstruction every death follows a
#'   recorded progression (no deaths without progression, although the
#'   coding would count one as a progression-free survival event).
#' \item Spread of the event times: the log-normal standard deviations (PFS 1.54
#'   carcinoid, 0.77 pancreatic NET; OS 1.41 carcinoid, 0.43 pancreatic NET)
#'   are the only tuned quantities. They are found by a deterministic grid
#'   search with an exact solve so that the pooled medians match as well, and
#'   among the pairs that match, the one closest to a reference spread of 1 is
#'   kept. The pooled medians lie close to the pancreatic NET medians, which
#'   forces carcinoid times to be more spread out than pancreatic NET times.
#'   One consequence is an implausibly early first carcinoid progression (0.4
#'   months).
#' \item Which patient has which prognosis: assigned over the enrolment order
#'   by a golden-ratio (low-discrepancy) sequence, so that prognosis has no
#'   trend with enrolment date; no random numbers are used.
#' \item Best response: PR for the five pancreatic NET patients with the longest
#'   latent progression-free survival; PD for progression recorded before 3
#'   months (first restaging after two 28-day cycles); NE would be a death
#'   without progression before 3 months (none occur); SD otherwise. The
#'   response categories other than PR and CR are not published.
#' \item Toxicity: no association with subtype, response or outcome is
#'   published, so none is built in: each subtype gets its proportional share
#'   (10 carcinoid and 8 pancreatic NET patients with lymphopenia, 3 and 3
#'   with thrombocytopenia); lymphopenia goes to evenly spaced patients in order of
#'   prognosis, thrombocytopenia to evenly spaced patients in order of
#'   enrolment. Three patients have both.
#' \item Anything else (age, sex, dose modifications, biochemical response,
#'   other toxicities) is not represented.
#' }
#'
#' The script \file{data-raw/chan2012.R} in the package sources builds the
#' data set and checks it against the published numbers.
#'
#' @docType data
#' @name chan2012
#' @usage data(chan2012)
#' @keywords datasets
#' @format A data frame with 34 rows and 9 variables:
#' \describe{
#'   \item{id}{Patient number, 1 to 34, in (assumed) order of enrolment.}
#'   \item{subtype}{Tumour type, a factor with levels \code{"carcinoid"} (19
#'     patients) and \code{"pancreatic NET"} (15).}
#'   \item{pfs_months}{Progression-free survival time in months, to 0.1
#'     month: time to progression or death, or to the last contact.}
#'   \item{pfs_event}{1 if progression or death was observed at
#'     \code{pfs_months}, 0 if the patient was censored (alive and
#'     progression-free at the last contact).}
#'   \item{os_months}{Overall survival time in months, to 0.1 month; never
#'     shorter than \code{pfs_months}, and equal to it when
#'     \code{pfs_event} is 0.}
#'   \item{os_event}{1 if death was observed at \code{os_months}, 0 if
#'     censored.}
#'   \item{best_response}{Best radiographic response, a factor with levels
#'     \code{"CR"}, \code{"PR"}, \code{"SD"}, \code{"PD"}, \code{"NE"}
#'     (not evaluable).}
#'   \item{lymphopenia_g34}{Logical: grade 3-4 lymphopenia at any time.}
#'   \item{thrombocytopenia_g34}{Logical: grade 3-4 thrombocytopenia at any
#'     time.}
#' }
#' @source Reconstructed from the published summary (abstract) of
#'   Chan JA, et al. Prospective study of bevacizumab plus temozolomide in
#'   patients with advanced neuroendocrine tumors.
#'   J Clin Oncol 2012;30(24):2963-8. \doi{10.1200/JCO.2011.40.3147}.
#'   Not the trial's patient-level data.
#' @examples
#' fit <- survival::survfit(survival::Surv(pfs_months, pfs_event) ~ subtype,
#'                          data = chan2012)
#' summary(fit)$table[, "median"]  # 7.3 and 14.3, as published
#' table(chan2012$subtype, chan2012$best_response)
"chan2012"
