# Reference values for pairnet's city-panel models on unbalanced panels.
# Run from this folder:  TZ=UTC Rscript plm_unbalanced.R   (writes plm_unbalanced.json)
# Data: unbalanced_{a,b,c}.csv from make_unbalanced.py (seeded; committed).
suppressMessages({
  library(plm); library(lmtest); library(sandwich); library(fixest)
  library(fwildclusterboot); library(jsonlite)
})
setFixest_nthreads(1)
f <- y ~ x1 + x2 + x3
xs <- c("x1", "x2", "x3")

named <- function(v) as.list(setNames(as.numeric(v), names(v)))
seof <- function(V) named(sqrt(diag(V)))
tt <- function(m) { s <- summary(m); list(rsq = unname(s$r.squared[["rsq"]])) }

crv1_block <- function(m) {
  # fixest: CR1 = G/(G-1)(N-1)/(N-K) (K = slopes + effects not nested in the clusters),
  # t(G-1) p-values and 95% intervals
  ct <- coeftable(m)
  ci <- confint(m, level = 0.95)
  list(se = named(ct[, "Std. Error"]), p = named(ct[, "Pr(>|t|)"]),
       t_df = unname(fixest::degrees_freedom(m, "t")),
       ci_low = named(setNames(ci[, 1], rownames(ci))),
       ci_high = named(setNames(ci[, 2], rownames(ci))))
}

wild <- function(model, params, clustid, B = 9999) {
  # fwildclusterboot: WCR-11, Rademacher; 2^12 = 4096 < B, so all sign vectors are enumerated
  # (deterministic); the seed is set anyway
  out <- list()
  for (p in params) {
    set.seed(1); dqrng::dqset.seed(1)
    bt <- suppressMessages(suppressWarnings(boottest(
      model, param = p, clustid = clustid, B = B, type = "rademacher",
      impose_null = TRUE, bootstrap_type = "fnw11", p_val_type = "two-tailed",
      sign_level = 0.05, conf_int = TRUE)))
    ci <- confint(bt)
    out[[p]] <- list(p = unname(pval(bt)), t = unname(teststat(bt)),
                     ci = as.numeric(ci), B = unname(bt$boot_iter))
  }
  out
}

