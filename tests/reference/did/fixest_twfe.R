# The TWFE reference of tests/test_did.py and tests/test_did_suite.py: R fixest 0.14.2,
# feols(lemp ~ post | countyreal + year, cluster = ~countyreal) on did::mpdta (the copy in
# mpdta.csv next to this script) with post = (year >= first.treat & first.treat > 0).
# Usage: TZ=UTC Rscript tests/reference/did/fixest_twfe.R  -> fixest_twfe.json next to it.
suppressPackageStartupMessages(library(fixest))
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
source(file.path(here, "json_full.R"))
setFixest_nthreads(1)

d <- read.csv(file.path(here, "mpdta.csv"))
d$post <- as.numeric(d$year >= d$first.treat & d$first.treat > 0)
m <- feols(lemp ~ post | countyreal + year, data = d, cluster = ~countyreal)
out <- list(
  source = paste0("tests/reference/did/fixest_twfe.R: R fixest ", packageVersion("fixest"),
                  ", feols(lemp ~ post | countyreal + year, cluster = ~countyreal) on did::mpdta",
                  " with post = (year >= first.treat & first.treat > 0)"),
  fixest_version = as.character(packageVersion("fixest")),
  formula = "lemp ~ post | countyreal + year",
  cluster = "countyreal",
  coef = unname(coef(m)[["post"]]),
  se = unname(se(m)[["post"]])
)
write_json_full(out, file.path(here, "fixest_twfe.json"))
