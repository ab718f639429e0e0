/*
 * neverlearn_text.c — the words of the report's "Trials that never learn"
 * section (neverlearn.c) and its figures, in English and Korean: one table
 * per language, indexed by nl_text (neverlearn.h), so no sentence of the
 * section is spelled inline. A format string has the same conversions, in
 * the same order, in both languages (test_never_learn.c checks every key
 * has both).
 */
#include "neverlearn.h"

static const char *const NL_EN[NL_T_COUNT] = {
    [NL_T_LOSS] =
        "loss",
    [NL_T_OPTIMIZER_STUDY] =
        "optimizer (study)",
    [NL_T_LAYER_X] =
        "layer %d",
    [NL_T_DEAD_RELU_UNITS_AFTER_X] =
        "dead ReLU units after %s",
    [NL_T_SATURATED_SIGMOID_OUTPUTS_AFTER_X] =
        "saturated sigmoid outputs after %s",
    [NL_T_GRADIENT_NORM_OF_X] =
        "gradient norm of %s",
    [NL_T_GRADIENT_NORM_ALL_LAYERS] =
        "gradient norm, all layers",
    [NL_T_LOSS_ON_THE_BATCH] =
        "loss on the batch",
    [NL_T_ALL] =
        "all",
    [NL_T_WHAT_EXPLAINS_THE_FAILURES_FOR] =
        "**What explains the failures.** For each factor the trials are grouped (decades of a log-searched "
        "value, one group per loss) and η² is the share of the variance of the failed/healthy indicator that "
        "the groups' failure rates account for (0: the same rate in every group; 1: the groups separate "
        "failed from healthy trials exactly):",
    [NL_T_ONLY_THE_X_TRIALS_THAT] =
        " (only the %d trials that searched it)",
    [NL_T_NO_FACTOR_EXPLAINS_THE_FAILURES] =
        " No factor explains the failures: the largest η² is below 0.05, the failure rate is about the same "
        "in every group.\n\n",
    [NL_T_THE_X_EXPLAINS_THE_FAILURES] =
        " **The %s explains the failures best**",
    [NL_T_CLOSELY_FOLLOWED_BY_THE_X] =
        " (closely followed by the %s)",
    [NL_T_THE_X_LOSS] =
        "the %s loss",
    [NL_T_X] =
        "%s",
    [NL_T_X_IN_X_X] =
        "%s in [%s, %s]",
    [NL_T_FAILURE_RATE_AGAINST_THE_X] =
        "Failure rate against the %s (failed/finished trials per range):\n\n",
    [NL_T_FAILURE_RATE_AGAINST_X_FIGURES] =
        "![failure rate against %s](figures/nl-rate-%s.png)\n\n",
    [NL_T_X_LEARNING_RATE_WEIGHT_DECAY] =
        "![%s: learning rate × weight decay, failed trials marked](figures/nl-scatter-%s.png)\n\n",
    [NL_T_DIAGNOSTICS_OF_THE_FIRST_EPOCHS] =
        "**Diagnostics of the first epochs** (attribute `diagnostics`, measured on one fixed batch of "
        "training images after epochs 1 and 2): medians over healthy (`ok`) and never-learned trials. A ReLU "
        "unit is *dead* when no image of the batch activates it; a sigmoid output is *saturated* below 0.01 "
        "or above 0.99 (its slope y(1−y) is then under 0.0099).\n\n",
    [NL_T_X_N_N_MEASURE_HEALTHY] =
        "%s:\n\n| measure | healthy, epoch 1 (n=%d) | never learned, epoch 1 (n=%d) | healthy, epoch 2 "
        "(n=%d) | never learned, epoch 2 (n=%d) |\n|---|---:|---:|---:|---:|\n",
    [NL_T_THE_LARGEST_DIFFERENCE_AMONG_THE] =
        "; the largest difference among the fractions is in %s: %s against %s",
    [NL_T_GRADIENTS_BELOW_1_OF_THE] =
        " Gradients below 1 % of the healthy trials' median reach: ",
    [NL_T_THOSE_LAYERS_NO_LONGER_LEARN] =
        " — those layers no longer learn.",
    [NL_T_DEJAVU_SANS] =
        "DejaVu Sans",
    [NL_T_SET_TITLE_TRIALS_THAT_FAIL] =
        "set title \"Trials that fail to learn, by %s\"\n",
    [NL_T_FAILED_TRIALS] =
        "failed trials (%)",
    [NL_T_ALL_2] =
        "all",
    [NL_T_SET_TITLE_X_WHICH_TRIALS] =
        "set title \"%s: which trials fail to learn\"\n",
    [NL_T_HEALTHY] =
        "healthy",
    [NL_T_DIVERGED] =
        "diverged",
    [NL_T_PARA_1] =
        "A trial *fails to learn* when it ends stuck (status `never_learned`: its best valid-epoch accuracy "
        "is within one point of always answering the most frequent class) or diverges (NaN/Inf). Of %d "
        "finished trials, %d failed (%.0f %%): %d never learned, %d diverged.\n\n",
    [NL_T_PARA_2] =
        "Paired by trial number (the same draw of hyperparameters and the same initial weights when both "
        "studies share the seed), %s and %s: %d pairs; both failed %d, only %s %d, only %s %d.\n\n",
    [NL_T_PARA_3] =
        "After epoch 1 the never-learned trials' total gradient norm is %.2g× the healthy trials' (median "
        "%.3g against %.3g)",
    [NL_T_PARA_RATES] =
        ": %2$.0f %% of trials fail with %1$s against %4$.0f %% with %3$s",
};

