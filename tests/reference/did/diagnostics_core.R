# Reference values for the DID diagnostics of issue 16 (all but HonestDiD, see
# diagnostics_honest.R): Goodman-Bacon (bacondecomp), de Chaisemartin-D'Haultfoeuille
# weights (TwoWayFEWeights, feTR), Borusyak-Jaravel-Spiess imputation (didimputation),
# stacked DID (fixest on a stack built here), the TWFE event study (fixest) and
# pre-trend power (pretrends), on staggered_diag.csv (make_diagnostics_data.py) and mpdta.
# Usage: TZ=UTC Rscript tests/reference/did/diagnostics_core.R
suppressPackageStartupMessages({
  library(fixest); library(bacondecomp); library(TwoWayFEWeights)
  library(didimputation); library(pretrends); library(did)
})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
source(file.path(here, "json_full.R"))
setFixest_nthreads(1)
# fixest >= 0.13 drops observations perfectly fit by the fixed effects (singletons) by default;
# didimputation's first stage then cannot impute units observed untreated only once (mpdta's
# 2004 cohort), which BJS's estimator imputes. Keep them, as fixest did before 0.13:
imp <- function(...) {

  setFixest_estimation(fixef.rm = "infinite_coef")
  on.exit(setFixest_estimation(reset = TRUE))
  did_imputation(...)
}

datasets <- list(
  staggered = list(file = "staggered_diag.csv", id = "id", t = "year", g = "first_treat",
                   y = "y", leads = 4, lags = 3, pre = -4:-1, stack_leads = 3, stack_lags = 2),
  mpdta = list(file = "mpdta.csv", id = "countyreal", t = "year", g = "first.treat",
               y = "lemp", leads = 3, lags = 2, pre = -3:-1, stack_leads = 2, stack_lags = 1))

tab <- function(ct) list(term = I(rownames(ct)), estimate = I(unname(ct[, 1])),
                         std_error = I(unname(ct[, 2])))

one <- function(cfg) {
  raw <- read.csv(file.path(here, cfg$file), stringsAsFactors = FALSE)
  d <- data.frame(uid = raw[[cfg$id]], tt = raw[[cfg$t]], gg = raw[[cfg$g]], yy = raw[[cfg$y]])
  d$D <- as.integer(d$gg > 0 & d$tt >= d$gg)
  out <- list()
  # TWFE (fixest)
  m <- feols(yy ~ D | uid + tt, d, cluster = ~uid)
  out$twfe <- list(estimate = unname(coef(m)["D"]), std_error = unname(se(m)["D"]))
  # Goodman-Bacon
  b <- bacon(yy ~ D, data = d, id_var = "uid", time_var = "tt", quietly = TRUE)
  out$bacon <- list(treated = I(as.numeric(b$treated)), untreated = I(as.numeric(b$untreated)),
                    estimate = I(b$estimate), weight = I(b$weight), type = I(as.character(b$type)),
                    weighted_sum = sum(b$estimate * b$weight))
  # de Chaisemartin-D'Haultfoeuille weights (feTR)
  # G must be numeric: unit codes in sorted order of the ids
  lev <- sort(unique(d$uid))
  w <- twowayfeweights(data.frame(yy = d$yy, uid = match(d$uid, lev), tt = d$tt, dd = d$D),
                       "yy", "uid", "tt", "dd", type = "feTR", summary_measures = TRUE)
  out$twfe_weights <- list(beta = w$beta, nr_plus = w$nr_plus, nr_minus = w$nr_minus,
                           sum_plus = w$sum_plus, sum_minus = w$sum_minus,
                           sensibility = w$sensibility,
                           sensibility2 = if (is.null(w$sensibility2)) NA else w$sensibility2,
                           cells = list(unit = I(as.character(lev[w$dat_result$G])),
                                        time = I(as.numeric(w$dat_result$T)),
                                        weight = I(w$dat_result$weight)))
  # BJS imputation: static, horizons, pre-trends
  st <- imp(d, "yy", "gg", "tt", "uid")
  hz <- imp(d, "yy", "gg", "tt", "uid", horizon = TRUE, pretrends = cfg$pre)
  out$imputation <- list(
    static = list(estimate = st$estimate, std_error = st$std.error),
    horizon = list(term = I(as.character(hz$term)), estimate = I(hz$estimate),
                   std_error = I(hz$std.error)))
  # TWFE event study with binned endpoints (never-treated: all dummies 0)
  # units first treated after the last period are never treated (pairnet's rule for every
  # estimator, analyses/did.py::cohort_rules): all dummies 0
  d$rel <- ifelse(d$gg > 0 & d$gg <= max(d$tt), pmin(pmax(d$tt - d$gg, -cfg$leads), cfg$lags), -1000)
  es <- feols(yy ~ i(rel, ref = c(-1, -1000)) | uid + tt, d, cluster = ~uid)
  k <- as.numeric(sub("rel::", "", names(coef(es))))
  out$event_study <- list(rel_time = I(k), estimate = I(unname(coef(es))),
                          std_error = I(unname(se(es))), vcov = unname(vcov(es)))
  # pre-trend power on that event study (Roth 2022); pmvnorm is quasi-random: seed it
  pw <- list()
  for (p in c(0.5, 0.8)) {
    set.seed(1)
    pw[[as.character(p)]] <- slope_for_power(sigma = unname(vcov(es)), targetPower = p,
                                             tVec = k, referencePeriod = -1)
  }
  # the same root, solved tightly with a deterministic MVN probability (Miwa), to compare
  # at 1e-6 (slope_for_power's uniroot stops at tol = eps^0.25 ~ 1.2e-4)
  pre <- which(k < -1); Sp <- unname(vcov(es))[pre, pre]; rt <- k[pre] + 1
  ub <- sqrt(diag(Sp)) * 1.96
  pwr <- function(s) 1 - mvtnorm::pmvnorm(mean = rt * s, sigma = Sp, lower = -ub, upper = ub,
                                          algorithm = mvtnorm::Miwa(steps = 4096))[1]
  tight <- sapply(c(0.5, 0.8), function(p) uniroot(function(s) pwr(s) - p, c(0, 8 * max(sqrt(diag(Sp)))),
                                                     tol = 1e-13)$root)
  out$pretrends <- list(slope_50 = pw[["0.5"]], slope_80 = pw[["0.8"]],
                        slope_50_tight = tight[1], slope_80_tight = tight[2])
  # stacked DID: one stack per cohort, window [g - L, g + K], clean controls = never treated
  # inside the window's end (cohort 0 or first treated after g + K); FE unit^stack, time^stack
  L <- cfg$stack_leads; K <- cfg$stack_lags
  tmax <- max(d$tt)
  stacks <- list()
  for (g in sort(unique(d$gg[d$gg > 0 & d$gg <= tmax & d$gg > min(d$tt)]))) {
    s <- d[d$tt >= g - L & d$tt <= g + K & (d$gg == g | d$gg == 0 | d$gg > g + K), ]
    s$stack <- g
    s$tr <- as.integer(s$gg == g)
    s$rel_s <- s$tt - g
    stacks[[length(stacks) + 1]] <- s
  }
  S <- do.call(rbind, stacks)
  S$post <- as.integer(S$rel_s >= 0)
  S$Dst <- S$tr * S$post
  ms <- feols(yy ~ Dst | uid^stack + tt^stack, S, cluster = ~uid)
  me <- feols(yy ~ i(rel_s, tr, ref = -1) | uid^stack + tt^stack, S, cluster = ~uid)
  out$stacked <- list(static = list(estimate = unname(coef(ms)), std_error = unname(se(ms)),
                                    nobs = nobs(ms)),
                      event = list(term = I(names(coef(me))), estimate = I(unname(coef(me))),
                                   std_error = I(unname(se(me)))))
  out
}

