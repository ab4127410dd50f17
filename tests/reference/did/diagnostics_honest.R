# HonestDiD (Rambachan & Roth 2023) reference values for issue 16: robust confidence sets under
# relative magnitudes (Delta^RM(Mbar), C-LF) and smoothness (Delta^SD(M), FLCI) for the TWFE
# event study (fixest, binned endpoints, as diagnostics_core.R) and for Callaway-Sant'Anna
# dynamic effects (did, universal base period), for the first post period and the post
# average, on staggered_diag.csv and mpdta. Small grids keep it to a few minutes.
# Usage: TZ=UTC Rscript tests/reference/did/diagnostics_honest.R
suppressPackageStartupMessages({ library(fixest); library(did); library(HonestDiD) })
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
source(file.path(here, "json_full.R"))
setFixest_nthreads(1)
GRID <- 100
MBAR <- c(0, 0.5, 1, 1.5, 2)
MSD <- c(0, 0.05, 0.1)

datasets <- list(
  staggered = list(file = "staggered_diag.csv", id = "id", t = "year", g = "first_treat",
                   y = "y", leads = 4, lags = 3, min_e = -4, max_e = 3),
  mpdta = list(file = "mpdta.csv", id = "countyreal", t = "year", g = "first.treat",
               y = "lemp", leads = 3, lags = 2, min_e = -Inf, max_e = Inf))

sens <- function(beta, V, npre, npost) {
  out <- list(beta = I(unname(beta)), sigma = unname(V), npre = npre, npost = npost)
  targets <- list(first = basisVector(1, npost), average = matrix(rep(1 / npost, npost)))
  for (nm in names(targets)) {
    l <- targets[[nm]]
    o <- constructOriginalCS(beta, V, npre, npost, l_vec = l)
    rm <- createSensitivityResults_relativeMagnitudes(beta, V, npre, npost, l_vec = l,
                                                      Mbarvec = MBAR, gridPoints = GRID)
    sd <- createSensitivityResults(beta, V, npre, npost, l_vec = l, Mvec = MSD)
    out[[nm]] <- list(original = list(lb = o$lb, ub = o$ub),
                      rm = list(Mbar = I(rm$Mbar), lb = I(rm$lb), ub = I(rm$ub)),
                      sd = list(M = I(sd$M), lb = I(sd$lb), ub = I(sd$ub)))
  }
  out
}

one <- function(cfg) {
  raw <- read.csv(file.path(here, cfg$file), stringsAsFactors = FALSE)
  d <- data.frame(uid = raw[[cfg$id]], tt = raw[[cfg$t]], gg = raw[[cfg$g]], yy = raw[[cfg$y]])
  # units first treated after the last period are never treated (pairnet's rule for every
  # estimator, analyses/did.py::cohort_rules): all dummies 0
  d$rel <- ifelse(d$gg > 0 & d$gg <= max(d$tt), pmin(pmax(d$tt - d$gg, -cfg$leads), cfg$lags), -1000)
  es <- feols(yy ~ i(rel, ref = c(-1, -1000)) | uid + tt, d, cluster = ~uid)
  k <- as.numeric(sub("rel::", "", names(coef(es))))
  t0 <- Sys.time()
  tw <- sens(coef(es), vcov(es), sum(k < -1), sum(k >= 0))
  t_twfe <- as.numeric(difftime(Sys.time(), t0, units = "secs"))
  d$uid_num <- match(d$uid, sort(unique(d$uid)))
  cs <- att_gt(yname = "yy", tname = "tt", idname = "uid_num", gname = "gg", data = d,
               control_group = "nevertreated", base_period = "universal", bstrap = FALSE)
  ag <- aggte(cs, type = "dynamic", min_e = cfg$min_e, max_e = cfg$max_e, bstrap = FALSE)
  inf <- ag$inf.function$dynamic.inf.func.e
  V <- t(inf) %*% inf / nrow(inf) / nrow(inf)
  keep <- ag$egt != -1
  t0 <- Sys.time()
  csr <- sens(ag$att.egt[keep], V[keep, keep], sum(ag$egt < -1), sum(ag$egt >= 0))
  t_cs <- as.numeric(difftime(Sys.time(), t0, units = "secs"))
  csr$egt <- I(ag$egt[keep])
  list(twfe = tw, cs = csr, seconds = list(twfe = t_twfe, cs = t_cs))
}
res <- lapply(datasets, one)
res$settings <- list(gridPoints = GRID, HonestDiD = as.character(packageVersion("HonestDiD")),
                     did = as.character(packageVersion("did")))
write_json_full(res, file.path(here, "diagnostics_honest.json"))
cat("wrote diagnostics_honest.json\n")
