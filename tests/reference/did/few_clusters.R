# Few-cluster DID references: R fixest 0.14.2 (feols with cluster, i() event studies with
# binned / trimmed ends, sunab) and fwildclusterboot 0.14.3 (boottest, WCR11, Rademacher with
# full enumeration: deterministic) on the seeded designs of make_few_clusters.py, plus sunab
# on mpdta.
# Usage: TZ=UTC Rscript tests/reference/did/few_clusters.R  -> few_clusters.json next to it.
suppressPackageStartupMessages({
  library(fixest)
  library(fwildclusterboot)
})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
source(file.path(here, "json_full.R"))
setFixest_nthreads(1)
TOL <- 1e-11  # fixed-effect convergence far below the comparison tolerance (fixest minimum ~2e-12)

coefs <- function(m, keep = NULL) {
  ct <- coeftable(m)
  if (!is.null(keep)) ct <- ct[rownames(ct) %in% keep, , drop = FALSE]
  ci <- confint(m, level = 0.95)
  ci <- ci[rownames(ct), , drop = FALSE]
  list(term = I(rownames(ct)), estimate = I(unname(ct[, 1])), std_error = I(unname(ct[, 2])),
       statistic = I(unname(ct[, 3])), p_value = I(unname(ct[, 4])),
       conf_low = I(unname(ci[, 1])), conf_high = I(unname(ci[, 2])),
       nobs = nobs(m), df_t = unname(degrees_freedom(m, "t")))
}

wild <- function(m, param, clustid, data) {
  # full enumeration (2^G <= B): deterministic, no seed needed; seeds set anyway
  set.seed(1); dqrng::dqset.seed(1)
  b <- suppressWarnings(suppressMessages(
    boottest(m, param = param, clustid = clustid, B = 9999, type = "rademacher",
             impose_null = TRUE, p_val_type = "two-tailed", tol = 1e-10, maxiter = 200)))
  tb <- as.numeric(b$t_boot)
  ts <- as.numeric(b$t_stat)
  list(param = param, p_val = as.numeric(b$p_val), conf_int = I(as.numeric(b$conf_int)),
       t_stat = ts, B = length(tb),
       # the count with draws equal to |t| up to rounding (v = +-1) as ties
       p_val_ties_excluded = mean(abs(tb) > abs(ts) * (1 + 1e-9)))
}

prep <- function(d) {
  d$cohort[is.na(d$cohort)] <- 0
  d$treat <- as.numeric(d$cohort > 0 & d$year >= d$cohort)
  tmax <- max(d$year)
  # never treated and first treated after the last year: no relative time (reference)
  d$rel <- ifelse(d$cohort == 0 | d$cohort > tmax, -1000, d$year - d$cohort)
  d$treat_x_dist <- d$treat * d$dist
  # fixed effects as factors: boottest() re-evaluates the fixest formula and fails on
  # integer / character fixed-effect columns
  d$unitf <- factor(d$unit)
  d$yearf <- factor(d$year)
  d
}