res <- lapply(datasets, one)
# weights and another fixed-effect structure (staggered design only)
d <- read.csv(file.path(here, "staggered_diag.csv"), stringsAsFactors = FALSE)
d$D <- d$treat
mw <- feols(y ~ D | id + year, d, weights = ~w, cluster = ~id)
ww <- twowayfeweights(data.frame(yy = d$y, uid = match(d$id, sort(unique(d$id))), tt = d$year, dd = d$D, ww = d$w),
                      "yy", "uid", "tt", "dd", type = "feTR", weights = d$w,
                      summary_measures = TRUE)
iw <- imp(d, "y", "first_treat", "year", "id", wname = "w")
ifx <- imp(d, "y", "first_treat", "year", "id",
                      first_stage = ~ 0 | id + region^year, horizon = TRUE)
res$staggered_weighted <- list(
  twfe = list(estimate = unname(coef(mw)), std_error = unname(se(mw))),
  twfe_weights = list(beta = ww$beta, nr_plus = ww$nr_plus, nr_minus = ww$nr_minus,
                      sum_plus = ww$sum_plus, sum_minus = ww$sum_minus,
                      sensibility = ww$sensibility,
                      sensibility2 = if (is.null(ww$sensibility2)) NA else ww$sensibility2),
  imputation = list(estimate = iw$estimate, std_error = iw$std.error))
res$staggered_region_fe <- list(imputation = list(
  term = I(as.character(ifx$term)), estimate = I(ifx$estimate), std_error = I(ifx$std.error)))
res$versions <- list(fixest = as.character(packageVersion("fixest")),
                     bacondecomp = as.character(packageVersion("bacondecomp")),
                     TwoWayFEWeights = as.character(packageVersion("TwoWayFEWeights")),
                     didimputation = as.character(packageVersion("didimputation")),
                     pretrends = as.character(packageVersion("pretrends")))
write_json_full(res, file.path(here, "diagnostics_core.json"))
cat("wrote diagnostics_core.json\n")