static const char *const NL_KO[NL_T_COUNT] = {
    [NL_T_LOSS] =
        "손실 함수",
    [NL_T_OPTIMIZER_STUDY] =
        "Optimizer (Study)",
    [NL_T_LAYER_X] =
        "레이어 %d",
    [NL_T_DEAD_RELU_UNITS_AFTER_X] =
        "%s 뒤의 죽은 ReLU 유닛",
    [NL_T_SATURATED_SIGMOID_OUTPUTS_AFTER_X] =
        "%s 뒤의 포화된 sigmoid 출력",
    [NL_T_GRADIENT_NORM_OF_X] =
        "%s 의 gradient norm",
    [NL_T_GRADIENT_NORM_ALL_LAYERS] =
        "전체 레이어의 gradient norm",
    [NL_T_LOSS_ON_THE_BATCH] =
        "batch 의 손실",
    [NL_T_ALL] =
        "전체",
    [NL_T_WHAT_EXPLAINS_THE_FAILURES_FOR] =
        "**무엇이 실패를 설명하는가.** 요인마다 Trial 을 그룹으로 나누고 (로그 스케일로 탐색한 값은 10 배 구간별로, 손실 함수는 종류별로), 실패/정상을 나타내는 0/1 "
        "지표의 분산 중 그룹별 실패율이 설명하는 비율을 η² 로 구했다 (0: 모든 그룹의 실패율이 같음, 1: 그룹이 실패한 Trial 과 정상 Trial 을 정확히 가름):",
    [NL_T_ONLY_THE_X_TRIALS_THAT] =
        " (이를 탐색한 Trial %d 개만 대상)",
    [NL_T_NO_FACTOR_EXPLAINS_THE_FAILURES] =
        " 실패를 설명하는 요인은 없다: 가장 큰 η² 도 0.05 미만이며, 모든 그룹에서 실패율이 거의 같다.\n\n",
    [NL_T_THE_X_EXPLAINS_THE_FAILURES] =
        " **실패를 가장 잘 설명하는 요인은 %s 이다**",
    [NL_T_CLOSELY_FOLLOWED_BY_THE_X] =
        " (근소한 차이로 그다음은 %s)",
    [NL_T_THE_X_LOSS] =
        "손실 함수가 %s 인 Trial",
    [NL_T_X] =
        "%s 의 Trial",
    [NL_T_X_IN_X_X] =
        "%s ∈ [%s, %s] 인 Trial",
    [NL_T_FAILURE_RATE_AGAINST_THE_X] =
        "%s 구간별 실패율 (구간마다 실패한 Trial / 끝난 Trial):\n\n",
    [NL_T_FAILURE_RATE_AGAINST_X_FIGURES] =
        "![%s 구간별 실패율](figures/nl-rate-%s.png)\n\n",
    [NL_T_X_LEARNING_RATE_WEIGHT_DECAY] =
        "![%s: learning rate × weight decay, 실패한 Trial 표시](figures/nl-scatter-%s.png)\n\n",
    [NL_T_DIAGNOSTICS_OF_THE_FIRST_EPOCHS] =
        "**초기 Epoch 의 진단값** (속성 `diagnostics`, Epoch 1 과 2 가 끝난 뒤 고정된 학습 이미지 batch 하나로 측정): 정상 (`ok`) Trial "
        "과 학습 안 된 Trial 각각의 중앙값. batch 의 어떤 이미지에도 활성화되지 않는 ReLU 유닛을 *죽은 (dead)* 유닛이라 하고, sigmoid 출력이 0.01 "
        "미만이거나 0.99 초과이면 *포화 (saturated)* 되었다고 한다 (이때 기울기 y(1−y) 는 0.0099 미만).\n\n",
    [NL_T_X_N_N_MEASURE_HEALTHY] =
        "%s:\n\n| 측정값 | 정상, Epoch 1 (n=%d) | 학습 안 됨, Epoch 1 (n=%d) | 정상, Epoch 2 (n=%d) | 학습 안 됨, Epoch 2 "
        "(n=%d) |\n|---|---:|---:|---:|---:|\n",
    [NL_T_THE_LARGEST_DIFFERENCE_AMONG_THE] =
        "; 비율 측정값 중 차이가 가장 큰 것은 %s 이다 (학습 안 됨 %s, 정상 %s)",
    [NL_T_GRADIENTS_BELOW_1_OF_THE] =
        " gradient 가 정상 Trial 중앙값의 1 % 미만인 레이어: ",
    [NL_T_THOSE_LAYERS_NO_LONGER_LEARN] =
        " — 이 레이어들은 더 이상 학습되지 않는다.",
    [NL_T_DEJAVU_SANS] =
        "Noto Sans CJK KR",
    [NL_T_SET_TITLE_TRIALS_THAT_FAIL] =
        "set title \"%s 구간별 학습에 실패한 Trial\"\n",
    [NL_T_FAILED_TRIALS] =
        "실패한 Trial (%)",
    [NL_T_ALL_2] =
        "전체",
    [NL_T_SET_TITLE_X_WHICH_TRIALS] =
        "set title \"%s: 어떤 Trial 이 학습에 실패하는가\"\n",
    [NL_T_HEALTHY] =
        "정상",
    [NL_T_DIVERGED] =
        "발산",
    [NL_T_PARA_1] =
        "Trial 이 *학습에 실패했다* 는 것은 학습이 한 Class 에 멈춘 채 끝났거나 (상태 `never_learned`: Valid 정확도 (Epoch 단위) 의 최고값이 항상 "
        "가장 많은 Class 로 답했을 때의 정확도와 1 %%p 이내) 발산한 (NaN/Inf) 경우를 말한다. 끝난 Trial %d 개 (정상 완료, 학습 안 됨, 발산) 중 %d 개 "
        "(%.0f %%) 가 실패했다: 학습 안 됨 %d 개, 발산 %d 개.\n\n",
    [NL_T_PARA_2] =
        "Trial 번호로 짝지은 비교, %s 대 %s (두 Study 가 시드를 공유하면 같은 번호의 Trial 은 하이퍼파라미터 추출값과 초기 가중치가 같다): %d 쌍 중 둘 다 "
        "실패 %d, %s 만 실패 %d, %s 만 실패 %d.\n\n",
    [NL_T_PARA_3] =
        "Epoch 1 뒤 학습 안 된 Trial 의 전체 gradient norm 은 정상 Trial 의 %.2g× 이다 (중앙값: 학습 안 됨 %.3g, 정상 %.3g)",
    [NL_T_PARA_RATES] =
        ". %s 중 %.0f %% 가 실패한 반면, %s 중에서는 %.0f %% 가 실패했다",
};

const char *nl_t(ol_report_lang lang, nl_text key) {
    if ((int)key < 0 || key >= NL_T_COUNT) return "";
    const char *s = lang == OL_REPORT_KO ? NL_KO[key] : NL_EN[key];
    return s ? s : NL_EN[key] ? NL_EN[key] : "";
}
