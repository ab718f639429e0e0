/*
 * Report layer: Korean particles (이/가, 은/는, 을/를) chosen by how the name
 * before them ends (text.c, rp_ko_has_batchim): Hangul by the last syllable's
 * final consonant (jamo arithmetic), Latin names and digits by how they are
 * read aloud in Korean. The case: "Adam 가" must be "Adam 이".
 */
#include <criterion/criterion.h>

#include "../../src/report/report_internal.h"

Test(korean, hangul_final_consonant_from_the_syllable) {
    /* 담 = ㄷ+ㅏ+ㅁ (final), 다 = ㄷ+ㅏ (none), 률 (ㄹ final), 기 (none) */
    cr_assert(rp_ko_has_batchim("아담"));
    cr_assert(!rp_ko_has_batchim("아다"));
    cr_assert(rp_ko_has_batchim("학습률"));
    cr_assert(!rp_ko_has_batchim("옵티마이저"));
    cr_assert(rp_ko_has_batchim("손실"));
    cr_assert_str_eq(rp_ko_particle("학습률", "이", "가"), "이");
    cr_assert_str_eq(rp_ko_particle("모델", "은", "는"), "은");
    cr_assert_str_eq(rp_ko_particle("데이터", "을", "를"), "를");
}

Test(korean, optimizer_names_as_read) {
    /* ends in a consonant when read: Adam 아담, Nadam, RMSprop 알엠에스프롭, Lion 라이온, SGDM's M 엠.
       (An acronym said as a word, LAMB 램, is read letter by letter by this rule: 비, a vowel.) */
    const char *const with[] = {"Adam", "Nadam", "RMSprop", "Lion", "SGDM", "momentum", "warmup", "NesterovMomentum"};
    /* ends in a vowel: AdamW 아담더블유, SGD 에스지디, Adadelta, Adagrad 아다그라드, Adamax 아다맥스, NAG 엔에이지 */
    const char *const without[] = {"AdamW", "SGD", "Adadelta", "Adagrad", "Adamax", "NAG", "RAdam2"};
    for (size_t i = 0; i < sizeof with / sizeof *with; i++)
        cr_assert(rp_ko_has_batchim(with[i]), "%s should take 이/은/을", with[i]);
    for (size_t i = 0; i < sizeof without / sizeof *without; i++)
        cr_assert(!rp_ko_has_batchim(without[i]), "%s should take 가/는/를", without[i]);
    cr_assert_str_eq(rp_ko_particle("Adam", "이", "가"), "이");
    cr_assert_str_eq(rp_ko_particle("AdamW", "이", "가"), "가");
    cr_assert_str_eq(rp_ko_particle("SGD", "을", "를"), "를");
    cr_assert_str_eq(rp_ko_particle("RMSprop", "은", "는"), "은");
}

Test(korean, digits_as_korean_numerals_and_trailing_marks) {
    /* 1 일, 3 삼, 6 육, 7 칠, 8 팔, 0 영: consonant; 2 이, 4 사, 5 오, 9 구: vowel */
    cr_assert(rp_ko_has_batchim("trial 1"));
    cr_assert(rp_ko_has_batchim("#10"));
    cr_assert(!rp_ko_has_batchim("#12"));
    cr_assert(!rp_ko_has_batchim("v9"));
    /* closing marks are skipped: the word inside decides */
    cr_assert(rp_ko_has_batchim("**Adam**"));
    cr_assert(!rp_ko_has_batchim("(AdamW)"));
    cr_assert(!rp_ko_has_batchim(""));
    cr_assert(!rp_ko_has_batchim(NULL));
}
