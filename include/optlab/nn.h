/*
 * optlab/nn.h — the neural-network layer: a model described as data (a spec
 * string), its forward and backward passes over batches, PyTorch's default
 * initialisation, and the two losses the seed experiment needs.
 *
 * Memory: all parameters live in ONE contiguous float
 * buffer and all gradients in another of the same layout, so an optimizer
 * updates a model as one flat array. The order and layout are PyTorch's
 * state_dict: for each layer with parameters, in spec order, its weight then
 * its bias; a conv weight is [out][in][kh][kw], a linear weight [out][in].
 * Concatenating torch's parameters therefore gives this buffer.
 * Activations and scratch space are allocated once, for `max_batch` images,
 * when the model is created: forward and backward never allocate.
 *
 * A model object is not thread-safe; use one per thread.
 */
#ifndef OPTLAB_NN_H
#define OPTLAB_NN_H

#include <stddef.h>
#include <stdint.h>

#include "optlab/core.h"

#ifdef __cplusplus
extern "C" {
#endif
OL_BEGIN_API

/*
 * Model spec: layers separated by white space, applied left to right.
 * '#' starts a comment running to the end of the line, so a spec file's
 * contents can be passed as they are (see ol_model_spec_read_file).
 *
 *   convNkK[pP]  Conv2d with N output channels, K×K kernel, stride 1, zero
 *                padding P (default 0); e.g. conv32k3p1, conv64k3
 *   maxpool2     MaxPool2d(2, 2) (odd sizes are floored, as PyTorch does)
 *   relu         max(0, x), elementwise
 *   sigmoid      1 / (1 + exp(-x)), elementwise
 *   tanh         tanh(x), elementwise
 *   flatten      C×H×W → C·H·W features, channel-major (PyTorch's view(-1, n))
 *   linearN      Linear with N outputs (its input must be flat)
 *   softmax      softmax over the features (its input must be flat)
 *
 * The last layer's output must be flat; its width is the number of classes.
 * Parse errors name the token (and its position) at fault.
 */

/** The CNN of the seed note's reference run: 121,994 parameters on 1×28×28 input. */
#define OL_SEED_CNN_SPEC \
    "conv32k3p1 relu maxpool2 conv64k3 relu maxpool2 conv64k3 relu flatten " \
    "linear64 sigmoid linear10 softmax"

typedef struct ol_model ol_model;

/**
 * Which loss ol_model_train_batch minimises; both are the mean over the batch.
 *
 * OL_LOSS_SEED: the seed run's loss. p = the model's output (after its final
 *   softmax layer, if any), then cross-entropy that applies log-softmax again:
 *   loss = -log softmax(p)[y]. With a final softmax this is softmax twice.
 * OL_LOSS_LOGITS: ordinary cross-entropy on logits, loss = -log softmax(z)[y],
 *   where z is the input of the final softmax layer if the spec ends in
 *   softmax (that layer is then skipped for the loss and its backward), or the
 *   model's output otherwise. ol_model_forward still returns the softmax
 *   layer's output, so the probabilities seen there are softmax(z).
 */
typedef enum { OL_LOSS_SEED = 0, OL_LOSS_LOGITS = 1 } ol_loss_kind;

/**
 * Parse `spec` and build a model for inputs of in_c×in_h×in_w, with buffers for
 * up to `max_batch` images per train_batch/forward call. Parameters are zero
 * until ol_model_init or a write through ol_model_params.
 * A model whose ol_model_memory estimate exceeds ol_model_max_memory() is
 * refused (OL_EINVAL) before anything is allocated, the message naming both figures.
 */
ol_status ol_model_create(ol_model **out, const char *spec, int in_c, int in_h, int in_w,
                          int max_batch, ol_error *err);

/** Free a model (NULL is fine). */
void ol_model_free(ol_model *m);

/** Default of ol_model_max_memory: 4 GiB. */
#define OL_MODEL_MAX_MEMORY_DEFAULT (4.0 * 1024 * 1024 * 1024)

/**
 * Estimate, without allocating, the bytes ol_model_create would allocate for
 * `spec` (parameters, gradients, every layer's activations and backward buffers
 * for max_batch images, im2col scratch). The optimizer's state (up to two or
 * three more copies of the parameters) comes on top. Fails as the spec parser does.
 */
ol_status ol_model_memory(const char *spec, int in_c, int in_h, int in_w, int max_batch, double *bytes,
                          ol_error *err);

/**
 * The largest model ol_model_create builds, in bytes: $OPTLAB_MAX_MEMORY when
 * set (a number of bytes, or with a suffix K, M, G or T: "8G"; "0" or "none"
 * lifts the limit), else OL_MODEL_MAX_MEMORY_DEFAULT. A value that does not
 * parse counts as the default.
 */
double ol_model_max_memory(void);

/**
 * Read a spec file whole into a malloc'd string (*out, free it) — convenience
 * for callers that take the architecture from a file. Errors name the file.
 */
ol_status ol_model_spec_read_file(const char *path, char **out, ol_error *err);

/** Number of float parameters (121,994 for the seed CNN). */
size_t ol_model_num_params(const ol_model *m);

/** The contiguous parameter buffer (state_dict order, see above). */
float *ol_model_params(ol_model *m);

/** The gradient buffer, same layout as the parameters. */
float *ol_model_grads(ol_model *m);

/** Width of the last layer's output (10 for the seed CNN). */
int ol_model_num_classes(const ol_model *m);

/** Largest batch train_batch / forward accept in one call. */
int ol_model_max_batch(const ol_model *m);

/** Floats in one input image (in_c·in_h·in_w). */
size_t ol_model_input_size(const ol_model *m);

/**
 * PyTorch's default initialisation for Conv2d and Linear: weights and biases
 * uniform in ±1/sqrt(fan_in), fan_in = in_channels·kh·kw or in_features.
 * Draws from `rng` in parameter-buffer order (deterministic for a seed).
 */
void ol_model_init(ol_model *m, ol_rng *rng);

/**
 * Forward and backward on a batch (1 <= batch <= max_batch) of images laid
 * out [batch][in_c][in_h][in_w]; labels in [0, classes). Writes the batch-mean
 * loss to *loss_out (may be NULL) and OVERWRITES the gradient buffer.
 * Fails with OL_EINVAL on a bad batch size or label, OL_EDIVERGED if the
 * loss is not finite (gradients are then still written).
 */
ol_status ol_model_train_batch(ol_model *m, const float *x, const uint8_t *labels, int batch,
                               ol_loss_kind loss, float *loss_out, ol_error *err);

/**
 * Forward only over n images (any n >= 0: processed in chunks of max_batch);
 * writes the predicted class (argmax of the last layer, first on ties).
 */
ol_status ol_model_predict(ol_model *m, const float *x, int n, int *pred_out, ol_error *err);

/**
 * Forward only over n images (any n >= 0, chunked): writes the last layer's
 * output, n × classes (probabilities when the spec ends in softmax).
 */
ol_status ol_model_forward(ol_model *m, const float *x, int n, float *out, ol_error *err);

/** Kinds of layer, as reported by ol_model_layer_stats. */
typedef enum {
    OL_LAYER_CONV = 0,
    OL_LAYER_MAXPOOL,
    OL_LAYER_RELU,
    OL_LAYER_SIGMOID,
    OL_LAYER_TANH,
    OL_LAYER_FLATTEN,
    OL_LAYER_LINEAR,
    OL_LAYER_SOFTMAX
} ol_layer_kind;

/** Diagnostics of one layer after the last forward / train_batch call. */
typedef struct {
    ol_layer_kind kind;
    char token[32];          /**< the spec token, e.g. "conv32k3p1" */
    size_t param_offset;     /**< first index in the parameter buffer (layers with params) */
    size_t param_count;      /**< weights + biases, 0 for layers without parameters */
    double weight_norm;      /**< L2 norm of the layer's weights+biases (0 if none) */
    double grad_norm;        /**< L2 norm of its gradients (after train_batch; 0 if none) */
    double frac_dead;        /**< relu: fraction of outputs exactly 0; sigmoid: < 0.01 or > 0.99;
                                  tanh: |y| > 0.99; otherwise 0 */
    double frac_dead_units;  /**< relu: fraction of output units (one per element of an image's
                                  output) that are 0 for EVERY image of the last batch — "dead";
                                  otherwise 0 */
    double out_mean;         /**< mean of the layer's output over the last batch */
} ol_layer_stats;

/** Number of layers in the spec. */
int ol_model_num_layers(const ol_model *m);

/**
 * Fill up to `max` entries of `out` with per-layer statistics computed from
 * the activations of the last forward or train_batch call (one pass over the
 * stored activations: call it when needed, not every step). Returns the
 * number of layers (may exceed max).
 */
int ol_model_layer_stats(const ol_model *m, ol_layer_stats *out, int max);

/**
 * One parameter tensor of a model, for optimizers that need shapes (LAMB,
 * Adafactor, Muon: see ol_optimizer_set_shapes in optim.h, which train.c feeds
 * from this list). A conv weight [out][in][kh][kw] is the matrix
 * out x (in*kh*kw), a linear weight out x in; biases are 1-D.
 */
typedef struct {
    char name[48];        /**< layer index and spec token, e.g. "4:conv64k3.weight", "10:linear10.bias" */
    size_t offset;        /**< first index in the parameter buffer */
    size_t rows, cols;    /**< 2-D: rows x cols (row-major); 1-D: rows values and cols = 0 */
} ol_model_tensor;

/**
 * The model's parameter tensors in buffer order (each layer's weight, then its
 * bias), covering the whole parameter buffer. Fills up to `max` entries of
 * `out` (out may be NULL when max is 0) and returns the number of tensors
 * (10 for the seed CNN), which may exceed max.
 */
int ol_model_tensors(const ol_model *m, ol_model_tensor *out, int max);

OL_END_API
#ifdef __cplusplus
}
#endif
#endif
