/*
 * optim_internal.h — what registry.c, kernels.c and optimizer.c share inside
 * the optim layer: the step functions the registry table points at.
 * Adding an optimizer = one step function here and in kernels.c, plus one entry
 * in registry.c's table.
 */
#ifndef OPTLAB_OPTIM_INTERNAL_H
#define OPTLAB_OPTIM_INTERNAL_H

#include "optlab/optim.h"

/* 1: Muon's matrix products and L-BFGS's dot products call CBLAS (liboptlab, whose
 * results the goldens pin to the bit); 0: plain C loops, so that liboptlab-optim
 * links libm only. The Makefile compiles src/optim/ twice, once each way. */
#ifndef OL_OPTIM_BLAS
#define OL_OPTIM_BLAS 1
#endif

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
/* the rest of torch.optim 1.13 */
void ol_step_adamax(const ol_optim_step_args *a);
void ol_step_radam(const ol_optim_step_args *a);
void ol_step_asgd(const ol_optim_step_args *a);
void ol_step_rprop(const ol_optim_step_args *a);

/* The modern optimizers (kernels_modern.c, registry_modern.c): */
void ol_step_lion(const ol_optim_step_args *a);
void ol_step_lamb(const ol_optim_step_args *a);
void ol_step_adafactor(const ol_optim_step_args *a);
void ol_step_sfadamw(const ol_optim_step_args *a);
void ol_step_muon(const ol_optim_step_args *a);
void ol_step_prodigy(const ol_optim_step_args *a);
void ol_prodigy_after_groups(double *const *scalars, size_t n_groups, const double *hp);
void ol_sfadamw_eval_params(const ol_optim_step_args *a, int eval);
size_t ol_adafactor_scratch_floats(const ol_tensor_view *tensors, size_t n_tensors);
size_t ol_muon_scratch_floats(const ol_tensor_view *tensors, size_t n_tensors);
extern const ol_optim_info ol_modern_optimizers[];
extern const size_t ol_modern_optim_count;
#pragma GCC visibility pop

#endif
