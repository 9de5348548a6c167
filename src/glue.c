/* glue.c -- helpers shared by the .Call glue. */
#include <R_ext/Utils.h>

#include "glue.h"

static void check_interrupt(void *unused)
{
  (void) unused;
  R_CheckUserInterrupt();
}

int ns_glue_interrupted(void *context, double fraction_done)
{
  (void) context;
  (void) fraction_done;
  /* FALSE when R_CheckUserInterrupt jumped, i.e. the user pressed Ctrl-C. */
  return R_ToplevelExec(check_interrupt, NULL) == FALSE;
}