run_design <- function(name, leads, lags) {
  d <- prep(read.csv(file.path(here, paste0(name, ".csv")), stringsAsFactors = FALSE))
  G <- length(unique(d$origin))
  out <- list(design = name, n_obs = nrow(d), n_units = length(unique(d$unit)), G = G,
              leads = leads, lags = lags)
  # TWFE, clustered by origin (few clusters) and by unit
  m <- feols(y ~ treat | unitf + yearf, d, cluster = ~origin, fixef.tol = TOL)
  out$twfe <- coefs(m)
  out$twfe_wild <- wild(m, "treat", "origin", d)
  mx <- feols(y ~ treat + x | unitf + yearf, d, cluster = ~origin, fixef.tol = TOL)
  out$twfe_x <- coefs(mx, "treat")
  out$twfe_x_wild <- wild(mx, "treat", "origin", d)
  mu <- feols(y ~ treat | unitf + yearf, d, cluster = ~unit, fixef.tol = TOL)
  out$twfe_unit <- coefs(mu)
  # distance interaction and the break-even distance (delta method, t(G-1) CI)
  md <- feols(y ~ treat + treat_x_dist | unitf + yearf, d, cluster = ~origin, fixef.tol = TOL)
  out$distance <- coefs(md)
  b <- coef(md); V <- vcov(md)
  be <- -b[[1]] / b[[2]]
  g <- c(-1 / b[[2]], b[[1]] / b[[2]]^2)
  be_se <- sqrt(drop(t(g) %*% V %*% g))
  q <- qt(0.975, degrees_freedom(md, "t"))
  out$distance$vcov <- unname(V)
  out$distance$break_even <- be
  out$distance$break_even_se <- be_se
  out$distance$break_even_ci <- I(c(be - q * be_se, be + q * be_se))
  out$distance_wild <- list(treat = wild(md, "treat", "origin", d),
                            treat_x_dist = wild(md, "treat_x_dist", "origin", d))
  # event study, ends binned: relative periods beyond the window lumped into the end points
  d$rel_b <- ifelse(d$rel == -1000, -1000, pmin(pmax(d$rel, -leads), lags))
  me <- feols(y ~ i(rel_b, ref = c(-1, -1000)) | unitf + yearf, d, cluster = ~origin,
              fixef.tol = TOL)
  out$es_bin <- coefs(me)
  out$es_bin$rel_time <- I(as.numeric(sub("rel_b::", "", rownames(coeftable(me)))))
  out$es_bin_wild <- lapply(rownames(coeftable(me)), function(p) wild(me, p, "origin", d))
  # event study, ends trimmed: treated observations outside the window dropped
  dt <- d[d$rel == -1000 | (d$rel >= -leads & d$rel <= lags), ]
  mt <- feols(y ~ i(rel, ref = c(-1, -1000)) | unitf + yearf, dt, cluster = ~origin,
              fixef.tol = TOL)
  out$es_trim <- coefs(mt)
  out$es_trim$rel_time <- I(as.numeric(sub("rel::", "", rownames(coeftable(mt)))))
  out$es_trim$n_dropped <- nrow(d) - nrow(dt)
  # Sun-Abraham: units treated at or before the first year left out (as pairnet does;
  # fixest alone would take a cohort before the first year as a never-treated reference)
  ds <- d[!(d$cohort > 0 & d$cohort <= min(d$year)), ]
  ds$cohort_sa <- ds$cohort  # 0 and cohorts after the last year are not periods: references
  ms <- feols(y ~ sunab(cohort_sa, year) | unitf + yearf, ds, cluster = ~origin, fixef.tol = TOL)
  out$sunab <- coefs(ms)
  out$sunab$rel_time <- I(as.numeric(sub("year::", "", rownames(coeftable(ms)))))
  att <- aggregate(ms, agg = "ATT")
  out$sunab_att <- list(estimate = att[1, 1], std_error = att[1, 2], p_value = att[1, 4])
  out
}

mp <- read.csv(file.path(here, "mpdta.csv"))
mps <- feols(lemp ~ sunab(first.treat, year) | countyreal + year, mp, cluster = ~countyreal,
             fixef.tol = TOL)
sun_mpdta <- coefs(mps)
sun_mpdta$rel_time <- I(as.numeric(sub("year::", "", rownames(coeftable(mps)))))
att <- aggregate(mps, agg = "ATT")
sun_mpdta$att <- list(estimate = att[1, 1], std_error = att[1, 2], p_value = att[1, 4])

res <- list(
  fixest = as.character(packageVersion("fixest")),
  fwildclusterboot = as.character(packageVersion("fwildclusterboot")),
  R = R.version.string,
  settings = list(cluster = "origin", wild_B = 9999, wild_type = "rademacher",
                  bootstrap = "boottest default (fnw11 = WCR11), impose_null = TRUE",
                  fixef_tol = TOL),
  designs = list(few9 = run_design("few9", 3, 5), few12 = run_design("few12", 2, 4),
                 never_only = run_design("never_only", 3, 4)),
  sunab_mpdta = sun_mpdta)
write_json_full(res, file.path(here, "few_clusters.json"))
cat("wrote", file.path(here, "few_clusters.json"), "\n")
