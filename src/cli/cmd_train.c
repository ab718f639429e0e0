/*
 * cmd_train.c — `optlab train`: one training run of PROTOCOL.md from the
 * command line (load the dataset, make the splits from the seed, build the
 * model and the optimizer, train with early stopping, report valid-trial and
 * test accuracy). The same seed prints the same output byte for byte, except
 * the "seconds:" line, which stands alone so a comparison can drop it.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "options.h"
#include "progress.h"
#include "optlab/conventions.h"
#include "optlab/data.h"
#include "optlab/nn.h"
#include "optlab/optim.h"
#include "optlab/train.h"

static void train_usage(FILE *out) {
    fputs("usage: optlab train --optimizer NAME [--set NAME=VALUE,...] [--dataset NAME] [--data DIR]\n"
          "                    [--loss reference|logits] [--seed N] [--model SPEC] [--split T,VE,VT,TEST]\n"
          "                    [--max-epochs N] [--patience N] [--batch-size N] [--schedule NAME[:JSON]] [--quiet]\n"
          "\n"
          "Train one model as the seed experiment does (../shared/PROTOCOL.md): batches of 32\n"
          "reshuffled every epoch, early stopping with patience 5 on valid-epoch accuracy, the best\n"
          "epoch's weights restored; then valid-trial and test accuracy.\n"
          "\n"
          "options:\n"
          "  --optimizer NAME     optimizer from `optlab optimizers` (e.g. adam, adamw, adadelta)\n"
          "  --set SETTINGS       hyperparameters, e.g. learning_rate=1e-3,beta1=0.9\n"
          "  --dataset NAME       mnist (default) or fashion-mnist\n"
          "  --data DIR           data directory (default $OPTLAB_DATA, else ./data); MNIST in DIR/mnist\n"
          "  --loss KIND          reference (softmax, then cross-entropy: the seed note's run; default;\n"
          "                       `seed` is its old name) or logits (cross-entropy on logits)\n"
          "  --seed N             one seed for split, initialisation and shuffling (default 20250228)\n"
          "  --model SPEC         model spec (default: the seed CNN); @FILE reads it from a file\n"
          "  --split T,VE,VT,TEST split sizes (default 1000,2000,5000,10000)\n"
          "  --max-epochs N       at most N epochs (default 65536)\n"
          "  --patience N         early-stopping patience (default 5)\n"
          "  --batch-size N       mini-batch size (default 32)\n"
          "  --quiet              no per-epoch lines and no status line: only the summary\n"
          "  --schedule NAME[:JSON]  learning-rate schedule, torch.optim.lr_scheduler's name and keyword\n"
          "                       arguments, e.g. CosineAnnealingLR:'{\"T_max\": 20}'; stepped after every\n"
          "                       epoch, OneCycleLR after every batch; ReduceLROnPlateau watches the\n"
          "                       valid-epoch accuracy (mode \"max\"). See docs/schedules.md\n"
          "  --help               this text\n"
          "\n"
          "Output: one line per epoch (counted from 0, as storage's best_epoch and intermediate steps),\n"
          "then the best epoch, valid-trial and test accuracy. On a terminal a status line below them\n"
          "shows the best epoch, the patience left and the time it needs at the measured rate.\n"
          "Everything but the final \"seconds:\" line is identical for identical arguments.\n"
          "Options take VALUE as --opt VALUE or --opt=VALUE. Fetch MNIST first with `make data`.\n",
          out);
}

static int parse_split(const cli_parser *p, const char *text, ol_split_sizes *s) {
    int v[4];
    const char *q = text;
    for (int i = 0; i < 4; i++) {
        char *end;
        errno = 0;
        long x = strtol(q, &end, 10);
        if (errno || end == q || x < 1 || x > 100000000L || (i < 3 ? *end != ',' : *end != '\0'))
            return cli_usage_error(p, "--split: '%s' is not four positive sizes TRAIN,VALID_EPOCH,VALID_TRIAL,TEST",
                                   text);
        v[i] = (int)x;
        q = end + 1;
    }
    *s = (ol_split_sizes){v[0], v[1], v[2], v[3]};
    return 0;
}

/*
 * --set names each hyperparameter once: "lr=1e-3,lr=2e-3" (or lr and its
 * canonical name learning_rate) would silently keep the last value. Aliases
 * are resolved through the registry; "betas" counts as beta1 and beta2.
 * Returns 0, or fills msg.
 */
