# helper-competing.R -- survival::mgus2 as competing risks, shared by
# test-cuminc.R and test-fine-gray.R: progression (pcm, code 1) or death
# (code 2) as the first event, etime its time; agegrp the age in four bands.
# complete = TRUE keeps the columns the Fine-Gray tests use, without NA.
mgus_cr <- function(complete = FALSE) {
  mg <- survival::mgus2
  mg$etime <- ifelse(mg$pstat == 0, mg$futime, mg$ptime)
  mg$code <- ifelse(mg$pstat == 0, 2 * mg$death, 1)
  mg$event <- factor(mg$code, 0:2, labels = c("censor", "pcm", "death"))
  if (complete)
    mg <- stats::na.omit(mg[, c("etime", "code", "event", "age", "sex", "hgb", "mspike")])
  mg$agegrp <- cut(mg$age, c(0, 60, 70, 80, 120))
  mg
}
