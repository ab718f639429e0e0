/*
 * optim_internal.h — what registry.c, kernels.c and optimizer.c share inside
 * the optim layer: the step functions the registry table points at.
 * Adding an optimizer = one step function here and in kernels.c, plus one entry
 * in registry.c's table.
 */
#ifndef OPTLAB_OPTIM_INTERNAL_H
#define OPTLAB_OPTIM_INTERNAL_H

#include "optlab/optim.h"

/* Internal to liboptlab. Explicit because GCC gives target_clones functions
 * (kernels.c's OL_KERNEL) default visibility despite -fvisibility=hidden; their
 * .resolver symbols are hidden by the Makefile's version script. */
#pragma GCC visibility push(hidden)
void ol_step_sgd(const ol_optim_step_args *a);
void ol_step_rmsprop(const ol_optim_step_args *a);
void ol_step_adam(const ol_optim_step_args *a);
void ol_step_adagrad(const ol_optim_step_args *a);
void ol_step_adadelta(const ol_optim_step_args *a);
void ol_step_nadam(const ol_optim_step_args *a);
void ol_step_adabelief(const ol_optim_step_args *a);

#pragma GCC visibility pop

#endif
