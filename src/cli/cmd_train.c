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
#include <unistd.h>

#include "cli.h"
#include "optlab/data.h"
#include "optlab/nn.h"
#include "optlab/optim.h"
#include "optlab/train.h"

static void train_usage(FILE *out) {
    fputs("usage: optlab train --optimizer NAME [--set NAME=VALUE,...] [options]\n"
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
          "  --loss KIND          seed (softmax twice, as the seed ran; default) or logits\n"
          "  --seed N             one seed for split, initialisation and shuffling (default 20250228)\n"
          "  --model SPEC         model spec (default: the seed CNN); @FILE reads it from a file\n"
          "  --split T,VE,VT,TEST split sizes (default 1000,2000,5000,10000)\n"
          "  --max-epochs N       at most N epochs (default 65536)\n"
          "  --patience N         early-stopping patience (default 5)\n"
          "  --batch-size N       mini-batch size (default 32)\n"
          "  --schedule NAME[:JSON]  learning-rate schedule, torch.optim.lr_scheduler's name and keyword\n"
          "                       arguments, e.g. CosineAnnealingLR:'{\"T_max\": 20}'; stepped after every\n"
          "                       epoch, OneCycleLR after every batch; ReduceLROnPlateau watches the\n"
          "                       valid-epoch accuracy (mode \"max\"). See docs/schedules.md\n"
          "  --help               this text\n"
          "\n"
          "Output: one line per epoch (a progress bar instead when stdout is a terminal), then the\n"
          "best epoch, valid-trial and test accuracy. Everything but the final \"seconds:\" line is\n"
          "identical for identical arguments. Fetch MNIST first with `make data`.\n",
          out);
}

static int parse_int(const char *opt, const char *text, int min, int *out) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < min || v > 1000000000L)
        return cli_error("%s: '%s' is not a whole number >= %d", opt, text, min);
    *out = (int)v;
    return 0;
}

static int parse_split(const char *text, ol_split_sizes *s) {
    int v[4];
    const char *p = text;
    for (int i = 0; i < 4; i++) {
        char *end;
        errno = 0;
        long x = strtol(p, &end, 10);
        if (errno || end == p || x < 1 || x > 100000000L || (i < 3 ? *end != ',' : *end != '\0'))
            return cli_error("--split: '%s' is not four positive sizes TRAIN,VALID_EPOCH,VALID_TRIAL,TEST", text);
        v[i] = (int)x;
        p = end + 1;
    }
    *s = (ol_split_sizes){v[0], v[1], v[2], v[3]};
    return 0;
}

typedef struct {
    int is_tty;
    ol_progress progress;
    int patience;
    int max_epochs;
    int best_epoch;
    double best_acc;
} epoch_display;

static int show_epoch(void *user, int epoch, double train_loss, double valid_epoch_acc) {
    epoch_display *d = user;
    if (valid_epoch_acc > d->best_acc) {
        d->best_acc = valid_epoch_acc;
        d->best_epoch = epoch;
    }
    if (d->is_tty) {
        /* The run ends at best + patience unless it improves again: show that as the total. */
        d->progress.total = d->best_epoch + d->patience < d->max_epochs ? d->best_epoch + d->patience : d->max_epochs;
        char status[128];
        snprintf(status, sizeof status, "epoch %d  loss %.4f  valid-epoch %.4f  best %.4f (epoch %d)", epoch,
                 train_loss, valid_epoch_acc, d->best_acc, d->best_epoch);
        ol_progress_update(&d->progress, epoch, status, 1);
    } else {
        printf("epoch %d  loss %.4f  valid-epoch %.4f\n", epoch, train_loss, valid_epoch_acc);
        fflush(stdout);
    }
    return 0;
}