static int settings_repeat(const ol_optim_info *info, const char *settings, char *msg, size_t n) {
    const char *seen[64];
    size_t n_seen = 0;
    const char *s = settings;
    while (*s) {
        char item[256];
        size_t k = 0;
        int depth = 0;
        while (*s && (depth > 0 || *s != ',')) {
            if (*s == '(' || *s == '[') depth++;
            if (*s == ')' || *s == ']') depth--;
            if (k + 1 < sizeof item) item[k++] = *s;
            s++;
        }
        item[k] = '\0';
        if (*s == ',') s++;
        char *eq = strchr(item, '=');
        if (!eq) continue; /* the library names malformed items */
        *eq = '\0';
        char *name = item;
        while (*name == ' ') name++;
        for (char *e = eq - 1; e >= name && *e == ' '; e--) *e = '\0';
        const char *canon[2] = {NULL, NULL};
        if (!strcasecmp(name, "betas")) {
            canon[0] = "beta1";
            canon[1] = "beta2";
        } else {
            const ol_hparam_info *h = ol_optim_find_hparam(info, name);
            canon[0] = h ? h->name : NULL;
        }
        for (int c = 0; c < 2 && canon[c]; c++) {
            for (size_t j = 0; j < n_seen; j++)
                if (!strcmp(seen[j], canon[c])) {
                    snprintf(msg, n, "--set gives %s twice ('%s'); give each hyperparameter once", canon[c],
                             settings);
                    return 1;
                }
            if (n_seen < sizeof seen / sizeof seen[0]) seen[n_seen++] = canon[c];
        }
    }
    return 0;
}

typedef struct {
    cli_progress progress;
    int patience;
    int max_epochs;
    int best_epoch; /* from 0, as stored (best_epoch attribute, intermediate-value step) */
    double best_acc;
} epoch_display;

static int show_epoch(void *user, int epoch, double train_loss, double valid_epoch_acc) {
    epoch_display *d = user;
    int step = epoch - 1; /* the library counts epochs from 1; optlab shows and stores them from 0 */
    if (valid_epoch_acc > d->best_acc) {
        d->best_acc = valid_epoch_acc;
        d->best_epoch = step;
    }
    char line[128];
    snprintf(line, sizeof line, "epoch %d  loss %.4f  valid-epoch %.4f", step, train_loss, valid_epoch_acc);
    cli_progress_line(&d->progress, line);
    cli_progress_epochs(&d->progress, step, d->best_epoch, d->best_acc, d->patience, d->max_epochs);
    return 0;
}

enum { T_OPTIMIZER, T_SET, T_DATASET, T_DATA, T_LOSS, T_SEED, T_MODEL, T_SPLIT, T_MAX_EPOCHS, T_PATIENCE,
       T_BATCH, T_QUIET, T_SCHEDULE };

