library(testthat)
library(netsurv)

test_check("netsurv")