one_panel <- function(file, cluster = NULL, do_wild = FALSE) {
  d <- read.csv(file, colClasses = c(firm = "character"))
  if ("region" %in% names(d)) d$region <- as.character(d$region)
  pd <- pdata.frame(d, index = c("firm", "year"))
  pool <- plm(f, data = pd, model = "pooling")
  wi <- plm(f, data = pd, model = "within", effect = "individual")
  tw <- plm(f, data = pd, model = "within", effect = "twoways")
  re <- plm(f, data = pd, model = "random", random.method = "swar")
  e <- ercomp(re)
  fit <- function(m) list(coef = named(coef(m)), se = seof(vcov(m)), df_residual = df.residual(m),
                          r2 = tt(m)$rsq,
                          se_hc1_group = seof(vcovHC(m, type = "HC1", cluster = "group")))
  ft <- pFtest(wi, pool); ft2 <- pFtest(tw, pool); ht <- phtest(wi, re)
  theta <- if (is.list(e$theta)) e$theta$id else e$theta
  ids <- as.character(index(pd)[[1]])
  theta_by_firm <- tapply(as.numeric(theta), ids, function(v) v[1])
  out <- list(
    n = nrow(d), firms = length(unique(d$firm)),
    pooling = fit(pool), within = fit(wi), twoways = fit(tw), random = fit(re),
    ercomp = list(sigma2_idios = unname(e$sigma2[["idios"]]), sigma2_id = unname(e$sigma2[["id"]]),
                  theta = as.list(theta_by_firm)),
    pftest = list(stat = unname(ft$statistic), df1 = unname(ft$parameter[1]),
                  df2 = unname(ft$parameter[2]), p = unname(ft$p.value)),
    pftest_twoways = list(stat = unname(ft2$statistic), df1 = unname(ft2$parameter[1]),
                          df2 = unname(ft2$parameter[2]), p = unname(ft2$p.value)),
    phtest = list(stat = unname(ht$statistic), df = unname(ht$parameter), p = unname(ht$p.value))
  )
  # CR1 (Stata vce(cluster) / fixest) with t(G-1), by cluster column(s)
  for (cl in c("firm", cluster)) {
    fcl <- as.formula(paste0("~", cl))
    # fixef.rm = "none": keep singleton effects (years seen once), as plm and pairnet do
    m_pool <- feols(y ~ x1 + x2 + x3, data = d, cluster = fcl)
    m_fe <- feols(y ~ x1 + x2 + x3 | firm, data = d, cluster = fcl, fixef.rm = "none")
    m_tw <- feols(y ~ x1 + x2 + x3 | firm + year, data = d, cluster = fcl,
                  fixef.rm = "none", fixef.tol = 1e-10)
    # RE: OLS on plm's quasi-demeaned data, sandwich::vcovCL with HC1 = (N-1)/(N-K) and
    # cadjust = G/(G-1): the CR1 of the transformed regression
    Xq <- model.matrix(re); yq <- pmodel.response(re, model = "random")
    lq <- lm(yq ~ Xq - 1)
    stopifnot(max(abs(coef(lq) - coef(re))) < 1e-10)
    grp <- as.character(pd[[cl]])  # in plm's (sorted) row order
    Vq <- vcovCL(lq, cluster = grp, type = "HC1", cadjust = TRUE)
    G <- length(unique(grp))
    se_q <- sqrt(diag(Vq)); tq <- coef(lq) / se_q
    names(se_q) <- names(coef(re)); names(tq) <- names(coef(re))
    qq <- qt(0.975, G - 1)
    re_blk <- list(se = named(se_q), p = named(2 * pt(-abs(tq), G - 1)), t_df = G - 1,
                   ci_low = named(coef(re) - qq * se_q), ci_high = named(coef(re) + qq * se_q))
    blk <- list(G = G, pooling = crv1_block(m_pool), within = crv1_block(m_fe),
                twoways = crv1_block(m_tw), random = re_blk)
    if (do_wild && G == 12) {
      dq <- data.frame(yq = yq, Xq, grp = grp, check.names = TRUE)
      colnames(dq)[2:5] <- c("const", xs)
      lre <- lm(yq ~ const + x1 + x2 + x3 - 1, data = dq)
      d$grp <- as.character(d[[cl]])  # in the file's row order
      blk$wild <- list(
        pooling = wild(lm(y ~ x1 + x2 + x3, data = d), c("(Intercept)", xs), "grp"),
        # fwildclusterboot 0.14.3 cannot read fixest 0.14.2 models with fixed effects here
        # ("+1 | firm"): the same regressions with the effects as dummies, via lm
        within = wild(lm(y ~ x1 + x2 + x3 + factor(firm), data = d), xs, "grp"),
        twoways = wild(lm(y ~ x1 + x2 + x3 + factor(firm) + factor(year), data = d), xs,
                       "grp"),
        random = wild(lre, c("const", xs), "grp"))
    }
    out[[paste0("crv1_", cl)]] <- blk
  }
  out
}

res <- list(
  meta = list(R = R.version.string, plm = as.character(packageVersion("plm")),
              fixest = as.character(packageVersion("fixest")),
              sandwich = as.character(packageVersion("sandwich")),
              fwildclusterboot = as.character(packageVersion("fwildclusterboot")),
              model = "y ~ x1 + x2 + x3; index firm, year; random.method = swar"),
  a = one_panel("unbalanced_a.csv", cluster = "region", do_wild = TRUE),
  b = one_panel("unbalanced_b.csv", do_wild = TRUE),
  c = one_panel("unbalanced_c.csv")
)
write_json(res, "plm_unbalanced.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
cat("wrote plm_unbalanced.json\n")
