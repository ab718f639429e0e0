/*
 * optim_internal.h — what registry.c, kernels.c and optimizer.c share inside
 * the optim layer: the step functions the registry table points at.
 * Adding an optimizer = one step function here and in kernels.c, plus one entry
 * in registry.c's table.
 */
#ifndef OPTLAB_OPTIM_INTERNAL_H
#define OPTLAB_OPTIM_INTERNAL_H

#include "optlab/optim.h"

void ol_step_sgd(const ol_optim_step_args *a);
void ol_step_rmsprop(const ol_optim_step_args *a);
void ol_step_adam(const ol_optim_step_args *a);
void ol_step_adagrad(const ol_optim_step_args *a);
void ol_step_adadelta(const ol_optim_step_args *a);
void ol_step_nadam(const ol_optim_step_args *a);
void ol_step_adabelief(const ol_optim_step_args *a);
/* the rest of torch.optim 1.13 */
void ol_step_adamax(const ol_optim_step_args *a);
void ol_step_radam(const ol_optim_step_args *a);
void ol_step_asgd(const ol_optim_step_args *a);
void ol_step_rprop(const ol_optim_step_args *a);

#endif