int cmd_train(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        train_usage(stdout);
        return 0;
    }
    const char *optimizer = NULL, *settings = NULL, *dataset = "mnist", *data_opt = NULL;
    const char *model_arg = OL_SEED_CNN_SPEC;
    const char *schedule_arg = NULL;
    ol_split_sizes sizes = OL_SPLIT_SIZES_SEED;
    ol_train_config cfg;
    ol_train_config_default(&cfg);

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0) return cli_error("train: unexpected argument '%s' (see `optlab train --help`)", a);
        if (i + 1 >= argc) return cli_error("train: %s needs a value (see `optlab train --help`)", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--optimizer")) optimizer = v;
        else if (!strcmp(a, "--set")) settings = v;
        else if (!strcmp(a, "--dataset")) {
            if (strcmp(v, "mnist") && strcmp(v, "fashion-mnist"))
                return cli_error("--dataset: unknown dataset '%s' (mnist or fashion-mnist)", v);
            dataset = v;
        } else if (!strcmp(a, "--data")) data_opt = v;
        else if (!strcmp(a, "--loss")) {
            if (!strcmp(v, "seed")) cfg.loss = OL_LOSS_SEED;
            else if (!strcmp(v, "logits")) cfg.loss = OL_LOSS_LOGITS;
            else return cli_error("--loss: unknown loss '%s' (seed or logits)", v);
        } else if (!strcmp(a, "--seed")) {
            char *end;
            errno = 0;
            unsigned long long s = strtoull(v, &end, 10);
            if (errno || end == v || *end || v[0] == '-') return cli_error("--seed: '%s' is not a non-negative whole number", v);
            cfg.seed = s;
        } else if (!strcmp(a, "--model")) model_arg = v;
        else if (!strcmp(a, "--split")) {
            if (parse_split(v, &sizes)) return 2;
        } else if (!strcmp(a, "--max-epochs")) {
            if (parse_int(a, v, 1, &cfg.max_epochs)) return 2;
        } else if (!strcmp(a, "--patience")) {
            if (parse_int(a, v, 1, &cfg.patience)) return 2;
        } else if (!strcmp(a, "--batch-size")) {
            if (parse_int(a, v, 1, &cfg.batch_size)) return 2;
        } else if (!strcmp(a, "--schedule")) {
            schedule_arg = v;
        } else
            return cli_error("train: unknown option '%s' (see `optlab train --help`)", a);
    }
    if (!optimizer) return cli_error("train: --optimizer NAME is required (see `optlab optimizers`)");

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
    if (ol_optimizer_create(&opt, optimizer, &err) != OL_OK ||
        (settings && ol_optimizer_set_from_string(opt, settings, &err) != OL_OK)) {
        rc = cli_error("train: %s", err.msg);
        goto out;
    }
    if (schedule_arg) { /* NAME or NAME:JSON; checked against the optimizer before any data is read */
        const char *colon = strchr(schedule_arg, ':');
        size_t len = colon ? (size_t)(colon - schedule_arg) : strlen(schedule_arg);
        if (len == 0 || len >= sizeof schedule_name) {
            rc = cli_error("--schedule: '%s' is not NAME or NAME:{json}", schedule_arg);
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
    printf("\nloss: %s, batch %d, patience %d, max epochs %d, seed %llu\n", cfg.loss == OL_LOSS_SEED ? "seed" : "logits",
           cfg.batch_size, cfg.patience, cfg.max_epochs, (unsigned long long)cfg.seed);
    if (schedule)
        printf("schedule: %s %s, stepped after every %s\n", ol_schedule_name(schedule),
               schedule_json && *schedule_json ? schedule_json : "{}", ol_schedule_per_batch(schedule) ? "batch" : "epoch");
    fflush(stdout);

    epoch_display display = {.is_tty = isatty(fileno(stdout)), .patience = cfg.patience,
                             .max_epochs = cfg.max_epochs, .best_acc = -1};
    if (display.is_tty) ol_progress_start(&display.progress, stdout, "train", cfg.patience);
    cfg.on_epoch = show_epoch;
    cfg.user = &display;
    ol_status st = ol_train_run(model, opt, &splits.train, &splits.valid_epoch, &splits.valid_trial, &cfg, &res, &err);
    if (display.is_tty) ol_progress_end(&display.progress);
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
    printf("best epoch: %d\n", res.best_epoch);
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