int cmd_train(int argc, char **argv) {
    static const cli_option opts[] = {
        {"optimizer", 1, T_OPTIMIZER}, {"set", 1, T_SET},       {"dataset", 1, T_DATASET},
        {"data", 1, T_DATA},           {"loss", 1, T_LOSS},     {"seed", 1, T_SEED},
        {"model", 1, T_MODEL},         {"split", 1, T_SPLIT},   {"max-epochs", 1, T_MAX_EPOCHS},
        {"patience", 1, T_PATIENCE},   {"batch-size", 1, T_BATCH}, {"quiet", 0, T_QUIET},
        {"schedule", 1, T_SCHEDULE},
        {NULL, 0, 0}};
    const char *optimizer = NULL, *settings = NULL, *dataset = "mnist", *data_opt = NULL;
    const char *model_arg = OL_SEED_CNN_SPEC;
    const char *schedule_arg = NULL;
    ol_split_sizes sizes = OL_SPLIT_SIZES_SEED;
    ol_train_config cfg;
    ol_train_config_default(&cfg);
    int quiet = 0;

    cli_parser p;
    cli_begin(&p, "train", argc, argv, opts);
    const char *v;
    for (int c; (c = cli_next(&p, &v)) != CLI_OPT_END;) {
        int bad = 0;
        switch (c) {
        case CLI_OPT_HELP: train_usage(stdout); return 0;
        case CLI_OPT_ERROR: return CLI_EXIT_USAGE;
        case T_OPTIMIZER: optimizer = v; break;
        case T_SET: settings = v; break;
        case T_DATASET:
            if (strcmp(v, "mnist") && strcmp(v, "fashion-mnist"))
                return cli_usage_error(&p, "--dataset: unknown dataset '%s' (mnist or fashion-mnist)", v);
            dataset = v;
            break;
        case T_DATA: data_opt = v; break;
        case T_LOSS:
            if (ol_loss_name_is_reference(v)) cfg.loss = OL_LOSS_SEED;
            else if (!strcmp(v, "logits")) cfg.loss = OL_LOSS_LOGITS;
            else return cli_usage_error(&p, "--loss: unknown loss '%s' (reference or logits)", v);
            break;
        case T_SEED: bad = cli_parse_u64(&p, "--seed", v, &cfg.seed); break;
        case T_MODEL: model_arg = v; break;
        case T_SPLIT: bad = parse_split(&p, v, &sizes); break;
        case T_MAX_EPOCHS: bad = cli_parse_int(&p, "--max-epochs", v, 1, 1000000000, &cfg.max_epochs); break;
        case T_PATIENCE: bad = cli_parse_int(&p, "--patience", v, 1, 1000000000, &cfg.patience); break;
        case T_BATCH: bad = cli_parse_int(&p, "--batch-size", v, 1, 1000000000, &cfg.batch_size); break;
        case T_QUIET: quiet = 1; break;
        case T_SCHEDULE: schedule_arg = v; break;
        }
        if (bad) return CLI_EXIT_USAGE;
    }
    if (cli_operand_count(&p)) return cli_usage_error(&p, "unexpected argument '%s'", cli_operands(&p)[0]);
    if (!optimizer) return cli_usage_error(&p, "--optimizer NAME is required (`optlab optimizers` lists them)");

    ol_error err = {0};
    ol_optimizer *opt = NULL;
    ol_schedule *schedule = NULL;
    char schedule_name[64] = "";
    const char *schedule_json = NULL;
    ol_model *model = NULL;
    char *spec_from_file = NULL;
    ol_corpus corpus;
    ol_splits splits;
    ol_train_result res;
    memset(&corpus, 0, sizeof corpus);
    memset(&splits, 0, sizeof splits);
    memset(&res, 0, sizeof res);
    int rc = 1;

    /* Check the cheap things (optimizer, settings, model) before loading data. */
    if (ol_optimizer_create(&opt, optimizer, &err) != OL_OK) {
        rc = cli_usage_error(&p, "--optimizer: %s", err.msg);
        goto out;
    }
    char repeat[512];
    if (settings && settings_repeat(ol_optimizer_info(opt), settings, repeat, sizeof repeat)) {
        rc = cli_usage_error(&p, "%s", repeat);
        goto out;
    }
    if (settings && ol_optimizer_set_from_string(opt, settings, &err) != OL_OK) {
        rc = cli_usage_error(&p, "--set: %s", err.msg);
        goto out;
    }
    if (schedule_arg) { /* NAME or NAME:JSON; checked against the optimizer before any data is read */
        const char *colon = strchr(schedule_arg, ':');
        size_t len = colon ? (size_t)(colon - schedule_arg) : strlen(schedule_arg);
        if (len == 0 || len >= sizeof schedule_name) {
            rc = cli_usage_error(&p, "--schedule: '%s' is not NAME or NAME:{json}", schedule_arg);
            rc = 2;
            goto out;
        }
        memcpy(schedule_name, schedule_arg, len);
        schedule_name[len] = '\0';
        schedule_json = colon ? colon + 1 : NULL;
        if (ol_schedule_create(&schedule, opt, schedule_name, schedule_json, &err) != OL_OK) {
            cli_error("--schedule: %s", err.msg);
            rc = 2;
            goto out;
        }
        cfg.schedule = schedule;
        if (ol_train_check_schedule(&cfg, sizes.train, &err) != OL_OK) {
            cli_error("train: --schedule: %s", err.msg);
            rc = 2;
            goto out;
        }
    }
    const char *spec = model_arg;
    if (model_arg[0] == '@') {
        if (ol_model_spec_read_file(model_arg + 1, &spec_from_file, &err) != OL_OK) {
            rc = cli_error("train: --model: %s", err.msg);
            goto out;
        }
        spec = spec_from_file;
    }
    const char *data_dir = ol_data_dir(data_opt);
    if (ol_corpus_load(&corpus, data_dir, dataset, &err) != OL_OK) {
        rc = cli_error("train: %s", err.msg);
        goto out;
    }
    if (ol_splits_make(&splits, &corpus, &sizes, cfg.seed, &err) != OL_OK) {
        rc = cli_error("train: %s", err.msg);
        goto out;
    }
    /* Evaluation goes faster in larger chunks; training uses batch_size. */
    int max_batch = cfg.batch_size > 256 ? cfg.batch_size : 256;
    if (ol_model_create(&model, spec, 1, corpus.height, corpus.width, max_batch, &err) != OL_OK) {
        rc = cli_error("train: --model: %s", err.msg);
        goto out;
    }

    printf("dataset: %s from %s: train %d, valid-epoch %d, valid-trial %d, test %d\n", corpus.name, corpus.dir,
           splits.train.n, splits.valid_epoch.n, splits.valid_trial.n, splits.test.n);
    printf("model: %zu parameters: %s\n", ol_model_num_params(model), model_arg);
    const ol_optim_info *info = ol_optimizer_info(opt);
    printf("optimizer: %s", info->name);
    for (size_t h = 0; h < info->n_hparams; h++) {
        double value;
        if (ol_optimizer_get(opt, info->hparams[h].name, &value, &err) == OL_OK)
            printf("%s%s=%.6g", h ? "," : " ", info->hparams[h].name, value);
    }
    printf("\nloss: %s, batch %d, patience %d, max epochs %d, seed %llu\n", cfg.loss == OL_LOSS_SEED ? OL_LOSS_NAME_REFERENCE : OL_LOSS_NAME_LOGITS,
           cfg.batch_size, cfg.patience, cfg.max_epochs, (unsigned long long)cfg.seed);
    if (schedule)
        printf("schedule: %s %s, stepped after every %s\n", ol_schedule_name(schedule),
               schedule_json && *schedule_json ? schedule_json : "{}", ol_schedule_per_batch(schedule) ? "batch" : "epoch");
    fflush(stdout);

    epoch_display display = {.patience = cfg.patience, .max_epochs = cfg.max_epochs, .best_acc = -1};
    cli_progress_start(&display.progress, stdout, "train", quiet);
    cfg.on_epoch = show_epoch;
    cfg.user = &display;
    ol_status st = ol_train_run(model, opt, &splits.train, &splits.valid_epoch, &splits.valid_trial, &cfg, &res, &err);
    cli_progress_end(&display.progress);
    if (st != OL_OK) {
        rc = cli_error("train: %s", err.msg);
        goto out;
    }
    double test_acc = NAN;
    if (res.best_epoch > 0 && ol_evaluate_accuracy(model, &splits.test, &test_acc, &err) != OL_OK) {
        rc = cli_error("train: test accuracy: %s", err.msg);
        goto out;
    }
    printf("status: %s%s\n", ol_run_status_name(res.status), res.never_learned ? " (never learned: no better than always answering the most frequent class)" : "");
    printf("epochs: %d\n", res.epochs_run);
    /* from 0, as stored in best_epoch and as the epoch lines count; -1: no epoch completed */
    printf("best epoch: %d\n", res.best_epoch - 1);
    printf("valid-epoch accuracy: %.4f\n", res.best_valid_epoch_acc);
    printf("valid-trial accuracy: %.4f\n", res.valid_trial_acc);
    printf("test accuracy: %.4f\n", test_acc);
    printf("seconds: %.1f\n", res.seconds);
    rc = 0;

out:
    ol_train_result_free(&res);
    ol_splits_free(&splits);
    ol_corpus_free(&corpus);
    ol_model_free(model);
    ol_schedule_free(schedule);
    ol_optimizer_free(opt);
    free(spec_from_file);
    return rc;
}
